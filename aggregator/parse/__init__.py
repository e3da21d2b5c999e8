"""Response bytes + URL → ParsedFeed, for every feed format.

``parse_feed`` sniffs the format, hands the body to its adapter (``jsonfeed``
for JSON Feed, ``feedparser`` for RSS, Atom and RDF) and runs one shared pass
over what the adapter returns, so every format gets the same keys and hashes.
"""

from __future__ import annotations

import re
from dataclasses import replace

from aggregator.models import ParsedFeed
from aggregator.parse.jsonfeed import looks_like_json, parse_json_feed
from aggregator.parse.keys import disambiguate_keys

__all__ = ["finish", "looks_like_html", "parse_feed"]

_PROLOGUE = re.compile(rb"^(?:\s*(?:<\?.*?\?>|<!--.*?-->))*", re.DOTALL)


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document (RSS, Atom, RDF or JSON Feed); raise ParseError when it is
    not a feed at all."""
    if looks_like_json(content):
        parsed = parse_json_feed(content, url)
    else:
        # Imported on first use: a refresh whose feeds all answer 304, or whose parsing
        # runs in worker processes, never loads feedparser in its own process.
        from aggregator.parse.feedparser import parse_xml_feed

        parsed = parse_xml_feed(content, url, content_type)
    return finish(parsed)


def finish(parsed: ParsedFeed) -> ParsedFeed:
    """The pass every format shares: a key a feed reuses for entries with different links
    is made unique, and each entry's content hash and plain text are computed (here, in
    the parsing process, rather than in the one that writes the store)."""
    entries = disambiguate_keys(parsed.entries)
    for entry in entries:
        _ = entry.content_hash, entry.content_text
    return replace(parsed, entries=entries)


def looks_like_html(content: bytes) -> bool:
    """Whether a response body is a web page rather than a feed."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    # Skip an XML declaration, processing instructions and comments before the first element.
    head = _PROLOGUE.sub(b"", head).lstrip()
    return head.startswith((b"<!doctype html", b"<html"))
