"""The blogroll: a Markdown "blogs I like" page or an OPML file → BlogrollEntry list.

Markdown rules: headings are categories (a level-1 heading before the first
blog is the page title); each top-level list item is one blog, whose first link
or bare URL is the blog and whose remaining text is the owner's note; a link
whose text is ``feed`` gives the feed URL; nested list items are recommended
posts of that blog. Other links in a note (a profile, a site mentioned in
passing) are not blogs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from aggregator.errors import BlogrollError
from aggregator.models import Blogroll, BlogrollEntry, Recommended

_BARE_URL = re.compile(r"https?://[^\s<>()\[\]]+")
_TRAILING = ".,;:!?'\""
_FEED_WORDS = {"feed", "rss", "atom"}
_FEED_LINK = re.compile(r"\(?\[(?:feed|rss|atom)\]\([^)]*\)\)?", re.IGNORECASE)


def load_blogroll(path: Path) -> Blogroll:
    """Read the blogroll file; OPML by the ``.opml``/``.xml`` suffix, Markdown otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BlogrollError(f"{path}: blogroll file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BlogrollError(f"{path}: cannot read blogroll: {exc}") from None
    if path.suffix.lower() in (".opml", ".xml"):
        return parse_opml(text, str(path))
    return parse_markdown_blogroll(text)


# -- Markdown ------------------------------------------------------------------------


@dataclass
class _Item:
    category: str
    inlines: list[Token] = field(default_factory=list)
    recommended: list[Recommended] = field(default_factory=list)


def parse_markdown_blogroll(text: str) -> Blogroll:
    """Parse a "blogs I like" page; items without any link are skipped."""
    tokens = MarkdownIt("commonmark").parse(text.removeprefix("\ufeff"))
    title = ""
    category = ""
    items: list[_Item] = []
    list_depth = 0
    current: _Item | None = None
    nested: Token | None = None  # the inline of a nested item being read
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = tokens[index + 1].content.strip()
            if token.tag == "h1" and not items and not title:
                title = heading
            else:
                category = heading
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open" and list_depth == 1:
            current = _Item(category)
            items.append(current)
        elif token.type == "inline" and current is not None and list_depth >= 1:
            if list_depth == 1:
                current.inlines.append(token)
            elif list_depth == 2 and nested is None:
                nested = token
                link = _first_link(token)
                if link:
                    current.recommended.append(Recommended(link[1] or link[0], link[0]))
        elif token.type == "list_item_close":
            if list_depth == 2:
                nested = None
            elif list_depth == 1:
                current = None
    entries = []
    seen: set[str] = set()
    for item in items:
        entry = _entry(item)
        if entry is not None and entry.url not in seen:
            seen.add(entry.url)
            entries.append(entry)
    return Blogroll(title=title or "Blogroll", entries=tuple(entries))


def _entry(item: _Item) -> BlogrollEntry | None:
    links = [link for inline in item.inlines for link in _links(inline)]
    if not links:
        return None
    named = [link for link in links if not _is_feed_link(link)]
    # The blog is the first link not called "feed"; a blog that is itself called "Atom"
    # (its only other link being its feed) is still the first link.
    site = named[0] if named else links[0]
    feeds = [link[0] for link in links if link is not site and _is_feed_link(link)]
    feed_url = feeds[0] if feeds else None
    url, link_text = site
    source = "\n".join(inline.content for inline in item.inlines)
    title = link_text.strip() if link_text else _title_before(source, url)
    note = source
    if link_text is not None:
        # "[Title](url) - note": the link is the name, the rest is the note.
        name_link = re.compile(
            r"\[(?:\\.|[^\]\\])*\]\(\s*<?" + re.escape(url) + r'>?(?:\s+"[^"]*")?\s*\)'
        )
        note = _FEED_LINK.sub("", name_link.sub("", note, count=1))
        note = note.lstrip(" -–—:,")
    else:
        note = _FEED_LINK.sub("", note)
    return BlogrollEntry(
        url=url,
        feed_url=feed_url,
        site_url=url,
        title=title,
        category=item.category,
        note=_tidy(note),
        recommended=tuple(item.recommended),
    )


def _is_feed_link(link: tuple[str, str | None]) -> bool:
    return link[1] is not None and link[1].strip().lower() in _FEED_WORDS


def _links(inline: Token) -> list[tuple[str, str | None]]:
    """(url, link text) for each Markdown link, (url, None) for each bare URL, in order."""
    found: list[tuple[str, str | None]] = []
    children = inline.children or []
    i = 0
    while i < len(children):
        child = children[i]
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            text_parts = []
            i += 1
            while i < len(children) and children[i].type != "link_close":
                text_parts.append(children[i].content)
                i += 1
            if href.startswith(("http://", "https://")):
                found.append((href, "".join(text_parts)))
        elif child.type == "text":
            for match in _BARE_URL.finditer(child.content):
                found.append((match.group(0).rstrip(_TRAILING), None))
        i += 1
    return found


def _first_link(inline: Token) -> tuple[str, str | None] | None:
    links = _links(inline)
    return links[0] if links else None


def _title_before(source: str, url: str) -> str | None:
    """A short name written before a bare URL ("Hundred Rabbits, at https://…")."""
    before = source.split(url, 1)[0]
    before = re.split(r"\s[-–—]\s|[,:(]|\.\s", before, maxsplit=1)[0]
    before = before.strip(" .-–—")
    words = before.split()
    return before if 0 < len(words) <= 5 else None


def _tidy(note: str) -> str:
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in note.splitlines()]
    return "\n".join(line for line in lines if line).strip()


# -- OPML ----------------------------------------------------------------------------


def parse_opml(text: str, name: str = "OPML") -> Blogroll:
    """OPML 1.0/2.0: outlines with ``xmlUrl`` are blogs; enclosing outlines are categories."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise BlogrollError(f"{name}: invalid OPML: {exc}") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise BlogrollError(f"{name}: not an OPML document (no <opml><body>)")
    title = (root.findtext("head/title") or "").strip() or "Blogroll"
    entries: list[BlogrollEntry] = []
    seen: set[str] = set()

    def walk(outline: ET.Element, category: str) -> None:
        for child in outline.findall("outline"):
            label = (child.get("title") or child.get("text") or "").strip()
            feed = (child.get("xmlUrl") or "").strip()
            if feed:
                if feed not in seen:
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
    return Blogroll(title=title, entries=tuple(entries))


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


# -- merging and exporting -------------------------------------------------------------

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
    """The blogroll as a "blogs I like" page that ``parse_markdown_blogroll`` reads back."""
    lines = [f"# {blogroll.title}", ""]
    uncategorised = [e for e in blogroll.entries if not e.category]
    lines += [markdown_item(e) for e in uncategorised]
    for category in dict.fromkeys(e.category for e in blogroll.entries if e.category):
        if lines[-1] != "":
            lines.append("")
        lines += [f"### {category}", ""]
        lines += [markdown_item(e) for e in blogroll.entries if e.category == category]
    return "\n".join(lines).rstrip("\n") + "\n"


def merge_into_markdown(text: str, entries: Sequence[BlogrollEntry]) -> str:
    """Append ``entries`` to a Markdown blogroll under their category headings.

    The owner's text is kept as it is; a category that has no heading yet gets
    a new ``###`` section at the end, and blogs without a category go before
    the first category heading.
    """
    lines = text.splitlines()
    for entry in entries:
        lines = _insert_item(lines, entry)
    return "\n".join(lines).rstrip("\n") + "\n"


def _insert_item(lines: list[str], entry: BlogrollEntry) -> list[str]:
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
        return [*lines, "", f"### {entry.category}", "", *item]
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
