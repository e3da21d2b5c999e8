"""The one adapter around feedparser: response bytes + URL → ParsedFeed.

No other module imports feedparser. feedparser's own sanitizer is off: its
output goes through our stricter allow-list (``sanitize``) instead.
"""

from __future__ import annotations

import hashlib
import re
import xml.sax
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser

from aggregator.errors import ParseError
from aggregator.models import ParsedEntry, ParsedFeed
from aggregator.sanitize import clean_title, excerpt, html_to_text, sanitize_html

SUMMARY_LENGTH = 280
_PROLOGUE = re.compile(rb"^(?:\s*(?:<\?.*?\?>|<!--.*?-->))*", re.DOTALL)


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document; raise ParseError when it is not a feed at all."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Relative URLs are resolved by our sanitizer: feedparser's own pass re-parses every
    # piece of HTML in pure Python and took half of the parse time.
    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.entries:
        detail = f": {_first_line(problem)}" if problem else ""
        raise ParseError(f"{url}: not a feed (RSS, Atom or RDF){detail}")
    # A document that is not well-formed XML may be cut off or garbled: what a lenient
    # parse recovers from it can be wrong, so the source fails and keeps its entries.
    if isinstance(problem, xml.sax.SAXException):
        raise ParseError(f"{url}: {_first_line(problem)}")
    feed = parsed.feed
    # RFC 4287 §4.2.1: an entry without an author has the feed's.
    feed_author = _title(feed, "author") or None
    entries = []
    for raw in parsed.entries:
        entry = _entry(raw, feed_author, url)
        if entry is not None:
            entries.append(entry)
    return ParsedFeed(
        title=_title(feed, "title") or None,
        site_url=_http_url(feed.get("link")),
        entries=tuple(entries),
        publisher_interval=_publisher_interval(feed),
    )


_SY_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}


def _publisher_interval(feed: Any) -> timedelta | None:
    """What the feed asks for: RSS ``<ttl>`` minutes, or ``sy:updatePeriod``/``Frequency``."""
    intervals = []
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit() and int(ttl) > 0:
        intervals.append(timedelta(minutes=int(ttl)))
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period is not None:
        frequency = str(feed.get("sy_updatefrequency", "1")).strip()
        intervals.append(period / (int(frequency) if frequency.isdigit() and int(frequency) else 1))
    return max(intervals) if intervals else None


def looks_like_html(content: bytes) -> bool:
    """Whether a response body is a web page rather than a feed."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    # Skip an XML declaration, processing instructions and comments before the first element.
    head = _PROLOGUE.sub(b"", head).lstrip()
    return head.startswith((b"<!doctype html", b"<html"))


def _entry(raw: Any, feed_author: str | None, feed_url: str) -> ParsedEntry | None:
    link = _http_url(raw.get("link"))
    # dict.get: feedparser's own .get maps a missing updated to published (with a warning).
    published = _date(dict.get(raw, "published_parsed"))
    updated = _date(dict.get(raw, "updated_parsed"))
    html, base = _content(raw)
    # xml:base (feedparser folds it into .base, which is the feed's URL when there is none),
    # else the entry's link, else the feed's URL.
    xml_base = _http_url(base) if base != feed_url else None
    content_html = sanitize_html(html, base_url=xml_base or link or feed_url)
    summary_source = raw.get("summary") or content_html
    summary = excerpt(html_to_text(summary_source), SUMMARY_LENGTH)
    title = _title(raw, "title") or excerpt(html_to_text(content_html), 60)
    if not title and not link and not content_html:
        return None
    key = raw.get("id") or link or _hash_key(title, published or updated)
    author = _title(raw, "author") or feed_author
    return ParsedEntry(
        key=key,
        url=link,
        title=title or "Untitled",
        author=author,
        published=published or updated,
        updated=updated or published,
        summary=summary,
        content_html=content_html,
    )


def _title(raw: Any, field: str) -> str:
    """A text construct as plain text; only markup is stripped of tags (RFC 4287 §3.1)."""
    value = str(raw.get(field) or "")
    detail = raw.get(f"{field}_detail") or {}
    if detail.get("type") == "text/plain":
        return " ".join(value.split())
    return clean_title(value)


def _content(raw: Any) -> tuple[str, str | None]:
    """The entry's HTML and the base URL it was written against."""
    contents = raw.get("content") or []
    for item in contents:
        if item.get("type") in ("text/html", "application/xhtml+xml"):
            return str(item.get("value", "")), item.get("base")
    if contents:
        return str(contents[0].get("value", "")), contents[0].get("base")
    detail = raw.get("summary_detail") or {}
    return str(raw.get("summary", "")), detail.get("base")


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    # Hugo writes 0001-01-01 for "no date".
    if value.tm_year < 1900:
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _http_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if urlsplit(value).scheme in ("http", "https") else None


def _hash_key(title: str, date: datetime | None) -> str:
    seed = f"{title}\x1f{date.isoformat() if date else ''}"
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _first_line(value: object) -> str:
    text = str(value).strip()
    if not text:
        return type(value).__name__
    line = text.splitlines()[0]
    # expat says "<unknown>:2:0: syntax error"; say where in words.
    # feedparser may have added a line of its own, so expat's position is left out.
    match = re.match(r"<unknown>:\d+:\d+: (.*)", line)
    if match:
        return f"invalid XML: {match[1]}"
    return line
