"""Reading what the pages show: each blog's newest entries and its newest dated one."""

from __future__ import annotations

from aggregator.store import Store
from tests.edge.test_store_entries import T0, feed, item, store, store_at  # noqa: F401

DATED = "Sun, 01 Feb 2026 10:00:00 GMT"


def test_each_blog_gets_its_newest_entries_and_its_newest_dated_one(store: Store) -> None:  # noqa: F811
    # The undated pages sort above the dated post: the two newest are pages.
    parsed = feed(
        item("About", "https://ids.example/about"),
        item("Contact", "https://ids.example/contact"),
        item("A dated post", "https://ids.example/post", date=DATED),
    )
    store_at(store, parsed, T0)
    (source,) = store.list_sources()

    two = store.newest_by_source([source.id], 2)
    everything = store.newest_by_source([source.id], 10, content=False)

    assert [e.title for e in everything.entries[source.id]][-1] == "A dated post"
    assert len(two.entries[source.id]) == 2
    # Not among the two newest, yet found: the blogroll's "latest" is a post, not a page.
    assert two.latest[source.id].title == "A dated post"
    assert everything.latest[source.id].title == "A dated post"
    assert {e.content_html for e in everything.entries[source.id]} == {""}
    assert two.entries[source.id][0].content_html


def test_no_source_reads_nothing(store: Store) -> None:  # noqa: F811
    assert store.newest_by_source([], 5).entries == {}
    assert store.recent_entries(5, source_ids=[]) == []
