"""Pure: merge stored entries and own posts into one timeline of Items."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from aggregator.models import Item, Post, StoredEntry
from aggregator.posts import post_url
from aggregator.settings import SiteSettings


def post_item(post: Post, site: SiteSettings) -> Item:
    url = post_url(site.url, post.slug)
    return Item(
        kind="post",
        id=url,  # the permalink is stable: it follows the slug, not the title
        title=post.title,
        url=url,
        local_url=f"posts/{post.slug}/",
        source_title=site.title,
        source_url=site.url,
        source_feed_url=None,
        author=site.author,
        published=post.published,
        updated=post.updated or post.published,
        summary=post.summary,
        content_html=post.content_html,
        tags=post.tags,
    )


def entry_item(entry: StoredEntry, site: SiteSettings) -> Item:
    return Item(
        kind="entry",
        id=entry_id(entry, site),
        title=entry.title,
        url=entry.url or entry.source_url or entry.source_feed_url or site.url,
        local_url=None,
        source_title=entry.source_title,
        source_url=entry.source_url,
        source_feed_url=entry.source_feed_url,
        author=entry.author,
        published=entry.published,
        updated=max(entry.updated, entry.published),
        summary=entry.summary,
        content_html=entry.content_html,
    )


def entry_id(entry: StoredEntry, site: SiteSettings) -> str:
    """The entry's own id when it is a URI (RFC 4287 §4.2.6), else a stable tag URI."""
    if urlsplit(entry.key).scheme in ("http", "https", "urn", "tag"):
        return entry.key
    digest = hashlib.sha256(f"{entry.source_feed_url}\x1f{entry.key}".encode()).hexdigest()
    host = urlsplit(site.url).hostname or "localhost"
    return f"tag:{host},2024:entry:{digest[:40]}"


def build_timeline(
    posts: Iterable[Post], entries: Iterable[StoredEntry], site: SiteSettings, limit: int
) -> list[Item]:
    """Own posts and entries, newest first, at most ``limit``.

    The same article reached twice (an own post that also comes in through a
    feed) is shown once, as the own post.
    """
    items = [post_item(p, site) for p in posts]
    seen_urls = {item.url for item in items}
    for entry in entries:
        item = entry_item(entry, site)
        if item.url in seen_urls and entry.url:
            continue
        seen_urls.add(item.url)
        items.append(item)
    items.sort(key=lambda i: (i.published, i.id), reverse=True)
    return items[:limit]
