"""`aggregator blogroll suggest`: blogs that the blogrolls of the blogs you follow recommend."""

from __future__ import annotations

import json
from xml.sax.saxutils import quoteattr

import pytest

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site


def opml(*blogs: tuple[str, str, str]) -> bytes:
    """blogs: (title, htmlUrl, xmlUrl)."""
    outlines = "".join(
        f"<outline type={quoteattr('rss')} text={quoteattr(t)} htmlUrl={quoteattr(h)}"
        f" xmlUrl={quoteattr(x)}/>"
        for t, h, x in blogs
    )
    return (
        f'<?xml version="1.0"?><opml version="2.0"><head><title>Links</title></head>'
        f"<body>{outlines}</body></opml>"
    ).encode()


def homepage(head: str) -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>Hi</body></html>".encode()


POPULAR = ("Lantern Makers", "https://lanterns.example/", "https://lanterns.example/feed.xml")


@pytest.fixture
def world(site: Site, feed_server: FeedServer) -> Site:
    url = feed_server.url
    b_site = url("/b/")
    feed_server.serve(
        "/a/",
        homepage('<link rel="blogroll" type="text/x-opml" href="blogroll.opml">'),
        content_type="text/html; charset=utf-8",
    )
    feed_server.serve(
        "/b/",
        homepage('<link rel="recommendations" href="/b/recs.opml">'),
        content_type="text/html; charset=utf-8",
    )
    feed_server.serve("/c/", homepage(""), content_type="text/html; charset=utf-8")
    feed_server.serve(
        "/a/blogroll.opml",
        opml(
            POPULAR,
            ("Only Once", "https://once.example/", "https://once.example/rss"),
            # Blog B, already followed: listed by its site URL without the trailing slash.
            ("Bee", b_site.rstrip("/"), "https://elsewhere.example/b.xml"),
        ),
        content_type="text/x-opml",
    )
    feed_server.serve(
        "/b/recs.opml",
        opml(
            # The same blog as POPULAR, written differently.
            ("Lantern Makers", "http://www.lanterns.example", "http://lanterns.example/feed.xml/"),
            ("Aardvark Weekly", "https://aardvark.example/", "https://aardvark.example/atom"),
            # Blog C, already followed: listed by its feed URL.
            ("Sea", "https://sea.example/", url("/c/feed.xml")),
        ),
        content_type="text/x-opml",
    )
    feed_server.serve(
        "/.well-known/recommendations.opml",
        opml(("Zebra Crossing", "https://zebra.example/", "https://zebra.example/feed")),
        content_type="text/x-opml",
    )
    rows = []
    for name, path in (("Alpha", "/a/"), ("Bravo", "/b/"), ("Charlie", "/c/")):
        items = [FeedItem(f"{name} writes", url(f"{path}post"), day(5))]
        rows.append(feed_server.blog(name, url(path), f"{path}feed.xml", rss2_feed, items))
    site.write_blogroll(rows)
    return site


def suggestions(
    site: Site, capsys: pytest.CaptureFixture[str], *args: str
) -> list[dict[str, object]]:
    capsys.readouterr()
    assert site.cli("blogroll", "suggest", "--json", *args) == 0
    result: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return result


def test_ranked_by_recommenders_then_title(
    world: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    found = suggestions(world, capsys)
    assert [s["title"] for s in found] == [
        "Lantern Makers",
        "Aardvark Weekly",
        "Only Once",
        "Zebra Crossing",
    ]
    assert found[0] == {
        "title": "Lantern Makers",
        "site_url": "https://lanterns.example/",
        "feed_url": "https://lanterns.example/feed.xml",
        "recommended_by": ["Alpha", "Bravo"],
    }
    assert found[3]["recommended_by"] == ["Charlie"]
    followed = {feed_server.url(p) for p in ("/a/", "/b/", "/c/")}
    assert not followed & {s["site_url"] for s in found}
    assert [s["title"] for s in suggestions(world, capsys, "--limit", "2")] == [
        "Lantern Makers",
        "Aardvark Weekly",
    ]


def test_blogrolls_are_cached(
    world: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    suggestions(world, capsys)
    assert (world.root / "recommendations.json").is_file()
    assert len(feed_server.requests_to("/a/blogroll.opml")) == 1
    suggestions(world, capsys)
    assert len(feed_server.requests_to("/a/blogroll.opml")) == 1
    assert len(feed_server.requests_to("/a/")) == 1


def test_published_on_the_blogroll_page_when_asked(
    world: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    suggestions(world, capsys)
    assert world.cli("build") == 0
    assert "Found through the blogs above" not in (world.output / "blogroll.html").read_text()
    text = world.config.read_text().replace('dir = "public"', 'dir = "public"\nsuggestions = true')
    world.config.write_text(text)
    assert world.cli("build") == 0
    page = (world.output / "blogroll.html").read_text()
    assert "Found through the blogs above" in page
    assert '<a href="https://lanterns.example/">Lantern Makers</a>' in page
    assert "recommended by Alpha, Bravo" in page


def test_a_blog_without_blogroll_is_no_error(
    world: Site,
    other_host_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = other_host_server.serve("/", homepage(""), content_type="text/html; charset=utf-8")
    broken = other_host_server.url("/broken/")  # answers 404: the homepage itself fails
    text = (world.root / "blogroll.md").read_text()
    text += f"- [Delta]({home}) - no blogroll.\n- [Echo]({broken}) - gone.\n"
    (world.root / "blogroll.md").write_text(text)
    assert len(suggestions(world, capsys)) == 4
    cache = json.loads((world.root / "recommendations.json").read_text())
    assert cache[home]["error"] is None and cache[home]["entries"] == []
    assert cache[broken]["error"]
