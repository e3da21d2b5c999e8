"""Ask the network about blogs: which URLs of a homepage serve a feed, and is a blog alive.

``try_candidates`` is the one fetch-and-try loop: the update pipeline stops at the first
feed it finds, ``aggregator discover`` and ``blogroll check`` list every candidate. The
decisions (which links look like feeds) stay in the pure ``fetch.links``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aggregator.errors import SourceError
from aggregator.fetch.links import find_feed_links, guess_feed_urls
from aggregator.models import BlogrollEntry, Fetched, FetchResult, NotModified, ParsedFeed
from aggregator.parse import looks_like_html, parse_feed

#: Fetch one URL; ``Fetcher.fetch`` in production.
Fetch = Callable[[str], FetchResult]
#: Parse a body: (content, URL, Content-Type) → feed; ``parse_feed`` or its pool.
Parse = Callable[[bytes, str, str | None], ParsedFeed]
Origin = Literal["given", "link", "path"]


@dataclass(frozen=True)
class Tried:
    """One candidate URL and what fetching it gave: a feed, or why not."""

    url: str
    origin: Origin
    fetched: Fetched | None = None
    feed: ParsedFeed | None = None
    #: Why it is not a feed (empty when it is one).
    reason: str = ""


def candidate_urls(html: str, page_url: str) -> list[tuple[str, Origin]]:
    """The page's own feed links first, then the common paths on its host."""
    linked = find_feed_links(html, page_url)
    guessed = [u for u in guess_feed_urls(page_url) if u not in linked]
    return [(u, "link") for u in linked] + [(u, "path") for u in guessed]


def try_candidates(
    fetch: Fetch, html: str, page_url: str, parse: Parse = parse_feed, *, first: bool = False
) -> list[Tried]:
    """Fetch and parse each candidate feed of a page, in order; with ``first``, stop at
    the first that is a feed."""
    tried: list[Tried] = []
    for url, origin in candidate_urls(html, page_url):
        tried.append(_try(fetch, url, origin, parse))
        if first and tried[-1].feed is not None:
            break
    return tried


def _try(fetch: Fetch, url: str, origin: Origin, parse: Parse) -> Tried:
    try:
        result = fetch(url)
        if isinstance(result, NotModified):  # never asked conditionally
            return Tried(url, origin, reason="answered 304 to an unconditional request")
        if looks_like_html(result.content):
            return Tried(url, origin, reason="a web page, not a feed")
        feed = parse(result.content, result.url, result.headers.get("Content-Type"))
    except SourceError as exc:
        return Tried(url, origin, reason=str(exc))
    return Tried(url, origin, result, feed)


@dataclass(frozen=True)
class Candidate:
    """One URL that may be a blog's feed, and what it answered."""

    url: str
    #: ``given``: the URL itself; ``link``: the page links to it; ``path``: a common location.
    origin: Origin
    is_feed: bool
    #: The feed's title when it is one, else why it is not.
    detail: str


@dataclass(frozen=True)
class BlogCheck:
    """``blogroll check``'s verdict on one blog."""

    entry: BlogrollEntry
    feed_url: str | None
    answers: bool
    last_post: datetime | None
    entries: int
    error: str | None


def discover(fetch: Fetch, url: str) -> list[Candidate]:
    """Every candidate feed of ``url``, best first, each tried once.

    A URL that is itself a feed is the only candidate. Otherwise the page's
    own feed links come first, then the common paths on its host.
    """
    try:
        page = _get(fetch, url)
    except SourceError as exc:
        return [Candidate(url, "given", False, str(exc))]
    if not looks_like_html(page[0]):
        return [_try_feed(fetch, url, "given", page)]
    html = page[0].decode("utf-8", errors="replace")
    return [
        Candidate(t.url, t.origin, True, t.feed.title or "untitled feed")
        if t.feed is not None
        else Candidate(t.url, t.origin, False, t.reason)
        for t in try_candidates(fetch, html, page[1])
    ]


def best_feed(candidates: Sequence[Candidate]) -> str | None:
    """The first candidate that answered with a feed."""
    return next((c.url for c in candidates if c.is_feed), None)


def check_blogroll(fetch: Fetch, entries: Sequence[BlogrollEntry], workers: int) -> list[BlogCheck]:
    """Fetch every blog's feed (found by discovery when not given), in blogroll order."""
    with ThreadPoolExecutor(max(1, min(workers, len(entries) or 1))) as pool:
        return list(pool.map(lambda entry: check_blog(fetch, entry), entries))


def check_blog(fetch: Fetch, entry: BlogrollEntry) -> BlogCheck:
    """Whether one blog's feed answers, and the date of its newest post."""
    feed_url = entry.feed_url
    if feed_url is None:
        candidates = discover(fetch, entry.url)
        feed_url = best_feed(candidates)
        if feed_url is None:
            reason = candidates[0].detail if len(candidates) == 1 else "no feed found"
            return BlogCheck(entry, None, False, None, 0, f"{entry.url}: {reason}")
    try:
        content, final_url, content_type = _get(fetch, feed_url)
        feed = parse_feed(content, final_url, content_type)
    except SourceError as exc:
        return BlogCheck(entry, feed_url, False, None, 0, str(exc))
    return BlogCheck(entry, feed_url, True, _newest(feed), len(feed.entries), None)


def _try_feed(
    fetch: Fetch, url: str, origin: Origin, page: tuple[bytes, str, str | None] | None = None
) -> Candidate:
    try:
        content, final_url, content_type = page or _get(fetch, url)
        if looks_like_html(content):
            return Candidate(url, origin, False, "a web page, not a feed")
        feed = parse_feed(content, final_url, content_type)
    except SourceError as exc:
        return Candidate(url, origin, False, str(exc))
    return Candidate(url, origin, True, feed.title or "untitled feed")


def _get(fetch: Fetch, url: str) -> tuple[bytes, str, str | None]:
    result = fetch(url)
    if isinstance(result, NotModified):  # never asked conditionally; treat as empty
        return b"", result.url, None
    return result.content, result.url, result.headers.get("Content-Type")


def _newest(feed: ParsedFeed) -> datetime | None:
    dates = [e.published or e.updated for e in feed.entries]
    return max((d for d in dates if d is not None), default=None)
