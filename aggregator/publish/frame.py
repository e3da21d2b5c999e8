"""Pure: what every page of the site shares, and the monthly archives.

Both are planned from the blogs, the river, the months and the own posts alone,
before the blogs' pages' entries are read (the largest read of a build), so that
a large build can render its archives in a second process meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from aggregator.models import Item, Source, StoredEntry
from aggregator.publish.archive import ArchiveMonth, digest, plan_months
from aggregator.publish.blog_pages import BlogPage, blog_page_info, blog_slugs
from aggregator.publish.chrome import AltFeed
from aggregator.publish.clock import zone
from aggregator.publish.inputs import SiteInputs, categories_of
from aggregator.publish.timeline import build_timeline, post_item
from aggregator.publish.views import unique_slugs
from aggregator.settings import Settings

ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"


@dataclass(frozen=True)
class SiteFrame:
    """What every page is rendered with beyond its own part, and the archive months."""

    #: The time the pages say they were generated: the newest item's.
    updated: datetime
    base_feeds: tuple[AltFeed, ...]
    #: Each category's slug, by name, in blogroll order.
    names: dict[str, str]
    #: (name, path) of each category page, for every page's navigation.
    category_links: tuple[tuple[str, str], ...]
    #: Every source, retired ones too, by id (archived headlines name them).
    sources_by_id: dict[int, Source]
    #: Each blog on the blogroll's page and activity chart, by source id.
    blog_pages: dict[int, BlogPage]
    #: The digest of what every archive month and blog page shows beyond its own part.
    shared_inputs: str
    #: The months with a page, newest first, without their rows.
    months: tuple[ArchiveMonth, ...]
    #: The river's items, chosen before each blog's latest entry is known
    #: (``site_timeline`` gives them that).
    river: tuple[Item, ...]


@dataclass(frozen=True)
class Timeline:
    #: The river: entries and own posts, newest first.
    items: list[Item]
    #: Own posts that have a page here, newest first.
    pages: list[Item]
    #: Own posts: those pages and the own blog feed's entries without one.
    own: list[Item]
    updated: datetime


def plan_frame(inputs: SiteInputs, settings: Settings, now: datetime, rendering: str) -> SiteFrame:
    """The frame of the site; ``inputs`` need not hold the blogs' pages' entries (nor each
    blog's latest entry), which nothing here reads."""
    site = settings.site
    shown = inputs.shown
    river = build_timeline(
        inputs.posts,
        shown.river,
        site,
        inputs.windows.river,
        summary_length=settings.content.summary_length,
    )
    timeline = site_timeline(river, inputs, settings, now)
    names = unique_slugs(list(categories_of(shown.sources)))
    tz = zone(site.timezone)
    slugs = blog_slugs(shown.everyone)
    blog_pages = {
        s.id: blog_page_info(slugs[s.id], inputs.activity.get(s.id, []), now, tz)
        for s in shown.sources
    }
    # What every archive month and blog page shows beyond its own part (the navigation,
    # the blogs' names and links), but not the time of the newest item: the footer of a
    # page left as it is keeps the time it was last changed, which is true of it.
    shared_inputs = digest(
        rendering,
        repr(site),
        repr(sorted(names.items())),
        repr([(s.id, s.display_title, s.site_url) for s in shown.everyone]),
        repr(sorted((i, p.path) for i, p in blog_pages.items())),
    )
    return SiteFrame(
        updated=timeline.updated,
        base_feeds=_base_feeds(site.title),
        names=names,
        category_links=tuple((name, f"category/{slug}/") for name, slug in names.items()),
        sources_by_id={s.id: s for s in shown.everyone},
        blog_pages=blog_pages,
        shared_inputs=shared_inputs,
        months=tuple(plan_months(inputs.months, timeline.own, shared_inputs, tz)),
        river=tuple(river),
    )


def site_timeline(
    river: Sequence[Item], inputs: SiteInputs, settings: Settings, now: datetime
) -> Timeline:
    """The ``river``'s items, each knowing when its blog last posted (when ``inputs`` say),
    the own posts, and the time of the newest item."""
    items = _with_blog_dates(river, inputs)
    length = settings.content.summary_length
    pages = [post_item(p, settings.site, length) for p in inputs.posts]
    # Own posts from the owner's own blog feed have no page here; they link to the original.
    own = [i for i in items if i.kind == "post" and i.local_url is None] + pages
    own.sort(key=lambda i: (i.published, i.id), reverse=True)
    updated = max((i.updated for i in items), default=now)
    return Timeline(items, pages, own, updated)


def items_of(
    entries: Sequence[StoredEntry], inputs: SiteInputs, settings: Settings, limit: int
) -> list[Item]:
    """The newest ``limit`` items of ``entries``, each knowing when its blog last posted."""
    chosen = build_timeline(
        (), entries, settings.site, limit, summary_length=settings.content.summary_length
    )
    return _with_blog_dates(chosen, inputs)


def _with_blog_dates(items: Sequence[Item], inputs: SiteInputs) -> list[Item]:
    source_updated = {sid: max(e.updated, e.published) for sid, e in inputs.shown.latest.items()}
    return [
        replace(i, source_updated=source_updated.get(i.source_id)) if i.source_id else i
        for i in items
    ]


def _base_feeds(title: str) -> tuple[AltFeed, ...]:
    return (
        AltFeed(f"{title} (everything)", ATOM, "feed.xml"),
        AltFeed(f"{title} (everything, JSON Feed)", JSON_FEED, "feed.json"),
        AltFeed(f"{title} (own posts)", ATOM, "own.xml"),
        AltFeed(f"{title} (own posts, JSON Feed)", JSON_FEED, "own.json"),
    )
