"""Outgoing Atom feeds (RFC 4287) through feedgen.

Blogroll entries carry an ``atom:source`` naming the blog they come from, as
Planet does, so a reader can tell whose words they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator import __version__
from aggregator.models import Item
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
    for item in items:
        entry = fg.add_entry(order="append")
        entry.id(item.id)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.published(item.published)
        entry.updated(item.updated)
        # RFC 4287 §4.1.2: every entry needs an author; a blog's entry falls back to the blog.
        entry.author({"name": item.author or item.source_title})
        if item.content_html:
            entry.content(item.content_html, type="html")
        if item.summary:
            entry.summary(item.summary)
        elif not item.content_html:
            # An entry with neither says nothing but its title: let that be its summary.
            entry.summary(item.title)
        for tag in item.tags:
            entry.category(term=tag)
    document = fg.atom_str(pretty=True)
    return _add_sources_and_enclosures(document, items)


def _add_sources_and_enclosures(document: bytes, items: Sequence[Item]) -> bytes:
    """Insert ``atom:source`` into each blogroll entry (feedgen writes it for RSS only) and
    ``link rel="enclosure"`` for each enclosure (feedgen 1.0 drops a link's rel)."""
    if not any(item.kind == "entry" or item.enclosures for item in items):
        return document
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
        if item.kind != "entry":
            continue
        source = etree.SubElement(element, f"{{{ATOM_NS}}}source")
        etree.SubElement(source, f"{{{ATOM_NS}}}id").text = item.source_feed_url or item.url
        etree.SubElement(source, f"{{{ATOM_NS}}}title").text = item.source_title
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
