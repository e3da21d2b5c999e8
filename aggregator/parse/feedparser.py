"""The one module that touches feedparser: RSS, Atom or RDF bytes + URL → ParsedFeed.

feedparser's own sanitizer is off: its output goes through our stricter
allow-list (``sanitize``) instead. Keys are made unique, and entries hashed,
by the shared pass in ``aggregator.parse``.
"""

from __future__ import annotations

import html
import re
import xml.sax
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.api

from aggregator.errors import ParseError
from aggregator.models import (
    Enclosure,
    ParsedEntry,
    ParsedFeed,
    ParseWarning,
    with_content_text,
)
from aggregator.parse import feedparser_speedups
from aggregator.parse.encoding import normalise_encoding
from aggregator.parse.keys import hash_key
from aggregator.parse.sanitize import (
    clean_title,
    excerpt,
    excerpt_of_collapsed,
    excerpt_of_html,
    sanitize_html,
    text_of_clean_html,
)
from aggregator.parse.urls import http_url
from aggregator.settings import SUMMARY_STORED, TITLE_FROM_CONTENT

# feedparser asks xml.sax for the first driver of this list that loads; ours buffers text.
_DRIVER = "aggregator.parse.expat"
if _DRIVER not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, _DRIVER)
feedparser_speedups.install()


def parse_xml_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS, Atom or RDF document; raise ParseError when it is not a feed at all."""
    content, content_type = normalise_encoding(content, content_type)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Relative URLs in HTML are resolved by our sanitizer, not by feedparser: the entry's
    # link is a better base than the feed's URL for HTML written for the entry's page, and
    # feedparser's pass re-parsed every piece of HTML in pure Python (half the parse time).
    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.entries:
        detail = f": {_first_line(problem)}" if problem else ""
        raise ParseError(f"{url}: not a feed (RSS, Atom, RDF or JSON Feed){detail}")
    raw_entries = list(parsed.entries)
    warning = None
    if isinstance(problem, xml.sax.SAXException):
        # Not well-formed: feedparser's lenient parser recovered what it could, as
        # hand-written and older feeds need. What it read of an entry cut off by the
        # break is partial, so only the entries closed before it are kept.
        warning = xml_warning(problem, content)
        complete = len(_ENTRY_END.findall(content))
        if raw_entries and complete == 0:
            raise ParseError(f"{url}: not a feed: {warning}, before one entry is complete")
        raw_entries = raw_entries[:complete]
    feed = parsed.feed
    # RFC 4287 §4.2.1: an entry without an author has the feed's.
    feed_author = _authors(feed)
    entries = []
    for raw in raw_entries:
        entry = _entry(raw, feed_author, url)
        if entry is not None:
            entries.append(entry)
    image = feed.get("image") or {}
    return ParsedFeed(
        title=_title(feed, "title") or None,
        site_url=http_url(feed.get("link"), url),
        entries=tuple(entries),
        description=_title(feed, "subtitle") or None,
        icon=http_url(feed.get("icon"), url)
        or http_url(feed.get("logo"), url)
        or http_url(image.get("href") or image.get("url"), url),
        language=str(feed.get("language") or "").strip() or None,
        publisher_interval=_publisher_interval(feed),
        updated=_date(dict.get(feed, "updated_parsed") or dict.get(feed, "published_parsed")),
        warning=warning,
        hubs=_links(feed, "hub", url),
        self_url=next(iter(_links(feed, "self", url)), None),
    )


#: The end of an entry (RSS and RDF ``item``, Atom ``entry``), with any namespace prefix.
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_ENTITY = re.compile(rb"&[\w.:-]*;?")


def xml_warning(problem: xml.sax.SAXException, content: bytes) -> ParseWarning:
    """What was wrong with a document that is not well-formed XML, and on which line."""
    message = problem.getMessage() if hasattr(problem, "getMessage") else str(problem)
    line = problem.getLineNumber() if isinstance(problem, xml.sax.SAXParseException) else None
    column = problem.getColumnNumber() if isinstance(problem, xml.sax.SAXParseException) else None
    if line is not None and not content.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"):
        line -= 1  # feedparser put a declaration line of its own before the document
    if line is not None and column is not None and message == "undefined entity":
        lines = content.splitlines()
        if 0 < line <= len(lines):
            found = _ENTITY.match(lines[line - 1], column)
            if found:
                message = f"undefined entity {found[0].decode('utf-8', 'replace')}"
    return ParseWarning(kind="xml", message=_EXPAT_WORDS.get(message, message), line=line)


_EXPAT_WORDS = {
    "no element found": "the XML ends early (cut off)",
    "not well-formed (invalid token)": "not well-formed (a stray character or an unescaped &)",
}


def _links(feed: Any, rel: str, base: str) -> tuple[str, ...]:
    """The feed's own ``<link rel=REL>`` URLs (Atom, or ``atom:link`` in RSS), in order."""
    found = [
        http_url(link.get("href"), base)
        for link in feed.get("links") or []
        if hasattr(link, "get") and str(link.get("rel") or "").lower() == rel
    ]
    return tuple(dict.fromkeys(u for u in found if u))


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


#: ``dict.get``, not feedparser's: for keys it does not alias (link, summary, content, id…)
#: they are the same, and its own ``get`` is a Python call through its alias map each time.
_get = dict.get


def _entry(raw: Any, feed_author: str | None, feed_url: str) -> ParsedEntry | None:
    link = http_url(_get(raw, "link"), feed_url)
    # dict.get: feedparser's own .get maps a missing updated to published (with a warning).
    published = _date(dict.get(raw, "published_parsed"))
    updated = _date(dict.get(raw, "updated_parsed"))
    raw_content, content_base = _content(raw)
    # Atom content by reference (RFC 4287 §4.1.3.2): the entry is elsewhere; link to it.
    src = _content_src(raw, feed_url)
    if src is not None:
        link = link or src
        if not raw_content.strip():
            raw_content = f'<p><a href="{html.escape(src)}">{html.escape(src)}</a></p>'
    content_html = sanitize_html(raw_content, base_url=_base(content_base, link, feed_url))
    raw_summary = _get(raw, "summary")
    text = None
    if raw_summary and (_get(raw, "summary_detail") or {}).get("type") == "text/plain":
        summary = excerpt(" ".join(str(raw_summary).split()), SUMMARY_STORED)
    elif raw_summary and raw_summary != raw_content:
        summary = excerpt_of_html(raw_summary, SUMMARY_STORED)
    else:
        # The summary is the content's (an RSS description, an Atom entry without one):
        # cut from the text of the clean HTML, which the search index needs anyway.
        text = text_of_clean_html(content_html)
        summary = excerpt_of_collapsed(text, SUMMARY_STORED)
    title = _title(raw, "title") or excerpt_of_html(content_html, TITLE_FROM_CONTENT)
    if not title and not link and not content_html:
        return None
    key = str(_get(raw, "id") or "").strip() or link or hash_key(title, published or updated)
    entry = ParsedEntry(
        key=key,
        url=link,
        title=title or "Untitled",
        author=_authors(raw) or feed_author,
        published=published or updated,
        updated=updated or published,
        summary=summary,
        content_html=content_html,
        enclosures=_enclosures(raw, link or feed_url),
    )
    return entry if text is None else with_content_text(entry, text)


def _base(declared: str | None, link: str | None, feed_url: str) -> str:
    """What relative URLs in an entry's HTML are relative to: ``xml:base`` when the
    feed sets one, else the entry's own page, else the feed."""
    if declared and declared != feed_url:
        return urljoin(feed_url, declared)
    return link or feed_url


def _authors(raw: Any) -> str | None:
    names = []
    for person in _get(raw, "authors") or []:
        name = clean_title(str(person.get("name") or "")) if hasattr(person, "get") else ""
        if name and name not in names:
            names.append(name)
    return ", ".join(names) or _title(raw, "author") or None


def _enclosures(raw: Any, base: str) -> tuple[Enclosure, ...]:
    found: list[Enclosure] = []
    for item in raw.get("enclosures") or []:
        url = http_url(item.get("href") or item.get("url"), base)
        if url is None or any(e.url == url for e in found):
            continue
        length = str(item.get("length") or "").strip()
        found.append(
            Enclosure(
                url=url,
                type=str(item.get("type") or "").strip() or None,
                length=int(length) if length.isdigit() else None,
            )
        )
    return tuple(found)


def _title(raw: Any, field: str) -> str:
    """A text construct as plain text; only markup is stripped of tags (RFC 4287 §3.1)."""
    value = str(_get(raw, field) or "")
    detail = _get(raw, f"{field}_detail") or {}
    if detail.get("type") == "text/plain":
        return " ".join(value.split())
    return clean_title(value)


def _content(raw: Any) -> tuple[str, str | None]:
    """The entry's HTML and the base URL feedparser saw for it."""
    contents = _get(raw, "content") or []
    for item in contents:
        if _get(item, "type") in ("text/html", "application/xhtml+xml"):
            return str(_get(item, "value", "")), _get(item, "base")
    if contents:
        return _as_html(contents[0]), _get(contents[0], "base")
    detail = _get(raw, "summary_detail") or {}
    return _as_html(detail) if detail else str(_get(raw, "summary", "")), _get(detail, "base")


def _content_src(raw: Any, base: str) -> str | None:
    for item in raw.get("content") or []:
        src = http_url(item.get("src"), base)
        if src is not None:
            return src
    return None


def _as_html(detail: Any) -> str:
    value = str(_get(detail, "value", ""))
    if _get(detail, "type") == "text/plain":
        return html.escape(value, quote=False)
    return value


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
