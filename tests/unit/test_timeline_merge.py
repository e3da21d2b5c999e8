"""The timeline merges one article reached through two sources, never two entries of one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import StoredEntry
from aggregator.publish.timeline import build_timeline
from aggregator.settings import SiteSettings

SITE = SiteSettings(title="Reading room", url="https://room.example/", author="Sam")
START = datetime(2026, 5, 1, 12, tzinfo=UTC)


def entry(key: str, url: str, source_id: int, hours: int) -> StoredEntry:
    return StoredEntry(
        id=hash((key, source_id)) & 0xFFFF,
        key=key,
        url=url,
        title=f"Entry {key}",
        author=None,
        published=START - timedelta(hours=hours),
        updated=START - timedelta(hours=hours),
        summary="",
        content_html="",
        source_id=source_id,
        source_title=f"Blog {source_id}",
        source_url=f"https://blog{source_id}.example/",
        source_feed_url=f"https://blog{source_id}.example/feed.xml",
    )


def test_entries_of_one_blog_that_share_a_link_are_all_shown() -> None:
    # A wiki-style log: every entry has its own guid, many point to the same page.
    entries = [entry(f"log-{n}", "https://wiki.example/garden", 1, n) for n in range(60)]
    items = build_timeline([], entries, SITE, limit=100)
    assert len(items) == 60


def test_the_same_article_from_two_blogs_is_shown_once() -> None:
    entries = [
        entry("a", "https://origin.example/post/", 1, 1),
        entry("b", "https://www.origin.example/post?utm_source=x", 2, 2),
    ]
    (item,) = build_timeline([], entries, SITE, limit=10)
    assert item.title == "Entry a"
