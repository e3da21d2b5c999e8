"""A JSON Feed that reuses an item id for two articles: both are stored and published."""

from __future__ import annotations

import json

from tests.support.server import FeedServer
from tests.support.site import Site

FIRST = "https://json.example/first-article"
SECOND = "https://json.example/second-article"


def test_two_json_feed_items_sharing_an_id_are_both_kept(
    site: Site, feed_server: FeedServer
) -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Reused ids",
            "home_page_url": "https://json.example/",
            "items": [
                {
                    "id": "1",
                    "url": FIRST,
                    "title": "First article",
                    "content_text": "The first one.",
                    "date_published": "2026-03-02T10:00:00Z",
                },
                {
                    "id": "1",
                    "url": SECOND,
                    "title": "Second article",
                    "content_text": "The second one.",
                    "date_published": "2026-03-03T10:00:00Z",
                },
            ],
        }
    ).encode()
    feed_url = feed_server.serve("/feed.json", body, content_type="application/feed+json")
    site.write_blogroll([("Reused ids", "https://json.example/", feed_url)])

    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    stored = site.query("SELECT key, url, title FROM entries ORDER BY url")
    assert stored == [
        (f"1 {FIRST}", FIRST, "First article"),
        (f"1 {SECOND}", SECOND, "Second article"),
    ]
    atom = (site.output / "feed.xml").read_text(encoding="utf-8")
    published = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))
    river = (site.output / "index.html").read_text(encoding="utf-8")
    urls = {item.get("url") for item in published["items"]}
    for url, title in ((FIRST, "First article"), (SECOND, "Second article")):
        assert url in atom and title in atom
        assert url in urls
        assert url in river and title in river
