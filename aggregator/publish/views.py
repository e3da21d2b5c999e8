"""What the pages show, computed from sources and items; pure, ``now`` is passed in.

Ages are counted in whole days from ``now``'s date, so building twice on the
same day gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from aggregator.models import Recommended, Source, StoredEntry

HealthKind = Literal["ok", "quiet", "broken", "new"]


@dataclass(frozen=True)
class Health:
    kind: HealthKind
    #: A short phrase for the page: "ok", "quiet for 7 months", "broken since 2026-03-01".
    label: str
    #: When it broke, for ``broken``.
    since: datetime | None = None


@dataclass(frozen=True)
class BlogView:
    """One blog on the blogroll page."""

    title: str
    site_url: str | None
    feed_url: str | None
    note_html: str
    recommended: tuple[Recommended, ...]
    latest: StoredEntry | None
    #: "3 days ago", "2 months ago"; None when it never posted.
    latest_age: str | None
    health: Health
    last_error: str | None
    #: The store's id of the blog: ``faces[source_id]`` is its face.
    source_id: int | None = None


@dataclass(frozen=True)
class CategoryView:
    name: str
    slug: str
    blogs: tuple[BlogView, ...]
    #: The owner's introduction to the category, rendered and sanitized ("" when none).
    intro_html: str = ""


def blog_health(
    source: Source, latest: datetime | None, now: datetime, quiet_months: int
) -> Health:
    """ok, quiet (no post for ``quiet_months``), broken since a date, or not fetched yet."""
    if source.last_result == "error" and source.failure_count > 0:
        # A first_failure_at column, where the store has one, is the better date.
        since = getattr(source, "first_failure_at", None) or source.last_fetched_at
        label = f"broken since {since:%Y-%m-%d}" if since else "broken"
        return Health("broken", label, since)
    if source.last_result is None:
        return Health("new", "not fetched yet")
    months = months_between(latest.date(), now.date()) if latest else None
    if months is None or months >= quiet_months:
        return Health("quiet", f"quiet for {months} months" if months else "no posts yet")
    return Health("ok", "ok")


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier`` to ``later``."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return max(0, months - (1 if later.day < earlier.day else 0))


def age(then: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: "today", "5 days ago", "3 months ago"."""
    days = (now.date() - then.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    months = months_between(then.date(), now.date())
    if months < 24:
        return f"{max(months, 2)} months ago"
    return f"{months // 12} years ago"


def slugify(text: str) -> str:
    """A URL path segment for a category or tag name: lower case ASCII words and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "x"


def unique_slugs(names: list[str]) -> dict[str, str]:
    """A distinct slug per name, in order; clashes get ``-2``, ``-3``…"""
    taken: set[str] = set()
    slugs: dict[str, str] = {}
    for name in names:
        base = slugify(name)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[name] = slug
    return slugs
