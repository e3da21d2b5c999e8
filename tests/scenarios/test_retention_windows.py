"""Retention keeps what the pages show, by the same windows the pages read with.

Changing ``[output] items`` changes both what the pages show and what
retention keeps; nothing the built pages link to is ever pruned.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aggregator.publish.inputs import PageWindows, shown_entry_ids
from aggregator.settings import load_settings
from aggregator.store import Store
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site, make_site

ENTRIES = 12
LINK = re.compile(r"https://many\.example/(\d+)")
#: The files that show stored entries: the river, the category pages, the feeds, the blogroll
#: and the blog pages.
SHOWN = ("index.html", "page/*/index.html", "category/*/index.html", "*.xml", "*.json")
SHOWN_DEEP = (
    "category/*/feed.xml",
    "category/*/feed.json",
    "blogroll.html",
    "blogs/*/index.html",
)


def linked(output: Path) -> set[int]:
    """The entries the built pages and feeds link to, by number."""
    paths = [p for pattern in SHOWN + SHOWN_DEEP for p in output.glob(pattern)]
    assert output / "index.html" in paths
    return {int(n) for p in paths for n in LINK.findall(p.read_text(encoding="utf-8"))}


def stored(site: Site) -> set[int]:
    return {
        int(match.group(1))
        for (url,) in site.query("SELECT url FROM entries")
        if (match := LINK.fullmatch(str(url)))
    }


def site_with(root: Path, feed_server: FeedServer, items: int) -> Site:
    site = make_site(root)
    entries = [
        FeedItem(f"Entry {n}", f"https://many.example/{n}", day(n)) for n in range(1, ENTRIES + 1)
    ]
    site.write_blogroll(
        [feed_server.blog("Many", "https://many.example/", "/many.xml", rss2_feed, entries)]
    )
    output = f"items = {items}\npages = 1\nper_source = {items}\nfeed_items = 2"
    text = site.config.read_text().replace(
        '[output]\ndir = "public"', f'[output]\ndir = "public"\n{output}'
    )
    site.config.write_text(text)
    return site


def kept_after_pruning(site: Site) -> tuple[set[int], set[int], set[int]]:
    """Build without retention, then turn retention on and refresh again.

    Returns (linked from the pages, left in the store, named by shown_entry_ids).
    """
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    shown = linked(site.output)
    assert stored(site) == set(range(1, ENTRIES + 1))
    site.config.write_text(site.config.read_text() + "\n[retention]\nper_source = 1\n")
    assert site.cli("refresh", "--all") == 0
    settings = load_settings(site.config, environ={})
    store = Store.open(site.database_url)
    try:
        named = shown_entry_ids(store, PageWindows.from_settings(settings))
        named_urls = {e.url for e in store.recent_entries(100) if e.id in named}
    finally:
        store.close()
    return shown, stored(site), {int(n) for u in named_urls if u for n in LINK.findall(u)}


@pytest.mark.parametrize(
    ("items", "kept"),
    [
        # A category reads two pages' worth (2 × items) for its fair-shared page.
        (5, set(range(3, ENTRIES + 1))),
        (2, set(range(9, ENTRIES + 1))),
    ],
)
def test_retention_keeps_what_the_windows_show(
    tmp_path: Path, feed_server: FeedServer, items: int, kept: set[int]
) -> None:
    site = site_with(tmp_path / f"items-{items}", feed_server, items)
    shown, left, named = kept_after_pruning(site)

    assert left == kept == named
    # The river shows the newest ``items``; every entry a page links to is still stored.
    assert set(range(ENTRIES - items + 1, ENTRIES + 1)) <= shown <= left

    before = {p: (site.output / p).read_bytes() for p in ("index.html", "feed.xml")}
    assert site.cli("build") == 0
    assert linked(site.output) == shown
    assert {p: (site.output / p).read_bytes() for p in before} == before


def test_a_smaller_window_keeps_fewer_and_a_larger_one_more(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    big = kept_after_pruning(site_with(tmp_path / "big", feed_server, 5))
    small = kept_after_pruning(site_with(tmp_path / "small", feed_server, 2))

    assert small[1] < big[1]
    assert small[0] < big[0]
    for shown, left, _ in (big, small):
        assert shown <= left
