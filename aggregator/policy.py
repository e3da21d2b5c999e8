"""Pure decisions: which entries are new or changed, when to check a source next.

Nothing here does I/O or reads the clock; ``now`` is always passed in.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from aggregator.models import ParsedEntry

#: Backoff never waits longer than this between two tries of a failing source.
MAX_BACKOFF = timedelta(days=1)


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


def next_check_after_success(now: datetime, interval: timedelta, rng: random.Random) -> datetime:
    """The next check of a healthy source: one interval, spread by ±10 % so sources drift apart."""
    return now + interval * rng.uniform(0.9, 1.1)


def next_check_after_failure(
    now: datetime, interval: timedelta, failures: int, rng: random.Random
) -> datetime:
    """Exponential backoff from the normal interval up to a cap, with full jitter on top.

    ``failures`` counts consecutive failures including this one; the source is
    never given up on.
    """
    exponent = max(0, min(failures - 1, 16))
    delay: timedelta = min(interval * (2**exponent), MAX_BACKOFF)
    return now + delay * rng.uniform(0.8, 1.0)
