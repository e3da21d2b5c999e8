"""Links in a homepage, read without I/O: candidate feed URLs and the page's icons.

Feeds, best first: ``<link rel="alternate">`` feeds (main feed before comment
or tag feeds), then ``<a>`` links that look like feeds, then common paths.
Icons: ``<link rel="icon">``, ``shortcut icon`` and ``apple-touch-icon``.
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


#: ``mask-icon`` is left out: a one-colour silhouette for Safari's pinned tabs, not a face.
_ICON_RELS = ("apple-touch-icon", "apple-touch-icon-precomposed", "icon")


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.alternates: list[tuple[str, str]] = []  # (href, title)
        self.anchors: list[str] = []
        self.icons: list[tuple[str, str, str]] = []  # (href, rel, sizes)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower().split(";")[0].strip()
            icon_rel = next((r for r in rels if r in _ICON_RELS), None)
            if icon_rel and values.get("href"):
                self.icons.append((values["href"], icon_rel, values.get("sizes", "").lower()))
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


def find_icon_links(html: str, page_url: str) -> list[str]:
    """The icons a page declares, as absolute http(s) URLs, the sharpest first.

    A face is shown small but on screens of two or three device pixels per CSS
    pixel, so a large declared size (an ``apple-touch-icon`` is 180 px) is better
    than the 16 px ``favicon``; declared sizes go first, largest first, then the
    rest in page order.
    """
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    ranked = sorted(
        enumerate(collector.icons),
        key=lambda pair: (-_icon_size(pair[1][1], pair[1][2]), pair[0]),
    )
    found: list[str] = []
    for _, (href, _rel, _sizes) in ranked:
        if not href.lower().startswith("data:"):
            _add(found, urljoin(base, href))
    return found


def icon_candidates(feed_icon: str | None, declared: list[str], home: str | None) -> list[str]:
    """Where to look for a blog's icon, best first: the feed's own icon, the icons the
    homepage declares, then ``/favicon.ico`` at the root of the homepage's site."""
    found: list[str] = []
    for url in [feed_icon, *declared, favicon_url(home) if home else None]:
        if url:
            _add(found, url)
    return found


def favicon_url(page_url: str) -> str:
    """``/favicon.ico`` on the page's host, where browsers look when a page names no icon."""
    parts = urlsplit(page_url)
    return f"{parts.scheme}://{parts.netloc}/favicon.ico"


def homepage_of(url: str, site_url: str | None) -> str | None:
    """The blog's homepage: the one its feed names, else the blogroll's URL when that is
    not a feed, else the root of the feed's site."""
    for candidate in (site_url, url):
        web = bool(candidate) and urlsplit(candidate or "").scheme in ("http", "https")
        if candidate and web and (candidate is site_url or not _looks_like_feed(candidate)):
            return candidate
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") else None


def _icon_size(rel: str, sizes: str) -> int:
    """The largest declared side in pixels; ``apple-touch-icon`` is 180 unless it says."""
    sides = [int(n) for n in re.findall(r"(\d+)x\d+", sizes)]
    if sides:
        return max(sides)
    if "any" in sizes.split():
        return 512  # scalable
    return 180 if rel.startswith("apple-touch-icon") else 0


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
