"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/) → ParsedFeed.

feedparser does not read JSON Feed, so this small reader follows the spec
itself. It is pure, and its HTML goes through ``sanitize``; keys are made unique,
and entries hashed, by the shared pass in ``aggregator.parse``.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from aggregator.errors import ParseError
from aggregator.models import Enclosure, ParsedEntry, ParsedFeed
from aggregator.parse.keys import hash_key
from aggregator.parse.sanitize import clean_title, excerpt, html_to_text, sanitize_html
from aggregator.parse.urls import http_url
from aggregator.settings import SUMMARY_STORED, TITLE_FROM_CONTENT

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(content: bytes) -> bool:
    """Whether a response body is a JSON document (a JSON Feed, if anything)."""
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def parse_json_feed(content: bytes, url: str) -> ParsedFeed:
    """Parse a JSON Feed; raise ParseError naming ``url`` when it is not one."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"{url}: JSON Feed is not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"{url}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(document, dict):
        raise ParseError(f"{url}: not a feed (a JSON document, but not a JSON Feed object)")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIX):
        raise ParseError(f"{url}: not a feed (JSON without a JSON Feed version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(f"{url}: not a feed (JSON Feed without an items list)")
    feed_authors = _authors(document)
    entries = []
    for raw in items:
        if isinstance(raw, dict):
            entry = _entry(raw, url, feed_authors)
            if entry is not None:
                entries.append(entry)
    site_url = http_url(document.get("home_page_url"), url)
    return ParsedFeed(
        title=clean_title(_str(document.get("title"))) or None,
        site_url=site_url,
        entries=tuple(entries),
        description=clean_title(_str(document.get("description"))) or None,
        icon=http_url(document.get("icon"), url) or http_url(document.get("favicon"), url),
        language=_str(document.get("language")).strip() or None,
        hubs=_hubs(document.get("hubs"), url),
        self_url=http_url(document.get("feed_url"), url),
    )


def _hubs(value: Any, base: str) -> tuple[str, ...]:
    """JSON Feed ``hubs``: ``[{"type": "WebSub", "url": …}]``; other types are not WebSub."""
    if not isinstance(value, list):
        return ()
    found = [
        http_url(hub.get("url"), base)
        for hub in value
        if isinstance(hub, dict) and _str(hub.get("type")).lower() in ("websub", "pubsubhubbub")
    ]
    return tuple(dict.fromkeys(u for u in found if u))


def _entry(raw: dict[str, Any], feed_url: str, feed_authors: str | None) -> ParsedEntry | None:
    link = http_url(raw.get("url"), feed_url) or http_url(raw.get("external_url"), feed_url)
    base = link or feed_url
    content_html = _str(raw.get("content_html"))
    if content_html:
        content_html = sanitize_html(content_html, base_url=base)
    else:
        # content_text is plain text: escape it, keep its paragraphs.
        text = _str(raw.get("content_text"))
        content_html = "".join(
            f"<p>{_escape(part.strip())}</p>" for part in text.split("\n\n") if part.strip()
        )
    # summary is plain text in the spec; HTML in it would be shown as written.
    summary = excerpt(_str(raw.get("summary")) or html_to_text(content_html), SUMMARY_STORED)
    title = clean_title(_str(raw.get("title"))) or excerpt(
        html_to_text(content_html), TITLE_FROM_CONTENT
    )
    if not title and not link and not content_html:
        return None
    published = _date(raw.get("date_published"))
    updated = _date(raw.get("date_modified"))
    raw_id = raw.get("id")
    # The spec says id is a string; 1.0 feeds in the wild also use numbers.
    key = str(raw_id).strip() if isinstance(raw_id, str | int) and str(raw_id).strip() else ""
    if not key:
        key = link or hash_key(title, published or updated)
    return ParsedEntry(
        key=key,
        url=link,
        title=title or "Untitled",
        author=_authors(raw) or feed_authors,
        published=published or updated,
        updated=updated or published,
        summary=summary,
        content_html=content_html,
        enclosures=_attachments(raw.get("attachments"), base),
    )


def _authors(raw: dict[str, Any]) -> str | None:
    """Author names: 1.1's ``authors`` list, else 1.0's ``author`` object."""
    people = raw.get("authors")
    if not isinstance(people, list):
        people = [raw.get("author")]
    names = [
        clean_title(_str(person.get("name")))
        for person in people
        if isinstance(person, dict) and _str(person.get("name")).strip()
    ]
    return ", ".join(names) or None


def _attachments(value: Any, base: str) -> tuple[Enclosure, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if not isinstance(item, dict):
            continue
        url = http_url(item.get("url"), base)
        if url is None:
            continue
        size = item.get("size_in_bytes")
        mime = item.get("mime_type")
        found.append(
            Enclosure(
                url=url,
                type=mime.strip() if isinstance(mime, str) and mime.strip() else None,
                length=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return tuple(found)


def _date(value: Any) -> datetime | None:
    """An RFC 3339 date as aware UTC; anything else (or Hugo's year 1) is no date."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.year < 1900:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")
