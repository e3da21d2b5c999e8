"""Pure: instants as the site's readers see them, in ``[site] timezone``.

Everything stored is UTC; only what a page says in words (a day heading, a
clock time, "3 days ago") is turned into the site's zone. ``<time datetime>``
keeps the exact instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    """The zone of a name already checked by the settings."""
    return ZoneInfo(name)


def is_day_only(moment: datetime) -> bool:
    """True for an entry dated by its day alone: feeds give such a date as midnight UTC."""
    return moment.astimezone(UTC).time() == time(0)


def local(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz)


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The day ``moment`` falls on in ``tz``; a date without a time stays its own day
    (midnight UTC on 15 April is 15 April in New York too, not the evening before)."""
    if is_day_only(moment):
        return moment.astimezone(UTC).date()
    return moment.astimezone(tz).date()


def clock(moment: datetime, tz: tzinfo) -> str:
    """The time in ``tz``, "14:05"; "" for an entry dated by day only, or at midnight in
    ``tz`` (a date given with the publisher's offset, "2025-04-15T00:00+01:00", is a day)."""
    shown = moment.astimezone(tz)
    if is_day_only(moment) or shown.time() == time(0):
        return ""
    return f"{shown:%H:%M}"


def local_text(moment: datetime, tz: tzinfo) -> str:
    """ "2026-03-01 14:05" in ``tz``; the day alone when dated by day only (as ``local_day``
    and ``clock`` say, in one conversion: every listed entry shows one)."""
    utc = moment.astimezone(UTC)
    if utc.time() == time(0):
        return f"{utc:%Y-%m-%d}"
    shown = moment.astimezone(tz)
    if shown.time() == time(0):
        return f"{shown:%Y-%m-%d}"
    return f"{shown:%Y-%m-%d %H:%M}"
