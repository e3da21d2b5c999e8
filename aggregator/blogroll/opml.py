"""Pure: OPML 1.0/2.0 → Blogroll, and a Blogroll → OPML 2.0 (``blogroll.opml``, exports)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from aggregator.blogroll.urls import check_url
from aggregator.errors import BlogrollError
from aggregator.models import Blogroll, BlogrollEntry, BlogrollWarning


def parse_opml(text: str, name: str = "OPML") -> Blogroll:
    """OPML 1.0/2.0: outlines with ``xmlUrl`` are blogs; enclosing outlines are categories.

    An ``xmlUrl`` that is not an http(s) URL is left out with a warning.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise BlogrollError(f"{name}: invalid OPML: {exc}") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise BlogrollError(f"{name}: not an OPML document (no <opml><body>)")
    title = (root.findtext("head/title") or "").strip() or "Blogroll"
    entries: list[BlogrollEntry] = []
    warnings: list[BlogrollWarning] = []
    seen: set[str] = set()

    def walk(outline: ET.Element, category: str) -> None:
        for child in outline.findall("outline"):
            label = (child.get("title") or child.get("text") or "").strip()
            feed = (child.get("xmlUrl") or "").strip()
            if feed:
                problem = check_url(feed)
                if problem:
                    line = _line_of(text, feed)
                    warnings.append(
                        BlogrollWarning(
                            line, _line_text(text, line), f'xmlUrl "{feed}" {problem}; left out'
                        )
                    )
                elif feed not in seen:
                    seen.add(feed)
                    entries.append(
                        BlogrollEntry(
                            url=feed,
                            feed_url=feed,
                            site_url=(child.get("htmlUrl") or "").strip() or None,
                            title=label or None,
                            category=category,
                            note=(child.get("description") or "").strip(),
                        )
                    )
            else:
                walk(child, label or category)

    walk(body, "")
    return Blogroll(title=title, entries=tuple(entries), warnings=tuple(warnings))


def _line_of(text: str, value: str) -> int:
    """The 1-based line where an attribute value is written (its first mention)."""
    for written in (value, value.replace("&", "&amp;")):
        index = text.find(written)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return 0


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def build_opml(blogroll: Blogroll) -> bytes:
    """OPML 2.0 with one outline per category holding its blogs."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = blogroll.title
    body = ET.SubElement(root, "body")
    parents: dict[str, ET.Element] = {}
    for entry in blogroll.entries:
        parent = body
        if entry.category:
            if entry.category not in parents:
                parents[entry.category] = ET.SubElement(
                    body, "outline", text=entry.category, title=entry.category
                )
            parent = parents[entry.category]
        attrs = {
            "type": "rss",
            "text": entry.title or urlsplit(entry.site_url or entry.url).netloc,
            "xmlUrl": entry.feed_url or entry.url,
        }
        if entry.title:
            attrs["title"] = entry.title
        if entry.site_url:
            attrs["htmlUrl"] = entry.site_url
        if entry.note:
            attrs["description"] = entry.note
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
