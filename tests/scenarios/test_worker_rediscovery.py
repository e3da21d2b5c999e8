"""A worker runs the same pipeline as refresh: a discovered feed that moved is found again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.app import App
from aggregator.models import Source
from aggregator.settings import load_settings
from aggregator.update.worker import Worker
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def blog_feed(title: str, n: int = 2) -> bytes:
    items = [
        FeedItem(f"{title} post {i}", f"https://blog.example/{i}", day(1 + i)) for i in range(n)
    ]
    return rss2_feed(title, "https://blog.example/", items)


def homepage(feed_path: str) -> bytes:
    return (
        b'<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="'
        + feed_path.encode()
        + b'"></head><body>A blog</body></html>'
    )


def only_source(app: App) -> Source:
    (source,) = app.store.list_sources()
    return source


def tick_at(app: App, clock: Clock, when: datetime) -> None:
    """Run one worker tick at ``when``, or when the source is next due if that is later."""
    due = only_source(app).next_check_at
    clock.now = max(when, due) if due is not None else when
    outcome = Worker(app.settings, app.store, app.fetcher, clock, owner="w1").tick()
    assert len(outcome.sources) == 1


def test_a_worker_looks_for_a_discovered_feed_again_like_refresh(
    site: Site, feed_server: FeedServer
) -> None:
    clock = Clock()
    feed_server.serve("/old.xml", blog_feed("Old"))
    home = feed_server.serve("/", homepage("/old.xml"), content_type="text/html")
    (site.root / "blogroll.md").write_text(f"### Friends\n- [Moving blog]({home}) - it moves\n")
    with App(load_settings(site.config), clock=clock) as app:
        app.refresh()
        assert only_source(app).feed_url == feed_server.url("/old.xml")

        feed_server.serve("/old.xml", b"gone", status=404)
        feed_server.serve("/new.xml", blog_feed("New", n=3))
        feed_server.serve("/", homepage("/new.xml"), content_type="text/html")
        tick_at(app, clock, NOW + timedelta(days=1))
        first_failure = only_source(app).first_failure_at
        assert first_failure is not None
        tick_at(app, clock, first_failure + timedelta(days=1))
        assert only_source(app).state(clock()) == "failing"
        assert feed_server.requests_to("/new.xml") == []  # not looked for yet

        tick_at(app, clock, first_failure + timedelta(days=3))
        source = only_source(app)
    assert source.feed_url == feed_server.url("/new.xml")
    assert source.state(clock()) == "ok"
    assert source.entry_count == 3
    assert len(feed_server.requests_to("/new.xml")) == 1


def test_a_worker_keeps_a_feed_the_owner_gave(site: Site, feed_server: FeedServer) -> None:
    clock = Clock()
    feed = feed_server.serve("/given.xml", b"down", status=500)
    feed_server.serve("/other.xml", blog_feed("Other"))
    home = feed_server.serve("/", homepage("/other.xml"), content_type="text/html")
    site.write_blogroll([("Blog", home, feed)])
    with App(load_settings(site.config), clock=clock) as app:
        app.refresh()
        first_failure = only_source(app).first_failure_at
        assert first_failure is not None
        tick_at(app, clock, first_failure + timedelta(days=5))
        assert only_source(app).feed_url == feed
    assert feed_server.requests_to("/") == []
