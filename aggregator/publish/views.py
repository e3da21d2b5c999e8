"""What the pages show, computed from sources and items; pure, ``now`` is passed in.

Ages are counted in whole days from ``now``'s date, so building twice on the
same day gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

from aggregator.models import Recommended, Source, StoredEntry
from aggregator.parse.sanitize import sanitize_html
from aggregator.posts import render_markdown
from aggregator.publish.clock import local_day

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
    #: The store's id, which names the blog's page and face.
    source_id: int = 0


@dataclass(frozen=True)
class CategoryView:
    name: str
    slug: str
    blogs: tuple[BlogView, ...]
    #: The owner's introduction to the category, rendered and sanitized ("" when none).
    intro_html: str = ""


#: A failing blog is "broken" after failing this long, or this many times in a row; before
#: that one bad fetch (or a first run without network) is shown on the status page only.
BROKEN_AFTER = timedelta(days=1)
BROKEN_FAILURES = 3


def blog_health(
    source: Source,
    latest: datetime | None,
    now: datetime,
    quiet_months: int,
    tz: tzinfo = UTC,
) -> Health:
    """ok, quiet (no post for ``quiet_months``), broken since a date, or not fetched yet."""
    if source.last_result == "error" and source.failure_count > 0:
        since = source.first_failure_at or source.last_fetched_at
        failing_long = since is not None and now - since >= BROKEN_AFTER
        if failing_long or source.failure_count >= BROKEN_FAILURES:
            label = f"broken since {local_day(since, tz):%Y-%m-%d}" if since else "broken"
            return Health("broken", label, since)
        if latest is None:
            # Never read yet: a failure so far says nothing about the blog.
            return Health("new", "not fetched yet")
    if source.last_result is None:
        return Health("new", "not fetched yet")
    if latest is None:
        return Health("quiet", "no posts yet")
    months = months_between(local_day(latest, tz), local_day(now, tz))
    if months >= quiet_months:
        return Health("quiet", f"quiet for {duration(latest, now, tz)}")
    return Health("ok", "ok")


def health_changes_at(source: Source, now: datetime) -> datetime | None:
    """When ``blog_health`` will call a failing blog broken with no new fetch, if later
    than ``now``: the one moment besides midnight at which a page changes by itself."""
    if source.last_result != "error" or source.failure_count <= 0:
        return None
    if source.failure_count >= BROKEN_FAILURES:
        return None
    since = source.first_failure_at or source.last_fetched_at
    if since is None or now - since >= BROKEN_AFTER:
        return None
    return since + BROKEN_AFTER


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier`` to ``later``."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return max(0, months - (1 if later.day < earlier.day else 0))


def duration(then: datetime, now: datetime, tz: tzinfo = UTC) -> str:
    """How long from ``then`` to ``now`` in the largest whole unit: "5 days", "3 months"."""
    days = (local_day(now, tz) - local_day(then, tz)).days
    if days < 14:
        return "1 day" if days == 1 else f"{max(days, 0)} days"
    if days < 60:
        return f"{days // 7} weeks"
    months = months_between(local_day(then, tz), local_day(now, tz))
    if months < 24:
        return f"{max(months, 2)} months"
    return f"{months // 12} years"


def age(then: datetime, now: datetime, tz: tzinfo = UTC) -> str:
    """How long ago, in the largest whole unit: "today", "5 days ago", "3 months ago",
    counted in days of the site's time zone."""
    days = (local_day(now, tz) - local_day(then, tz)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{duration(then, now, tz)} ago"


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


def blog_view(
    source: Source,
    latest: StoredEntry | None,
    now: datetime,
    quiet_months: int,
    tz: tzinfo = UTC,
) -> BlogView:
    """What the blogroll and the blog's own page show of one blog."""
    return BlogView(
        title=source.display_title,
        site_url=source.site_url,
        feed_url=source.feed_url,
        note_html=sanitize_html(render_markdown(source.note)) if source.note else "",
        recommended=source.recommended,
        latest=latest,
        latest_age=age(latest.published, now, tz) if latest else None,
        health=blog_health(source, latest.published if latest else None, now, quiet_months, tz),
        last_error=source.last_error,
        source_id=source.id,
    )


#: Each fetch error kind (``aggregator.errors``) in words; "http" says its status.
_ERROR_WORDS = {
    "timeout": "timed out",
    "network": "could not connect",
    "redirect": "too many redirects",
    "refused": "address refused",
    "too_large": "too large",
    "parse": "not a feed",
    "gone": "gone (HTTP 410)",
}


def error_words(kind: str | None, http_status: int | None = None) -> str:
    """A fetch error kind as the status page says it: "HTTP 404", "timed out", "not a feed"."""
    if kind == "http":
        return f"HTTP {http_status}" if http_status else "HTTP error"
    if kind is None:
        return "failed"
    return _ERROR_WORDS.get(kind, kind.replace("_", " "))
