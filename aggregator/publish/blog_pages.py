"""Pure: a page per blog, ``blogs/SLUG/index.html``, and the one rule for its slug.

The page shows the blog's name, the owner's note, its site and feed, its
health, a chart of its posting over the last 12 months, and its latest
entries: the newest ones and every one the river shows, so that the river's
"and 3 more from …" lines always lead to the items they fold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from aggregator.models import Source, StoredEntry
from aggregator.parse.sanitize import excerpt
from aggregator.publish.activity import activity_summary, activity_svg, monthly_counts
from aggregator.publish.iris import iri
from aggregator.publish.views import BlogView, slugify


@dataclass(frozen=True)
class BlogPage:
    """What one blog's page and its line on the blogroll show beyond the ``BlogView``."""

    path: str
    #: The small chart for the blogroll line and the larger one for the blog's page.
    small_svg: str
    svg: str
    #: The chart in words, shown beside it.
    activity: str


def blog_slugs(sources: Sequence[Source]) -> dict[int, str]:
    """A distinct slug per blog id, from its name.

    Blogs whose names give the same slug are told apart by their store id, and
    the oldest blog keeps the plain slug: a slug never changes because another
    blog was added or the blogroll was reordered.
    """
    slugs: dict[int, str] = {}
    taken: set[str] = set()
    for source in sorted(sources, key=lambda s: s.id):
        # "Ton's blog" is "tons-blog", not "ton-s-blog".
        slug = slugify(re.sub(r"['’]", "", source.display_title))
        if slug in taken:
            slug = f"{slug}-{source.id}"
        taken.add(slug)
        slugs[source.id] = slug
    return slugs


def blog_path(slug: str) -> str:
    return f"blogs/{slug}/index.html"


def blog_page_info(slug: str, dates: Sequence[datetime], now: datetime, tz: tzinfo) -> BlogPage:
    """Where a blog's page goes, and its activity chart, large and small."""
    counts = monthly_counts(dates, now, tz)
    return BlogPage(
        path=blog_path(slug),
        small_svg=activity_svg(counts, width=60, height=16),
        svg=activity_svg(counts, width=240, height=48),
        activity=activity_summary(counts),
    )


@dataclass(frozen=True)
class BlogEntry:
    """One entry as a blog's page lists it: the page needs no id, source or enclosure."""

    title: str
    url: str
    published: datetime
    author: str | None
    summary: str
    content_html: str


def blog_entry(entry: StoredEntry, summary_length: int | None, fallback_url: str) -> BlogEntry:
    """What the blog's page shows of ``entry``: its excerpt, and its content when given."""
    url = entry.url or entry.source_url or entry.source_feed_url or fallback_url
    summary = excerpt(entry.summary, summary_length) if summary_length else entry.summary
    return BlogEntry(
        entry.title, iri(url), entry.published, entry.author, summary, entry.content_html
    )


def blog_entries(newest: Sequence[StoredEntry], shown: Sequence[StoredEntry]) -> list[StoredEntry]:
    """The blog's entries for its page, newest first: its newest, and those of it that the
    river and the category pages show (a folded line leads here)."""
    chosen = {e.id: e for e in newest}
    chosen.update((e.id, e) for e in shown)
    return sorted(chosen.values(), key=lambda e: (e.published, e.id), reverse=True)


#: Turns a blog's stored entries into what its page lists.
ToEntries = Callable[[Sequence[StoredEntry]], list[BlogEntry]]


@dataclass(frozen=True)
class BlogPageSpec:
    """The parts ``plan`` turns into a ``PageSpec``: kept apart so this module stays pure
    of the plan's types."""

    path: str
    title: str
    context: dict[str, object]


def plan_blog_pages(
    views: Sequence[BlogView],
    pages: dict[int, BlogPage],
    newest: dict[int, tuple[StoredEntry, ...]],
    shown: Sequence[StoredEntry],
    to_entries: ToEntries,
    site_title: str,
) -> list[BlogPageSpec]:
    """One page per blog on the blogroll."""
    shown_by_blog: dict[int, list[StoredEntry]] = {}
    for entry in shown:
        shown_by_blog.setdefault(entry.source_id, []).append(entry)
    specs = []
    for view in views:
        page = pages[view.source_id]
        entries = blog_entries(
            newest.get(view.source_id, ()), shown_by_blog.get(view.source_id, ())
        )
        specs.append(
            BlogPageSpec(
                page.path,
                f"{view.title} · {site_title}",
                {"blog": view, "page": page, "items": to_entries(entries), "active": "blogroll"},
            )
        )
    return specs
