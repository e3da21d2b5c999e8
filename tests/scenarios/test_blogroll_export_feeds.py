"""An exported OPML names each blog's feed, the ones discovery found included."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site


def test_exported_opml_names_the_feed_that_discovery_found(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    home = feed_server.url("/")
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
    feed_server.serve("/", page.encode(), content_type="text/html")
    items = [FeedItem("A post", f"{home}a", day(2))]
    feed = feed_server.serve("/rss.xml", rss2_feed("Homepage Blog", home, items))
    (site.root / "blogroll.md").write_text(f"# Blogs\n\n## Friends\n\n- [Homepage Blog]({home})\n")
    assert site.cli("refresh") == 0
    capsys.readouterr()

    assert site.cli("blogroll", "export", "--format", "opml") == 0

    opml = ET.fromstring(capsys.readouterr().out)
    (outline,) = [o for o in opml.iter("outline") if o.get("type") == "rss"]
    assert outline.get("xmlUrl") == feed
    assert outline.get("htmlUrl") == home
