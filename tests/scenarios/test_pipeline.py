"""End to end: a blogroll of real HTTP feeds on 127.0.0.1 → refresh → build → the site."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest

from tests.support.db import on_postgres
from tests.support.feeds import FeedItem, atom_feed, day, rss1_feed, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site


@pytest.fixture
def three_feeds(site: Site, feed_server: FeedServer) -> Site:
    """An RSS 2.0, an Atom 1.0 and an RSS 1.0 blog, with entries on different days."""
    rss = [
        FeedItem("RSS first", "https://rss.example/1", day(10), guid="rss-1", author="Ann"),
        FeedItem("RSS second", "https://rss.example/2", day(5), guid="rss-2"),
    ]
    atom = [
        FeedItem("Atom first", "https://atom.example/1", day(9), author="Bo"),
        FeedItem("Atom second", "https://atom.example/2", day(3)),
    ]
    rdf = [FeedItem("RDF first", "https://rdf.example/1", day(8))]
    site.write_blogroll(
        [
            feed_server.blog("RSS Blog", "https://rss.example/", "/rss.xml", rss2_feed, rss),
            feed_server.blog("Atom Blog", "https://atom.example/", "/atom.xml", atom_feed, atom),
            feed_server.blog("RDF Blog", "https://rdf.example/", "/rdf.xml", rss1_feed, rdf),
        ]
    )
    return site


def entry_rows(site: Site) -> list[tuple[str, str]]:
    return sorted(site.query("SELECT key, title FROM entries"))  # type: ignore[arg-type]


def test_refresh_then_build_publishes_every_feed_and_the_own_posts(three_feeds: Site) -> None:
    site = three_feeds
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    index = (site.output / "index.html").read_text()
    titles = [
        "RSS first", "Atom first", "RDF first", "Own post in Jekyll format", "RSS second",
        "Own post in Hugo format", "Atom second", "Own post without front matter",
    ]  # fmt: skip
    positions = [index.index(t) for t in titles]
    assert positions == sorted(positions), "river is not newest first"
    assert "Secret draft" not in index

    combined = feedparser.parse((site.output / "feed.xml").read_bytes())
    assert combined.version == "atom10"
    by_title = {e.title: e for e in combined.entries}
    assert set(by_title) == set(titles)
    assert [e.title for e in combined.entries] == titles
    rss_first = by_title["RSS first"]
    assert rss_first.link == "https://rss.example/1"
    assert rss_first.published_parsed[:3] == (2026, 3, 10)
    assert rss_first.author == "Ann"
    assert rss_first.source.title == "RSS Blog"
    assert by_title["Atom first"].source.title == "Atom Blog"
    assert by_title["RDF first"].source.title == "RDF Blog"
    assert by_title["Own post in Hugo format"].link == "http://127.0.0.1:8080/posts/hello-hugo/"

    own = feedparser.parse((site.output / "own.xml").read_bytes())
    assert [e.title for e in own.entries] == [
        "Own post in Jekyll format", "Own post in Hugo format", "Own post without front matter",
    ]  # fmt: skip

    for path in site.output.rglob("*"):
        if path.is_file():
            assert b"Secret draft" not in path.read_bytes(), path
    assert (site.output / "posts" / "hello-hugo" / "index.html").is_file()
    assert not (site.output / "posts" / "secret-draft").exists()
    assert "RSS Blog" in (site.output / "blogroll.html").read_text()
    assert b"xmlUrl" in (site.output / "blogroll.opml").read_bytes()


def test_refreshing_twice_stores_nothing_twice_and_asks_conditionally(
    three_feeds: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = three_feeds
    assert site.cli("refresh") == 0
    first = entry_rows(site)
    assert len(first) == 5
    assert "3 ok, 0 not modified, 0 failed; entries: 5 new" in capsys.readouterr().out

    assert site.cli("refresh", "--all") == 0
    assert entry_rows(site) == first
    assert "0 ok, 3 not modified, 0 failed; entries: 0 new, 0 updated" in capsys.readouterr().out
    for path in ("/rss.xml", "/atom.xml", "/rdf.xml"):
        first_request, second_request = feed_server.requests_to(path)
        assert "If-None-Match" not in first_request.headers
        assert second_request.headers["If-None-Match"] == feed_server.routes[path].etag
        assert second_request.headers["If-Modified-Since"]
        assert second_request.status == 304
        assert first_request.headers["User-Agent"] == "aggregator/0.1.0 (+http://127.0.0.1:8080/)"


def test_the_store_is_sqlite_in_wal_mode(three_feeds: Site) -> None:
    if on_postgres():
        pytest.skip("SQLite only: the tests run on PostgreSQL")
    three_feeds.cli("refresh")
    assert three_feeds.query("PRAGMA journal_mode") == [("wal",)]


def test_a_changed_entry_is_updated_in_place(three_feeds: Site, feed_server: FeedServer) -> None:
    site = three_feeds
    site.cli("refresh")
    items = [FeedItem("RSS first, corrected", "https://rss.example/1", day(10), guid="rss-1")]
    feed_server.serve("/rss.xml", rss2_feed("RSS Blog", "https://rss.example/", items))
    site.cli("refresh", "--all")
    rows = dict(entry_rows(site))
    assert rows["rss-1"] == "RSS first, corrected"
    assert len(rows) == 5


def test_a_refresh_skips_sources_that_are_not_due(
    three_feeds: Site, feed_server: FeedServer
) -> None:
    site = three_feeds
    site.cli("refresh")
    site.cli("refresh")
    assert len(feed_server.requests_to("/rss.xml")) == 1


def test_failing_sources_are_recorded_and_the_others_carry_on(
    three_feeds: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = three_feeds
    slow = [FeedItem("Slow one", "https://slow.example/1", day(1))]
    broken = [FeedItem("Broken one", "https://broken.example/1", day(1))]
    garbled = [FeedItem("Garbled one", "https://garbled.example/1", day(1))]
    blogs = [
        ("RSS Blog", "https://rss.example/", feed_server.url("/rss.xml")),
        feed_server.blog("Slow", "https://slow.example/", "/slow.xml", rss2_feed, slow),
        feed_server.blog("Broken", "https://broken.example/", "/broken.xml", rss2_feed, broken),
        feed_server.blog("Garbled", "https://garbled.example/", "/garbled.xml", rss2_feed, garbled),
    ]
    site.write_blogroll(blogs)
    assert site.cli("refresh") == 0
    assert len(entry_rows(site)) == 5
    capsys.readouterr()

    # The three go bad: one hangs past the read timeout, one answers 500, one is not XML.
    feed_server.routes["/slow.xml"].delay = 3
    feed_server.routes["/slow.xml"].conditional = False
    feed_server.serve("/broken.xml", b"oops", status=500)
    feed_server.serve("/garbled.xml", b"<rss><channel><item><title>unclosed", conditional=False)
    fresh = [FeedItem("RSS third", "https://rss.example/3", day(12), guid="rss-3")]
    feed_server.serve("/rss.xml", rss2_feed("RSS Blog", "https://rss.example/", fresh))

    assert site.cli("refresh", "--all") == 0
    out = capsys.readouterr().out
    assert "1 ok, 0 not modified, 3 failed; entries: 1 new" in out

    assert site.cli("status", "--json") == 0
    status = {s["url"]: s for s in json.loads(capsys.readouterr().out)}
    slow_status = status["https://slow.example/"]
    assert slow_status["result"] == "error"
    assert slow_status["error_kind"] == "timeout"
    assert "timed out" in slow_status["last_error"]
    assert feed_server.url("/slow.xml") in slow_status["last_error"]
    assert slow_status["failure_count"] == 1
    broken_status = status["https://broken.example/"]
    assert broken_status["error_kind"] == "http"
    assert broken_status["http_status"] == 500
    assert "HTTP 500" in broken_status["last_error"]
    garbled_status = status["https://garbled.example/"]
    assert garbled_status["error_kind"] == "parse"
    assert "not a feed" in garbled_status["last_error"] or "XML" in garbled_status["last_error"]
    # Earlier entries of the failing sources are kept.
    titles = {title for _, title in entry_rows(site)}
    assert {"Slow one", "Broken one", "Garbled one", "RSS third"} <= titles
    assert status["https://rss.example/"]["entries"] == 3


def test_status_lines_say_why_a_source_failed(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.write_blogroll([("Gone", "https://gone.example/", feed_server.url("/missing.xml"))])
    site.cli("refresh")
    capsys.readouterr()
    assert site.cli("status") == 0
    line = capsys.readouterr().out.strip()
    assert "result=error:http" in line
    assert "http=404" in line
    assert "HTTP 404" in line


def test_a_source_removed_from_the_blogroll_is_retired_and_keeps_its_entries(
    three_feeds: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = three_feeds
    site.cli("refresh")
    site.write_blogroll([("RSS Blog", "https://rss.example/", feed_server.url("/rss.xml"))])
    site.cli("refresh", "--all")
    assert len(entry_rows(site)) == 5
    capsys.readouterr()
    site.cli("status", "--json")
    assert [s["url"] for s in json.loads(capsys.readouterr().out)] == ["https://rss.example/"]


def test_a_homepage_in_the_blogroll_leads_to_its_feed(site: Site, feed_server: FeedServer) -> None:
    items = [FeedItem("Found through the homepage", "https://home.example/1", day(2))]
    feed_server.serve("/blog/index.xml", rss2_feed("Home", "https://home.example/", items))
    page = (
        b"<!doctype html><html><head>"
        b'<link rel="alternate" type="application/rss+xml" href="index.xml">'
        b"</head></html>"
    )
    home = feed_server.serve("/blog/", page, content_type="text/html")
    (site.root / "blogroll.md").write_text(
        f"### Friends\n- Home blog {home} - found by discovery\n"
    )
    site.cli("refresh")
    assert [t for _, t in entry_rows(site)] == ["Found through the homepage"]


def test_refresh_without_a_database_it_can_open_fails_clearly(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    text = site.config.read_text()
    site.config.write_text(
        re.sub(
            r'(?m)^url = "(sqlite|postgresql).*"$', f'url = "sqlite:///{blocker}/db.sqlite3"', text
        )
    )
    assert site.cli("refresh") == 1
    err = capsys.readouterr().err
    assert err.startswith("aggregator: error:")
    assert len(err.strip().splitlines()) == 1
