"""The published site: valid Atom, safe HTML, atomic and idempotent writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from aggregator.posts.kept import KEPT_FILE
from aggregator.publish.fingerprint import RECORD_FILE
from tests.support.feeds import FeedItem, atom_feed, day, rss2_feed
from tests.support.paths import DATA
from tests.support.server import FeedServer
from tests.support.site import Site

ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(DATA / "atom.rng")))


def assert_valid_atom(path: Path) -> None:
    document = etree.parse(str(path))
    if not ATOM_SCHEMA.validate(document):
        pytest.fail(f"{path.name} is not valid Atom: {ATOM_SCHEMA.error_log}")


@pytest.fixture
def built(site: Site, feed_server: FeedServer) -> Site:
    hostile = (
        '<p>Fine text</p><script>alert("x")</script>'
        '<img src="/pic.png" onerror="alert(1)"><a href="javascript:alert(2)">click</a>'
        '<a href="/relative">relative</a>'
    )
    items = [
        FeedItem("Entry with <b>markup</b> & ampersand", "https://blog.example/1", day(9), hostile),
        FeedItem("Entry without author", "https://blog.example/2", day(8), guid="plain-guid"),
    ]
    atom_items = [FeedItem("Atom entry", "https://atom.example/1", day(7), author="Writer")]
    site.write_blogroll(
        [
            feed_server.blog("Blog", "https://blog.example/", "/feed.xml", rss2_feed, items),
            feed_server.blog("Atom", "https://atom.example/", "/atom.xml", atom_feed, atom_items),
        ]
    )
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def test_both_feeds_are_valid_atom(built: Site) -> None:
    assert_valid_atom(built.output / "feed.xml")
    assert_valid_atom(built.output / "own.xml")


def test_blogroll_entries_carry_their_source(built: Site) -> None:
    feed = etree.parse(str(built.output / "feed.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    sources = feed.findall(".//a:entry/a:source", ns)
    assert len(sources) == 3
    assert {s.findtext("a:title", namespaces=ns) for s in sources} == {"Blog", "Atom"}
    own_entries = etree.parse(str(built.output / "own.xml")).findall(".//a:entry", ns)
    assert len(own_entries) == 3
    assert not etree.parse(str(built.output / "own.xml")).findall(".//a:source", ns)


def test_no_published_file_carries_script_or_event_handlers(built: Site) -> None:
    for path in built.output.rglob("*"):
        if path.suffix not in (".html", ".xml"):
            continue
        text = path.read_text()
        if path.suffix == ".xml":
            # Atom carries HTML escaped; look at what a reader would render.
            text = etree.tostring(etree.parse(str(path)), method="text", encoding="unicode")
        assert "<script" not in text, path
        assert "onerror" not in text, path
        assert "javascript:" not in text, path
    index = (built.output / "index.html").read_text()
    assert "Entry with markup &amp; ampersand" in index


def test_relative_links_in_entries_become_absolute(built: Site) -> None:
    feed = (built.output / "feed.xml").read_text()
    assert "https://blog.example/relative" in feed or "http://127.0.0.1" in feed
    assert 'href="/relative"' not in feed.replace("&quot;", '"')


def test_rebuilding_with_nothing_changed_touches_no_file(built: Site) -> None:
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in built.output.rglob("*.*")}
    os.sync()
    assert built.cli("build") == 0
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in built.output.rglob("*.*")}
    assert after == before


def test_pages_link_their_feeds_and_the_blogroll(built: Site) -> None:
    index = (built.output / "index.html").read_text()
    assert 'type="application/atom+xml"' in index
    assert 'href="feed.xml"' in index
    assert 'href="own.xml"' in index
    assert 'rel="blogroll"' in index
    post = (built.output / "posts" / "hello-hugo" / "index.html").read_text()
    assert 'href="../../style.css"' in post
    assert "Own post in Hugo format" in post


def test_a_deleted_post_disappears_from_the_site(built: Site) -> None:
    (built.posts / "hello-hugo.md").unlink()
    assert built.cli("build") == 0
    assert not (built.output / "posts" / "hello-hugo").exists()
    assert "Own post in Hugo format" not in (built.output / "own.xml").read_text()


def test_no_temporary_files_are_left_behind(built: Site) -> None:
    hidden = sorted(p.name for p in built.output.rglob("*") if p.name.startswith("."))
    # The records of the last build and of the posts' last good versions; no temp file.
    assert hidden == sorted([RECORD_FILE, KEPT_FILE])


def test_another_builds_temporary_file_is_left_alone_and_a_stale_one_removed(built: Site) -> None:
    archive = next(p for p in (built.output / "archive").rglob("index.html"))
    in_flight = archive.with_name(".index.html.inflight.tmp")
    in_flight.write_text("another build is writing this")
    stale = archive.with_name(".index.html.crashed1.tmp")
    stale.write_text("left by a build that was killed")
    two_hours_ago = stale.stat().st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    (built.posts / "hello-hugo.md").unlink()  # something new, so that the build runs

    assert built.cli("build") == 0
    assert in_flight.exists()
    assert not stale.exists()


def test_temporary_files_a_killed_build_left_outside_the_managed_folders_are_removed(
    built: Site,
) -> None:
    blog_page = next((built.output / "blogs").rglob("index.html"))
    left = [
        built.output / ".index.html.killed01.tmp",
        blog_page.with_name(".index.html.killed02.tmp"),
        built.output / ".feed.xml.killed03.tmp",
    ]
    young = built.output / ".feed.json.writing.tmp"
    for path in [*left, young]:
        path.write_text("half a file")
    two_hours_ago = young.stat().st_mtime - 7200
    for path in left:
        os.utime(path, (two_hours_ago, two_hours_ago))
    (built.posts / "hello-hugo.md").unlink()  # something new, so that the build runs

    assert built.cli("build") == 0
    assert [path.exists() for path in left] == [False, False, False]
    assert young.exists()
