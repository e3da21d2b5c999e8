"""The embeddable widget: the latest post of the blogs that posted most recently.

``widget.html`` is an HTML fragment for another site's pages (no script, no
styles or images from elsewhere), ``widget.css`` an optional stylesheet for it
and ``widget.json`` the same data for builds that render it themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment

from aggregator.models import Source, StoredEntry
from aggregator.parse.sanitize import excerpt
from aggregator.publish.pages import render_page
from aggregator.settings.schema import WidgetSettings

#: Characters of the excerpt each widget item shows.
EXCERPT_LENGTH = 160


@dataclass(frozen=True)
class WidgetItem:
    blog: str
    blog_url: str | None
    #: The blog's face or icon, only when it is served from the blog's own origin.
    face: str | None
    letter: str
    title: str
    url: str | None
    excerpt: str
    published: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "blog": self.blog,
            "blog_url": self.blog_url,
            "face": self.face,
            "letter": self.letter,
            "title": self.title,
            "url": self.url,
            "excerpt": self.excerpt,
            "published": self.published.isoformat(),
        }


def _http(url: str | None) -> str | None:
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def own_face(source: Source) -> str | None:
    """The feed's icon, when it lives on the same origin as the blog itself."""
    icon, home = _http(source.feed_icon), _http(source.site_url)
    if icon and home and _origin(icon) == _origin(home):
        return icon
    return None


def widget_items(
    sources: Sequence[Source],
    latest: Mapping[int, StoredEntry],
    count: int,
    category: str | None = None,
) -> list[WidgetItem]:
    """The latest entry of each of the ``count`` blogs that posted most recently."""
    chosen = [
        (latest[s.id], s)
        for s in sources
        if s.id in latest and (category is None or s.category == category)
    ]
    chosen.sort(key=lambda pair: (pair[0].published, pair[0].id), reverse=True)
    items = []
    for entry, source in chosen[:count]:
        name = source.display_title
        items.append(
            WidgetItem(
                blog=name,
                blog_url=_http(source.site_url) or _http(source.url),
                face=own_face(source),
                letter=(name.strip()[:1] or "?").upper(),
                title=entry.title,
                url=_http(entry.url),
                excerpt=excerpt(entry.summary, EXCERPT_LENGTH),
                published=entry.published,
            )
        )
    return items


def widget_files(env: Environment, items: Sequence[WidgetItem]) -> dict[str, bytes]:
    """``widget.html``, ``widget.css`` and ``widget.json``."""
    html = render_page(env, "widget.html", items=items)
    css = render_page(env, "widget.css")
    data = json.dumps([i.as_json() for i in items], indent=2, ensure_ascii=False) + "\n"
    return {"widget.html": html, "widget.css": css, "widget.json": data.encode("utf-8")}


def build_widget(
    settings: WidgetSettings,
    env: Environment,
    sources: Sequence[Source],
    latest: Mapping[int, StoredEntry],
) -> dict[str, bytes]:
    """The widget's files for ``build_site``."""
    return widget_files(env, widget_items(sources, latest, settings.count, settings.category))
