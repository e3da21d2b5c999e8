"""What the pages read from the store, and so what retention must keep.

``PageWindows`` is the one place that says how many entries each page reads:
``read_inputs`` reads exactly those for a build, and ``shown_entry_ids``
names the same entries for ``[retention]``, so a window changed here changes
both what the pages show and what is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from aggregator.blogroll import load_blogroll
from aggregator.errors import BlogrollError
from aggregator.models import Blogroll, Post, Source, StoredEntry
from aggregator.publish.clock import local_day, zone
from aggregator.publish.timeline import month_start
from aggregator.settings import Settings
from aggregator.store import Store

#: How far back a blog's activity chart reaches: 12 months and a few days.
ACTIVITY_SPAN = timedelta(days=372)

#: The blogroll section of a blog without a category.
DEFAULT_CATEGORY = "Blogs"


@dataclass(frozen=True)
class PageWindows:
    """How many entries each kind of page reads."""

    #: Items on one river page.
    per_page: int
    #: Numbered river pages.
    pages: int
    #: At most this many items of one blog on a river or category page.
    per_source: int
    #: Items in each Atom and JSON feed.
    feed: int
    #: Months of monthly archives, counted back from the newest item (0: every month).
    archive_months: int

    @classmethod
    def from_settings(cls, settings: Settings) -> PageWindows:
        out = settings.output
        return cls(
            per_page=out.items,
            pages=out.pages,
            per_source=out.per_source,
            feed=out.feed_items,
            archive_months=out.archive_months,
        )

    @property
    def river(self) -> int:
        """Entries read for the river pages and the site-wide feeds."""
        return self.per_page * self.pages

    @property
    def category(self) -> int:
        """Entries read per category: its feed, and one fair-shared page (twice a page
        is room enough for the fair share)."""
        return max(self.per_page * 2, self.feed)

    @property
    def blog(self) -> int:
        """Newest entries read per blog for its own page (which also lists every entry of
        the blog that the river shows, folded or not)."""
        return self.feed


@dataclass(frozen=True)
class ShownEntries:
    """The stored entries the river, category pages, feeds and blogroll show: only
    those of blogs on the blogroll (and of the owner's own feed)."""

    #: Every source, retired ones too (archived headlines still name them).
    everyone: tuple[Source, ...]
    #: The blogs on the blogroll, in blogroll order.
    sources: tuple[Source, ...]
    #: The newest entries of all sources, for the river and the site-wide feeds.
    river: tuple[StoredEntry, ...]
    #: Each source's newest entry, for the blogroll.
    latest: dict[int, StoredEntry]
    #: Each category's newest entries, by category name in blogroll order.
    categories: dict[str, tuple[StoredEntry, ...]]
    #: Each blog's newest entries, for its own page, by source id.
    blogs: dict[int, tuple[StoredEntry, ...]] = field(default_factory=dict)

    def ids(self) -> set[int]:
        shown = {e.id for e in self.river}
        shown.update(e.id for e in self.latest.values())
        for entries in (*self.categories.values(), *self.blogs.values()):
            shown.update(e.id for e in entries)
        return shown


@dataclass(frozen=True)
class MonthInputs:
    """What the store holds for one archived month: a count and a digest of it."""

    start: datetime
    end: datetime
    count: int
    digest: str


@dataclass(frozen=True)
class SiteInputs:
    windows: PageWindows
    shown: ShownEntries
    posts: tuple[Post, ...]
    #: When the newest stored entry was published.
    newest_entry: datetime | None
    #: The store's side of the monthly archives in the window, newest first.
    months: tuple[MonthInputs, ...]
    #: The blogroll file as written, for its heading and prose (None when unreadable).
    blogroll: Blogroll | None = None
    #: Each source's entry dates over the last year, for its activity chart.
    activity: dict[int, list[datetime]] = field(default_factory=dict)


def categories_of(sources: Sequence[Source]) -> dict[str, list[Source]]:
    """The blogs by blogroll category, in blogroll order."""
    by_category: dict[str, list[Source]] = {}
    for source in sources:
        by_category.setdefault(source.category or DEFAULT_CATEGORY, []).append(source)
    return by_category


def read_shown(
    store: Store, windows: PageWindows, *, full_content: bool = False, blogs: bool = True
) -> ShownEntries:
    """Read the entries the pages show, and the sources they belong to; the blogs' pages
    get their entries' content only with ``full_content`` (they show excerpts otherwise).
    Without ``blogs``, neither the blogs' pages' entries nor each blog's latest entry is
    read (``with_blog_entries`` reads them later)."""
    everyone = tuple(store.list_sources(include_retired=True))
    # The owner's own blog feed is followed like a source but is not on the blogroll.
    sources = tuple(s for s in everyone if s.active and not s.is_own)
    categories = {
        name: tuple(store.recent_entries(windows.category, source_ids=[s.id for s in members]))
        for name, members in categories_of(sources).items()
    }
    shown = ShownEntries(
        everyone=everyone,
        sources=sources,
        # A blog taken off the blogroll leaves the river and the feeds at once; its entries
        # stay stored until retention, so putting it back restores them.
        river=tuple(store.recent_entries(windows.river, active_only=True)),
        latest={},
        categories=categories,
    )
    return _with_blogs(shown, store, windows, full_content) if blogs else shown


def _with_blogs(
    shown: ShownEntries, store: Store, windows: PageWindows, full_content: bool
) -> ShownEntries:
    # The owner's feed is read too: its newest entry dates the river's own items.
    newest = store.newest_by_source(
        [s.id for s in shown.everyone if s.active or s.is_own], windows.blog, content=full_content
    )
    blogs = {s.id: tuple(newest.entries[s.id]) for s in shown.sources}
    return replace(shown, latest=newest.latest, blogs=blogs)


def shown_entry_ids(store: Store, windows: PageWindows) -> set[int]:
    """Ids of the entries the pages and feeds show; retention keeps them."""
    return read_shown(store, windows).ids()


def archive_window(newest: date, months: int, oldest: date | None = None) -> list[date]:
    """The first days of the archived months, newest first: the ``months`` months ending
    with ``newest``'s, or with 0 every month from ``newest``'s back to ``oldest``'s."""
    if not months:
        start = oldest or newest
        months = (newest.year - start.year) * 12 + newest.month - start.month + 1
    return [month_start(newest, back) for back in range(max(months, 1))]


def read_inputs(
    store: Store,
    settings: Settings,
    now: datetime,
    posts: Sequence[Post],
    *,
    blogs: bool = True,
) -> SiteInputs:
    """Read from the store exactly what the pages show (and, for the blogroll page's
    heading and prose, the blogroll file).

    The archives' headlines are not read here: only each month's count and
    digest, so that a month whose page is already right is not read again.
    Without ``blogs``, the blogs' pages' entries (the largest read) are left for
    ``with_blog_entries``.
    """
    windows = PageWindows.from_settings(settings)
    shown = read_shown(store, windows, full_content=_full_content(settings), blogs=blogs)
    newest_entry = store.newest_entry_date()
    # Entries from the owner's own feed are in the store, so the posts are all that is left.
    newest_post = max((p.published for p in posts), default=None)
    newest = max([d for d in (newest_entry, newest_post) if d], default=now)
    oldest = store.oldest_entry_date()
    tz = zone(settings.site.timezone)
    months = []
    window = archive_window(
        local_day(newest, tz), windows.archive_months, local_day(oldest, tz) if oldest else None
    )
    for first in window:
        start, end = month_bounds(first, tz)
        count, digest = store.entries_digest(start, end)
        months.append(MonthInputs(start, end, count, digest))
    return SiteInputs(
        windows,
        shown,
        tuple(posts),
        newest_entry,
        tuple(months),
        read_blogroll_page(settings),
        store.entry_dates_since(now - ACTIVITY_SPAN),
    )


def with_blog_entries(inputs: SiteInputs, store: Store, settings: Settings) -> SiteInputs:
    """``inputs`` read without ``blogs``, with the blogs' pages' entries and each blog's
    latest entry read now."""
    shown = _with_blogs(inputs.shown, store, inputs.windows, _full_content(settings))
    return replace(inputs, shown=shown)


def _full_content(settings: Settings) -> bool:
    return settings.output.river == "full"


def read_blogroll_page(settings: Settings) -> Blogroll | None:
    """The blogroll file, for the page's heading and the owner's prose; the blogs themselves
    come from the store. A file that cannot be read now gives the generic page."""
    try:
        return load_blogroll(settings.blogroll.file)
    except BlogrollError:
        return None


def month_bounds(first: date, tz: tzinfo = UTC) -> tuple[datetime, datetime]:
    """The month starting on ``first`` as ``start <= t < end``, in the site's time zone."""
    following = month_start(date(first.year, first.month, 28), -1)
    start = datetime(first.year, first.month, 1, tzinfo=tz)
    return start, datetime(following.year, following.month, 1, tzinfo=tz)
