"""Pure: instants as the site's readers see them, in ``[site] timezone``.

Everything stored is UTC; only what a page says in words (a day heading, a
clock time, "3 days ago") is turned into the site's zone. ``<time datetime>``
keeps the exact instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    """The zone of a name already checked by the settings."""
    return ZoneInfo(name)


def is_day_only(moment: datetime) -> bool:
    """True for an entry dated by its day alone: feeds give such a date as midnight UTC."""
    return _is_midnight(_utc(moment))


def _utc(moment: datetime) -> datetime:
    # Stored dates are already in UTC: every listed entry comes through here.
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _is_midnight(moment: datetime) -> bool:
    return not (moment.hour or moment.minute or moment.second or moment.microsecond)


def local(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz)


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The day ``moment`` falls on in ``tz``; a date without a time stays its own day
    (midnight UTC on 15 April is 15 April in New York too, not the evening before)."""
    utc = _utc(moment)
    if _is_midnight(utc):
        return utc.date()
    return moment.astimezone(tz).date()


def clock(moment: datetime, tz: tzinfo) -> str:
    """The time in ``tz``, "14:05"; "" for an entry dated by day only, or at midnight in
    ``tz`` (a date given with the publisher's offset, "2025-04-15T00:00+01:00", is a day)."""
    shown = moment.astimezone(tz)
    if is_day_only(moment) or _is_midnight(shown):
        return ""
    return shown.isoformat(timespec="minutes")[11:16]


def local_text(moment: datetime, tz: tzinfo) -> str:
    """ "2026-03-01 14:05" in ``tz``; the day alone when dated by day only (as ``local_day``
    and ``clock`` say, in one conversion: every listed entry shows one)."""
    # isoformat is several times cheaper than strftime.
    utc = _utc(moment)
    if _is_midnight(utc):
        return utc.isoformat()[:10]
    shown = moment.astimezone(tz)
    if _is_midnight(shown):
        return shown.isoformat()[:10]
    return shown.isoformat(" ", "minutes")[:16]
