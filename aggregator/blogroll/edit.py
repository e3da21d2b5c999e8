"""Pure: writing Markdown blogroll pages, and merging blogs into the owner's page.

``render_markdown_blogroll`` writes a page that ``parse_markdown_blogroll``
reads back the same, prose included; ``merge_into_markdown`` adds blogs to an
existing page and leaves every word of the owner's as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from aggregator.models import Blogroll, BlogrollEntry

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def same_blog(a: BlogrollEntry, b: BlogrollEntry) -> bool:
    """Whether two entries name the same blog (by its URL, site or feed)."""
    left = {u for u in (a.url, a.feed_url, a.site_url) if u}
    right = {u for u in (b.url, b.feed_url, b.site_url) if u}
    return bool(left & right)


def new_entries(current: Blogroll, incoming: Blogroll) -> list[BlogrollEntry]:
    """The entries of ``incoming`` that ``current`` does not list yet, in order."""
    found: list[BlogrollEntry] = []
    for entry in incoming.entries:
        if not any(same_blog(entry, known) for known in (*current.entries, *found)):
            found.append(entry)
    return found


def markdown_item(entry: BlogrollEntry) -> str:
    """One blog as a Markdown list item: ``- [Title](site) ([feed](feed)) - note``."""
    site = entry.site_url or entry.url
    title = _escape_link_text(entry.title or urlsplit(site).netloc or site)
    line = f"- [{title}]({_link_target(site)})"
    feed = entry.feed_url or (entry.url if entry.url != site else None)
    if feed:
        line += f" ([feed]({_link_target(feed)}))"
    note_lines = [ln.strip() for ln in entry.note.splitlines() if ln.strip()]
    if note_lines:
        line += " - " + note_lines[0]
        line += "".join(f"\n  {ln}" for ln in note_lines[1:])
    for rec in entry.recommended:
        line += f"\n  - [{_escape_link_text(rec.title)}]({_link_target(rec.url)})"
    return line


def render_markdown_blogroll(blogroll: Blogroll) -> str:
    """The blogroll as a "blogs I like" page that ``parse_markdown_blogroll`` reads back:
    its heading, its introduction and each category's introduction included."""
    lines = [f"# {blogroll.heading or blogroll.title}", ""]
    if blogroll.intro:
        lines += [blogroll.intro, ""]
    uncategorised = [e for e in blogroll.entries if not e.category]
    lines += [markdown_item(e) for e in uncategorised]
    intros = {c.category: c.text for c in blogroll.category_intros}
    categories = [e.category for e in blogroll.entries if e.category]
    # A category the owner introduced but left empty keeps its words too.
    for category in dict.fromkeys([*categories, *(c for c in intros if c)]):
        if lines[-1] != "":
            lines.append("")
        lines += [f"### {category}", ""]
        if intros.get(category):
            lines += [intros[category], ""]
        lines += [markdown_item(e) for e in blogroll.entries if e.category == category]
    return "\n".join(lines).rstrip("\n") + "\n"


def merge_into_markdown(
    text: str, entries: Sequence[BlogrollEntry], intros: dict[str, str] | None = None
) -> str:
    """Append ``entries`` to a Markdown blogroll under their category headings.

    The owner's text is kept as it is; a category that has no heading yet gets
    a new ``###`` section at the end (with its introduction from ``intros``, the
    imported page's), and blogs without a category go before the first
    category heading.
    """
    lines = text.splitlines()
    for entry in entries:
        lines = _insert_item(lines, entry, (intros or {}).get(entry.category, ""))
    return "\n".join(lines).rstrip("\n") + "\n"


def _insert_item(lines: list[str], entry: BlogrollEntry, intro: str = "") -> list[str]:
    headings = [
        (index, match.group(1), match.group(2).strip())
        for index, line in enumerate(lines)
        if (match := _HEADING.match(line))
    ]
    # A level-1 heading at the top is the page title, not a category.
    if headings and headings[0][1] == "#":
        headings = headings[1:]
    item = markdown_item(entry).splitlines()
    if entry.category:
        for position, (index, _, name) in enumerate(headings):
            if name == entry.category:
                end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
                return _insert_at_section_end(lines, index + 1, end, item)
        while lines and not lines[-1].strip():
            lines.pop()
        section = [f"### {entry.category}", "", *([*intro.splitlines(), ""] if intro else [])]
        return [*lines, "", *section, *item]
    end = headings[0][0] if headings else len(lines)
    return _insert_at_section_end(lines, 0, end, item)


def _insert_at_section_end(lines: list[str], start: int, end: int, item: list[str]) -> list[str]:
    last = end  # insert after the section's last non-blank line
    while last > start and not lines[last - 1].strip():
        last -= 1
    block = list(item)
    if last > start and not _in_list(lines[last - 1]):
        block.insert(0, "")  # after a paragraph or heading, a list starts after a blank line
    if last < len(lines) and lines[last].strip():
        block.append("")  # the next heading stays apart
    return [*lines[:last], *block, *lines[last:]]


def _in_list(line: str) -> bool:
    return line.startswith((" ", "\t")) or bool(re.match(r"[-*+]\s|\d+[.)]\s", line))


def _escape_link_text(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", " ".join(text.split()))


def _link_target(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()]", url) else url
