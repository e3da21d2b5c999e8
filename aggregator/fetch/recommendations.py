"""Fetching the blogrolls of the blogs you follow, through the one Fetcher, cached for a week.

The cache is a JSON file beside the config file (``recommendations.json``):
for each followed homepage, when it was read and the blogs its blogroll
lists. A homepage or blogroll that failed is cached too (with the error) for
a day, so a broken blog is not asked again on every run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aggregator.blogroll.suggest import (
    WELL_KNOWN,
    Suggestion,
    blogroll_links,
    rank,
    read_recommendations,
)
from aggregator.errors import AggregatorError, HTTPStatusError
from aggregator.models import Blogroll, BlogrollEntry, Fetched, FetchResult
from aggregator.settings import Settings
from aggregator.store import Store

log = logging.getLogger(__name__)

CACHE_NAME = "recommendations.json"
MAX_AGE = timedelta(days=7)
#: A homepage that could not be read is asked again sooner.
MAX_AGE_FAILED = timedelta(days=1)

Fetch = Callable[[str], FetchResult]


def cache_path(config_path: Path) -> Path:
    return config_path.parent / CACHE_NAME


def homepage(entry: BlogrollEntry) -> str | None:
    if entry.site_url:
        return entry.site_url
    return entry.url if entry.url != entry.feed_url else None


def _text(result: FetchResult) -> str:
    if not isinstance(result, Fetched):
        raise AggregatorError("not modified without validators")
    return result.content.decode("utf-8", errors="replace")


def read_one(fetch: Fetch, page: str) -> dict[str, Any]:
    """What one homepage recommends, as a cache record."""
    try:
        links = blogroll_links(_text(fetch(page)), page)
    except AggregatorError as exc:
        return {"error": str(exc), "entries": []}
    entries: list[dict[str, Any]] = []
    errors = []
    for link in links:
        try:
            blogroll = read_recommendations(_text(fetch(link)), link)
        except HTTPStatusError as exc:
            if link.endswith(WELL_KNOWN) and exc.status in (404, 410):
                continue  # the blog publishes no blogroll: nothing to retry
            errors.append(str(exc))
            continue
        except AggregatorError as exc:
            errors.append(str(exc))
            continue
        entries += [
            {"title": e.title, "site_url": e.site_url, "feed_url": e.feed_url}
            for e in blogroll.entries
        ]
    return {"blogrolls": links, "entries": entries, "error": "; ".join(errors) or None}


def load_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recommendations(
    fetch: Fetch,
    followed: Sequence[BlogrollEntry],
    cache_file: Path,
    now: datetime,
    workers: int = 4,
) -> dict[str, Blogroll]:
    """Recommender title → its blogroll; pages read less than a week ago come from the cache."""
    cache = load_cache(cache_file)
    pages = {page: e for e in followed if (page := homepage(e))}
    stale = []
    for page in pages:
        record = cache.get(page)
        try:
            limit = MAX_AGE_FAILED if record and record.get("error") else MAX_AGE
            fresh = now - datetime.fromisoformat(record["read_at"]) < limit if record else False
        except (KeyError, TypeError, ValueError):
            fresh = False
        if not fresh:
            stale.append(page)
    if stale:
        with ThreadPoolExecutor(max(1, min(workers, len(stale)))) as pool:
            for page, record in zip(
                stale, pool.map(lambda p: read_one(fetch, p), stale), strict=True
            ):
                if record.get("error"):
                    log.info("event=recommendations_failed page=%s error=%r", page, record["error"])
                cache[page] = {**record, "read_at": now.isoformat()}
        from aggregator.publish.files import write_atomic  # publish reads this module

        try:
            write_atomic(cache_file, json.dumps(cache, indent=2, sort_keys=True).encode("utf-8"))
        except AggregatorError as exc:
            log.warning("event=recommendations_cache_unwritable error=%r", str(exc))
    return {
        (entry.title or page): cached_blogroll(cache.get(page, {})) for page, entry in pages.items()
    }


def cached_blogroll(record: dict[str, Any]) -> Blogroll:
    entries = []
    for row in record.get("entries", []):
        if isinstance(row, dict) and row.get("feed_url"):
            entries.append(
                BlogrollEntry(
                    url=row["feed_url"],
                    feed_url=row["feed_url"],
                    site_url=row.get("site_url"),
                    title=row.get("title"),
                )
            )
    return Blogroll(title="Recommendations", entries=tuple(entries))


def cached_recommendations(
    followed: Sequence[BlogrollEntry], cache_file: Path
) -> dict[str, Blogroll]:
    """The same from the cache alone, without fetching (for ``build``)."""
    cache = load_cache(cache_file)
    return {
        (entry.title or page): cached_blogroll(cache.get(page, {}))
        for entry in followed
        if (page := homepage(entry))
    }


def site_suggestions(
    settings: Settings, store: Store, now: datetime, fetch: Fetch | None = None
) -> list[Suggestion]:
    """Suggestions for this site; with ``fetch``, stale blogrolls are read again first."""
    from aggregator.blogroll import load_blogroll

    followed = load_blogroll(settings.blogroll.file).entries
    cache_file = cache_path(settings.path)
    if fetch is None:
        found = cached_recommendations(followed, cache_file)
    else:
        found = recommendations(fetch, followed, cache_file, now, settings.fetch.workers)
    known = [settings.site.url, *([settings.own.feed_url] if settings.own.feed_url else [])]
    for source in store.list_sources(include_retired=True):
        known += [u for u in (source.url, source.feed_url, source.site_url, *source.aliases) if u]
    return rank(followed, found, known)


#: Suggestions shown on the blogroll page with ``[output] suggestions``.
PUBLISHED = 10


def published_suggestions(settings: Settings, store: Store, now: datetime) -> list[Suggestion]:
    """The top suggestions for the blogroll page, from the cache only (a build never fetches)."""
    if not settings.output.suggestions:
        return []
    return site_suggestions(settings, store, now)[:PUBLISHED]
