"""Pure: a Markdown "blogs I like" page → Blogroll, with the owner's prose and warnings.

Headings are categories (a level-1 heading before the first blog is the page's
heading); each top-level list item is one blog, whose first link or bare URL is
the blog and whose remaining text is the owner's note; a link whose text is
``feed`` gives the feed URL; nested list items are recommended posts of that
blog. Other links in a note (a profile, a site mentioned in passing) are not
blogs. Paragraphs before the first category are the page's introduction, and
paragraphs under a category heading before its list are that category's.
A list item whose blog address cannot be read is left out with a warning
naming its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.token import Token

from aggregator.blogroll.urls import Reading, bare_urls, read_link_target
from aggregator.models import (
    Blogroll,
    BlogrollEntry,
    BlogrollWarning,
    CategoryIntro,
    Recommended,
    Severity,
)

_FEED_WORDS = {"feed", "rss", "atom"}
_FEED_LINK = re.compile(r"\(?\[(?:feed|rss|atom)\]\([^)]*\)\)?", re.IGNORECASE)
#: Top-level blocks that are the owner's prose (not headings, lists or rules).
_PROSE = {"paragraph_open", "blockquote_open", "fence", "code_block", "html_block", "table_open"}


def _reader() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    # Link targets are read as written, so that a broken one is reported as the owner typed
    # it; the ones that are kept are normalised afterwards as markdown-it would have.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


_MD = _reader()


@dataclass(frozen=True)
class _Link:
    #: The URL as written (a link's target or the bare URL).
    written: str
    reading: Reading
    #: The link's text; None for a bare URL.
    text: str | None

    @property
    def is_feed(self) -> bool:
        return self.text is not None and self.text.strip().lower() in _FEED_WORDS


@dataclass
class _Item:
    category: str
    #: The item's lines in the file, 0-based, end excluded.
    start: int
    end: int
    inlines: list[Token] = field(default_factory=list)
    recommended: list[Recommended] = field(default_factory=list)


def parse_markdown_blogroll(text: str) -> Blogroll:
    """Parse a "blogs I like" page; unreadable items are left out with a warning each."""
    source = text.removeprefix("\ufeff")
    lines = source.splitlines()
    tokens = _MD.parse(source)
    heading = ""
    category = ""
    in_category = False
    list_in_section = False
    intro: list[str] = []
    category_intros: dict[str, list[str]] = {}
    items: list[_Item] = []
    list_depth = 0
    current: _Item | None = None
    nested: Token | None = None  # the inline of a nested item being read
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            name = tokens[index + 1].content.strip()
            if token.tag == "h1" and not items and not heading and not in_category:
                heading = name
            else:
                category, in_category, list_in_section = name, True, False
        elif token.level == 0 and token.type in _PROSE and token.map and not list_in_section:
            block = "\n".join(lines[token.map[0] : token.map[1]]).strip()
            if block:
                (category_intros.setdefault(category, []) if in_category else intro).append(block)
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
            list_in_section = True
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open" and list_depth == 1:
            start, end = token.map or (0, 0)
            current = _Item(category, start, end)
            items.append(current)
        elif token.type == "inline" and current is not None and list_depth >= 1:
            if list_depth == 1:
                current.inlines.append(token)
            elif list_depth == 2 and nested is None:
                nested = token
                link = next((k for k in _links(token) if k.reading.url), None)
                if link and link.reading.url:
                    url = link.reading.url
                    current.recommended.append(Recommended(link.text or url, url))
        elif token.type == "list_item_close":
            if list_depth == 2:
                nested = None
            elif list_depth == 1:
                current = None
    entries = []
    warnings: list[BlogrollWarning] = []
    seen: set[str] = set()
    for item in items:
        entry = _entry(item, lines, warnings)
        if entry is not None and entry.url not in seen:
            seen.add(entry.url)
            entries.append(entry)
    return Blogroll(
        title=heading or "Blogroll",
        entries=tuple(entries),
        heading=heading,
        intro="\n\n".join(intro),
        category_intros=tuple(
            CategoryIntro(name, "\n\n".join(blocks)) for name, blocks in category_intros.items()
        ),
        warnings=tuple(warnings),
    )


def _entry(item: _Item, lines: list[str], warnings: list[BlogrollWarning]) -> BlogrollEntry | None:
    def warn(written: str, reason: str, severity: Severity = "warning") -> None:
        number = _line_of(written, lines, item)
        text = lines[number].strip() if number < len(lines) else ""
        warnings.append(BlogrollWarning(number + 1, text, reason, severity))

    links = [link for inline in item.inlines for link in _links(inline)]
    if not links:
        warn("", "a list item with no link: not a blog")
        return None
    named = [link for link in links if not link.is_feed]
    # The blog is the first link not called "feed"; a blog that is itself called "Atom"
    # (its only other link being its feed) is still the first link.
    site = named[0] if named else links[0]
    if site.reading.url is None:
        warn(site.written, f"{site.reading.problem}; this blog is left out")
        return None
    if site.reading.note:
        warn(site.written, site.reading.note, "note")
    feeds = [link for link in links if link is not site and link.is_feed]
    feed_url = None
    if feeds:
        feed_url = feeds[0].reading.url
        if feed_url is None:
            warn(feeds[0].written, f"{feeds[0].reading.problem}; the feed is found from the blog")
    url = site.reading.url
    source = "\n".join(inline.content for inline in item.inlines)
    title = site.text.strip() if site.text else _title_before(source, site.written)
    note = source
    if site.text is not None:
        # "[Title](url) - note": the link is the name, the rest is the note.
        name_link = re.compile(
            r"\[(?:\\.|[^\]\\])*\]\(\s*<?" + re.escape(site.written) + r'>?(?:\s+"[^"]*")?\s*\)'
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


def _links(inline: Token) -> list[_Link]:
    """Each link meant as a web address and each bare URL, in order, read or not."""
    found: list[_Link] = []
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
            reading = read_link_target(href)
            if reading is not None:
                if reading.url:
                    reading = Reading(normalizeLink(reading.url), note=reading.note)
                found.append(_Link(href, reading, "".join(text_parts)))
        elif child.type == "text":
            found.extend(_Link(w, r, None) for w, r in bare_urls(child.content))
        i += 1
    return found


def _line_of(written: str, lines: list[str], item: _Item) -> int:
    """The 0-based line of the item where ``written`` appears (its first line otherwise)."""
    if written:
        for number in range(item.start, min(item.end, len(lines))):
            if written in lines[number]:
                return number
    return item.start


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
