"""Feed discovery: an HTML page → candidate feed URLs, best first. No I/O here.

Order: ``<link rel="alternate">`` feeds (main feed before comment or tag
feeds), then ``<a>`` links that look like feeds, then common paths.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/rdf+xml": "rdf",
    "application/xml": "xml",
    "text/xml": "xml",
}
COMMON_PATHS = (
    "/feed.xml", "/index.xml", "/rss.xml", "/atom.xml", "/feed/", "/rss/", "/feed",
    "/links/rss.xml", "/feed.json",
)  # fmt: skip
# Whole words only: "vintage" is not a tag feed, "/feedback/" is not a feed.
_SECONDARY = re.compile(r"\b(?:comments?|tags?|categor(?:y|ies)|author)\b", re.IGNORECASE)
_FEED_SEGMENT = re.compile(
    r"^(?:rss|atom|feeds?|rdf)$|^[\w.-]*\.(?:xml|rss|atom|rdf)$|^(?:rss|atom|feed)[\w-]*\.json$"
)


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.alternates: list[tuple[str, str]] = []  # (href, title)
        self.anchors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
                if values.get("hreflang"):
                    return  # a translation's feed, not the main one
                self.alternates.append((values["href"], values.get("title", "")))
        elif tag == "a" and values.get("href"):
            self.anchors.append(values["href"])


def find_feed_links(html: str, page_url: str) -> list[str]:
    """Feed URLs a page points to, best first, as absolute URLs; no guessing."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    alternates = sorted(
        enumerate(collector.alternates),
        key=lambda pair: (_is_secondary(pair[1][0] + " " + pair[1][1]), pair[0]),
    )
    found: list[str] = []
    for _, (href, _title) in alternates:
        _add(found, urljoin(base, href))
    for href in collector.anchors:
        if _looks_like_feed(href) and not _is_secondary(href):
            _add(found, urljoin(base, href))
    return found


def guess_feed_urls(page_url: str) -> list[str]:
    """Common feed locations on the page's host, to try when the page names none."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}"
    return [root + path for path in COMMON_PATHS]


def _looks_like_feed(href: str) -> bool:
    segments = [s for s in urlsplit(href).path.lower().split("/") if s]
    return bool(segments) and bool(_FEED_SEGMENT.match(segments[-1]))


def _is_secondary(text: str) -> bool:
    """A comments, tag, category or author feed rather than the blog's main one."""
    parts = urlsplit(text.split(" ", 1)[0])
    title = text.split(" ", 1)[1] if " " in text else ""
    return bool(_SECONDARY.search(f"{parts.path} {parts.query} {title}"))


def _add(found: list[str], url: str) -> None:
    if urlsplit(url).scheme in ("http", "https") and url not in found:
        found.append(url)
