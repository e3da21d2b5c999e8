"""Pure: from what was read to the files to write — pages, feeds, the OPML, the archives.

Nothing here reads the store or the disk, or renders a template; ``now`` and
the frame (``frame.plan_frame``, which is given the templates' digest) are
passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from aggregator.models import Blogroll, BlogrollEntry, Item, Source
from aggregator.parse.sanitize import html_to_text, sanitize_html
from aggregator.posts import render_markdown
from aggregator.publish.archive import ArchiveMonth, ArchiveRow
from aggregator.publish.blog_pages import (
    BlogPage,
    BlogPageOutput,
    blog_inputs,
    blog_page_context,
    plan_blog_pages,
)
from aggregator.publish.chrome import AltFeed
from aggregator.publish.clock import local_day, zone
from aggregator.publish.faces import NO_FACES, Faces
from aggregator.publish.frame import ATOM, JSON_FEED, SiteFrame, items_of, site_timeline
from aggregator.publish.inputs import SiteInputs, categories_of
from aggregator.publish.river import group_rows_by_day, river_pages
from aggregator.publish.timeline import group_by
from aggregator.publish.views import CategoryView, blog_view
from aggregator.settings import Settings, SiteSettings


@dataclass(frozen=True)
class PageSpec:
    """One HTML page: its template, where it goes, and what the template is given."""

    template: str
    path: str
    title: str
    context: dict[str, Any]
    extra_feeds: tuple[AltFeed, ...] = ()


@dataclass(frozen=True)
class FeedSpec:
    """An Atom feed at ``{stem}.xml`` and the same items as a JSON Feed at ``{stem}.json``."""

    stem: str
    items: tuple[Item, ...]
    title: str
    updated: datetime


@dataclass(frozen=True)
class OpmlSpec:
    path: str
    blogroll: Blogroll


#: One planned output, in the order the files are written.
Output = PageSpec | FeedSpec | OpmlSpec | ArchiveMonth | BlogPageOutput


@dataclass(frozen=True)
class SitePlan:
    #: The time the pages say they were generated: the newest item's.
    updated: datetime
    base_feeds: tuple[AltFeed, ...]
    #: (name, path) of each category page, for every page's navigation.
    category_links: tuple[tuple[str, str], ...]
    outputs: tuple[Output, ...]
    #: Every source, retired ones too, by id (archived headlines name them).
    sources_by_id: dict[int, Source] = field(default_factory=dict)
    #: Each blog on the blogroll's page and activity chart, by source id.
    blog_pages: dict[int, BlogPage] = field(default_factory=dict)
    items: int = 0
    posts: int = 0


def plan_site(
    inputs: SiteInputs,
    settings: Settings,
    now: datetime,
    frame: SiteFrame,
    faces: Faces = NO_FACES,
) -> SitePlan:
    """Every file of the site, in writing order; archive months come without their rows,
    blogs' pages with their stored entries. Each of both carries the digest of its inputs,
    which leave out when the site was last updated: a new post changes only the pages
    that show it, and the others stay as they are on disk. ``frame`` is what
    ``plan_frame`` made of these inputs before the blogs' entries were read into them."""
    site = settings.site
    shown, windows = inputs.shown, inputs.windows
    timeline = site_timeline(frame.river, inputs, settings, now)
    names, blog_pages, shared_inputs = frame.names, frame.blog_pages, frame.shared_inputs
    outputs: list[Output] = [
        FeedSpec("feed", tuple(timeline.items[: windows.feed]), site.title, timeline.updated),
        FeedSpec(
            "own",
            tuple(timeline.own[: windows.feed]),
            f"{site.title} (own posts)",
            max((i.updated for i in timeline.own), default=timeline.updated),
        ),
        *_river(timeline.items, inputs, settings),
    ]
    categories, category_outputs = _categories(inputs, settings, now, names, timeline.updated)
    outputs += category_outputs
    outputs += _blogroll_pages(shown.sources, categories, site, inputs.blogroll)
    outputs += _blog_pages(inputs, settings, categories, blog_pages, shared_inputs, faces)
    # The own posts' pages are added by ``own_pages.with_own_pages``.
    months = frame.months
    outputs += months
    outputs.append(
        PageSpec(
            "archive.html",
            "archive/index.html",
            f"Archive · {site.title}",
            {"months": [(m.month, m.count + len(m.own_rows)) for m in months], "active": "archive"},
        )
    )
    outputs.append(not_found_page(site.url, site.title))
    return SitePlan(
        updated=frame.updated,
        base_feeds=frame.base_feeds,
        category_links=frame.category_links,
        outputs=tuple(outputs),
        sources_by_id=frame.sources_by_id,
        blog_pages=blog_pages,
        items=len(timeline.items),
        posts=len(timeline.pages),
    )


def not_found_page(site_url: str, site_title: str) -> PageSpec:
    """``404.html``: served for any missing path, so its links start at the site's root."""
    root = urlsplit(site_url).path or "/"
    return PageSpec(
        "404.html", "404.html", f"Page not found · {site_title}", {"root": root, "active": None}
    )


def archive_page(month: ArchiveMonth, rows: Sequence[ArchiveRow], site: SiteSettings) -> PageSpec:
    """A monthly archive page, once its rows are read."""
    tz = zone(site.timezone)
    return PageSpec(
        "archive_month.html",
        month.path,
        f"{month.month:%B %Y} · {site.title}",
        {
            "month": month.month,
            "days": group_by(rows, lambda r: local_day(r.published, tz)),
            "inputs": month.inputs,
            "newer": month.newer,
            "older": month.older,
            "active": "archive",
        },
    )


def _river(items: Sequence[Item], inputs: SiteInputs, settings: Settings) -> list[PageSpec]:
    """The river: numbered pages, newest first, a blog's extra items folded."""
    windows, title = inputs.windows, settings.site.title
    tz = zone(settings.site.timezone)
    per_page, per_source = windows.per_page, windows.per_source
    river = river_pages(items, per_page, per_source, windows.pages, tz) or [[]]
    return [
        PageSpec(
            "index.html",
            "index.html" if number == 1 else f"page/{number}/index.html",
            title if number == 1 else f"Page {number} · {title}",
            {
                "days": group_rows_by_day(chosen, tz),
                "number": number,
                "page_count": len(river),
                "heading": "Latest posts",
                "full": settings.output.river == "full",
                "active": "river",
            },
        )
        for number, chosen in enumerate(river, start=1)
    ]


def _categories(
    inputs: SiteInputs, settings: Settings, now: datetime, names: dict[str, str], updated: datetime
) -> tuple[list[CategoryView], list[Output]]:
    """A blogroll section per category, and a page and feeds per category."""
    windows, title = inputs.windows, settings.site.title
    tz = zone(settings.site.timezone)
    categories: list[CategoryView] = []
    outputs: list[Output] = []
    for name, members in categories_of(inputs.shown.sources).items():
        slug = names[name]
        latest = inputs.shown.latest
        blogs = tuple(
            blog_view(s, latest.get(s.id), now, settings.output.quiet_months, tz) for s in members
        )
        intro = inputs.blogroll.category_intro(name) if inputs.blogroll else ""
        categories.append(CategoryView(name, slug, blogs, _prose_html(intro, settings.site.url)))
        entries = inputs.shown.categories[name]
        chosen = items_of(entries, inputs, settings, windows.category)
        cat_updated = max((i.updated for i in chosen), default=updated)
        stem = f"category/{slug}/feed"
        outputs.append(
            FeedSpec(stem, tuple(chosen[: windows.feed]), f"{title}: {name}", cat_updated)
        )
        first = (river_pages(chosen, windows.per_page, windows.per_source, 1, tz) or [[]])[0]
        cat_feeds = (
            AltFeed(f"{title}: {name}", ATOM, f"{stem}.xml"),
            AltFeed(f"{title}: {name} (JSON Feed)", JSON_FEED, f"{stem}.json"),
        )
        context = {
            "category": categories[-1],
            "days": group_rows_by_day(first, tz),
            "full": settings.output.river == "full",
            "active": "blogroll",
        }
        outputs.append(
            PageSpec(
                "category.html",
                f"category/{slug}/index.html",
                f"{name} · {title}",
                context,
                cat_feeds,
            )
        )
    return categories, outputs


def _blogroll_pages(
    sources: Sequence[Source],
    categories: list[CategoryView],
    site: SiteSettings,
    page: Blogroll | None,
) -> list[Output]:
    # The owner's heading and introduction when the Markdown page has them; OPML has none.
    # The heading is written in Markdown ("Blogs I *like*"); the page shows its text.
    heading = html_to_text(render_markdown(page.heading)) if page and page.heading else ""
    heading = heading or "Blogroll"
    intro = _prose_html(page.intro, site.url) if page else ""
    return [
        PageSpec(
            "blogroll.html",
            "blogroll.html",
            f"{heading} · {site.title}",
            {
                "categories": categories,
                "active": "blogroll",
                "heading": heading,
                "intro_html": intro,
            },
        ),
        OpmlSpec("blogroll.opml", _blogroll(sources, site.title)),
        PageSpec(
            "status.html",
            "status.html",
            f"Status · {site.title}",
            {"sources": list(sources), "active": "status"},
        ),
    ]


def _prose_html(markdown: str, site_url: str) -> str:
    """The owner's blogroll prose as sanitized HTML; its relative links are the site's."""
    if not markdown:
        return ""
    return sanitize_html(render_markdown(markdown), base_url=urljoin(site_url, "blogroll.html"))


def _blog_pages(
    inputs: SiteInputs,
    settings: Settings,
    categories: Sequence[CategoryView],
    pages: dict[int, BlogPage],
    shared_inputs: str,
    faces: Faces,
) -> list[Output]:
    """A page per blog on the blogroll, listing every entry of it that the river or its
    category page shows."""
    views = [blog for category in categories for blog in category.blogs]
    # What the river and the category pages show, folded lines included, is on the blog pages.
    shown = [*inputs.shown.river, *(e for c in inputs.shown.categories.values() for e in c)]
    specs = plan_blog_pages(views, pages, inputs.shown.blogs, shown, settings.site.title)
    full = settings.output.river == "full"
    length = settings.content.summary_length
    return [
        BlogPageOutput(
            s, blog_inputs(shared_inputs, s, faces[s.view.source_id], length, full), full
        )
        for s in specs
    ]


def blog_page(output: BlogPageOutput, settings: Settings) -> PageSpec:
    """A blog's page, once it is known to be stale: its entries as the page lists them."""
    context = blog_page_context(output, settings.content.summary_length, settings.site.url)
    return PageSpec("blog.html", output.path, output.title, context)


def _blogroll(sources: Sequence[Source], title: str) -> Blogroll:
    return Blogroll(
        title=f"{title}: blogroll",
        entries=tuple(
            BlogrollEntry(
                url=s.url,
                feed_url=s.feed_url,
                site_url=s.site_url,
                title=s.display_title,
                category=s.category,
                note=s.note,
                recommended=s.recommended,
            )
            for s in sources
        ),
    )
