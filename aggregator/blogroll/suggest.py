"""Blogs your blogs recommend: their own blogrolls, ranked (pure, no I/O).

A blog's homepage may point to its blogroll with ``<link rel="blogroll">`` or
``<link rel="recommendations">``; ``/.well-known/recommendations.opml`` is
tried when it points to none. A blog listed by several of the blogs you follow
ranks above one listed once; blogs you already follow are never suggested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from aggregator.blogroll import parse_opml
from aggregator.models import Blogroll, BlogrollEntry

WELL_KNOWN = "/.well-known/recommendations.opml"
_RELS = {"blogroll", "recommendations"}


@dataclass(frozen=True)
class Suggestion:
    title: str
    site_url: str | None
    feed_url: str | None
    #: Titles of the followed blogs that list it, sorted.
    recommended_by: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "site_url": self.site_url,
            "feed_url": self.feed_url,
            "recommended_by": list(self.recommended_by),
        }


class _RelCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif (
            tag == "link"
            and values.get("href")
            and _RELS & set(values.get("rel", "").lower().split())
        ):
            self.found.append(values["href"])


def blogroll_links(html: str, page_url: str) -> list[str]:
    """The blogroll URLs a homepage advertises, else its well-known recommendations file."""
    collector = _RelCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    links = [urljoin(base, href) for href in collector.found]
    links = [u for u in dict.fromkeys(links) if urlsplit(u).scheme in ("http", "https")]
    return links or [urljoin(page_url, WELL_KNOWN)]


def read_recommendations(text: str, name: str) -> Blogroll:
    """One blog's blogroll (OPML); see ``aggregator.blogroll.parse_opml``."""
    return parse_opml(text, name)


def normalise(url: str) -> str:
    """A URL compared loosely: no scheme, lower-case host without ``www.``, no trailing ``/``."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:  # not a port: compare the URL as written
        return url.strip().lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port in (None, default) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{netloc}{path}{query}"


def _keys(entry: BlogrollEntry) -> set[str]:
    return {normalise(u) for u in (entry.url, entry.feed_url, entry.site_url) if u}


def _title(entry: BlogrollEntry) -> str:
    home = entry.site_url or entry.url
    return entry.title or urlsplit(home).hostname or home


def rank(
    followed: Sequence[BlogrollEntry],
    recommendations: Mapping[str, Blogroll],
    extra_known: Iterable[str] = (),
) -> list[Suggestion]:
    """Blogs the ``recommendations`` (recommender's title → blogroll) list and you don't follow.

    Most recommenders first, ties by title; ``extra_known`` are more URLs you
    already follow (feed URLs the store found by discovery, your own site).
    """
    known = set().union(*(_keys(e) for e in followed)) | {normalise(u) for u in extra_known}
    groups: list[tuple[set[str], BlogrollEntry, set[str]]] = []  # keys, first entry, by
    for recommender, blogroll in recommendations.items():
        for entry in blogroll.entries:
            keys = _keys(entry)
            if not keys or keys & known:
                continue
            for group_keys, _first, by in groups:
                if group_keys & keys:
                    group_keys |= keys
                    by.add(recommender)
                    break
            else:
                groups.append((keys, entry, {recommender}))
    suggestions = [
        Suggestion(
            title=_title(first),
            site_url=first.site_url,
            feed_url=first.feed_url,
            recommended_by=tuple(sorted(by, key=str.casefold)),
        )
        for _keys_, first, by in groups
    ]
    suggestions.sort(key=lambda s: (-len(s.recommended_by), s.title.casefold(), s.title))
    return suggestions
