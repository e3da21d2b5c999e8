"""A feed that moved (301/308) stays moved, though an OPML blogroll still names the old URL.

Every blog in an OPML blogroll has an explicit ``xmlUrl``. After the redirect is
followed once, the next sync must not set the feed back to the old URL and drop its
validators: refreshes go straight to the new URL, conditionally.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import pytest

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site


@pytest.mark.parametrize("status", [301, 308])
def test_a_moved_feed_named_by_its_old_url_in_opml_stays_where_it_moved(
    site: Site, feed_server: FeedServer, status: int
) -> None:
    new = feed_server.serve(
        "/new.xml",
        rss2_feed(
            "Moved", "http://127.0.0.1/m/", [FeedItem("Post", "http://127.0.0.1/m/1", day(2))]
        ),
    )
    old = feed_server.serve(
        "/old.xml", b"", status=status, headers={"Location": new}, conditional=False
    )
    (site.root / "blogroll.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Blogs</title></head><body>'
        f'<outline text="Moved" type="rss" xmlUrl={quoteattr(old)} htmlUrl="http://127.0.0.1/m/"/>'
        "</body></opml>\n",
        encoding="utf-8",
    )
    site.config.write_text(site.config.read_text().replace("blogroll.md", "blogroll.opml"))

    assert site.cli("refresh") == 0
    assert site.cli("refresh", "--all") == 0
    assert site.cli("blogroll", "sync") == 0
    assert site.cli("refresh", "--all") == 0

    assert len(feed_server.requests_to("/old.xml")) == 1, "the redirect is followed once"
    first, *later = feed_server.requests_to("/new.xml")
    assert "If-None-Match" not in first.headers
    assert len(later) == 2 and all(r.headers.get("If-None-Match") for r in later)
    assert all(r.status == 304 for r in later)
    status_of = site.status()[new]
    assert status_of["aliases"] == [old]
    assert site.query("SELECT feed_url, etag IS NOT NULL FROM sources") == [(new, True)]
    assert site.query("SELECT count(*) FROM entries") == [(1,)]
