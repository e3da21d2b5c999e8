"""Every post a blog published is stored and shown where it belongs, and what goes out
is valid whatever came in. Each case is served on 127.0.0.1 and built into a site.

- entries of one blog that share a link are all kept (a wiki's log);
- a new blog's undated pages do not take the top of the river;
- MathML survives; Atom content given by reference keeps a link;
- two blogs' entries that share an id each keep their own ``atom:source``, ids unique;
- ids, links and enclosure types that are not valid are repaired or dropped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests.support.feeds import FeedItem, rss2_feed
from tests.support.odd_feeds import SHARED_ID, backlog_feed, serve_odd_world
from tests.support.server import FeedServer
from tests.support.site import Site
from tests.support.validate import (
    assert_valid_atom,
    assert_valid_json_feed,
    published_feeds,
    w3c_problems,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def odd_site(site: Site, feed_server: FeedServer) -> Site:
    text = site.config.read_text()
    site.config.write_text(text.replace("[output]\n", "[output]\nper_source = 20\n"))
    site.write_blogroll(serve_odd_world(feed_server))
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def atom_entries(path: Path) -> list[etree._Element]:
    return list(etree.parse(str(path)).getroot().iterfind(f"{ATOM}entry"))


def test_entries_of_one_blog_that_share_a_link_are_all_stored_and_published(
    odd_site: Site,
) -> None:
    stored = odd_site.query("SELECT title FROM entries WHERE title LIKE 'IV6%' ORDER BY title")
    titles = [f"IV{600 + n}" for n in range(12)]
    assert [t for (t,) in stored] == titles
    atom = (odd_site.output / "feed.xml").read_text(encoding="utf-8")
    feed = json.loads((odd_site.output / "feed.json").read_bytes())
    river = (odd_site.output / "index.html").read_text(encoding="utf-8")
    for title in titles:
        assert f"<title>{title}</title>" in atom
        assert title in {i["title"] for i in feed["items"]}
        assert f">{title}<" in river


@pytest.mark.parametrize("with_feed_date", [False, True], ids=["no feed date", "lastBuildDate"])
def test_a_new_blogs_undated_pages_stay_below_its_dated_posts(
    site: Site, feed_server: FeedServer, with_feed_date: bool
) -> None:
    other = feed_server.serve(
        "/other.xml",
        rss2_feed(
            "Other blog",
            "http://127.0.0.1/o/",
            [FeedItem("Other post", "http://127.0.0.1/o/1", datetime(2026, 6, 10, tzinfo=UTC))],
        ),
    )
    base = feed_server.url("/backlog")
    url = feed_server.serve("/backlog.xml", backlog_feed(base, with_feed_date=with_feed_date))
    site.write_blogroll([("Backlog", f"{base}/", url)])
    assert site.cli("refresh") == 0
    site.write_blogroll([("Backlog", f"{base}/", url), ("Other", "http://127.0.0.1/o/", other)])
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    order = [i["title"] for i in json.loads((site.output / "feed.json").read_bytes())["items"]]
    mine = [t for t in order if t in ("FAQ", "About", "Dated newer", "Dated older")]
    if with_feed_date:  # at the feed's own date (3 June), in feed order
        assert mine == ["FAQ", "About", "Dated newer", "Dated older"]
    else:
        assert mine == ["Dated newer", "Dated older", "FAQ", "About"]
    assert order[0] == "Other post", "fetched later, dated later: above the backlog"
    stored = dict(site.query("SELECT title, published_at FROM entries"))
    assert stored["FAQ"] is None and stored["About"] is None, "undated stays undated"
    blogroll = (site.output / "blogroll.html").read_text(encoding="utf-8")
    assert "FAQ" not in blogroll.split("Backlog", 1)[1].split("</li>", 1)[0]


def test_mathml_is_kept_and_content_by_reference_links_to_it(odd_site: Site) -> None:
    (math_html,) = odd_site.query("SELECT content_html FROM entries WHERE title = 'Pythagoras'")
    assert "<math" in str(math_html) and "<msup><mi>c</mi><mn>2</mn></msup>" in str(math_html)
    (ref_url, ref_html) = odd_site.query(
        "SELECT url, content_html FROM entries WHERE title = 'Elsewhere'"
    )[0]
    assert str(ref_url).endswith("/ref/elsewhere.html")
    assert f'href="{ref_url}"' in str(ref_html)
    entries = {e.findtext(f"{ATOM}title"): e for e in atom_entries(odd_site.output / "feed.xml")}
    content = entries["Pythagoras"].find(f"{ATOM}content")
    assert content is not None and content.get("type") == "application/xhtml+xml"
    assert content.find(".//{http://www.w3.org/1998/Math/MathML}msup") is not None
    assert str(ref_url) in (entries["Elsewhere"].findtext(f"{ATOM}content") or "")
    items = {
        i["title"]: i for i in json.loads((odd_site.output / "feed.json").read_bytes())["items"]
    }
    assert "<msup><mi>c</mi><mn>2</mn></msup>" in items["Pythagoras"]["content_html"]
    assert items["Elsewhere"]["url"] == ref_url


def test_two_blogs_entries_sharing_an_id_each_name_their_own_blog(odd_site: Site) -> None:
    assert len(odd_site.query("SELECT id FROM entries WHERE key = :k", k=SHARED_ID)) == 2
    for path in published_feeds(odd_site.output):
        if path.suffix == ".xml":
            entries = atom_entries(path)
            ids = [e.findtext(f"{ATOM}id") for e in entries]
            assert len(ids) == len(set(ids)), path
            for entry in entries:
                title = entry.findtext(f"{ATOM}title") or ""
                source = entry.findtext(f"{ATOM}source/{ATOM}title")
                if title.startswith("Shared id"):
                    expected = "Odd" if title == "Shared id here" else "Copycat"
                    assert source == expected, (path, title, source)
        else:
            assert_valid_json_feed(path.read_bytes(), str(path))
    sources = {
        i["title"]: i["_source"]["title"]
        for i in json.loads((odd_site.output / "feed.json").read_bytes())["items"]
        if i["title"].startswith("Shared id")
    }
    assert sources == {"Shared id here": "Odd", "Shared id there": "Copycat"}


def test_invalid_ids_links_and_enclosure_types_are_repaired(odd_site: Site) -> None:
    entries = {e.findtext(f"{ATOM}title"): e for e in atom_entries(odd_site.output / "feed.xml")}
    spaced = entries["Link with spaces"]
    assert spaced.find(f"{ATOM}link").get("href").endswith("/a%20page%20with%20spaces.html")
    assert " " not in (spaced.findtext(f"{ATOM}id") or "")
    assert re.fullmatch(
        r"tag:127\.0\.0\.1,2024:entry:[0-9a-f]{40}",
        entries["Broken uuid"].findtext(f"{ATOM}id") or "",
    )
    (enclosure,) = [
        link
        for link in entries["Episode"].iterfind(f"{ATOM}link")
        if link.get("rel") == "enclosure"
    ]
    assert enclosure.get("href") == "http://127.0.0.1/media/ep%201.mp3"
    assert enclosure.get("type") is None
    assert entries["Title only"].findtext(f"{ATOM}summary") == "Title only"


@pytest.fixture
def mixed_site(odd_site: Site, feed_server: FeedServer) -> Site:
    """The odd world plus every hostile input and a feed that is not well-formed XML."""
    from tests.scenarios.test_hostile_site import XML_SAFE, rss
    from tests.scenarios.test_recovered_feeds import SLOPPY

    hostile = feed_server.serve("/hostile.xml", rss(XML_SAFE))
    sloppy = feed_server.serve("/sloppy.xml", SLOPPY)
    with (odd_site.root / "blogroll.md").open("a") as blogroll:
        blogroll.write(f"- [Hostile](http://127.0.0.1/h/) ([feed]({hostile})) - tries all.\n")
        blogroll.write(f"- [Sloppy](http://127.0.0.1/s/) ([feed]({sloppy})) - not XML.\n")
    assert odd_site.cli("refresh") == 0
    assert odd_site.cli("build") == 0
    return odd_site


def test_every_published_feed_of_an_odd_and_hostile_mix_is_valid(mixed_site: Site) -> None:
    feeds = published_feeds(mixed_site.output)
    assert len(feeds) >= 6
    for path in feeds:
        if path.suffix == ".xml":
            assert_valid_atom(path.read_bytes(), str(path))
        else:
            assert_valid_json_feed(path.read_bytes(), str(path))


def test_the_w3c_feed_validator_finds_nothing_to_say(mixed_site: Site) -> None:
    for path in published_feeds(mixed_site.output):
        if path.suffix == ".xml":
            url = "http://127.0.0.1:8080/" + path.relative_to(mixed_site.output).as_posix()
            assert w3c_problems(path.read_bytes(), url) == [], path
