"""Pure: a page per blog, ``blogs/SLUG/index.html``, and the one rule for its slug.

The page shows the blog's name, the owner's note, its site and feed, its
health, a chart of its posting over the last 12 months, and its latest
entries: the newest ones and every one the river shows, so that the river's
"and 3 more from …" lines always lead to the items they fold.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from aggregator.models import Source, StoredEntry
from aggregator.parse.sanitize import excerpt
from aggregator.publish.activity import activity_summary, activity_svg, monthly_counts
from aggregator.publish.faces import FaceView
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


@dataclass(frozen=True)
class BlogPageSpec:
    """The parts ``plan`` turns into a page: kept apart so this module stays pure of the
    plan's types. ``entries`` are still stored entries: they become ``BlogEntry`` lines
    only when the page is rendered, which a rebuild skips for a page that has not changed."""

    title: str
    view: BlogView
    page: BlogPage
    entries: tuple[StoredEntry, ...]


@dataclass(frozen=True)
class BlogPageOutput:
    """One blog's page as the plan writes it: its entries are turned into lines only when
    the page is stale."""

    blog: BlogPageSpec
    #: The digest of everything the page is rendered from; the page carries it.
    inputs: str
    #: The entries' content is shown (``river = "full"``), not their excerpts.
    full: bool

    @property
    def path(self) -> str:
        return self.blog.page.path

    @property
    def title(self) -> str:
        return self.blog.title


def blog_page_context(
    output: BlogPageOutput, summary_length: int | None, fallback_url: str
) -> dict[str, object]:
    """What ``blog.html`` is given for ``output``'s page."""
    blog = output.blog
    return {
        "blog": blog.view,
        "page": blog.page,
        "items": [blog_entry(e, summary_length, fallback_url) for e in blog.entries],
        "inputs": output.inputs,
        "active": "blogroll",
        "full": output.full,
    }


def plan_blog_pages(
    views: Sequence[BlogView],
    pages: dict[int, BlogPage],
    newest: dict[int, tuple[StoredEntry, ...]],
    shown: Sequence[StoredEntry],
    site_title: str,
) -> list[BlogPageSpec]:
    """One page per blog on the blogroll."""
    shown_by_blog: dict[int, list[StoredEntry]] = {}
    for entry in shown:
        shown_by_blog.setdefault(entry.source_id, []).append(entry)
    specs = []
    for view in views:
        entries = blog_entries(
            newest.get(view.source_id, ()), shown_by_blog.get(view.source_id, ())
        )
        specs.append(
            BlogPageSpec(
                f"{view.title} · {site_title}",
                view,
                pages[view.source_id],
                tuple(entries),
            )
        )
    return specs


def blog_inputs(
    shared: str, spec: BlogPageSpec, face: FaceView | None, summary_length: int | None, full: bool
) -> str:
    """The digest of everything ``spec``'s page is rendered from: the site-wide ``shared``
    part, the blog, its chart, its ``face`` and its entries as the page shows them (their
    content only when the page shows it ``full``)."""
    h = hashlib.sha256(
        "\x1f".join(
            (shared, repr(spec.view), repr(spec.page), repr(face), repr(summary_length), repr(full))
        ).encode("utf-8", "surrogatepass")
    )
    # Field by field rather than repr: a blog page lists up to a feed's worth of entries,
    # and a large blogroll has tens of thousands of them.
    for e in spec.entries:
        content = e.content_html if full else ""
        h.update(
            f"{e.id}\x1e{e.url}\x1e{e.source_url}\x1e{e.source_feed_url}\x1e{e.title}\x1e"
            f"{e.author}\x1e{e.published.timestamp()}\x1e{e.summary}\x1e{content}\x1d".encode(
                "utf-8", "surrogatepass"
            )
        )
    return h.hexdigest()
