"""Pure decisions: which fetched entries are new or changed, and when to check a source next.

Nothing here does I/O or reads the clock; ``now`` is always passed in.

Feeds are sloppy about identity. Some repeat one guid for different articles,
some issue a new guid on every fetch, some flip between two versions of an
entry on alternate fetches, and some date entries in the future. The entry rules
here keep the store to one row per article, updated only when it really changed.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from aggregator.models import (
    EntryIdentity,
    EntryInsert,
    EntryIntents,
    EntryUpdate,
    ParsedEntry,
    Source,
)

WEEK = timedelta(days=7)
#: However long a publisher asks us to wait, a source is checked at least weekly.
PUBLISHER_CAP = WEEK
#: How long a discovered feed may fail before its homepage is searched for a feed again.
REDISCOVER_AFTER = timedelta(days=3)
#: The HTTP status of a feed that was removed for good.
GONE = 410


@dataclass(frozen=True)
class Schedule:
    """The bounds every source's timing is kept within."""

    min_interval: timedelta = timedelta(minutes=30)
    max_interval: timedelta = timedelta(days=1)
    max_backoff: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class EntryDecision:
    new: tuple[ParsedEntry, ...]
    changed: tuple[ParsedEntry, ...]


def decide_entries(
    incoming: Iterable[ParsedEntry], stored_hashes: Mapping[str, str]
) -> EntryDecision:
    """Split a feed's entries into new ones and changed ones; unchanged ones are dropped.

    A feed that repeats a key keeps only the first occurrence (feeds list newest first).
    """
    new: list[ParsedEntry] = []
    changed: list[ParsedEntry] = []
    seen: set[str] = set()
    for entry in incoming:
        if entry.key in seen:
            continue
        seen.add(entry.key)
        old = stored_hashes.get(entry.key)
        if old is None:
            new.append(entry)
        elif old != entry.content_hash:
            changed.append(entry)
    return EntryDecision(tuple(new), tuple(changed))


def posting_interval(
    entries: Iterable[ParsedEntry], now: datetime, schedule: Schedule
) -> timedelta:
    """One week divided by the entries of the last week, within the schedule's bounds.

    A blog that posts daily is checked about daily; one that posted nothing
    this week is checked at the longest interval.
    """
    recent = sum(1 for e in entries if e.published is not None and now - WEEK <= e.published <= now)
    interval = WEEK / recent if recent else schedule.max_interval
    return min(max(interval, schedule.min_interval), schedule.max_interval)


def polling_interval(
    interval: timedelta, schedule: Schedule, *, subscribed: bool = False
) -> timedelta:
    """The interval a source is polled at: while a WebSub subscription of it is active,
    pushes bring its posts and polling is only a safety net, at the longest interval."""
    return schedule.max_interval if subscribed else interval


def http_freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response stays fresh: ``Cache-Control: max-age``, else ``Expires``.

    RFC 9111 §4.2.1: max-age takes precedence over Expires.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    match = re.search(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", lowered.get("cache-control", ""))
    if match:
        return timedelta(seconds=int(match.group(1)))
    expires = _http_date(lowered.get("expires"))
    if expires is not None and expires > now:
        return expires - now
    return None


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """The time a Retry-After header (seconds or an HTTP date) points to (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    return _http_date(value)


def next_check_after_success(
    now: datetime,
    interval: timedelta,
    publisher_interval: timedelta | None,
    rng: random.Random,
) -> datetime:
    """The next check of a healthy source.

    The interval is spread by ±10 % so that sources drift apart, and never
    shorter than what the publisher asks for.
    """
    spread = interval * rng.uniform(0.9, 1.1)
    return now + max(spread, publisher_interval or timedelta(0))


def next_check_after_failure(
    now: datetime,
    interval: timedelta,
    failures: int,
    rng: random.Random,
    schedule: Schedule,
    not_before: datetime | None = None,
) -> datetime:
    """Exponential backoff from the normal interval up to a cap, with jitter.

    ``failures`` counts consecutive failures including this one; the source is
    never given up on. ``not_before`` (a Retry-After) is always respected.
    """
    exponent = max(0, min(failures - 1, 16))
    delay: timedelta = min(interval * (2**exponent), schedule.max_backoff)
    at = now + delay * rng.uniform(0.8, 1.0)
    return max(at, not_before) if not_before else at


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# -- entries: identity -----------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What the store remembers of one entry, for matching."""

    key: str
    url: str | None
    content_hash: str
    previous_content_hash: str | None = None


def match_known(
    incoming: Sequence[ParsedEntry], by_key: Mapping[str, Known], by_url: Mapping[str, Known]
) -> tuple[ParsedEntry, ...]:
    """``incoming`` with each entry that is a stored one under another key given that key.

    An entry whose key is unknown but whose link is a stored entry's is that entry
    (the feed issued a new guid). Only links that appear once in the feed count:
    a feed that links every item to its homepage has no per-article links.
    """
    link_counts = Counter(entry.url for entry in incoming if entry.url)
    incoming_keys = {entry.key for entry in incoming}
    claimed: set[str] = set()
    matched = []
    for entry in incoming:
        known = by_url.get(entry.url) if entry.url else None
        if (
            entry.key not in by_key
            and known is not None
            and link_counts[known.url or ""] == 1
            and known.key not in incoming_keys
            and known.key not in claimed
        ):
            claimed.add(known.key)
            entry = replace(entry, key=known.key)
        matched.append(entry)
    return tuple(matched)


def effective_hashes(
    incoming: Iterable[ParsedEntry], by_key: Mapping[str, Known]
) -> dict[str, str]:
    """The stored hash of each known entry, as ``decide_entries`` compares it.

    An entry that came back to the version it had before its last change is
    reported unchanged, so a feed alternating between two versions does not
    rewrite the row on every fetch.
    """
    hashes = {key: known.content_hash for key, known in by_key.items()}
    for entry in incoming:
        known = by_key.get(entry.key)
        if known is not None and entry.content_hash == known.previous_content_hash:
            hashes[entry.key] = entry.content_hash
    return hashes


def clamp_future(moment: datetime | None, first_seen: datetime) -> datetime | None:
    """A date after the entry was first seen becomes the first-seen time, so that
    nothing sticks to the top of the river."""
    if moment is not None and moment > first_seen:
        return first_seen
    return moment


# -- sources -------------------------------------------------------------------------------


def needs_rediscovery(source: Source, now: datetime, *, explicit: bool = False) -> bool:
    """A feed found by discovery that has been failing for long; never one the owner gave."""
    return (
        not explicit
        and source.feed_url is not None
        and source.feed_url != source.url
        and source.first_failure_at is not None
        and now - source.first_failure_at >= REDISCOVER_AFTER
    )


def same_body(stored_hash: str | None, fetched_hash: str) -> bool:
    """The same bytes again (a server without validators): treated as not modified."""
    return stored_hash is not None and fetched_hash == stored_hash


def is_gone(status: int | None) -> bool:
    return status == GONE


def publisher_interval(*intervals: timedelta | None) -> timedelta | None:
    """The longest interval a publisher asks for, capped at a week."""
    present = [i for i in intervals if i is not None]
    return min(max(present), PUBLISHER_CAP) if present else None


def decide_feed_entries(
    incoming: Sequence[ParsedEntry], by_key: Mapping[str, Known], by_url: Mapping[str, Known]
) -> EntryDecision:
    """A fetched feed's entries against the stored ones found by key and by link.

    New guid with a stored entry's link: that entry (updated, not added); back to the
    version before the last change: unchanged; a repeated key: its first occurrence.
    """
    matched = match_known(incoming, by_key, by_url)
    known = {**by_key, **{k.key: k for k in by_url.values()}}
    return decide_entries(matched, effective_hashes(matched, known))


def entry_intents(
    incoming: Sequence[ParsedEntry],
    by_key: Mapping[str, EntryIdentity],
    by_url: Mapping[str, EntryIdentity],
    now: datetime,
    *,
    clamp: bool = True,
    first_fetch: bool = False,
    feed_date: datetime | None = None,
) -> EntryIntents:
    """The inserts and updates a fetched feed calls for, with final dates and ``sort_at``.

    ``by_key``/``by_url``: the stored entries whose key, or link, a fetched entry has.
    With ``clamp``, a date later than the entry's first-seen time becomes that time.
    On a source's ``first_fetch``, undated entries are its backlog, placed by
    ``undated_backlog``; an undated entry that turns up later is new, and sorts as now.
    """
    decision = decide_feed_entries(
        incoming,
        {k: _as_known(i) for k, i in by_key.items()},
        {u: _as_known(i) for u, i in by_url.items()},
    )
    stored = {**by_key, **{i.key: i for i in by_url.values()}}

    def dates(entry: ParsedEntry, first_seen: datetime) -> tuple[datetime | None, datetime | None]:
        if not clamp:
            return entry.published, entry.updated
        return clamp_future(entry.published, first_seen), clamp_future(entry.updated, first_seen)

    inserts = []
    for entry in decision.new:
        published, updated = dates(entry, now)
        inserts.append(EntryInsert(entry, published, updated, published or updated or now))
    if first_fetch:
        inserts = undated_backlog(inserts, feed_date, now)
    updates = []
    for entry in decision.changed:
        old = stored[entry.key]
        published, updated = dates(entry, old.first_seen_at)
        sort_at = published or updated or old.first_seen_at
        updates.append(EntryUpdate(old.id, entry, published, updated, sort_at, old.content_hash))
    return EntryIntents(tuple(inserts), tuple(updates))


#: Where a backlog with no date at all sorts: below every dated entry of every blog
#: (yet a date feed validators find plausible).
UNDATED_FLOOR = datetime(1990, 1, 1, tzinfo=UTC)


def feed_date(feed_updated: datetime | None, last_modified: str | None) -> datetime | None:
    """The feed's own date: what it says (Atom ``updated``, RSS ``lastBuildDate``), else
    the server's ``Last-Modified``."""
    return feed_updated or _http_date(last_modified)


def undated_backlog(
    inserts: Sequence[EntryInsert], feed_date: datetime | None, now: datetime
) -> list[EntryInsert]:
    """A new source's undated entries ("About", "FAQ", Hugo's 0001-01-01), placed where
    they cannot take over the river: at the feed's own date when it gives one, else just
    below the source's oldest dated entry, else below everything. Feed order is kept,
    one second apart."""
    undated = [i for i, insert in enumerate(inserts) if insert.published is None]
    if not undated:
        return list(inserts)
    dated = [insert.sort_at for insert in inserts if insert.published is not None]
    if feed_date is not None:
        anchor = min(feed_date, now)
    elif dated:
        anchor = min(dated) - timedelta(seconds=1)
    else:
        anchor = UNDATED_FLOOR + timedelta(seconds=len(undated))
    placed = list(inserts)
    for rank, index in enumerate(undated):
        placed[index] = replace(placed[index], sort_at=anchor - timedelta(seconds=rank))
    return placed


def _as_known(identity: EntryIdentity) -> Known:
    return Known(identity.key, identity.url, identity.content_hash, identity.previous_content_hash)


@dataclass(frozen=True)
class FailureUpdate:
    """What a failed fetch does to its source: when to try again, and whether it is gone."""

    failures: int
    next_check_at: datetime
    retry_after: datetime | None
    gone: bool


def failure_update(
    source: Source,
    status: int | None,
    retry_after_header: str | None,
    now: datetime,
    schedule: Schedule,
    rng: random.Random,
) -> FailureUpdate:
    """A failure of ``source`` (``status`` when it was an HTTP error): backoff from its
    interval, growing per consecutive failure up to the cap, never before a Retry-After."""
    failures = source.failure_count + 1
    not_before = retry_after(retry_after_header, now)
    interval = source.interval or schedule.min_interval
    next_check = next_check_after_failure(now, interval, failures, rng, schedule, not_before)
    return FailureUpdate(failures, next_check, not_before, is_gone(status))
