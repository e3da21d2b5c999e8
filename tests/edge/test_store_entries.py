"""Storing entries: identity fallbacks, flip-flops, future dates, feed metadata, enclosures.

Real SQLite files; feeds are parsed from bytes as a fetch would deliver them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.errors import StoreError
from aggregator.models import BlogrollEntry, Fetched, ParsedFeed
from aggregator.parse import parse_feed
from aggregator.store import Store
from aggregator.update.record import store_fetched_feed
from tests.support.db import refuse_entries_titled

FEED_URL = "https://ids.example/feed.xml"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.sync_blogroll([BlogrollEntry(url=FEED_URL, feed_url=FEED_URL)], T0)
    yield opened
    opened.close()


def item(title: str, link: str | None, guid: str | None = None, date: str | None = None,
         body: str = "Text.") -> str:  # fmt: skip
    return (
        "<item>"
        f"<title>{title}</title>"
        + (f"<link>{link}</link>" if link else "")
        + (f'<guid isPermaLink="false">{guid}</guid>' if guid else "")
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + f"<description>{body}</description></item>"
    )


def feed(*items: str, extra: str = "") -> ParsedFeed:
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Ids</title><link>https://ids.example/</link><description>About ids</description>"
        f"{extra}{''.join(items)}</channel></rss>"
    )
    return parse_feed(document.encode(), FEED_URL)


def store_at(store: Store, parsed: ParsedFeed, now: datetime, **kwargs: bool) -> tuple[int, int]:
    (source,) = store.list_sources()
    fetched = Fetched(FEED_URL, 200, b"", {}, None, None)
    return store_fetched_feed(
        store,
        source.id,
        fetched,
        parsed,
        now,
        now + timedelta(hours=1),
        timedelta(hours=1),
        **kwargs,
    )


def titles(store: Store) -> list[str]:
    return sorted(e.title for e in store.recent_entries(100))


# -- identity -----------------------------------------------------------------------------


def test_a_new_guid_on_every_fetch_for_the_same_link_is_still_one_entry(store: Store) -> None:
    assert store_at(store, feed(item("Post", "https://ids.example/p", guid="r-1")), T0) == (1, 0)
    again = feed(item("Post, edited", "https://ids.example/p", guid="r-2"))

    assert store_at(store, again, T0 + timedelta(hours=1)) == (0, 1)
    assert store_at(store, again, T0 + timedelta(hours=2)) == (0, 0)
    assert titles(store) == ["Post, edited"]


def test_one_guid_repeated_for_different_links_gives_one_entry_per_link(store: Store) -> None:
    both = feed(
        item("First", "https://ids.example/a", guid="same"),
        item("Second", "https://ids.example/b", guid="same"),
    )
    assert store_at(store, both, T0) == (2, 0)

    # Next time only one entry carries the guid: it is still the entry stored for its link.
    one = feed(item("First", "https://ids.example/a", guid="same"))
    assert store_at(store, one, T0 + timedelta(hours=1)) == (0, 0)
    assert titles(store) == ["First", "Second"]


def test_items_that_all_link_to_the_homepage_stay_apart(store: Store) -> None:
    home = "https://ids.example/"
    first = feed(item("Note 1", home, guid="n1"), item("Note 2", home, guid="n2"))
    store_at(store, first, T0)

    second = feed(item("Note 3", home, guid="n3"), item("Note 2", home, guid="n2"))
    assert store_at(store, second, T0 + timedelta(hours=1)) == (1, 0)
    assert titles(store) == ["Note 1", "Note 2", "Note 3"]


# -- updates ---------------------------------------------------------------------------------


def test_an_entry_flipping_between_two_versions_does_not_churn(store: Store) -> None:
    a = feed(item("Post", "https://ids.example/p", guid="p", body="Version A."))
    b = feed(item("Post", "https://ids.example/p", guid="p", body="Version B."))
    store_at(store, a, T0)

    results = [store_at(store, parsed, T0 + timedelta(hours=n)) for n, parsed in
               enumerate([b, a, b, a], start=1)]  # fmt: skip

    assert results == [(0, 1), (0, 0), (0, 0), (0, 0)]
    (entry,) = store.recent_entries(10)
    assert entry.summary == "Version B."


def test_a_real_second_change_is_stored(store: Store) -> None:
    for n, body in enumerate(["One.", "Two.", "Three."]):
        store_at(store, feed(item("Post", "https://ids.example/p", guid="p", body=body)), T0)
        assert store.recent_entries(10)[0].summary == body, n


# -- dates -----------------------------------------------------------------------------------

FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"


def test_a_future_date_is_clamped_to_the_first_seen_time_and_stays_there(store: Store) -> None:
    parsed = feed(item("Ahead", "https://ids.example/f", date=FUTURE))
    store_at(store, parsed, T0)
    store_at(store, feed(item("Ahead, edited", "https://ids.example/f", date=FUTURE)),
             T0 + timedelta(days=1))  # fmt: skip

    (entry,) = store.recent_entries(10)
    assert entry.title == "Ahead, edited"
    assert entry.published == T0
    assert entry.updated == T0


def test_future_dates_are_kept_when_clamping_is_off(store: Store) -> None:
    store_at(store, feed(item("Ahead", "https://ids.example/f", date=FUTURE)), T0,
             clamp_future=False)  # fmt: skip

    assert store.recent_entries(10)[0].published == datetime(2100, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "date", [None, "Mon, 01 Jan 0001 00:00:00 +0000"], ids=["missing", "hugo-zero-date"]
)
def test_an_entry_without_a_date_is_dated_when_first_seen(store: Store, date: str | None) -> None:
    store_at(store, feed(item("Undated", "https://ids.example/u", date=date)), T0)
    store_at(store, feed(item("Undated", "https://ids.example/u", date=date)), T0 + timedelta(1))

    (entry,) = store.recent_entries(10)
    assert entry.published == T0


# -- what else is kept ------------------------------------------------------------------------


def test_feed_metadata_is_kept_on_the_source(store: Store) -> None:
    extra = (
        "<language>en-nz</language>"
        "<image><url>https://ids.example/logo.png</url><title>Ids</title>"
        "<link>https://ids.example/</link></image>"
    )
    store_at(store, feed(item("P", "https://ids.example/p"), extra=extra), T0)

    (source,) = store.list_sources()
    assert source.feed_title == "Ids"
    assert source.site_url == "https://ids.example/"
    assert source.feed_description == "About ids"
    assert source.feed_icon == "https://ids.example/logo.png"
    assert source.feed_language == "en-nz"


def test_enclosures_are_stored_and_read_back(store: Store) -> None:
    enclosure = '<enclosure url="https://ids.example/e.mp3" length="99" type="audio/mpeg"/>'
    document = item("Episode", "https://ids.example/e").replace("</item>", enclosure + "</item>")
    store_at(store, feed(document), T0)

    (entry,) = store.recent_entries(10)
    ((url, kind, length),) = [(e.url, e.type, e.length) for e in entry.enclosures]
    assert (url, kind, length) == ("https://ids.example/e.mp3", "audio/mpeg", 99)


# -- one transaction for several calls ----------------------------------------------------


def test_calls_in_one_transaction_are_stored_together(store: Store) -> None:
    with store.transaction():
        store_at(store, feed(item("First", "https://ids.example/1")), T0)
        store_at(store, feed(item("Second", "https://ids.example/2")), T0 + timedelta(hours=1))
        assert titles(store) == ["First", "Second"]  # the block reads its own writes

    assert titles(store) == ["First", "Second"]


def test_a_failed_call_in_one_transaction_stores_none_of_them(
    store: Store, database_url: str
) -> None:
    refuse_entries_titled(database_url, "Refused")

    with pytest.raises(StoreError, match="entry refused"), store.transaction():
        store_at(store, feed(item("First", "https://ids.example/1")), T0)
        store_at(store, feed(item("Refused", "https://ids.example/2")), T0 + timedelta(hours=1))

    assert titles(store) == []
    store_at(store, feed(item("First", "https://ids.example/1")), T0)
    assert titles(store) == ["First"]  # the store carries on
