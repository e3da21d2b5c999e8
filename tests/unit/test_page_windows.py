"""The page windows: one definition of how many entries each page reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.models import StoredEntry
from aggregator.publish.inputs import PageWindows, ShownEntries
from aggregator.settings import load_settings

CONFIG = """\
[site]
title = "Windows"
url = "https://windows.example/"
author = "Kim"

[database]
url = "sqlite:///windows.sqlite3"

[blogroll]
file = "blogroll.md"

[output]
dir = "public"
{output}
"""


def windows(tmp_path: Path, output: str = "") -> PageWindows:
    config = tmp_path / "aggregator.toml"
    config.write_text(CONFIG.format(output=output), encoding="utf-8")
    return PageWindows.from_settings(load_settings(config, environ={}))


def test_the_windows_follow_the_output_settings(tmp_path: Path) -> None:
    chosen = windows(
        tmp_path, "items = 7\npages = 3\nper_source = 2\nfeed_items = 9\narchive_months = 4"
    )
    assert chosen == PageWindows(per_page=7, pages=3, per_source=2, feed=9, archive_months=4)
    assert chosen.river == 21


@pytest.mark.parametrize(
    ("output", "category"),
    [
        ("items = 10\nfeed_items = 5", 20),  # two pages' worth leaves room for the fair share
        ("items = 2\nfeed_items = 50", 50),  # the category feed needs more than the page
    ],
)
def test_a_category_reads_enough_for_its_page_and_its_feed(
    tmp_path: Path, output: str, category: int
) -> None:
    assert windows(tmp_path, output).category == category


def test_the_default_windows(tmp_path: Path) -> None:
    chosen = windows(tmp_path)
    assert (chosen.river, chosen.category, chosen.feed) == (1000, 200, 50)


def entry(entry_id: int, source_id: int = 1) -> StoredEntry:
    when = datetime(2026, 3, entry_id % 28 + 1, tzinfo=UTC)
    return StoredEntry(
        id=entry_id,
        key=f"k{entry_id}",
        url=f"https://blog.example/{entry_id}",
        title=f"Entry {entry_id}",
        author=None,
        published=when,
        updated=when,
        summary="",
        content_html="",
        source_id=source_id,
        source_title="Blog",
        source_url="https://blog.example/",
        source_feed_url="https://blog.example/feed.xml",
    )


def test_shown_ids_are_the_river_the_latest_of_each_blog_and_each_category() -> None:
    shown = ShownEntries(
        everyone=(),
        sources=(),
        river=(entry(1), entry(2)),
        latest={1: entry(2), 2: entry(30, source_id=2)},
        categories={"Friends": (entry(2), entry(3)), "Work": (entry(40, source_id=2),)},
    )
    assert shown.ids() == {1, 2, 3, 30, 40}
