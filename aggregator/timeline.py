"""Pure: merge stored entries and own posts into one timeline of Items."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from typing import TypeVar
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
        source_id=entry.source_id,
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


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def fair_pages(
    items: Sequence[Item], per_page: int, per_source: int, pages: int
) -> list[list[Item]]:
    """Cut ``items`` (newest first) into pages where no blog has more than ``per_source``.

    An item that would exceed its blog's share is not dropped but carried to
    the next page with room for it, so one prolific blog cannot crowd out the
    rest. The owner's own posts are never held back. Items carried past the
    last page are left out.
    """
    waiting = list(items)
    result: list[list[Item]] = []
    while waiting and len(result) < pages:
        page: list[Item] = []
        counts: dict[object, int] = {}
        carried: list[Item] = []
        for index, item in enumerate(waiting):
            if len(page) == per_page:
                carried.extend(waiting[index:])
                break
            key = item.source_id if item.kind == "entry" else None
            if key is not None and counts.get(key, 0) >= per_source:
                carried.append(item)
                continue
            counts[key] = counts.get(key, 0) + 1
            page.append(item)
        page.sort(key=lambda i: (i.published, i.id), reverse=True)
        result.append(page)
        waiting = carried
    return result


def group_by(items: Iterable[T], key: Callable[[T], K]) -> list[tuple[K, list[T]]]:
    """Consecutive runs of items sharing ``key``, in order (items are already sorted)."""
    groups: list[tuple[K, list[T]]] = []
    for item in items:
        value = key(item)
        if groups and groups[-1][0] == value:
            groups[-1][1].append(item)
        else:
            groups.append((value, [item]))
    return groups


def group_by_day(items: Iterable[Item]) -> list[tuple[date, list[Item]]]:
    """Newest-first items grouped under their UTC publication day."""
    return group_by(items, lambda i: i.published.date())


def month_start(day: date, back: int = 0) -> date:
    """The first day of ``day``'s month, ``back`` months earlier."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)
