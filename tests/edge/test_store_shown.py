"""Reading what the pages show: each blog's newest entries and its newest dated one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

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


def test_on_sqlite_the_archives_read_headlines_digests_and_dates_from_one_index(
    store: Store,  # noqa: F811
) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps content out of line and has no such index")
    store_at(store, feed(item("A post", "https://ids.example/post", date=DATED)), T0)
    statements: list[tuple[str, Any]] = []

    def seen(_c: object, _cur: object, statement: str, parameters: Any, *_: object) -> None:
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", seen)
    start, end = T0 - timedelta(days=40), T0 + timedelta(days=1)
    store.headlines_between(start, end)
    store.entries_digest(start, end)
    store.entry_dates_since(start)
    event.remove(store.engine, "before_cursor_execute", seen)

    reads = [(s, p) for s, p in statements if "FROM entries" in s]
    assert len(reads) == 3
    with store.engine.connect() as connection:
        for statement, parameters in reads:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            # Not one row of the table (with its content) is read, only the index.
            assert any("COVERING INDEX ix_entries_headlines" in row[-1] for row in plan), plan
