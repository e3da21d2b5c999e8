"""The one refresh pipeline: blogroll → due sources → fetch → parse → decide → store.

Fetching runs in a thread pool and parsing in a process pool (feedparser is
pure Python, so one core would be the limit); everything that touches the
store runs in the calling thread, one transaction per source. A failing
source is recorded on that source and never stops the run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from aggregator.blogroll import load_blogroll
from aggregator.errors import HTTPStatusError, ParseError, SourceError, StoreError
from aggregator.fetch.http import Fetcher
from aggregator.fetch.links import find_feed_links, guess_feed_urls
from aggregator.models import (
    BlogrollEntry,
    EntryIdentity,
    Fetched,
    NotModified,
    ParsedFeed,
    RefreshOutcome,
    Source,
    SourceOutcome,
)
from aggregator.parse import looks_like_html, parse_feed
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.update.decide import (
    Schedule,
    entry_intents,
    failure_update,
    http_freshness,
    needs_rediscovery,
    next_check_after_success,
    posting_interval,
    publisher_interval,
    same_body,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Parser = Callable[[bytes, str, str | None], ParsedFeed]

#: Below this many due sources, parsing in the fetch threads beats starting processes.
PROCESS_POOL_THRESHOLD = 16


@dataclass(frozen=True)
class _FeedFetched:
    fetched: Fetched
    feed: ParsedFeed
    #: Set when the source's URL was a web page and discovery found this feed.
    discovered: str | None = None


@dataclass(frozen=True)
class Bug:
    """An unexpected exception while fetching or parsing: a fault here, not the source's.

    It is logged with its traceback and not recorded on the source, which keeps its state
    and is simply tried again next time.
    """

    url: str
    error: str


Attempt = _FeedFetched | NotModified | SourceError | Bug


def schedule_of(settings: Settings) -> Schedule:
    s = settings.schedule
    return Schedule(
        min_interval=timedelta(minutes=s.min_interval_minutes),
        max_interval=timedelta(minutes=s.max_interval_minutes),
        max_backoff=timedelta(minutes=s.max_backoff_minutes),
    )


def refresh(
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    clock: Clock,
    *,
    every: bool = False,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RefreshOutcome:
    """Sync the blogroll into the store, then fetch and store every due source.

    ``progress(done, total)`` is called after each source is recorded.
    """
    blogroll = load_blogroll(settings.blogroll.file)
    sync = store.sync_blogroll(blogroll.entries, clock(), own_feed_url=settings.own.feed_url)
    log.info(
        "blogroll sources=%d added=%d retired=%d", len(blogroll.entries), sync.added, sync.retired
    )
    due = store.due_sources(clock(), every=every)
    if not due:
        return RefreshOutcome(())
    waiting = list(reversed(due))

    def take(n: int) -> list[Source]:
        return [waiting.pop() for _ in range(min(n, len(waiting)))]

    with parser_for(settings, len(due)) as parse:
        batch = run_batch(
            take,
            settings=settings,
            store=store,
            fetcher=fetcher,
            clock=clock,
            explicit_feed_urls=explicit_feed_urls(blogroll.entries),
            stop=stop,
            rng=rng or random.Random(),
            progress=None if progress is None else (lambda done: progress(done, len(due))),
            parse=parse,
        )
    return RefreshOutcome(tuple(batch.outcomes))


def explicit_feed_urls(entries: Iterable[BlogrollEntry]) -> frozenset[str]:
    """Blogs the owner gave a feed URL for: they keep it and are never re-discovered."""
    return frozenset(e.url for e in entries if e.feed_url)


@dataclass(frozen=True)
class BatchOutcome:
    outcomes: list[SourceOutcome]
    #: Sources taken but not recorded because ``stop`` was set (a worker gives them back).
    unfinished: list[Source]


def run_batch(
    take: Callable[[int], Sequence[Source]],
    *,
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    clock: Clock,
    explicit_feed_urls: frozenset[str] | None,
    stop: threading.Event | None,
    rng: random.Random,
    progress: Callable[[int], None] | None = None,
    parse: Parser = parse_feed,
    grace_seconds: float = 0.0,
    tolerate_store_errors: bool = False,
) -> BatchOutcome:
    """Fetch (re-discovering where due), parse and record sources until ``take`` has no more.

    ``take(n)`` hands out up to ``n`` more sources; an empty answer with nothing in flight
    ends the batch. ``explicit_feed_urls`` are the blogs whose feed the owner gave (never
    re-discovered); ``None`` when they are not known, and then nothing is re-discovered.
    On ``stop``, fetches in flight are recorded for up to ``grace_seconds``; the rest are
    returned as unfinished. With ``tolerate_store_errors`` a source that cannot be stored
    is logged and left (its lease runs out), instead of ending the batch.
    """
    recorder = Recorder(store, schedule_of(settings), rng, settings.content.clamp_future_dates)
    outcomes: list[SourceOutcome] = []
    threads = max(1, settings.fetch.workers)
    in_flight: dict[Future[Attempt], Source] = {}

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def record(source: Source, attempt: Attempt) -> None:
        try:
            outcome = recorder.record(source, attempt, clock())
        except StoreError as exc:
            if not tolerate_store_errors:
                raise
            log.error("source=%s not stored: %s", source.url, exc)
            return
        outcomes.append(outcome)
        if progress is not None:
            progress(len(outcomes))

    pool = ThreadPoolExecutor(threads, thread_name_prefix="fetch")
    try:
        exhausted = False
        while not stopped():
            # A bounded window: fetched feeds never pile up faster than they are stored,
            # so memory stays flat however many sources there are.
            if not exhausted and len(in_flight) < threads:
                taken = take(2 * threads - len(in_flight))
                exhausted = not taken
                now = clock()
                for source in taken:
                    again = explicit_feed_urls is not None and needs_rediscovery(
                        source, now, explicit=source.url in explicit_feed_urls
                    )
                    in_flight[pool.submit(fetch_source, fetcher, source, parse, again)] = source
            if not in_flight:
                if exhausted:
                    break
                continue
            done, _ = wait(in_flight, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                record(in_flight.pop(future), future.result())
            if done:
                exhausted = False
        # Stopping: record what finishes before the deadline, give the rest back.
        deadline = time.monotonic() + grace_seconds
        while in_flight and time.monotonic() < deadline:
            done, _ = wait(
                in_flight, timeout=deadline - time.monotonic(), return_when=FIRST_COMPLETED
            )
            for future in done:
                record(in_flight.pop(future), future.result())
        try:
            recorder.flush()
        except StoreError as exc:
            if not tolerate_store_errors:
                raise
            log.error("not-modified marks not stored: %s", exc)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return BatchOutcome(outcomes, list(in_flight.values()))


@contextmanager
def parser_for(settings: Settings, due: int) -> Iterator[Parser]:
    """``parse_feed`` in a pool of processes when the work is big enough to pay for them."""
    processes = settings.fetch.parse_processes or os.cpu_count() or 1
    if processes <= 1 or due < PROCESS_POOL_THRESHOLD:
        yield parse_feed
        return
    # forkserver: the workers do not inherit this process's threads and locks, and fork from
    # a server that has imported the parser once, so they start in milliseconds.
    context: multiprocessing.context.BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(["aggregator.parse"])
        context = forkserver
    else:
        context = multiprocessing.get_context("spawn")
    executor: Executor = ProcessPoolExecutor(processes, mp_context=context)
    try:

        def parse_in_pool(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
            try:
                return executor.submit(parse_feed, content, url, content_type).result()
            except BrokenProcessPool:
                # A worker died (killed, out of memory): the rest of the run parses here.
                return parse_feed(content, url, content_type)

        yield parse_in_pool
    finally:
        # Waiting reaps the idle workers, so their CPU time is accounted to this process.
        executor.shutdown(wait=True, cancel_futures=True)


def fetch_source(
    fetcher: Fetcher, source: Source, parse: Parser = parse_feed, rediscover: bool = False
) -> Attempt:
    """Fetch and parse one source; runs in a worker thread and touches no store.

    With ``rediscover``, the blog's homepage is searched for a feed first; when that finds
    none that works, the stored feed URL is fetched as usual.
    """
    url = source.feed_url or source.url
    try:
        if rediscover:
            found = _rediscover(fetcher, source, parse)
            if found is not None:
                return found
        result = fetcher.fetch(url, etag=source.etag, last_modified=source.last_modified)
        if isinstance(result, NotModified):
            return result
        if same_body(source.body_hash, result.body_hash):
            # The same bytes again: a server without validators; nothing to parse or write.
            return NotModified(
                url=result.url,
                status=result.status,
                headers=result.headers,
                permanent_url=result.permanent_url,
                etag=result.etag,
                last_modified=result.last_modified,
            )
        if looks_like_html(result.content):
            return _discover(fetcher, result, parse)
        content_type = result.headers.get("Content-Type")
        feed = parse(result.content, result.url, content_type)
        # The body is not needed past this point; keep only its hash.
        return _FeedFetched(replace(result, content=b"", digest=result.body_hash), feed)
    except SourceError as exc:
        return exc
    except Exception as exc:  # a bug must not stop the other sources, nor blame this one
        log.exception("source=%s bug (not recorded on the source)", url)
        return Bug(url, f"{type(exc).__name__}: {exc}")


def _rediscover(fetcher: Fetcher, source: Source, parse: Parser) -> _FeedFetched | None:
    try:
        page = fetcher.fetch(source.url)
    except SourceError:
        return None
    if not isinstance(page, Fetched) or not looks_like_html(page.content):
        return None
    found = _discover(fetcher, page, parse)
    if isinstance(found, _FeedFetched) and found.discovered != source.feed_url:
        log.info(
            "source=%s feed_moved_from=%s to=%s", source.url, source.feed_url, found.discovered
        )
        return found
    return None


def _discover(fetcher: Fetcher, page: Fetched, parse: Parser) -> Attempt:
    """The URL is a web page: find its feed through its links, then common paths."""
    html = page.content.decode("utf-8", errors="replace")
    linked = find_feed_links(html, page.url)
    candidates = linked + [u for u in guess_feed_urls(page.url) if u not in linked]
    for candidate in candidates:
        try:
            result = fetcher.fetch(candidate)
            if isinstance(result, NotModified) or looks_like_html(result.content):
                continue
            feed = parse(result.content, result.url, result.headers.get("Content-Type"))
        except SourceError:
            continue
        log.info("source=%s discovered=%s", page.url, result.url)
        return _FeedFetched(result, feed, discovered=result.url)
    return ParseError(
        f"{page.url}: is a web page, and no feed was found in its links "
        f"or at {len(candidates) - len(linked)} common feed paths"
    )


class Recorder:
    """Writes what happened to each source: new entries at once, in one transaction per
    source; the many 'not modified' marks in batches, since losing one costs only a refetch."""

    BATCH = 200

    def __init__(
        self, store: Store, schedule: Schedule, rng: random.Random, clamp_future: bool
    ) -> None:
        self.store, self.schedule, self.rng, self.clamp_future = store, schedule, rng, clamp_future
        self._not_modified: list[tuple[int, NotModified, datetime, datetime]] = []

    def record(self, source: Source, attempt: Attempt, now: datetime) -> SourceOutcome:
        url = source.feed_url or source.url
        interval = source.interval or self.schedule.min_interval
        if isinstance(attempt, Bug):
            return SourceOutcome(url, "bug", error=attempt.error)
        if isinstance(attempt, SourceError):
            return _record_failure(self.store, source, attempt, now, self.schedule, self.rng)
        if isinstance(attempt, NotModified):
            publisher = publisher_interval(
                source.publisher_interval, http_freshness(attempt.headers, now)
            )
            next_check = next_check_after_success(now, interval, publisher, self.rng)
            self._not_modified.append((source.id, attempt, now, next_check))
            if len(self._not_modified) >= self.BATCH:
                self.flush()
            log.debug("source=%s result=not_modified status=%d", url, attempt.status)
            return SourceOutcome(url, "not_modified")
        return _record_feed(
            self.store, source, attempt, now, self.schedule, self.rng, self.clamp_future
        )

    def flush(self) -> None:
        if self._not_modified:
            self.store.record_not_modified_many(self._not_modified)
            self._not_modified = []


def _record_feed(
    store: Store,
    source: Source,
    attempt: _FeedFetched,
    now: datetime,
    schedule: Schedule,
    rng: random.Random,
    clamp_future: bool,
) -> SourceOutcome:
    url = source.feed_url or source.url
    if attempt.discovered:
        store.set_feed_url(source.id, attempt.discovered, site_url=source.url)
    feed, fetched = attempt.feed, attempt.fetched
    interval = posting_interval(feed.entries, now, schedule)
    publisher = publisher_interval(feed.publisher_interval, http_freshness(fetched.headers, now))
    next_check = next_check_after_success(now, interval, publisher, rng)
    new, updated = store_fetched_feed(
        store,
        source.id,
        fetched,
        feed,
        now,
        next_check,
        interval,
        clamp_future=clamp_future,
        has_entries=source.entry_count > 0,
    )
    log.info(
        "source=%s result=ok status=%d entries=%d new=%d updated=%d next_check=%s",
        url,
        fetched.status,
        len(feed.entries),
        new,
        updated,
        next_check.isoformat(timespec="seconds"),
    )
    return SourceOutcome(url, "ok", new=new, updated=updated)


def store_fetched_feed(
    store: Store,
    source_id: int,
    fetched: Fetched,
    feed: ParsedFeed,
    now: datetime,
    next_check_at: datetime,
    interval: timedelta,
    *,
    clamp_future: bool = True,
    has_entries: bool = True,
) -> tuple[int, int]:
    """Read the stored identities, decide, and have the store apply it; (new, updated).

    ``has_entries=False`` (a source fetched for the first time) skips the read. The
    read and the write are two transactions: a source is only updated by whoever holds it
    (one refresh at a time, or one worker's lease).
    """
    by_key: dict[str, EntryIdentity] = {}
    by_url: dict[str, EntryIdentity] = {}
    if has_entries:
        by_key, by_url = store.entry_identities(
            source_id, [e.key for e in feed.entries], [e.url for e in feed.entries]
        )
    intents = entry_intents(feed.entries, by_key, by_url, now, clamp=clamp_future)
    return store.store_feed(source_id, fetched, feed, now, next_check_at, interval, intents)


def _record_failure(
    store: Store,
    source: Source,
    error: SourceError,
    now: datetime,
    schedule: Schedule,
    rng: random.Random,
) -> SourceOutcome:
    url = source.feed_url or source.url
    http = error if isinstance(error, HTTPStatusError) else None
    decided = failure_update(
        source,
        http.status if http else None,
        http.retry_after if http else None,
        now,
        schedule,
        rng,
    )
    gone, failures = decided.gone, decided.failures
    store.record_failure(
        source.id, error, now, decided.next_check_at, retry_after=decided.retry_after, gone=gone
    )
    log.warning(
        "source=%s result=%s kind=%s failures=%d error=%r",
        url,
        "gone" if gone else "error",
        error.kind,
        failures,
        str(error),
    )
    return SourceOutcome(url, "gone" if gone else "error", error=str(error))
