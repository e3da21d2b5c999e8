"""Feeds that are not well-formed XML are read leniently, stored, and flagged.

Hand-written and older-CMS feeds carry HTML entities XML does not know (``&nbsp;``),
unescaped ampersands and stray control characters. Such a feed is stored and
published like any other; its source says "ok, with a warning". A document cut off
in the middle keeps only the entries that were complete.
"""

from __future__ import annotations

import json

from tests.support.server import FeedServer
from tests.support.site import Site

SLOPPY = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Caf&eacute; Notes</title><link>http://127.0.0.1/cafe/</link>
<item><title>Cr&egrave;me&nbsp;br&ucirc;l&eacute;e</title>
<link>http://127.0.0.1/cafe/creme?a=1&b=2</link>
<guid isPermaLink="false">cafe-1</guid>
<author>Ren&eacute;e Dupont</author>
<description>Sugar&nbsp;on top &copy; me.</description>
<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate></item>
<item><title>Fish & chips</title><link>http://127.0.0.1/cafe/fish</link>
<guid isPermaLink="false">cafe-2</guid>
<description>Salt\x0b and vinegar.</description>
<pubDate>Tue, 03 Mar 2026 10:00:00 +0000</pubDate></item>
</channel></rss>
"""

CUT_OFF = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Cut off</title><link>http://127.0.0.1/cut/</link>
<item><title>Whole one</title><link>http://127.0.0.1/cut/1</link>
<guid isPermaLink="false">cut-1</guid>
<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate><description>All here.</description></item>
<item><title>Half one</title><link>http://127.0.0.1/cut/2</link>
<guid isPermaLink="false">cut-2</guid>
<description>This sentence never en"""


def test_a_feed_with_html_entities_and_stray_ampersands_is_stored_with_a_warning(
    site: Site, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/cafe.xml", SLOPPY)
    site.write_blogroll([("Cafe", "http://127.0.0.1/cafe/", url)])

    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    stored = site.query("SELECT key, title, author, summary, url FROM entries ORDER BY key")
    assert stored == [
        (
            "cafe-1",
            "Crème brûlée",
            "Renée Dupont",
            "Sugar on top © me.",
            "http://127.0.0.1/cafe/creme?a=1&b=2",
        ),
        ("cafe-2", "Fish & chips", None, "Salt and vinegar.", "http://127.0.0.1/cafe/fish"),
    ]
    assert site.query("SELECT feed_title FROM sources") == [("Café Notes",)]

    status = site.status()[url]
    assert status["result"] == "ok"
    assert status["warning"] == {
        "kind": "xml",
        "message": "undefined entity &eacute;",
        "line": 3,
    }
    page = (site.output / "status.html").read_text(encoding="utf-8")
    assert "ok (HTTP 200), with a warning: undefined entity &amp;eacute; at line 3" in page

    atom = (site.output / "feed.xml").read_text(encoding="utf-8")
    feed = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))
    river = (site.output / "index.html").read_text(encoding="utf-8")
    assert "Crème brûlée" in atom and "Fish &amp; chips" in atom
    assert {"Crème brûlée", "Fish & chips"} <= {i["title"] for i in feed["items"]}
    assert "Crème brûlée" in river
    assert "Fish &amp; chips" in river


def test_a_cut_off_feed_keeps_only_its_complete_entries(
    site: Site, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/cut.xml", CUT_OFF)
    site.write_blogroll([("Cut", "http://127.0.0.1/cut/", url)])

    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    assert site.query("SELECT key, title FROM entries") == [("cut-1", "Whole one")]
    status = site.status()[url]
    assert status["result"] == "ok"
    assert status["warning"]["message"] == "the XML ends early (cut off)"
    river = (site.output / "index.html").read_text(encoding="utf-8")
    assert "Whole one" in river and "Half one" not in river


def test_a_document_cut_off_before_its_first_entry_ends_is_a_parse_error(
    site: Site, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/stub.xml", CUT_OFF.split(b"<item>")[0] + b"<item><title>Nope")
    site.write_blogroll([("Stub", "http://127.0.0.1/stub/", url)])

    assert site.cli("refresh") == 0

    assert site.query("SELECT count(*) FROM entries") == [(0,)]
    status = site.status()[url]
    assert status["result"] == "error"
    assert status["error_kind"] == "parse"
    assert "ends early" in status["last_error"]
