"""A post's table of contents, made from the ids its headings already carry."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from aggregator.parse.sanitize import html_to_text

_HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
_ANCHOR = re.compile(r'<a class="header-anchor"[^>]*>.*?</a>', re.DOTALL)


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


def parse_headings(content_html: str) -> tuple[Heading, ...]:
    """The headings of rendered post HTML, in order, without their self-links."""
    found = []
    for level, anchor, inner in _HEADING.findall(content_html):
        text = html_to_text(_ANCHOR.sub("", inner))
        if text:
            found.append(Heading(int(level), html.unescape(anchor), text))
    return tuple(found)


def build_toc(content_html: str, *, open_: bool) -> str:
    """``<nav>`` of nested lists linking to each heading; "" when there is none.

    A ``<details>`` holds it, so that ``TocOpen: false`` shows it collapsed and
    needs no script to open.
    """
    headings = parse_headings(content_html)
    if not headings:
        return ""
    top = min(h.level for h in headings)
    parts = [
        '<nav class="toc" aria-labelledby="toc-title">',
        f"<details{' open' if open_ else ''}>",
        '<summary id="toc-title">Contents</summary>',
    ]
    depth = 0
    for heading in headings:
        # A heading two levels below the previous one is nested once, not twice.
        level = min(heading.level - top + 1, depth + 1)
        if level > depth:
            parts.append("<ol>" * (level - depth))
        else:
            parts.append("</li>" + "</ol></li>" * (depth - level))
        depth = level
        href = html.escape(heading.id)
        parts.append(f'<li><a href="#{href}">{html.escape(heading.text, quote=False)}</a>')
    parts.append("</li>" + "</ol></li>" * (depth - 1) + "</ol>")
    parts += ["</details>", "</nav>"]
    return "\n".join(parts)
