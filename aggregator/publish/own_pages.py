"""Pure: the pages of the owner's posts — one per post, the list of posts, tags, aliases.

``with_own_pages`` adds them to a plan, as ``with_suggestions`` adds to the
blogroll page; nothing here reads the disk or renders.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urljoin

from aggregator.models import Item, Post
from aggregator.posts.toc import build_toc
from aggregator.publish.blog_pages import BlogPageOutput
from aggregator.publish.plan import Output, PageSpec, SitePlan
from aggregator.publish.timeline import group_by, post_item
from aggregator.publish.views import unique_slugs
from aggregator.settings import Settings

log = logging.getLogger(__name__)

#: The list of the owner's posts, which the "Own posts" link opens.
POSTS_INDEX = "posts/index.html"


@dataclass(frozen=True)
class PostView:
    """What a post's page shows."""

    title: str
    published: datetime
    updated: datetime | None
    tags: tuple[str, ...]
    content_html: str
    url: str
    reading_minutes: int
    cover_image: str | None
    cover_alt: str
    #: The ``<nav>`` of its headings, or "".
    toc_html: str


def with_own_pages(plan: SitePlan, posts: Sequence[Post], settings: Settings) -> SitePlan:
    """The plan with a page per own post, ``posts/index.html``, tag pages and alias pages."""
    site = settings.site
    items = [post_item(p, site, settings.content.summary_length) for p in posts]
    outputs = [*plan.outputs, *own_pages(items, posts, site.title, site.url)]
    taken = {o.path for o in outputs if isinstance(o, PageSpec | BlogPageOutput)}
    outputs += alias_pages(posts, site.url, site.title, taken)
    return replace(plan, outputs=tuple(outputs))


def own_pages(
    items: Sequence[Item], posts: Sequence[Post], title: str, site_url: str
) -> list[Output]:
    """Own posts (``items``, newest first, with their ``posts``), a page per tag, the lists."""
    by_page = {p.local_path: p for p in posts}
    tag_slugs = unique_slugs(sorted({tag for item in items for tag in item.tags}))
    outputs: list[Output] = []
    for index, item in enumerate(items):
        newer = items[index - 1] if index > 0 else None
        older = items[index + 1] if index + 1 < len(items) else None
        post = by_page[item.local_url or ""]
        context = {
            "post": post_view(item, post),
            "tag_slugs": tag_slugs,
            "previous": older,
            "next": newer,
            "active": "post",
            "description": item.summary,
            "og_type": "article",
            "og_title": item.title,
            "og_image": post.cover_image,
        }
        outputs.append(
            PageSpec("post.html", f"{item.local_url}index.html", f"{item.title} · {title}", context)
        )
    tags: dict[str, list[Item]] = {}
    for item in items:
        for tag in item.tags:
            tags.setdefault(tag, []).append(item)
    for tag, tagged in sorted(tags.items()):
        outputs.append(
            PageSpec(
                "tag.html",
                f"tags/{tag_slugs[tag]}/index.html",
                f"Tagged {tag} · {title}",
                {"tag": tag, "posts": tagged, "active": "post"},
            )
        )
    listing = [(tag, tag_slugs[tag], len(tags[tag])) for tag in sorted(tags)]
    outputs.append(
        PageSpec(
            "tags.html", "tags/index.html", f"Tags · {title}", {"tags": listing, "active": "post"}
        )
    )
    years = group_by(items, lambda i: i.published.year)
    outputs.append(
        PageSpec(
            "posts.html",
            POSTS_INDEX,
            f"Own posts · {title}",
            {"years": years, "tag_slugs": tag_slugs, "active": "post"},
        )
    )
    return outputs


def post_view(item: Item, post: Post) -> PostView:
    """A post's page: its item, with what only the page shows."""
    return PostView(
        title=item.title,
        published=item.published,
        updated=item.updated if item.updated != item.published else None,
        tags=item.tags,
        content_html=item.content_html,
        url=item.url,
        reading_minutes=post.reading_minutes,
        cover_image=post.cover_image,
        cover_alt=post.cover_alt,
        toc_html=build_toc(item.content_html, open_=post.toc_open) if post.toc else "",
    )


def alias_path(alias: str) -> str:
    """The file of an old path: ``old/path/`` and ``old/path`` are ``old/path/index.html``."""
    clean = alias.strip("/")
    last = clean.rsplit("/", 1)[-1]
    return clean if "." in last else f"{clean}/index.html"


def alias_pages(
    posts: Sequence[Post], site_url: str, title: str, taken: set[str]
) -> list[PageSpec]:
    """A small page at each old path of a post that sends readers on to the post.

    An old path that another page now uses keeps that page, with a warning.
    """
    pages: list[PageSpec] = []
    for post in posts:
        for alias in post.aliases:
            path = alias_path(alias)
            if path in taken:
                log.warning(
                    "post=%s alias=/%s skipped: the site already has a page there", post.path, alias
                )
                continue
            taken.add(path)
            # Relative, so the page works under any host; the canonical link is absolute.
            here = posixpath.dirname(path) or "."
            relative = posixpath.relpath(post.local_path or ".", here)
            target = relative if relative.endswith("/") or relative == "." else relative + "/"
            context = {
                "target": urljoin(site_url, post.local_path),
                "target_relative": "./" if target == "./" or target == "." else target,
                "post_title": post.title,
                "active": None,
                "description": post.summary,
            }
            pages.append(PageSpec("alias.html", path, f"{post.title} · {title}", context))
    return pages
