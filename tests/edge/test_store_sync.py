"""Syncing the blogroll into the store writes what changed, and nothing when nothing did."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from aggregator.models import BlogrollEntry, Recommended
from aggregator.store import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

BLOGROLL = [
    BlogrollEntry(
        url="https://pear.example/",
        feed_url="https://pear.example/feed.xml",
        title="Pear",
        category="Friends",
        note="Orchards and *grafting*.",
        recommended=(Recommended("On rootstock", "https://pear.example/rootstock"),),
    ),
    BlogrollEntry(url="https://quince.example/", title="Quince", category="Friends"),
]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def writes(store: Store) -> Iterator[list[str]]:
    """Every INSERT, UPDATE and DELETE the store sends to the database."""
    sent: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    yield sent
    event.remove(store.engine, "before_cursor_execute", seen)


def test_syncing_an_unchanged_blogroll_writes_nothing(store: Store, writes: list[str]) -> None:
    assert store.sync_blogroll(BLOGROLL, T0).added == 2
    assert writes
    writes.clear()

    again = store.sync_blogroll(BLOGROLL, T0)

    assert (again.added, again.kept, again.retired) == (0, 2, 0)
    assert writes == []


def test_a_changed_note_and_a_removed_blog_are_written(store: Store, writes: list[str]) -> None:
    store.sync_blogroll(BLOGROLL, T0)
    writes.clear()
    changed = replace(BLOGROLL[0], note="Now about cider.")

    outcome = store.sync_blogroll([changed], T0)

    assert (outcome.added, outcome.kept, outcome.retired) == (0, 1, 1)
    assert writes
    sources = {s.url: s for s in store.list_sources(include_retired=True)}
    assert sources["https://pear.example/"].note == "Now about cider."
    assert sources["https://pear.example/"].recommended == BLOGROLL[0].recommended
    assert sources["https://pear.example/"].entry_count == 0
    assert not sources["https://quince.example/"].active
