"""Publish the site: pages, Atom feeds and the blogroll OPML, written atomically.

``build_site`` reads the store and the posts folder, merges them into a
timeline and writes every file that changed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jinja2 import Environment, FileSystemLoader

from aggregator.blogroll import build_opml
from aggregator.errors import PostError, PublishError
from aggregator.models import Blogroll, BlogrollEntry, Headline, Item, Post, Source, StoredEntry
from aggregator.parse.sanitize import sanitize_html
from aggregator.posts import load_posts, render_markdown
from aggregator.publish.atom import FeedInfo, build_atom
from aggregator.publish.files import write_all_atomic
from aggregator.publish.json_feed import build_json_feed
from aggregator.publish.pages import make_environment, read_stylesheet, render_page
from aggregator.publish.timeline import (
    build_timeline,
    fair_pages,
    group_by,
    group_by_day,
    month_start,
    post_item,
)
from aggregator.publish.views import BlogView, CategoryView, age, blog_health, unique_slugs
from aggregator.settings import Settings
from aggregator.store import Store


@dataclass(frozen=True)
class BuildOutcome:
    written: tuple[str, ...]
    unchanged: int
    items: int
    posts: int
    post_errors: tuple[PostError, ...] = field(default=())
    #: The feed files (Atom and JSON Feed) among ``written``: what WebSub hubs are told of.
    feeds_written: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        return (
            f"site: {len(self.written)} files written, {self.unchanged} unchanged; "
            f"{self.items} items, {self.posts} own posts, {len(self.post_errors)} posts with errors"
        )


@dataclass(frozen=True)
class AltFeed:
    """A ``<link rel="alternate">`` in a page's head."""

    title: str
    type: str
    href: str


ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
#: Folders whose every file the build owns; files it no longer writes there are removed.
MANAGED_DIRS = ("posts", "page", "archive", "tags", "category")


def build_site(settings: Settings, store: Store, now: datetime) -> BuildOutcome:
    """Write the whole site into ``settings.output.dir``; unchanged files are not touched.

    Only what the pages show is read from the store: the newest entries for
    the river and the feeds, each category's newest, the headlines of the
    archived months, and each blog's latest entry.
    """
    site, out = settings.site, settings.output
    length = settings.content.summary_length
    loaded = load_posts(
        settings.own.posts_dir, site.url, permalink=settings.own.permalink, summary_length=length
    )
    everyone = store.list_sources(include_retired=True)
    # The owner's own blog feed is followed like a source but is not on the blogroll.
    sources = [s for s in everyone if s.active and not s.is_own]
    latest = store.latest_entries_by_source()
    source_updated = {sid: max(e.updated, e.published) for sid, e in latest.items()}

    def items_of(entries: Sequence[StoredEntry], posts: Sequence[Post], limit: int) -> list[Item]:
        return [
            replace(i, source_updated=source_updated.get(i.source_id)) if i.source_id else i
            for i in build_timeline(posts, entries, site, limit, summary_length=length)
        ]

    window = out.items * out.pages
    items = items_of(store.recent_entries(window), loaded.posts, window)
    pages = [post_item(p, site, length) for p in loaded.posts]
    # Own posts from the owner's own blog feed have no page here; they link to the original.
    own = [i for i in items if i.kind == "post" and i.local_url is None] + pages
    own.sort(key=lambda i: (i.published, i.id), reverse=True)
    updated = max((i.updated for i in items), default=now)
    own_updated = max((i.updated for i in own), default=updated)

    env = make_environment(out.templates_dir)
    base_feeds = (
        AltFeed(f"{site.title} (everything)", ATOM, "feed.xml"),
        AltFeed(f"{site.title} (everything, JSON Feed)", JSON_FEED, "feed.json"),
        AltFeed(f"{site.title} (own posts)", ATOM, "own.xml"),
        AltFeed(f"{site.title} (own posts, JSON Feed)", JSON_FEED, "own.json"),
    )
    names = unique_slugs(list(dict.fromkeys(s.category or "Blogs" for s in sources)))

    def page(
        template: str, path: str, title: str, extra_feeds: Sequence[AltFeed] = (), **kw: Any
    ) -> None:
        root = "../" * path.count("/")
        files[path] = render_page(
            env,
            template,
            site=site,
            generated_at=updated,
            root=root,
            page_title=title,
            feeds=[*base_feeds, *extra_feeds],
            category_links=[(name, f"category/{slug}/") for name, slug in names.items()],
            **kw,
        )

    files: dict[str, bytes] = {"style.css": read_stylesheet(env)}
    kept: set[str] = set()  # pages known to be right without rendering them
    feed_files: set[str] = set()
    hubs = settings.websub.hubs

    def feeds(stem: str, chosen: Sequence[Item], title: str, feed_updated: datetime) -> None:
        atom_url, json_url = urljoin(site.url, f"{stem}.xml"), urljoin(site.url, f"{stem}.json")
        files[f"{stem}.xml"] = build_atom(
            chosen, site, FeedInfo(title, atom_url, feed_updated, hubs)
        )
        files[f"{stem}.json"] = build_json_feed(
            chosen, site, FeedInfo(title, json_url, feed_updated, hubs)
        )
        feed_files.update((f"{stem}.xml", f"{stem}.json"))

    feeds("feed", items[: out.feed_items], site.title, updated)
    feeds("own", own[: out.feed_items], f"{site.title} (own posts)", own_updated)

    # The river: fair-shared numbered pages.
    river = fair_pages(items, out.items, out.per_source, out.pages) or [[]]
    for number, chosen in enumerate(river, start=1):
        path = "index.html" if number == 1 else f"page/{number}/index.html"
        page(
            "index.html",
            path,
            site.title if number == 1 else f"Page {number} · {site.title}",
            days=group_by_day(chosen),
            number=number,
            page_count=len(river),
            heading=site.title,
            active="river",
        )

    # The blogroll, one section per category, and a river and feeds per category.
    by_category: dict[str, list[Source]] = {}
    for source in sources:
        by_category.setdefault(source.category or "Blogs", []).append(source)
    categories = []
    for name, members in by_category.items():
        slug = names[name]
        blogs = tuple(_blog_view(s, latest.get(s.id), now, out.quiet_months) for s in members)
        categories.append(CategoryView(name, slug, blogs))
        # One fair-shared page and a feed: twice a page is room enough for the fair share.
        limit = max(out.items * 2, out.feed_items)
        chosen = items_of(store.recent_entries_of([s.id for s in members], limit), (), limit)
        cat_updated = max((i.updated for i in chosen), default=updated)
        feeds(
            f"category/{slug}/feed", chosen[: out.feed_items], f"{site.title}: {name}", cat_updated
        )
        cat_feeds = (
            AltFeed(f"{site.title}: {name}", ATOM, f"category/{slug}/feed.xml"),
            AltFeed(f"{site.title}: {name} (JSON Feed)", JSON_FEED, f"category/{slug}/feed.json"),
        )
        first = (fair_pages(chosen, out.items, out.per_source, 1) or [[]])[0]
        page(
            "category.html",
            f"category/{slug}/index.html",
            f"{name} · {site.title}",
            cat_feeds,
            category=categories[-1],
            days=group_by_day(first),
            active="blogroll",
        )
    page(
        "blogroll.html",
        "blogroll.html",
        f"Blogroll · {site.title}",
        categories=categories,
        active="blogroll",
    )
    files["blogroll.opml"] = build_opml(_blogroll(sources, site.title))
    page(
        "status.html",
        "status.html",
        f"Status · {site.title}",
        sources=sources,
        active="status",
    )

    # Own posts, one page each, and a page per tag.
    tag_slugs = _tag_slugs(pages)
    for index, item in enumerate(pages):
        newer = pages[index - 1] if index > 0 else None
        older = pages[index + 1] if index + 1 < len(pages) else None
        page(
            "post.html",
            f"{item.local_url}index.html",
            f"{item.title} · {site.title}",
            post=_post_view(item),
            tag_slugs=tag_slugs,
            previous=older,
            next=newer,
            active="post",
        )
    tags: dict[str, list[Item]] = {}
    for item in pages:
        for tag in item.tags:
            tags.setdefault(tag, []).append(item)
    for tag, tagged in sorted(tags.items()):
        page(
            "tag.html",
            f"tags/{tag_slugs[tag]}/index.html",
            f"Tagged {tag} · {site.title}",
            tag=tag,
            posts=tagged,
            active="post",
        )
    page(
        "tags.html",
        "tags/index.html",
        f"Tags · {site.title}",
        tags=[(tag, tag_slugs[tag], len(tags[tag])) for tag in sorted(tags)],
        active="post",
    )

    # Monthly archives: headlines only, for the last archive_months months (own posts always).
    # A month whose page already carries the digest of its inputs is not rendered again.
    newest = max(
        [d for d in (store.newest_entry_date(), own[0].published if own else None) if d],
        default=now,
    )
    shared_inputs = _digest(
        _templates_digest(env),
        repr(site),
        updated.isoformat(),
        repr(sorted(names.items())),
        repr([(s.id, s.display_title, s.site_url) for s in everyone]),
    )
    by_id = {s.id: s for s in everyone}
    own_by_month = group_by(own, lambda i: (i.published.year, i.published.month))
    own_months = {month: posts for month, posts in own_by_month}
    window_months = [month_start(newest.date(), back) for back in range(out.archive_months)]
    months = sorted({(m.year, m.month) for m in window_months} | set(own_months), reverse=True)
    in_window = {(m.year, m.month) for m in window_months}
    archived: list[tuple[date, int]] = []
    for year, month in months:
        start = datetime(year, month, 1, tzinfo=UTC)
        following = month_start(date(year, month, 28), -1)
        end = datetime(following.year, following.month, 1, tzinfo=UTC)
        count, digest = store.entries_digest(start, end) if (year, month) in in_window else (0, "")
        month_own = own_months.get((year, month), [])
        if not count and not month_own:
            continue
        archived.append((date(year, month, 1), count + len(month_own)))
        path = f"archive/{year:04d}/{month:02d}/index.html"
        inputs = _digest(shared_inputs, digest, repr([_post_row(i) for i in month_own]))
        if _carries_inputs(out.dir / path, inputs):
            kept.add(path)
            continue
        rows = (
            [_headline_row(h, by_id) for h in store.headlines_between(start, end)] if count else []
        )
        rows += [_post_row(i) for i in month_own]
        rows.sort(key=lambda r: (r.published, r.url), reverse=True)
        page(
            "archive_month.html",
            path,
            f"{date(year, month, 1):%B %Y} · {site.title}",
            month=date(year, month, 1),
            days=group_by(rows, lambda r: r.published.date()),
            inputs=inputs,
            active="archive",
        )
    page(
        "archive.html",
        "archive/index.html",
        f"Archive · {site.title}",
        months=archived,
        active="archive",
    )

    written, unchanged = _write_all(out.dir, files)
    _prune(out.dir, set(files) | kept)
    written_folders = {name.rpartition("/")[0] + "/" for name in set(files) | kept}
    _prune_posts(out.dir, written_folders, settings.own.permalink)
    return BuildOutcome(
        written=tuple(written),
        unchanged=unchanged + len(kept),
        items=len(items),
        posts=len(pages),
        post_errors=loaded.errors,
        feeds_written=tuple(name for name in written if name in feed_files),
    )


_INPUTS = re.compile(rb'<meta name="aggregator-inputs" content="([0-9a-f]{64})">')


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _templates_digest(env: Environment) -> str:
    loader = env.loader
    assert isinstance(loader, FileSystemLoader)
    digest = hashlib.sha256()
    for folder in loader.searchpath:
        for path in sorted(Path(folder).glob("*")):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _carries_inputs(path: Path, inputs: str) -> bool:
    """Whether the page at ``path`` was rendered from exactly these inputs."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    match = _INPUTS.search(head)
    return match is not None and match.group(1).decode() == inputs


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


def _headline_row(headline: Headline, sources: dict[int, Source]) -> ArchiveRow:
    source = sources.get(headline.source_id)
    return ArchiveRow(
        title=headline.title,
        url=headline.url or (source.site_url if source else None) or "",
        local_url=None,
        published=headline.published,
        source_title=source.display_title if source else "",
        source_url=source.site_url if source else None,
        own=False,
    )


def _post_row(item: Item) -> ArchiveRow:
    return ArchiveRow(
        item.title, item.url, item.local_url, item.published, item.source_title, None, True
    )


def _tag_slugs(own: Sequence[Item]) -> dict[str, str]:
    return unique_slugs(sorted({tag for item in own for tag in item.tags}))


def _blog_view(
    source: Source, latest: StoredEntry | None, now: datetime, quiet_months: int
) -> BlogView:
    return BlogView(
        title=source.display_title,
        site_url=source.site_url,
        feed_url=source.feed_url,
        note_html=sanitize_html(render_markdown(source.note)) if source.note else "",
        recommended=source.recommended,
        latest=latest,
        latest_age=age(latest.published, now) if latest else None,
        health=blog_health(source, latest.published if latest else None, now, quiet_months),
        last_error=source.last_error,
    )


@dataclass(frozen=True)
class _PostView:
    title: str
    published: datetime
    updated: datetime | None
    tags: tuple[str, ...]
    content_html: str
    url: str


def _post_view(item: Item) -> _PostView:
    return _PostView(
        title=item.title,
        published=item.published,
        updated=item.updated if item.updated != item.published else None,
        tags=item.tags,
        content_html=item.content_html,
        url=item.url,
    )


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


def _write_all(output: Path, files: dict[str, bytes]) -> tuple[list[str], int]:
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"{output}: cannot create output folder: {exc.strerror}") from None
    return write_all_atomic(output, files)


def _prune(output: Path, keep: set[str]) -> None:
    """Remove files the build no longer writes (a deleted post, a page that emptied)."""
    for folder in MANAGED_DIRS:
        top = output / folder
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*"), reverse=True):
            name = path.relative_to(output).as_posix()
            if path.is_file() and name not in keep:
                path.unlink(missing_ok=True)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if not any(top.iterdir()):
            top.rmdir()


def _prune_posts(output: Path, pages: set[str], pattern: str) -> None:
    """Remove pages of posts that no longer exist (deleted, or turned back into drafts).

    A page is a post page when its folder matches the permalink pattern. Pages
    under an earlier pattern are left alone, so that old links keep working.
    """
    shape = _pattern_regex(pattern)
    root = output.resolve()
    if not root.is_dir():
        return
    for index in sorted(root.rglob("index.html")):
        folder = index.parent
        local = folder.relative_to(root).as_posix() + "/"
        if local in pages or not shape.fullmatch(local):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        for parent in folder.parents:
            if parent == root:
                break
            try:
                parent.rmdir()  # only when empty: another post may live beside it
            except OSError:
                break


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    fields = {"slug": r"[^/]+", "year": r"\d{4}", "month": r"\d{2}", "day": r"\d{2}"}
    parts = []
    for literal, name, _, _ in string.Formatter().parse(pattern.lstrip("/")):
        parts.append(re.escape(literal))
        if name:
            parts.append(fields.get(name, r"[^/]+"))
    return re.compile("".join(parts))
