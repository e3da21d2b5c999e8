"""The one refresh pipeline: blogroll → due sources → fetch → parse → decide → store.

Fetching runs in a thread pool and parsing in a process pool (feedparser is
pure Python, so one core would be the limit); everything that touches the
store runs in the calling thread, one transaction per source. A failing
source is recorded on that source and never stops the run.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from datetime import datetime

from aggregator.blogroll import load_blogroll
from aggregator.errors import BlogrollError, StoreError
from aggregator.fetch.http import Fetcher
from aggregator.fetch.icons import IconFetch, fetch_icon
from aggregator.models import (
    Blogroll,
    BlogrollEntry,
    IconDue,
    RefreshOutcome,
    Source,
    SourceOutcome,
)
from aggregator.parse import parse_feed
from aggregator.settings import Settings
from aggregator.store import Store, SyncOutcome
from aggregator.update.attempt import Attempt, Parser, fetch_source, parser_for
from aggregator.update.decide import (
    needs_rediscovery,
)
from aggregator.update.icons import decide_icon
from aggregator.update.record import Recorder, schedule_of

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Icons looked at per refresh at most: a first run with many blogs spreads them out.
ICONS_PER_REFRESH = 64


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
    blogroll, _ = sync_blogroll(settings, store, clock())
    due = store.due_sources(clock(), every=every)
    if not due:
        refresh_icons(store, fetcher, clock, settings=settings, stop=stop)
        return RefreshOutcome((), blogroll.warnings)
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
    refresh_icons(store, fetcher, clock, settings=settings, stop=stop)
    return RefreshOutcome(tuple(batch.outcomes), blogroll.warnings)


def refresh_icons(
    store: Store,
    fetcher: Fetcher,
    clock: Clock,
    *,
    settings: Settings,
    stop: threading.Event | None = None,
) -> int:
    """Check the icons that are due, in fetch threads, for at most one fetch's time budget.

    Icons are a nicety: whatever goes wrong here is logged and the refresh goes on;
    what is not checked before the deadline is checked by the next refresh.
    Returns how many icons were checked; none with ``[fetch] icons = false``.
    """
    if not settings.fetch.icons:
        return 0
    deadline = time.monotonic() + settings.fetch.total_timeout
    try:
        due = store.icons_due(clock(), limit=ICONS_PER_REFRESH)
    except StoreError as exc:
        log.error("icons not checked: %s", exc)
        return 0
    if not due:
        return 0
    checked = 0
    pool = ThreadPoolExecutor(max(1, settings.fetch.workers), thread_name_prefix="icon")
    try:
        futures = {pool.submit(fetch_icon, fetcher, d): d for d in due}
        pending = set(futures)
        while pending and not (stop is not None and stop.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            done, pending = wait(pending, timeout=min(left, 0.5), return_when=FIRST_COMPLETED)
            for future in done:
                item = futures[future]
                try:
                    update = decide_icon(item, future.result(), clock())
                    store.save_icon(update)
                except StoreError as exc:
                    log.error("source_id=%d icon not stored: %s", item.source_id, exc)
                    return checked
                except Exception:
                    log.exception("source_id=%d icon check failed (a bug)", item.source_id)
                    continue
                checked += 1
                _log_icon(item, future.result())
        if pending:
            log.info("icons checked=%d left_for_next_refresh=%d", checked, len(pending))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        fetcher.close_idle()
    return checked


def _log_icon(item: IconDue, fetched: IconFetch) -> None:
    if fetched.result == "found":
        log.info("source_id=%d icon=%s", item.source_id, fetched.url)
    else:
        log.debug("source_id=%d icon=%s %s", item.source_id, fetched.result, fetched.reason)


def sync_blogroll(
    settings: Settings, store: Store, now: datetime, *, allow_empty: bool = False
) -> tuple[Blogroll, SyncOutcome]:
    """Load the blogroll file into the store: new blogs added, removed ones retired.

    A file that lists no blog at all while blogs are followed is refused
    (almost always a broken file or a bad save) and nothing is retired, unless
    ``allow_empty`` says the owner means it. Unreadable lines are in
    ``Blogroll.warnings``, for the caller to show.
    """
    path = settings.blogroll.file
    blogroll = load_blogroll(path)
    if not blogroll.entries and not allow_empty:
        followed = [s for s in store.list_sources() if not s.is_own]
        if followed:
            raise BlogrollError(
                f"{path}: lists no blogs while {len(followed)} are followed: refused, "
                "nothing was retired (a broken file or a bad save?); to stop following "
                "them all, run `aggregator blogroll sync --allow-empty`"
            )
    sync = store.sync_blogroll(blogroll.entries, now, own_feed_url=settings.own.feed_url)
    log.info(
        "blogroll sources=%d added=%d retired=%d", len(blogroll.entries), sync.added, sync.retired
    )
    return blogroll, sync


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

    def recorded(outcome: SourceOutcome) -> None:
        outcomes.append(outcome)
        if progress is not None:
            progress(len(outcomes))

    def record(source: Source, attempt: Attempt) -> None:
        try:
            outcome = recorder.record(source, attempt, clock())
        except StoreError as exc:
            if not tolerate_store_errors:
                raise
            log.error("source=%s not stored: %s", source.url, exc)
            return
        recorded(outcome)

    def record_done(done: Iterable[Future[Attempt]]) -> None:
        finished = [(in_flight.pop(future), future.result()) for future in done]
        # Feeds that finished together are recorded in one transaction: a commit (and a
        # search-index segment) per feed was a fifth of a cold refresh. If one of them cannot
        # be stored, none is, and each is recorded again on its own.
        if len(finished) > 1:
            try:
                with store.transaction():
                    together = [recorder.record(s, a, clock()) for s, a in finished]
            except StoreError:
                pass
            else:
                for outcome in together:
                    recorded(outcome)
                return
        for source, attempt in finished:
            record(source, attempt)

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
            record_done(done)
            if done:
                exhausted = False
        # Stopping: record what finishes before the deadline, give the rest back.
        deadline = time.monotonic() + grace_seconds
        while in_flight and time.monotonic() < deadline:
            done, _ = wait(
                in_flight, timeout=deadline - time.monotonic(), return_when=FIRST_COMPLETED
            )
            record_done(done)
        try:
            recorder.flush()
        except StoreError as exc:
            if not tolerate_store_errors:
                raise
            log.error("not-modified marks not stored: %s", exc)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        fetcher.close_idle()
    return BatchOutcome(outcomes, list(in_flight.values()))
