"""Monthly archives: which months have a page, and the rows on them; pure."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from markupsafe import Markup

from aggregator.models import Headline, Item, Source
from aggregator.publish.clock import local_day
from aggregator.publish.inputs import MonthInputs, month_bounds
from aggregator.publish.timeline import group_by, month_start

_NO_LINK = Markup("")


@dataclass(frozen=True)
class ArchiveRow:
    """One line of a monthly archive."""

    title: str
    url: str
    local_url: str | None
    published: datetime
    source_title: str
    source_url: str | None
    own: bool
    #: The blog's name, linked to its site when it has one: made once per blog, since a
    #: month lists thousands of rows of a few hundred blogs.
    source_link: Markup = _NO_LINK


@dataclass(frozen=True)
class ArchiveMonth:
    """One monthly archive page; its stored headlines are read only when it is stale."""

    month: date
    path: str
    #: The digest of everything the page is rendered from; the page carries it.
    inputs: str
    #: Stored entries in the month (0: none, or the month is outside the window).
    count: int
    start: datetime
    end: datetime
    own_rows: tuple[ArchiveRow, ...]
    #: The neighbouring months that have a page, for the links between them.
    newer: date | None = None
    older: date | None = None


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def plan_months(
    months: Sequence[MonthInputs],
    own: Sequence[Item],
    shared_inputs: str,
    tz: tzinfo = UTC,
) -> list[ArchiveMonth]:
    """The months with a page, newest first: the window's with entries, and every month
    with an own post; each knows its neighbours."""
    own_months = {
        month: posts
        for month, posts in group_by(own, lambda i: month_start(local_day(i.published, tz)))
    }
    stored = {m.start.date(): m for m in months}
    found = []
    for first in sorted(set(stored) | set(own_months), reverse=True):
        window = stored.get(first)
        count, store_digest = (window.count, window.digest) if window else (0, "")
        rows = tuple(post_row(i) for i in own_months.get(first, []))
        if count or rows:
            found.append((first, count, store_digest, rows))
    planned = []
    for n, (first, count, store_digest, rows) in enumerate(found):
        newer = found[n - 1][0] if n > 0 else None
        older = found[n + 1][0] if n + 1 < len(found) else None
        start, end = month_bounds(first, tz)
        path = f"archive/{first.year:04d}/{first.month:02d}/index.html"
        inputs = digest(shared_inputs, store_digest, repr(list(rows)), repr((newer, older)))
        planned.append(
            ArchiveMonth(first, path, inputs, count, start, end, rows, newer=newer, older=older)
        )
    return planned


#: Each blog's name, site and link, as the archive rows show them.
BlogLinks = dict[int, tuple[str, str | None, Markup]]


def month_rows(
    month: ArchiveMonth,
    headlines: Sequence[Headline],
    sources: dict[int, Source],
    blogs: BlogLinks | None = None,
) -> list[ArchiveRow]:
    """The month's rows, newest first: stored headlines and own posts. ``blogs`` keeps the
    links made for one month for the next."""
    blogs = {} if blogs is None else blogs
    rows = []
    for headline in headlines:
        blog = blogs.get(headline.source_id)
        if blog is None:
            blog = blogs[headline.source_id] = _blog(sources.get(headline.source_id))
        title, site_url, link = blog
        rows.append(
            ArchiveRow(
                title=headline.title,
                url=headline.url or site_url or "",
                local_url=None,
                published=headline.published,
                source_title=title,
                source_url=site_url,
                own=False,
                source_link=link,
            )
        )
    rows += month.own_rows
    rows.sort(key=lambda r: (r.published, r.url), reverse=True)
    return rows


def _blog(source: Source | None) -> tuple[str, str | None, Markup]:
    title = source.display_title if source else ""
    site_url = source.site_url if source else None
    if site_url:
        return title, site_url, Markup('<a href="{}">{}</a>').format(site_url, title)
    return title, site_url, Markup("{}").format(title)


def post_row(item: Item) -> ArchiveRow:
    return ArchiveRow(
        item.title, item.url, item.local_url, item.published, item.source_title, None, True
    )
