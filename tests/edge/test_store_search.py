"""The search index follows the entries: written, rewritten and pruned with them, built by the
migration for a database that had entries before it; own posts replaced by each build."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from aggregator.models import BlogrollEntry, Fetched, ParsedFeed
from aggregator.parse import parse_feed
from aggregator.search.query import parse_query
from aggregator.store import Store
from aggregator.store.schema import UTCDateTime
from aggregator.store.search import PostDocument
from aggregator.update.record import store_fetched_feed

FEED_URL = "https://jam.example/feed.xml"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.sync_blogroll([BlogrollEntry(url=FEED_URL, feed_url=FEED_URL, title="Jam")], T0)
    yield opened
    opened.close()


def feed(*items: tuple[str, str, str]) -> ParsedFeed:
    """items: (guid, title, HTML content), dated one day apart."""
    entries = "".join(
        f'<entry><id>{guid}</id><title>{title}</title><link href="https://jam.example/{guid}"/>'
        f"<updated>2026-02-{n + 1:02d}T10:00:00Z</updated>"
        f'<content type="html"><![CDATA[{html}]]></content></entry>'
        for n, (guid, title, html) in enumerate(items)
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Jam</title><id>https://jam.example/</id><updated>2026-02-28T00:00:00Z</updated>"
        f"{entries}</feed>"
    )
    return parse_feed(document.encode(), FEED_URL)


def store_at(store: Store, parsed: ParsedFeed, now: datetime = T0) -> None:
    (source,) = store.list_sources()
    fetched = Fetched(FEED_URL, 200, b"", {}, None, None)
    store_fetched_feed(
        store, source.id, fetched, parsed, now, now + timedelta(hours=1), timedelta(hours=1)
    )


def found(store: Store, typed: str) -> list[str]:
    return [hit.title for hit in store.search(parse_query(typed), offset=0, limit=50).hits]


def test_an_entry_is_found_by_its_title_and_its_content_but_not_by_its_markup(
    store: Store,
) -> None:
    store_at(store, feed(("a", "Seville oranges", "<table><tr><td>Bitter jam</td></tr></table>")))
    assert found(store, "seville") == ["Seville oranges"]
    assert found(store, "BITTER jam") == ["Seville oranges"]
    assert found(store, "table") == []
    assert found(store, "td") == []


def test_an_updated_entry_is_found_by_its_new_words_only(store: Store) -> None:
    store_at(store, feed(("a", "Breakfast", "<p>Marmalade on toast.</p>")))
    store_at(store, feed(("a", "Breakfast", "<p>Honey on toast.</p>")), T0 + timedelta(hours=2))
    assert found(store, "honey") == ["Breakfast"]
    assert found(store, "marmalade") == []


def test_pruned_entries_leave_the_index(store: Store) -> None:
    store_at(store, feed(*[(f"e{n}", f"Jam {n}", "<p>Jam.</p>") for n in range(1, 5)]))
    assert store.prune(T0, max_age=None, per_source=2) == 2
    assert found(store, "jam") == ["Jam 4", "Jam 3"]


def test_a_blog_no_longer_on_the_blogroll_is_not_searched(store: Store) -> None:
    store_at(store, feed(("a", "Old jam", "<p>Jam.</p>")))
    store.sync_blogroll([BlogrollEntry(url="https://other.example/feed.xml")], T0)
    assert found(store, "jam") == []


def test_the_best_match_comes_first_then_the_newest(store: Store) -> None:
    store_at(
        store,
        feed(
            ("a", "Oldest", "<p>Jam.</p>"),
            ("b", "Jam in the title", "<p>Jam.</p>"),
            ("c", "Newest", "<p>Jam.</p>"),
        ),
    )
    assert found(store, "jam") == ["Jam in the title", "Newest", "Oldest"]
    results = store.search(parse_query("jam"), offset=1, limit=1)
    assert (results.total, [h.title for h in results.hits]) == (3, ["Newest"])


def test_a_huge_entry_is_indexed_in_part(store: Store) -> None:
    words = " ".join(f"w{n}x" for n in range(60_000))
    store_at(store, feed(("a", "Huge", f"<p>early {words} late</p>")))
    assert found(store, "early") == ["Huge"]
    assert found(store, "late") == []


def test_own_posts_are_what_the_last_build_gave(store: Store) -> None:
    def post(slug: str, body: str) -> PostDocument:
        return PostDocument(f"posts/{slug}/", slug.title(), "", f"<p>{body}</p>", T0)

    store.replace_post_documents([post("spice", "Cloves of Zanzibar."), post("tea", "Tea.")])
    store.replace_post_documents([post("spice", "Cloves of Zanzibar.")])
    (hit,) = store.search(parse_query("zanzibar cloves"), offset=0, limit=10).hits
    assert (hit.kind, hit.url, hit.title, hit.text) == (
        "post",
        "posts/spice/",
        "Spice",
        "Cloves of Zanzibar.",
    )
    assert found(store, "tea") == []


def test_the_migration_indexes_the_entries_stored_before_it(database_url: str) -> None:
    store = Store.open(database_url, upgrade=False)
    try:
        before = "0007"  # the one before the search migration
        assert before in Store.revisions()
        store.upgrade(before)
        with store.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO sources (id, url, title, category, note, recommended, position,"
                    " active, failure_count, created_at, is_own)"
                    " VALUES (1, :url, 'Jam', '', '', '[]', 0, :yes, 0, :t0, :no)"
                ).bindparams(sa.bindparam("t0", type_=UTCDateTime())),
                {"url": FEED_URL, "yes": True, "no": False, "t0": T0},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO entries (id, source_id, key, title, summary, content_html,"
                    " content_hash, first_seen_at, sort_at)"
                    " VALUES (7, 1, 'k', 'Kept', '', '<p>Quince <b>jelly</b></p>', 'h', :t0, :t0)"
                ).bindparams(sa.bindparam("t0", type_=UTCDateTime())),
                {"t0": T0},
            )
        store.upgrade()
        assert found(store, "quince jelly") == ["Kept"]
        store.downgrade(before)
        tables = set(sa.inspect(store.engine).get_table_names())
        assert not {"entry_search", "post_search"} & tables
    finally:
        store.close()


NASTY = [
    '"unbalanced', '""""""""', "AND", "OR", "NOT", "NEAR(jam", "jam NEAR/2 toast", "^jam",
    "title:jam", "{title summary}: jam", "jam*", "*", "(jam", "jam)", "'; DROP TABLE entries; --",
    "\x00jam\x00", "\\", "%", "_", "🙂 jam", "jam " * 300, "-jam", "--jam", "jam -", "!jam",
    "jam & toast | !honey", "jam <-> toast", "日本語", "a" * 5000,
]  # fmt: skip


@pytest.mark.parametrize("typed", NASTY)
def test_nothing_typed_is_an_error_of_the_index(store: Store, typed: str) -> None:
    store_at(store, feed(("a", "Jam", "<p>Jam and toast.</p>")))
    results = store.search(parse_query(typed), offset=0, limit=10)
    assert results.total == len(results.hits) <= 1
