"""Pure: how a fetched feed's entries map onto the entries already stored.

Feeds are sloppy about identity. Some repeat one guid for different articles,
some issue a new guid on every fetch, some flip between two versions of an
entry on alternate fetches, and some date entries in the future. The rules
here keep the store to one row per article, updated only when it really changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from aggregator.models import ParsedEntry


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
    """The stored hash of each known entry, as ``policy.decide_entries`` compares it.

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
