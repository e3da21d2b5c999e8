"""Retention: old entries go, what the pages show and the owner's own posts stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import BlogrollEntry, Fetched
from aggregator.parse import parse_feed
from aggregator.store import Store
from aggregator.update.record import store_fetched_feed
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime(2026, 3, 20, tzinfo=UTC)
BLOG = "https://blog.example/feed.xml"
OWN = "https://own.example/feed.xml"


def stored(store: Store, url: str, days: range) -> None:
    items = [FeedItem(f"{url} day {d}", f"{url}#{d}", day(d)) for d in days]
    body = rss2_feed("Feed", url, items)
    feed = parse_feed(body, url)
    (source,) = [s for s in store.list_sources() if s.url == url]
    fetched = Fetched(url, 200, body, {}, None, None)
    store_fetched_feed(store, source.id, fetched, feed, NOW, NOW, timedelta(hours=1))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.sync_blogroll([BlogrollEntry(url=BLOG, feed_url=BLOG)], NOW, own_feed_url=OWN)
    stored(opened, BLOG, range(1, 11))
    stored(opened, OWN, range(1, 11))
    yield opened
    opened.close()


def titles(store: Store, url: str) -> list[str]:
    return [e.title for e in store.recent_entries(100) if e.source_feed_url == url]


def test_entries_older_than_the_age_are_pruned_except_own_and_kept(store: Store) -> None:
    shown = {e.id for e in store.recent_entries(100) if e.title == f"{BLOG} day 2"}
    pruned = store.prune(NOW, max_age=timedelta(days=NOW.day - 5), per_source=None, keep=shown)
    assert pruned == 3  # days 1, 3 and 4
    assert titles(store, BLOG) == [f"{BLOG} day {d}" for d in (10, 9, 8, 7, 6, 5, 2)]
    assert len(titles(store, OWN)) == 10


def test_only_the_newest_n_of_each_blog_are_kept(store: Store) -> None:
    assert store.prune(NOW, max_age=None, per_source=3) == 7
    assert titles(store, BLOG) == [f"{BLOG} day {d}" for d in (10, 9, 8)]
    assert len(titles(store, OWN)) == 10


def test_no_retention_prunes_nothing(store: Store) -> None:
    assert store.prune(NOW, max_age=None, per_source=None) == 0


def test_refresh_prunes_but_never_what_the_first_pages_show(
    site: Site, feed_server: FeedServer
) -> None:
    items = [FeedItem(f"Kept {n}", f"https://many.example/{n}", day(n)) for n in range(1, 9)]
    site.write_blogroll(
        [feed_server.blog("Many", "https://many.example/", "/m.xml", rss2_feed, items)]
    )
    text = site.config.read_text().replace(
        '[output]\ndir = "public"', '[output]\ndir = "public"\nitems = 2\npages = 1\nfeed_items = 2'
    )
    site.config.write_text(text + "\n[retention]\nper_source = 1\n")

    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    left = sorted(str(t) for (t,) in site.query("SELECT title FROM entries"))
    # One per blog would be kept; the category page shows four (2 × items), so four stay.
    assert left == ["Kept 5", "Kept 6", "Kept 7", "Kept 8"]
    index = (site.output / "index.html").read_text()
    assert "Kept 8" in index and "Kept 7" in index
