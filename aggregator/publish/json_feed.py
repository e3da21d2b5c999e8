"""Outgoing JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), twin of each Atom feed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aggregator.models import Item
from aggregator.publish.atom import FeedInfo
from aggregator.settings import SiteSettings

VERSION = "https://jsonfeed.org/version/1.1"


def build_json_feed(items: Sequence[Item], site: SiteSettings, info: FeedInfo) -> bytes:
    """A JSON Feed of ``items`` in the given order; keys sorted so rebuilds are identical."""
    author: dict[str, str] = {"name": site.author}
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": info.title,
        "home_page_url": site.url,
        "feed_url": info.self_url,
        "authors": [author],
        "items": [_item(item) for item in items],
    }
    if info.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in info.hubs]
    return json.dumps(feed, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def _item(item: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [{"name": item.author or item.source_title}],
    }
    # JSON Feed 1.1: an item needs content_html or content_text.
    if item.content_html:
        entry["content_html"] = item.content_html
    else:
        entry["content_text"] = item.summary or item.title
    if item.summary:
        entry["summary"] = item.summary
    if item.tags:
        entry["tags"] = list(item.tags)
    if item.kind == "entry":
        # Where the entry comes from, under an extension key as the spec asks (leading "_").
        entry["_source"] = {
            "title": item.source_title,
            "home_page_url": item.source_url,
            "feed_url": item.source_feed_url,
        }
    return entry
