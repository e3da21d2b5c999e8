"""Pure: merge stored entries and own posts into one timeline of Items."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, date, tzinfo
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aggregator.models import Item, Post, StoredEntry
from aggregator.parse.sanitize import excerpt
from aggregator.posts import post_path
from aggregator.publish.clock import local_day
from aggregator.publish.iris import derived_id, feed_id, iri, unique_ids, valid_enclosures
from aggregator.settings import SiteSettings

#: Query parameters that only track the reader; two URLs differing in them are one article.
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def post_item(post: Post, site: SiteSettings, summary_length: int | None = None) -> Item:
    local = post.local_path or post_path(post.slug, post.published)
    url = site.url + local
    return Item(
        kind="post",
        id=post.atom_id or post_id(post.slug, site),
        title=post.title,
        url=url,
        local_url=local,
        source_title=site.title,
        source_url=site.url,
        source_feed_url=None,
        author=site.author,
        published=post.published,
        updated=post.updated or post.published,
        summary=_cut(post.summary, summary_length),
        content_html=post.content_html,
        tags=post.tags,
        reading_minutes=post.reading_minutes,
    )


def post_id(slug: str, site: SiteSettings) -> str:
    """A post's Atom id: it follows the slug, so neither a new title nor a new permalink
    pattern makes feed readers show the post again."""
    host = urlsplit(site.url).hostname or "localhost"
    return f"tag:{host},2024:post:{slug}"


def entry_item(entry: StoredEntry, site: SiteSettings, summary_length: int | None = None) -> Item:
    own = entry.source_is_own
    return Item(
        kind="post" if own else "entry",
        id=entry_id(entry, site),
        title=entry.title,
        url=iri(entry.url or entry.source_url or entry.source_feed_url or site.url),
        local_url=None,
        source_title=site.title if own else entry.source_title,
        source_url=site.url if own else _iri(entry.source_url),
        source_feed_url=None if own else _iri(entry.source_feed_url),
        author=(entry.author or site.author) if own else entry.author,
        published=entry.published,
        updated=max(entry.updated, entry.published),
        summary=_cut(entry.summary, summary_length),
        content_html=entry.content_html,
        enclosures=valid_enclosures(entry.enclosures),
        source_id=entry.source_id,
    )


def _iri(url: str | None) -> str | None:
    return iri(url) if url else None


def entry_id(entry: StoredEntry, site: SiteSettings) -> str:
    """The entry's own id when it is a valid absolute IRI (RFC 4287 §4.2.6), else a
    stable tag URI derived from its blog's feed and its key."""
    return feed_id(entry.key) or derived_id(_host(site), entry.source_feed_url or "None", entry.key)


def _host(site: SiteSettings) -> str:
    return urlsplit(site.url).hostname or "localhost"


def same_article_key(url: str) -> str:
    """A URL reduced to what names the article: no scheme, ``www.``, fragment, trailing
    slash or tracking parameters, so a cross-post and its original compare equal."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    if parts.port:
        host = f"{host}:{parts.port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not k.lower().startswith(_TRACKING)]
    )  # fmt: skip
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, query, ""))


def build_timeline(
    posts: Iterable[Post],
    entries: Iterable[StoredEntry],
    site: SiteSettings,
    limit: int,
    *,
    summary_length: int | None = None,
) -> list[Item]:
    """Own posts and entries, newest first, at most ``limit``.

    The same article reached twice (an own post that also comes in through a
    feed, or one article in two blogs' feeds) is shown once: as the own post,
    else as the entry from the owner's own feed, else as the newest entry.
    """
    items = [post_item(p, site, summary_length) for p in posts]
    # Which source first showed each article; None stands for the owner's post files.
    # Entries of one blog that share a link are distinct entries (a wiki's pages, a
    # series): only a copy from another source is the same article.
    shown_by: dict[str, int | None] = {same_article_key(item.url): None for item in items}
    ordered = sorted(entries, key=lambda e: not e.source_is_own)  # stable: keeps newest first
    for entry in ordered:
        item = entry_item(entry, site, summary_length)
        if entry.url:
            key = same_article_key(entry.url)
            if shown_by.setdefault(key, entry.source_id) != entry.source_id:
                continue
        items.append(item)
    items.sort(key=lambda i: (i.published, i.id), reverse=True)
    return unique_ids(items[:limit], _host(site))


def _cut(summary: str, limit: int | None) -> str:
    return excerpt(summary, limit) if limit else summary


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


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


def group_by_day(items: Iterable[Item], tz: tzinfo = UTC) -> list[tuple[date, list[Item]]]:
    """Newest-first items grouped under their publication day in ``tz``."""
    return group_by(items, lambda i: local_day(i.published, tz))


def month_start(day: date, back: int = 0) -> date:
    """The first day of ``day``'s month, ``back`` months earlier."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)
