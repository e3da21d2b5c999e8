"""End to end: hostile feeds served on 127.0.0.1 → refresh → build → nothing that can run.

Every hostile input of the sanitizer's table is served in an RSS feed, an Atom
feed and a JSON Feed, in content, summaries, titles and links. Afterwards no
stored or published HTML holds a script, an event handler or a scripted URL.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from tests.support.paths import DATA
from tests.support.server import FeedServer
from tests.support.site import Site

HOSTILE = [c["hostile"] for c in json.loads((DATA / "hostile_html.json").read_text())["cases"]]
#: XML 1.0 cannot carry most control characters: those inputs go in the JSON Feed only.
XML_SAFE = [h for h in HOSTILE if not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", h)]
SCRIPTED = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
NEVER = {"script", "iframe", "frame", "frameset", "object", "embed", "form", "style", "base",
         "meta", "link", "svg", "input", "button", "annotation-xml", "maction"}  # fmt: skip


def assert_harmless(fragment: str, where: str) -> None:
    """Parse as a browser would and look at every element and attribute."""
    if not fragment.strip():
        return
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.lower() not in NEVER, (where, element.tag)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (where, name)
            assert name.lower() != "style", (where, name)
            # Control characters and whitespace inside a scheme are ignored by browsers.
            squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(value))
            assert not SCRIPTED.match(squeezed) or (
                element.tag == "img" and name == "src" and squeezed.startswith("data:image/png")
            ), (where, name, value)


def rss(items: list[str]) -> bytes:
    body = "".join(
        f"<item><title>{escape(h)}</title><link>javascript:alert({n})</link>"
        f"<guid>h-{n}</guid><description>{escape(h)}</description></item>"
        for n, h in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Hostile RSS</title><link>javascript:alert('feed')</link>"
        f"<description>x</description>{body}</channel></rss>"
    ).encode()


def atom(items: list[str]) -> bytes:
    body = "".join(
        f'<entry><id>urn:hostile:{n}</id><title type="html">{escape(h)}</title>'
        f'<link href="https://atom.hostile.example/{n}"/><updated>2026-03-0{1 + n % 9}T00:00:00Z'
        f'</updated><summary type="html">{escape(h)}</summary>'
        f'<content type="html">{escape(h)}</content></entry>'
        for n, h in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Hostile Atom</title><id>urn:hostile</id><updated>2026-03-01T00:00:00Z</updated>"
        f"<author><name>&lt;script&gt;alert(1)&lt;/script&gt;</name></author>{body}</feed>"
    ).encode()


def json_feed(items: list[str]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "<script>alert('title')</script>Hostile JSON",
            "home_page_url": "javascript:alert(1)",
            "items": [
                {
                    "id": f"j-{n}",
                    "url": "javascript:alert(1)" if n % 2 else f"https://json.hostile.example/{n}",
                    "title": h,
                    "content_html": h,
                    "summary": h,
                    "attachments": [{"url": "javascript:alert(1)", "mime_type": "audio/mpeg"}],
                }
                for n, h in enumerate(items)
            ],
        }
    ).encode()


@pytest.fixture
def hostile_site(site: Site, feed_server: FeedServer) -> Site:
    site.write_blogroll(
        [
            ("RSS", "https://rss.hostile.example/", feed_server.serve("/rss.xml", rss(XML_SAFE))),
            (
                "Atom",
                "https://atom.hostile.example/",
                feed_server.serve("/atom.xml", atom(XML_SAFE)),
            ),
            (
                "JSON",
                "https://json.hostile.example/",
                feed_server.serve(
                    "/feed.json", json_feed(HOSTILE), content_type="application/feed+json"
                ),
            ),
        ]
    )
    site.write_post(
        "hostile-own.md",
        "---\ntitle: Mine\ndate: 2026-03-05\n---\n" + "\n\n".join(HOSTILE) + "\n",
    )
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def test_every_hostile_feed_was_stored(hostile_site: Site) -> None:
    counts = dict(
        hostile_site.query(
            "SELECT s.title, count(e.id) FROM sources s LEFT JOIN entries e "
            "ON e.source_id = s.id GROUP BY s.id, s.title"
        )
    )
    assert counts["Atom"] == len(XML_SAFE)
    # An RSS item left with no title, content or http(s) link has nothing to show.
    assert 40 < counts["RSS"] <= len(XML_SAFE)
    assert 40 < counts["JSON"] <= len(HOSTILE)


def test_no_stored_html_can_run(hostile_site: Site) -> None:
    rows = hostile_site.query("SELECT key, url, content_html, title, summary FROM entries")
    sources = hostile_site.query("SELECT site_url, feed_icon FROM sources")
    for key, url, content, title, summary in rows:
        assert_harmless(content, key)
        assert url is None or url.startswith(("http://", "https://")), key
        # Titles and summaries are plain text; pages escape them.
        assert "<script" not in title.lower() or "&lt;" not in title, key
        assert summary is not None
    for site_url, icon in sources:
        for value in (site_url, icon):
            assert value is None or value.startswith(("http://", "https://"))


def test_no_published_page_can_run(hostile_site: Site) -> None:
    pages = sorted(hostile_site.output.rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        document = lxml_html.fromstring(page.read_bytes())
        for element in document.iter():
            if not isinstance(element.tag, str):
                continue
            assert element.tag.lower() != "script", page
            assert element.tag.lower() not in {"iframe", "object", "embed"}, page
            if element.tag.lower() == "form":
                # The one form a page may hold is the site's own search box.
                assert element.get("role") == "search", page
                assert element.get("method") == "get", page
                assert element.get("action", "").endswith("search"), page
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (page, name)
                squeezed = re.sub(r"[\x00-\x20]", "", value)
                if name.lower() in ("href", "src", "poster", "action"):
                    assert (
                        not SCRIPTED.match(squeezed)
                        or squeezed.startswith("data:image/png")
                        or squeezed == "data:,"  # the empty favicon: carries nothing
                    ), (
                        page,
                        value,
                    )


@pytest.mark.parametrize("name", ["feed.xml", "own.xml"])
def test_no_published_feed_can_run(hostile_site: Site, name: str) -> None:
    path = hostile_site.output / name
    tree = etree.parse(str(path))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for link in tree.iterfind(".//a:link", ns):
        assert link.get("href", "").startswith(("http://", "https://")), link.get("href")
    for element in tree.iterfind(".//a:content", ns):
        assert_harmless(element.text or "", name)
    for element in tree.iterfind(".//a:summary", ns):
        # Summaries are plain text: a reader shows them as text, never as markup.
        assert element.get("type") in (None, "text")
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo


def test_own_post_with_hostile_html_is_published_clean(hostile_site: Site) -> None:
    page = hostile_site.output / "posts" / "hostile-own" / "index.html"
    body = lxml_html.fromstring(page.read_bytes()).find_class("content")[0]
    assert_harmless(etree.tostring(body, encoding="unicode"), str(page))


def test_enclosures_are_published_as_atom_enclosure_links(
    site: Site, feed_server: FeedServer, tmp_path: Path
) -> None:
    podcast = (DATA / "feeds" / "podcast.xml").read_bytes()
    site.write_blogroll([("Shed", "https://shed.example/", feed_server.serve("/p.xml", podcast))])
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    tree = etree.parse(str(site.output / "feed.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    (link,) = tree.iterfind(".//a:entry/a:link[@rel='enclosure']", ns)
    assert link.get("href") == "https://shed.example/audio/3.mp3"
    assert link.get("type") == "audio/mpeg"
    assert link.get("length") == "2345678"
