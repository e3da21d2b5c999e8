"""Pure decisions: which entries are new or changed, when to check a source next.

Nothing here does I/O or reads the clock; ``now`` is always passed in.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from aggregator.models import ParsedEntry

WEEK = timedelta(days=7)


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
