"""Pure: the key that identifies an entry within its feed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from aggregator.models import ParsedEntry


def hash_key(title: str, date: datetime | None) -> str:
    """The key of an entry with neither id nor link: a hash of its title and date."""
    seed = f"{title}\x1f{date.isoformat() if date else ''}"
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def disambiguate_keys(entries: Sequence[ParsedEntry]) -> tuple[ParsedEntry, ...]:
    """A key that a feed uses for entries with different links becomes key + link."""
    links: dict[str, set[str | None]] = {}
    for entry in entries:
        links.setdefault(entry.key, set()).add(entry.url)
    return tuple(
        replace(entry, key=f"{entry.key} {entry.url}")
        if len(links[entry.key]) > 1 and entry.url
        else entry
        for entry in entries
    )
