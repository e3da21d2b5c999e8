"""A parsed feed names its WebSub hubs and its own URL, whatever its format."""

from __future__ import annotations

import json

from aggregator.parse import parse_feed

URL = "https://blog.example/feed/"


def test_an_rss_feed_names_its_hub_and_self_through_atom_links() -> None:
    feed = parse_feed(
        b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>WordPress blog</title><link>https://blog.example/</link>
<atom:link rel="self" href="https://blog.example/feed/" type="application/rss+xml"/>
<atom:link rel="hub" href="https://pubsubhubbub.appspot.com"/>
<atom:link rel="hub" href="https://websub.example/"/>
<item><title>One</title><link>https://blog.example/1</link></item>
</channel></rss>""",
        URL,
    )
    assert feed.hubs == ("https://pubsubhubbub.appspot.com", "https://websub.example/")
    assert feed.self_url == "https://blog.example/feed/"


def test_an_atom_feed_names_them_resolved_against_its_url() -> None:
    feed = parse_feed(
        b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Ghost</title>
<link rel="self" href="atom.xml"/><link rel="hub" href="/hub"/>
<link rel="hub" href="javascript:alert(1)"/><link href="https://blog.example/"/>
<entry><title>One</title><id>1</id></entry></feed>""",
        "https://blog.example/x/feed.xml",
    )
    assert feed.hubs == ("https://blog.example/hub",)
    assert feed.self_url == "https://blog.example/x/atom.xml"


def test_a_json_feed_names_its_websub_hubs_only() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "micro.blog",
        "feed_url": "https://blog.example/feed.json",
        "hubs": [
            {"type": "rssCloud", "url": "https://cloud.example/"},
            {"type": "WebSub", "url": "https://micro.blog/hub"},
        ],
        "items": [{"id": "1", "content_text": "Hello"}],
    }
    feed = parse_feed(json.dumps(document).encode(), URL)
    assert feed.hubs == ("https://micro.blog/hub",)
    assert feed.self_url == "https://blog.example/feed.json"


def test_a_feed_without_them_names_none() -> None:
    feed = parse_feed(
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title></item></channel></rss>",
        URL,
    )
    assert (feed.hubs, feed.self_url) == ((), None)
