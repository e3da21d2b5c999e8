"""Recording what a fetch meant: the decisions of ``decide`` applied to the store, one
transaction per source with new entries (or per group of sources that finished fetching
together, ``pipeline``); the many 'not modified' marks in batches."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from aggregator.errors import HTTPStatusError, SourceError
from aggregator.models import (
    EntryIdentity,
    Fetched,
    NotModified,
    ParsedFeed,
    Source,
    SourceOutcome,
)
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.update.attempt import Attempt, Bug, _FeedFetched
from aggregator.update.decide import (
    Schedule,
    entry_intents,
    failure_update,
    feed_date,
    http_freshness,
    next_check_after_success,
    polling_interval,
    posting_interval,
    publisher_interval,
)

log = logging.getLogger(__name__)


def schedule_of(settings: Settings) -> Schedule:
    s = settings.schedule
    return Schedule(
        min_interval=timedelta(minutes=s.min_interval_minutes),
        max_interval=timedelta(minutes=s.max_interval_minutes),
        max_backoff=timedelta(minutes=s.max_backoff_minutes),
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
        interval = polling_interval(
            source.interval or self.schedule.min_interval,
            self.schedule,
            subscribed=source.subscribed,
        )
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
    polled = polling_interval(interval, schedule, subscribed=source.subscribed)
    next_check = next_check_after_success(now, polled, publisher, rng)
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
    if feed.warning is not None:
        log.warning("source=%s result=ok warning=%r", url, str(feed.warning))
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
    intents = entry_intents(
        feed.entries,
        by_key,
        by_url,
        now,
        clamp=clamp_future,
        first_fetch=not has_entries,
        feed_date=feed_date(feed.updated, fetched.last_modified),
    )
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
