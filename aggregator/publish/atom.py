"""Outgoing Atom feeds (RFC 4287) through feedgen.

Blogroll entries carry an ``atom:source`` naming the blog they come from, as
Planet does, so a reader can tell whose words they are.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.entities import name2codepoint
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator import __version__
from aggregator.models import Item
from aggregator.publish.xhtml import has_mathml, xhtml_document
from aggregator.settings import SiteSettings

ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedInfo:
    """What the outgoing feed says about itself."""

    title: str
    self_url: str
    updated: datetime
    #: WebSub hubs announced next to the self link.
    hubs: tuple[str, ...] = ()


def build_atom(items: Sequence[Item], site: SiteSettings, info: FeedInfo) -> bytes:
    """An Atom feed of ``items`` in the given order."""
    fg = FeedGenerator()
    fg.id(info.self_url)
    fg.title(info.title)
    fg.updated(info.updated)
    fg.link(href=info.self_url, rel="self", type="application/atom+xml")
    for hub in info.hubs:
        fg.link(href=hub, rel="hub")
    fg.link(href=site.url, rel="alternate", type="text/html")
    author = {"name": site.author}
    if site.author_email:
        author["email"] = site.author_email
    fg.author(author)
    fg.generator("aggregator", version=__version__)
    documents: dict[str, str] = {}
    for item, updated in zip(items, distinct_updated(items), strict=True):
        entry = fg.add_entry(order="append")
        entry.id(item.id)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.published(item.published)
        entry.updated(updated)
        # RFC 4287 §4.1.2: every entry needs an author; a blog's entry falls back to the blog.
        entry.author({"name": item.author or item.source_title})
        if item.content_html and has_mathml(item.content_html):
            # Spliced in after serializing, so that pretty-printing cannot touch it.
            token = f"xhtml-document-{len(documents)}"
            documents[token] = xhtml_document(item.content_html, item.title)
            entry.content(token, type="html")
        elif item.content_html:
            entry.content(item.content_html, type="html")
        if item.summary:
            entry.summary(item.summary)
        elif not item.content_html:
            # An entry with neither says nothing but its title: let that be its summary.
            entry.summary(item.title)
        for tag in item.tags:
            entry.category(term=tag)
    document = _add_sources_and_enclosures(fg.atom_str(pretty=True), items)
    for token, xhtml in documents.items():
        document = document.replace(
            f'<content type="html">{token}</content>'.encode(),
            f'<content type="application/xhtml+xml">{xhtml}</content>'.encode(),
        )
    return document


def distinct_updated(items: Sequence[Item]) -> list[datetime]:
    """Each item's ``updated``, a second later where an earlier entry of the feed already
    has that instant: readers and validators take two equal ones for one entry changed
    twice (blogs dated by day alone share midnight)."""
    taken: set[datetime] = set()
    result = []
    for item in items:
        updated = item.updated
        while updated in taken:
            updated += timedelta(seconds=1)
        taken.add(updated)
        result.append(updated)
    return result


#: What a reader would take for markup in plain text: an end tag, an entity reference
#: (a known name, or a number, with or without its semicolon).
_END_TAG = re.compile(r"</\w+\s*>")
_ENTITY = re.compile(r"&(#?\w+)")


def _looks_like_markup(text: str) -> bool:
    if _END_TAG.search(text):
        return True
    return any(
        name in name2codepoint or name == "apos" or not name.isalpha()
        for name in _ENTITY.findall(text)
    )


def _declare_markup(element: Any) -> None:
    """A plain-text title that looks like HTML (``</b>``, ``&amp;``) is published as
    ``type="html"``, escaped, so no reader renders it as markup or takes it for some."""
    if element is not None and element.get("type") in (None, "text"):
        text = element.text or ""
        if _looks_like_markup(text):
            element.set("type", "html")
            element.text = html.escape(text, quote=False)


def _add_sources_and_enclosures(document: bytes, items: Sequence[Item]) -> bytes:
    """Insert ``atom:source`` into each blogroll entry (feedgen writes it for RSS only) and
    ``link rel="enclosure"`` for each enclosure (feedgen 1.0 drops a link's rel)."""
    root = etree.fromstring(document)
    # feedgen writes the entries in the order given: the n-th element is the n-th item
    # (looking them up by id would mix up two blogs' entries that share one).
    for element, item in zip(root.iterfind(f"{{{ATOM_NS}}}entry"), items, strict=True):
        for enclosure in item.enclosures:
            # RFC 4287 §4.2.7.2: a related resource that may be large (a podcast episode).
            link = etree.Element(f"{{{ATOM_NS}}}link", rel="enclosure", href=enclosure.url)
            if enclosure.type:
                link.set("type", enclosure.type)
            if enclosure.length is not None:
                link.set("length", str(enclosure.length))
            # Before atom:source and the text constructs' end, after the alternate link.
            alternate = element.find(f"{{{ATOM_NS}}}link")
            if alternate is not None:
                alternate.addnext(link)
            else:
                element.append(link)
        for text in (element.find(f"{{{ATOM_NS}}}title"), element.find(f"{{{ATOM_NS}}}summary")):
            _declare_markup(text)
        if item.kind != "entry":
            continue
        source = etree.SubElement(element, f"{{{ATOM_NS}}}source")
        etree.SubElement(source, f"{{{ATOM_NS}}}id").text = item.source_feed_url or item.url
        source_title = etree.SubElement(source, f"{{{ATOM_NS}}}title")
        source_title.text = item.source_title
        _declare_markup(source_title)
        if item.source_updated:
            etree.SubElement(source, f"{{{ATOM_NS}}}updated").text = item.source_updated.isoformat()
        if item.source_url:
            etree.SubElement(
                source,
                f"{{{ATOM_NS}}}link",
                rel="alternate",
                type="text/html",
                href=item.source_url,
            )
        if item.source_feed_url:
            etree.SubElement(source, f"{{{ATOM_NS}}}link", rel="self", href=item.source_feed_url)
    etree.indent(root, space="  ")
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return body
