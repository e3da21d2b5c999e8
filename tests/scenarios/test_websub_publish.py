"""WebSub as a publisher: feeds name the hubs, and a build pings them for each changed feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from lxml import etree

from aggregator.app import App
from aggregator.settings import load_settings
from aggregator.websub.publisher import FIRST_DELAY
from tests.scenarios.test_publish import assert_valid_atom
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NS = {"a": "http://www.w3.org/2005/Atom"}
FEEDS = ("feed.xml", "feed.json", "own.xml", "own.json")
CATEGORY_FEEDS = ("category/friends/feed.xml", "category/friends/feed.json")


def with_hub(site: Site, hub: str) -> None:
    with site.config.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[websub]\nhubs = ["{hub}"]\n')


def pings(server: FeedServer) -> list[tuple[str, str]]:
    """(hub.mode, hub.url) of every POST the hub saw."""
    seen = []
    for request in server.requests_to("/hub"):
        assert request.method == "POST"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = parse_qs(request.body.decode())
        seen.append((form["hub.mode"][0], form["hub.url"][0]))
    return seen


def topic(name: str) -> str:
    return f"http://127.0.0.1:8080/{name}"


@pytest.fixture
def hub_site(site: Site, feed_server: FeedServer) -> Site:
    feed_server.serve("/hub", b"", status=202)
    items = [FeedItem("First", "https://blog.example/1", day(9))]
    site.write_blogroll(
        [feed_server.blog("Blog", "https://blog.example/", "/feed.xml", rss2_feed, items)]
    )
    with_hub(site, feed_server.url("/hub"))
    assert site.cli("refresh") == 0
    return site


def test_every_feed_names_the_hub_and_stays_valid(hub_site: Site, feed_server: FeedServer) -> None:
    assert hub_site.cli("build") == 0
    hub = feed_server.url("/hub")
    for name in FEEDS + CATEGORY_FEEDS:
        path = hub_site.output / name
        if name.endswith(".json"):
            document = json.loads(path.read_text())
            assert document["hubs"] == [{"type": "WebSub", "url": hub}], name
            continue
        assert_valid_atom(path)
        links = etree.parse(str(path)).getroot().findall("a:link", NS)
        rels = [(link.get("rel"), link.get("href")) for link in links]
        assert ("self", topic(name)) in rels, name
        assert ("hub", hub) in rels, name
        # The hub link sits right after the self link.
        assert rels[[r for r, _ in rels].index("self") + 1] == ("hub", hub), name


def test_changed_feeds_are_pinged_once_each_and_unchanged_ones_never(
    hub_site: Site, feed_server: FeedServer
) -> None:
    assert hub_site.cli("build") == 0
    first = pings(feed_server)
    assert sorted(first) == sorted(("publish", topic(n)) for n in FEEDS + CATEGORY_FEEDS)

    # A new entry on the blog changes the river and the category feeds, not own.xml.
    items = [
        FeedItem("First", "https://blog.example/1", day(9)),
        FeedItem("Second", "https://blog.example/2", day(10)),
    ]
    feed_server.serve("/feed.xml", rss2_feed("Blog", "https://blog.example/", items))
    assert hub_site.cli("refresh", "--all") == 0
    assert hub_site.cli("build") == 0
    second = pings(feed_server)[len(first) :]
    expected = ("feed.xml", "feed.json", *CATEGORY_FEEDS)
    assert sorted(second) == sorted(("publish", topic(n)) for n in expected)

    # Nothing new: no ping at all.
    assert hub_site.cli("build") == 0
    assert len(pings(feed_server)) == len(first) + len(second)


def test_a_failing_hub_is_retried_later_and_never_fails_the_build(
    hub_site: Site, feed_server: FeedServer
) -> None:
    feed_server.serve("/hub", b"down", status=500)
    now = [datetime(2026, 3, 12, 9, 0, tzinfo=UTC)]
    with App(load_settings(hub_site.config), clock=lambda: now[0]) as app:
        outcome = app.build()
        assert set(outcome.feeds_written) == set(FEEDS + CATEGORY_FEEDS)
        assert (hub_site.output / "feed.xml").is_file()
        tried = len(pings(feed_server))
        assert tried == len(outcome.feeds_written)
        assert {p.topic for p in app.hub_pings.pending()} == {
            topic(n) for n in outcome.feeds_written
        }

        # Not due yet: nothing is sent.
        assert app.hub_pings.send_due().sent == 0
        assert len(pings(feed_server)) == tried

        # Still failing after the delay: tried again, the delay doubles.
        now[0] += FIRST_DELAY
        again = app.hub_pings.send_due()
        assert (again.sent, again.failed) == (0, tried)
        assert len(pings(feed_server)) == 2 * tried
        assert all(p.due_at == now[0] + 2 * FIRST_DELAY for p in app.hub_pings.pending())

        # The hub is back: each pending ping goes out once and the queue empties.
        feed_server.serve("/hub", b"", status=204)
        now[0] += 2 * FIRST_DELAY + timedelta(seconds=1)
        outcome_ok = app.hub_pings.send_due()
        assert (outcome_ok.sent, outcome_ok.failed, outcome_ok.pending) == (tried, 0, 0)
        assert sorted(pings(feed_server)[2 * tried :]) == sorted(
            ("publish", topic(n)) for n in outcome.feeds_written
        )
        assert app.hub_pings.send_due().sent == 0


def test_without_hubs_feeds_name_none_and_nothing_is_posted(
    site: Site, feed_server: FeedServer
) -> None:
    assert site.cli("build") == 0
    assert b'rel="hub"' not in (site.output / "feed.xml").read_bytes()
    assert "hubs" not in json.loads((site.output / "feed.json").read_text())
    assert not [r for r in feed_server.seen if r.method == "POST"]
