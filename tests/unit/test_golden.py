"""Golden files: every fixture feed in tests/data/feeds is pinned to its normalised entries.

Each ``NAME.expected.json`` names its fixture, the URL it is parsed as, and what
must come out. After a deliberate change, rewrite them with
``python -m tests.test_golden`` and review the diff.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from aggregator.models import ParsedFeed
from aggregator.parse import parse_feed
from tests.support.paths import DATA

FEEDS = DATA / "feeds"
EXPECTED = sorted(FEEDS.glob("*.expected.json"))

#: fixture → (URL it is fetched from, Content-Type it is served with)
FIXTURES: dict[str, tuple[str, str | None]] = {
    "rss091.xml": ("https://tides.example/rss.xml", None),
    "rss2.xml": ("https://soil.example.net/index.xml", None),
    "rdf.xml": ("https://nightradio.example.fm/index.rdf", None),
    "atom03.xml": ("https://werkbank.example/atom.xml", None),
    "atom.xml": ("https://mira.example.com/feed.xml", None),
    "jsonfeed-1.0.json": ("https://oldkiln.example/feed.json", "application/json"),
    "jsonfeed-1.1.json": ("https://kiln.example/feed.json", "application/feed+json"),
    "dates.xml": ("https://dates.example/feed", None),
    "identity.xml": ("https://ids.example/feed/rss.xml", None),
    "titles.xml": ("https://titles.example/feed", None),
    "relative.xml": ("https://rel.example/blog/atom.xml", None),
    "podcast.xml": ("https://shed.example/podcast.xml", None),
    "authors.xml": ("https://two.example/atom.xml", None),
    "enc-windows-1252.xml": ("https://enc.example/1252.xml", "application/rss+xml"),
    "enc-iso-8859-1.xml": ("https://enc.example/latin1.xml", None),
    "enc-iso-8859-1-with-cp1252-quotes.xml": ("https://enc.example/quotes.xml", None),
    "enc-shift_jis.xml": ("https://enc.example/sjis.xml", "text/xml; charset=Shift_JIS"),
    "enc-utf-16.xml": ("https://enc.example/utf16.xml", None),
    "enc-declared-utf-8-is-1252.xml": ("https://enc.example/wrong1.xml", None),
    "enc-declared-latin-1-is-utf-8.xml": (
        "https://enc.example/wrong2.xml",
        "application/rss+xml; charset=ISO-8859-1",
    ),
    "enc-undeclared-1252.xml": ("https://enc.example/none.xml", "text/xml"),
}


def normalised(feed: ParsedFeed) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "title": feed.title,
        "site_url": feed.site_url,
        "description": feed.description,
        "icon": feed.icon,
        "language": feed.language,
        "entries": [
            {
                "key": e.key,
                "url": e.url,
                "title": e.title,
                "author": e.author,
                "published": when(e.published),
                "updated": when(e.updated),
                "summary": e.summary,
                "content_html": e.content_html,
                "enclosures": [
                    {"url": x.url, "type": x.type, "length": x.length} for x in e.enclosures
                ],
            }
            for e in feed.entries
        ],
    }


def parse_fixture(name: str) -> dict[str, Any]:
    url, content_type = FIXTURES[name]
    return normalised(parse_feed((FEEDS / name).read_bytes(), url, content_type))


def expected_path(name: str) -> Path:
    return FEEDS / f"{name.rsplit('.', 1)[0]}.expected.json"


def test_every_fixture_has_a_golden_file_and_every_golden_file_a_fixture() -> None:
    assert sorted(expected_path(name) for name in FIXTURES) == EXPECTED


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_feed_parses_to_its_golden_entries(name: str) -> None:
    expected = json.loads(expected_path(name).read_text(encoding="utf-8"))

    assert parse_fixture(name) == expected


def regenerate() -> None:
    for name in FIXTURES:
        text = json.dumps(parse_fixture(name), ensure_ascii=False, indent=2) + "\n"
        expected_path(name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    regenerate()
