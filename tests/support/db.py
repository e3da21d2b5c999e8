"""The store a test runs on: SQLite in its folder, or a fresh PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

#: Set to a PostgreSQL URL to run every store-backed test on PostgreSQL instead of SQLite.
TEST_DATABASE_ENV = "AGGREGATOR_TEST_DATABASE_URL"
POSTGRES_HINT = (
    f"needs PostgreSQL: set {TEST_DATABASE_ENV}=postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_base_url() -> str | None:
    """The PostgreSQL database the tests may use, if any."""
    return os.environ.get(TEST_DATABASE_ENV) or None


def on_postgres() -> bool:
    return postgres_base_url() is not None


def require_postgres() -> str:
    """The PostgreSQL URL; skips the test without one, and fails it under CI."""
    base = postgres_base_url()
    if base is None:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_HINT} (under CI it must be set; .ci/run does it)")
        pytest.skip(POSTGRES_HINT)
    return base


def _admin_engine(base: str) -> object:
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A fresh, empty schema; the URL yielded puts it first on the search path.

    A schema per test is much faster than a database per test and as isolated:
    every table, including Alembic's, is created in it.
    """
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = _admin_engine(base)
    with engine.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f"CREATE SCHEMA {name}"))
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    url = url.update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:  # type: ignore[attr-defined]
            # A process the test killed may still hold a lock for a moment.
            connection.execute(text("SET lock_timeout = '10s'"))
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()  # type: ignore[attr-defined]


def query(database_url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Run one SQL statement on a test's store and return its rows (none for a write)."""
    from aggregator.store import create_store_engine

    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def refuse_entries_titled(database_url: str, title: str) -> None:
    """Make the database itself refuse to store an entry with this title (a trigger), so
    that storing one feed fails for real while the others are stored."""
    if database_url.startswith("sqlite"):
        query(
            database_url,
            "CREATE TRIGGER refuse_entry BEFORE INSERT ON entries"
            f" WHEN NEW.title = '{title}' BEGIN SELECT RAISE(ABORT, 'entry refused'); END",
        )
        return
    query(
        database_url,
        "CREATE FUNCTION refuse_entry() RETURNS trigger AS $$ BEGIN"
        f" IF NEW.title = '{title}' THEN RAISE EXCEPTION 'entry refused'; END IF;"
        " RETURN NEW; END $$ LANGUAGE plpgsql",
    )
    query(
        database_url,
        "CREATE TRIGGER refuse_entry BEFORE INSERT ON entries"
        " FOR EACH ROW EXECUTE FUNCTION refuse_entry()",
    )
