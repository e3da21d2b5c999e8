"""Publish the site: pages, Atom feeds and the blogroll OPML, written atomically.

``build_site`` reads the store and the posts folder, merges them into a
timeline and writes every file that changed.
"""

from __future__ import annotations

import re
import shutil
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

from aggregator.blogroll import build_opml
from aggregator.errors import PostError, PublishError
from aggregator.models import Blogroll, BlogrollEntry, Item, Recommended, Source, StoredEntry
from aggregator.posts import load_posts, render_markdown
from aggregator.publish.feeds import FeedInfo, build_atom
from aggregator.publish.files import write_atomic
from aggregator.publish.pages import make_environment, read_stylesheet, render_page
from aggregator.sanitize import sanitize_html
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.timeline import build_timeline, post_item


@dataclass(frozen=True)
class BuildOutcome:
    written: tuple[str, ...]
    unchanged: int
    items: int
    posts: int
    post_errors: tuple[PostError, ...] = field(default=())

    def summary(self) -> str:
        return (
            f"site: {len(self.written)} files written, {self.unchanged} unchanged; "
            f"{self.items} items, {self.posts} own posts, {len(self.post_errors)} posts with errors"
        )


@dataclass(frozen=True)
class BlogView:
    title: str
    site_url: str | None
    feed_url: str | None
    note_html: str
    recommended: tuple[Recommended, ...]
    latest: StoredEntry | None
    health: Literal["ok", "failing", "new"]
    last_error: str | None


@dataclass(frozen=True)
class CategoryView:
    name: str
    sources: tuple[BlogView, ...]


def build_site(settings: Settings, store: Store, now: datetime) -> BuildOutcome:
    """Write the whole site into ``settings.output.dir``; unchanged files are not touched."""
    site = settings.site
    length = settings.content.summary_length
    loaded = load_posts(
        settings.own.posts_dir, site.url, permalink=settings.own.permalink, summary_length=length
    )
    entries = store.recent_entries(settings.output.items)
    items = build_timeline(
        loaded.posts, entries, site, settings.output.items, summary_length=length
    )
    pages = [post_item(p, site, length) for p in loaded.posts]
    # Own posts from the owner's own blog feed have no page here; they link to the original.
    own = [i for i in items if i.kind == "post" and i.local_url is None] + pages
    own.sort(key=lambda i: (i.published, i.id), reverse=True)
    sources = [s for s in store.list_sources() if not s.is_own]
    updated = max((i.updated for i in items), default=now)

    env = make_environment()
    common = {"site": site, "generated_at": updated}
    files: dict[str, bytes] = {
        "style.css": read_stylesheet(env),
        "index.html": render_page(
            env, "index.html", items=items, root="", page_title=site.title, **common
        ),
        "blogroll.html": render_page(
            env,
            "blogroll.html",
            categories=_categories(sources, store.latest_entries_by_source()),
            root="",
            page_title=f"Blogroll · {site.title}",
            **common,
        ),
        "feed.xml": build_atom(
            items, site, FeedInfo(site.title, urljoin(site.url, "feed.xml"), updated)
        ),
        "own.xml": build_atom(
            own[: settings.output.items],
            site,
            FeedInfo(
                f"{site.title} (own posts)",
                urljoin(site.url, "own.xml"),
                max((i.updated for i in own), default=updated),
            ),
        ),
        "blogroll.opml": build_opml(_blogroll(sources, site.title)),
    }
    for index, item in enumerate(pages):
        newer = pages[index - 1] if index > 0 else None
        older = pages[index + 1] if index + 1 < len(pages) else None
        local = item.local_url or ""
        files[f"{local}index.html"] = render_page(
            env,
            "post.html",
            post=_post_view(item),
            previous=older,
            next=newer,
            root="../" * local.count("/"),
            page_title=f"{item.title} · {site.title}",
            **common,
        )
    written, unchanged = _write_all(settings.output.dir, files)
    _prune_posts(settings.output.dir, {i.local_url or "" for i in pages}, settings.own.permalink)
    return BuildOutcome(
        written=tuple(written),
        unchanged=unchanged,
        items=len(items),
        posts=len(pages),
        post_errors=loaded.errors,
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


def _categories(sources: Sequence[Source], latest: dict[int, StoredEntry]) -> list[CategoryView]:
    grouped: dict[str, list[BlogView]] = {}
    for source in sources:
        health: Literal["ok", "failing", "new"] = (
            "new"
            if source.last_result is None
            else "failing"
            if source.last_result == "error"
            else "ok"
        )
        grouped.setdefault(source.category or "Blogs", []).append(
            BlogView(
                title=source.display_title,
                site_url=source.site_url,
                feed_url=source.feed_url,
                note_html=sanitize_html(render_markdown(source.note)) if source.note else "",
                recommended=source.recommended,
                latest=latest.get(source.id),
                health=health,
                last_error=source.last_error,
            )
        )
    return [CategoryView(name, tuple(blogs)) for name, blogs in grouped.items()]


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
    written: list[str] = []
    unchanged = 0
    for name, data in files.items():
        if write_atomic(output / name, data):
            written.append(name)
        else:
            unchanged += 1
    return written, unchanged


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
