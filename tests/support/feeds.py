"""Small builders for the feeds, blogrolls and posts that tests serve and read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    date: datetime
    html: str = "<p>Hello.</p>"
    guid: str | None = None
    author: str | None = None


def day(d: int, month: int = 3, year: int = 2026) -> datetime:
    return datetime(year, month, d, 12, 0, tzinfo=UTC)


def rss2_feed(title: str, link: str, items: list[FeedItem]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{escape(title)}</title><link>{escape(link)}</link>",
        "<description>A test blog</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title><link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        parts.append(f"<pubDate>{format_datetime(item.date, usegmt=True)}</pubDate>")
        if item.author:
            parts.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
        parts.append(f"<description>{escape(item.html)}</description></item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


def atom_feed(
    title: str,
    link: str,
    items: list[FeedItem],
    *,
    hub: str | None = None,
    self_url: str | None = None,
) -> bytes:
    """An Atom feed; ``hub`` and ``self_url`` add the ``rel="hub"``/``rel="self"`` links of
    a feed that a WebSub hub distributes."""
    updated = max((i.date for i in items), default=day(1)).isoformat()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>{escape(link)}</id>",
        f'<link rel="alternate" href="{escape(link)}"/><updated>{updated}</updated>',
        "<author><name>Feed Author</name></author>",
    ]
    if self_url:
        parts.append(f'<link rel="self" href="{escape(self_url)}"/>')
    if hub:
        parts.append(f'<link rel="hub" href="{escape(hub)}"/>')
    for item in items:
        parts.append(
            f"<entry><title>{escape(item.title)}</title>"
            f"<id>{escape(item.guid or item.link)}</id>"
            f'<link rel="alternate" href="{escape(item.link)}"/>'
            f"<published>{item.date.isoformat()}</published>"
            f"<updated>{item.date.isoformat()}</updated>"
            + (f"<author><name>{escape(item.author)}</name></author>" if item.author else "")
            + f'<content type="html">{escape(item.html)}</content></entry>'
        )
    parts.append("</feed>")
    return "\n".join(parts).encode()


def rss1_feed(title: str, link: str, items: list[FeedItem]) -> bytes:
    about = "".join(f'<rdf:li rdf:resource="{escape(i.link)}"/>' for i in items)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'<channel rdf:about="{escape(link)}"><title>{escape(title)}</title>'
        f"<link>{escape(link)}</link><description>A test blog</description>"
        f"<items><rdf:Seq>{about}</rdf:Seq></items></channel>",
    ]
    for item in items:
        parts.append(
            f'<item rdf:about="{escape(item.link)}"><title>{escape(item.title)}</title>'
            f"<link>{escape(item.link)}</link>"
            f"<dc:date>{item.date.isoformat()}</dc:date>"
            f"<description>{escape(item.html)}</description></item>"
        )
    parts.append("</rdf:RDF>")
    return "\n".join(parts).encode()
