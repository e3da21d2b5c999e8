"""The one refresh pipeline: blogroll → due sources → fetch → parse → decide → store.

Fetching and parsing run in a thread pool; everything that touches the store
runs in the calling thread, one transaction per source. A failing source is
recorded on that source and never stops the run.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

from aggregator.blogroll import load_blogroll
from aggregator.discover import find_feed_links, guess_feed_urls
from aggregator.errors import ParseError, SourceError
from aggregator.fetch import Fetcher
from aggregator.models import (
    Fetched,
    NotModified,
    ParsedFeed,
    RefreshOutcome,
    Source,
    SourceOutcome,
)
from aggregator.parse import looks_like_html, parse_feed
from aggregator.policy import next_check_after_failure, next_check_after_success
from aggregator.settings import Settings
from aggregator.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class _FeedFetched:
    fetched: Fetched
    feed: ParsedFeed
    #: Set when the source's URL was a web page and discovery found this feed.
    discovered: str | None = None


_Attempt = _FeedFetched | NotModified | SourceError


def refresh(
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    clock: Clock,
    *,
    every: bool = False,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
) -> RefreshOutcome:
    """Sync the blogroll into the store, then fetch and store every due source."""
    rng = rng or random.Random()
    blogroll = load_blogroll(settings.blogroll.file)
    sync = store.sync_blogroll(blogroll.entries, clock(), own_feed_url=settings.own.feed_url)
    log.info(
        "blogroll sources=%d added=%d retired=%d", len(blogroll.entries), sync.added, sync.retired
    )
    due = store.due_sources(clock(), every=every)
    interval = timedelta(minutes=settings.schedule.interval_minutes)
    outcomes: list[SourceOutcome] = []
    if not due:
        return RefreshOutcome(())
    workers = max(1, min(settings.fetch.workers, len(due)))
    with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
        futures: dict[Future[_Attempt], Source] = {
            pool.submit(fetch_source, fetcher, source): source for source in due
        }
        for future in as_completed(futures):
            if stop is not None and stop.is_set():
                pool.shutdown(wait=False, cancel_futures=True)
                break
            source = futures[future]
            outcome = _record(
                store,
                source,
                future.result(),
                clock(),
                interval,
                rng,
                clamp_future=settings.content.clamp_future_dates,
            )
            outcomes.append(outcome)
    return RefreshOutcome(tuple(outcomes))


def fetch_source(fetcher: Fetcher, source: Source) -> _Attempt:
    """Fetch and parse one source; runs in a worker thread and touches no store."""
    url = source.feed_url or source.url
    try:
        result = fetcher.fetch(url, etag=source.etag, last_modified=source.last_modified)
        if isinstance(result, NotModified):
            return result
        if looks_like_html(result.content):
            return _discover(fetcher, result)
        content_type = result.headers.get("Content-Type")
        return _FeedFetched(result, parse_feed(result.content, result.url, content_type))
    except SourceError as exc:
        return exc
    except Exception as exc:  # a bug in a library must not stop the other sources
        log.exception("source=%s unexpected error", url)
        return SourceError(f"{url}: unexpected error: {type(exc).__name__}: {exc}")


def _discover(fetcher: Fetcher, page: Fetched) -> _Attempt:
    """The URL is a web page: find its feed through its links, then common paths."""
    html = page.content.decode("utf-8", errors="replace")
    linked = find_feed_links(html, page.url)
    candidates = linked + [u for u in guess_feed_urls(page.url) if u not in linked]
    for candidate in candidates:
        try:
            result = fetcher.fetch(candidate)
            if isinstance(result, NotModified) or looks_like_html(result.content):
                continue
            feed = parse_feed(result.content, result.url, result.headers.get("Content-Type"))
        except SourceError:
            continue
        log.info("source=%s discovered=%s", page.url, result.url)
        return _FeedFetched(result, feed, discovered=result.url)
    return ParseError(
        f"{page.url}: is a web page, and no feed was found in its links "
        f"or at {len(candidates) - len(linked)} common feed paths"
    )


def _record(
    store: Store,
    source: Source,
    attempt: _Attempt,
    now: datetime,
    interval: timedelta,
    rng: random.Random,
    *,
    clamp_future: bool = True,
) -> SourceOutcome:
    url = source.feed_url or source.url
    if isinstance(attempt, SourceError):
        failures = source.failure_count + 1
        store.record_failure(
            source.id, attempt, now, next_check_after_failure(now, interval, failures, rng)
        )
        log.warning(
            "source=%s result=error kind=%s failures=%d error=%r",
            url,
            attempt.kind,
            failures,
            str(attempt),
        )
        return SourceOutcome(url, "error", error=str(attempt))
    next_check = next_check_after_success(now, interval, rng)
    if isinstance(attempt, NotModified):
        store.record_not_modified(source.id, attempt.status, now, next_check)
        log.info("source=%s result=not_modified status=%d", url, attempt.status)
        return SourceOutcome(url, "not_modified")
    if attempt.discovered:
        store.set_feed_url(source.id, attempt.discovered, site_url=source.url)
    new, updated = store.store_feed(
        source.id, attempt.fetched, attempt.feed, now, next_check, clamp_future=clamp_future
    )
    log.info(
        "source=%s result=ok status=%d entries=%d new=%d updated=%d",
        url,
        attempt.fetched.status,
        len(attempt.feed.entries),
        new,
        updated,
    )
    return SourceOutcome(url, "ok", new=new, updated=updated)
