"""Alembic migrations: from empty, from every earlier revision with data in it, and back down."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from aggregator.store import Store
from aggregator.store.schema import UTCDateTime
from tests.support.db import query
from tests.support.site import Site

REVISIONS = Store.revisions()
EARLIER = REVISIONS[:-1]
T0 = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)

# Only the columns of the first revision: every later one adds, never removes.
SOURCES = sa.table(
    "sources",
    *(sa.column(name) for name in ("id", "url", "feed_url", "title", "category", "note")),
    sa.column("recommended", sa.JSON()),
    sa.column("position"),
    sa.column("active", sa.Boolean()),
    sa.column("failure_count"),
    sa.column("last_result"),
    sa.column("created_at", UTCDateTime()),
    sa.column("last_fetched_at", UTCDateTime()),
)
ENTRIES = sa.table(
    "entries",
    *(sa.column(name) for name in ("id", "source_id", "key", "url", "title", "content_hash")),
    sa.column("summary"),
    sa.column("content_html"),
    sa.column("first_seen_at", UTCDateTime()),
    sa.column("sort_at", UTCDateTime()),
    sa.column("published_at", UTCDateTime()),
)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url, upgrade=False)
    yield opened
    opened.close()


def fill(store: Store) -> None:
    """A blog with two entries, written as the oldest schema knows them."""
    with store.engine.begin() as connection:
        connection.execute(
            sa.insert(SOURCES),
            [
                {
                    "id": 1,
                    "url": "https://kept.example/",
                    "feed_url": "https://kept.example/feed.xml",
                    "title": "Kept Blog",
                    "category": "Friends",
                    "note": "Still here after the upgrade.",
                    "recommended": [{"title": "A post", "url": "https://kept.example/a"}],
                    "position": 0,
                    "active": True,
                    "failure_count": 0,
                    "last_result": "ok",
                    "created_at": T0,
                    "last_fetched_at": T0,
                }
            ],
        )
        connection.execute(
            sa.insert(ENTRIES),
            [
                {
                    "id": n,
                    "source_id": 1,
                    "key": f"https://kept.example/{n}",
                    "url": f"https://kept.example/{n}",
                    "title": f"Kept entry {n}",
                    "content_hash": f"{n:064x}",
                    "summary": "",
                    "content_html": f"<p>Body {n}</p>",
                    "first_seen_at": T0,
                    "sort_at": T0.replace(day=n),
                    "published_at": T0.replace(day=n),
                }
                for n in (1, 2)
            ],
        )


def tables(database_url: str) -> set[str]:
    engine = Store.open(database_url, upgrade=False).engine
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_revisions_form_one_line_from_0001() -> None:
    assert REVISIONS[0] == "0001"
    assert sorted(REVISIONS) == REVISIONS
    assert Store.head_revision() == REVISIONS[-1]


def test_upgrade_from_empty_creates_every_table(store: Store, database_url: str) -> None:
    assert store.current_revision() is None
    store.upgrade()
    assert store.current_revision() == Store.head_revision()
    assert {"sources", "entries", "source_aliases", "alembic_version"} <= tables(database_url)
    assert store.list_sources() == []


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrading_a_filled_database_keeps_its_data(store: Store, revision: str) -> None:
    store.upgrade(revision)
    fill(store)

    store.upgrade()

    assert store.current_revision() == Store.head_revision()
    (source,) = store.list_sources()
    assert (source.url, source.title, source.category) == (
        "https://kept.example/",
        "Kept Blog",
        "Friends",
    )
    assert source.note == "Still here after the upgrade."
    assert [r.url for r in source.recommended] == ["https://kept.example/a"]
    assert source.last_fetched_at == T0
    assert source.entry_count == 2
    assert source.is_own is False  # a column added later gets its default
    entries = store.recent_entries(10)
    assert [e.title for e in entries] == ["Kept entry 2", "Kept entry 1"]
    assert entries[0].content_html == "<p>Body 2</p>"
    assert entries[0].enclosures == ()


@pytest.mark.parametrize("revision", EARLIER)
def test_downgrading_to_an_earlier_revision_keeps_the_data(
    store: Store, database_url: str, revision: str
) -> None:
    store.upgrade(REVISIONS[0])
    fill(store)
    store.upgrade()

    store.downgrade(revision)

    assert store.current_revision() == revision
    titles = query(database_url, "SELECT title FROM entries ORDER BY id")
    assert titles == [("Kept entry 1",), ("Kept entry 2",)]
    store.upgrade()
    assert store.list_sources()[0].entry_count == 2


def test_downgrade_to_base_leaves_an_empty_database(store: Store, database_url: str) -> None:
    store.upgrade()
    store.downgrade("base")
    assert store.current_revision() is None
    assert tables(database_url) <= {"alembic_version"}


def test_db_commands_report_and_apply_pending_migrations(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(site.database_url, upgrade=False)
    store.upgrade(EARLIER[0])
    store.close()

    assert site.cli("db", "current") == 0
    assert f"at revision {EARLIER[0]} (behind head {REVISIONS[-1]})" in capsys.readouterr().out
    assert site.cli("db", "upgrade") == 0
    assert f"at revision {REVISIONS[-1]}" in capsys.readouterr().out
    assert site.cli("db", "current") == 0
    assert f"at revision {REVISIONS[-1]} (up to date)" in capsys.readouterr().out


def test_a_new_sqlite_store_has_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    new = Store.open(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    new.close()
    old_path = tmp_path / "old.sqlite3"
    with sqlite3.connect(old_path) as made:
        made.execute("PRAGMA page_size=4096")
        made.execute("CREATE TABLE made_before (id INTEGER PRIMARY KEY)")
    old = Store.open(f"sqlite:///{old_path}")
    assert old.list_sources() == []
    old.close()

    def page_size(path: Path) -> int:
        with sqlite3.connect(path) as connection:
            return int(connection.execute("PRAGMA page_size").fetchone()[0])

    assert page_size(tmp_path / "new.sqlite3") == 16384
    assert page_size(old_path) == 4096
