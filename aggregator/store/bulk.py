"""Entry rows written straight through the DBAPI cursor, for ``store_feed``, and the
driver's own values read back into Python ones, for the build's large reads.

A cold refresh writes tens of thousands of entries, and SQLAlchemy's per-row
work (building parameters, running the four date and the JSON bind processors
of every row) cost more than the database itself. Here each row is turned once
into exactly the values those column types would have bound (the same strings
on SQLite, the same objects on PostgreSQL) and handed to ``executemany``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Column, Connection, Dialect, type_coerce
from sqlalchemy.types import NullType

from aggregator.models import EntryIdentity, EntryInsert, EntryUpdate, ParsedEntry
from aggregator.store.schema import ENTRIES, SOURCES, UTCDateTime

#: The columns of an entry's version.
_FIELDS = (
    "url",
    "title",
    "author",
    "published_at",
    "updated_at",
    "summary",
    "content_html",
    "content_hash",
    "enclosures",
)
_INSERTED = ("source_id", "key", "first_seen_at", "sort_at", "previous_content_hash", *_FIELDS)
_UPDATED = (*_FIELDS, "previous_content_hash", "sort_at")

Convert = Callable[[Any], Any]


def sqlite_datetime(value: datetime | None) -> str | None:
    """What ``UTCDateTime`` binds on SQLite: naive UTC as SQLAlchemy's DATETIME text
    (``YYYY-MM-DD HH:MM:SS.ffffff``), so that text order is time order."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the parser's and the clock's dates already are
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
    # Without the "+00:00" the UTC offset adds; the year is always four digits.
    return value.isoformat(" ", "microseconds")[:26]


def raw(column: Any) -> Any:
    """``column`` selected as the driver returns it, without its type's result processing
    (``date_reader`` and ``json_reader`` do it in one call)."""
    return type_coerce(column, NullType())


def _sqlite_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        # The text sqlite_datetime wrote, naive UTC: parsed as UTC in one call (replace()
        # costs four times the parse).
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # a date written with its offset
        found = datetime.fromisoformat(value)
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def _aware_date(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def date_reader(dialect: Dialect) -> Callable[[Any], datetime | None]:
    """What ``UTCDateTime`` gives for a ``raw`` date of ``dialect``: an aware UTC datetime."""
    return _sqlite_date if dialect.name == "sqlite" else _aware_date


def _sqlite_json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def json_reader(dialect: Dialect) -> Convert:
    """What ``JSON`` gives for a ``raw`` value of ``dialect``: SQLite holds text, psycopg
    decodes it itself."""
    return _sqlite_json if dialect.name == "sqlite" else _identity


def mark(connection: Connection) -> str:
    """The driver's placeholder: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


@contextmanager
def raw_cursor(connection: Connection) -> Iterator[Any]:
    """A DBAPI cursor on ``connection``'s transaction, closed after use."""
    cursor: Any = connection.connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def identities_where(
    connection: Connection, source_id: int, column: str, values: Sequence[str | None]
) -> dict[str, EntryIdentity]:
    """A source's stored entries whose ``column`` (``key`` or ``url``) is one of ``values``,
    the oldest for each value: what a changed feed is matched against, once per changed
    feed. The content is never read."""
    if column not in ("key", "url"):
        raise ValueError(f"entries are not matched by {column!r}")
    wanted = sorted({v for v in values if v})
    found: dict[str, EntryIdentity] = {}
    date, m = date_reader(connection.dialect), mark(connection)
    with raw_cursor(connection) as cursor:
        # Chunked so that a huge feed stays under the databases' parameter limits.
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join([m] * len(chunk))
            cursor.execute(
                "SELECT id, key, url, content_hash, previous_content_hash, first_seen_at "
                f"FROM entries WHERE source_id = {m} AND {column} IN ({marks}) ORDER BY id",
                (source_id, *chunk),
            )
            for id, key, url, content_hash, previous, first_seen in cursor.fetchall():
                value = key if column == "key" else url
                if value not in found:
                    found[value] = EntryIdentity(
                        id=id,
                        key=key,
                        url=url,
                        content_hash=content_hash,
                        previous_content_hash=previous,
                        first_seen_at=cast(datetime, date(first_seen)),
                    )
    return found


def _identity(value: Any) -> Any:
    return value


def _bind(column: Column[Any], dialect: Dialect) -> Convert:
    """The column type's own bind conversion on ``dialect``."""
    process = column.type._cached_bind_processor(dialect)
    return process if process is not None else _identity


@functools.cache
def _converters(dialect: Dialect) -> tuple[Convert, Convert]:
    """(date, JSON) bind conversions of ``dialect``: the column types' own processors,
    except the date on SQLite, whose two stacked processors are replaced by one call."""
    date = sqlite_datetime if dialect.name == "sqlite" else _bind(ENTRIES.c.published_at, dialect)
    return date, _bind(ENTRIES.c.enclosures, dialect)


def _version(
    entry: ParsedEntry,
    published: datetime | None,
    updated: datetime | None,
    date: Convert,
    json: Convert,
) -> tuple[Any, ...]:
    enclosures = [{"url": e.url, "type": e.type, "length": e.length} for e in entry.enclosures]
    return (
        entry.url,
        entry.title,
        entry.author,
        date(published),
        date(updated),
        entry.summary,
        entry.content_html,
        entry.content_hash,
        json(enclosures or None),
    )


def insert_entries(
    connection: Connection, source_id: int, now: datetime, inserts: Sequence[EntryInsert]
) -> list[int]:
    """Insert the new entries of one source; returns their ids, in the order given."""
    if not inserts:
        return []
    date, json = _converters(connection.dialect)
    first_seen = date(now)
    rows = [
        (
            source_id,
            i.entry.key,
            first_seen,
            date(i.sort_at),
            None,
            *_version(i.entry, i.published, i.updated, date, json),
        )
        for i in inserts
    ]
    sql = (
        f"INSERT INTO entries ({', '.join(_INSERTED)}) "
        f"VALUES ({', '.join([mark(connection)] * len(_INSERTED))})"
    )
    ids: list[int] = []
    with raw_cursor(connection) as cursor:
        if connection.dialect.name == "sqlite":
            # sqlite3's executemany returns no rows (no RETURNING); one execute a row is
            # still cheap there, and lastrowid is the row's id.
            for row in rows:
                cursor.execute(sql, row)
                ids.append(cursor.lastrowid)
            return ids
        # psycopg's executemany takes returning=, one result set per row.
        cursor.executemany(f"{sql} RETURNING id", rows, returning=True)
        while True:
            ids.append(cursor.fetchone()[0])
            if not cursor.nextset():
                return ids


def update_entries(connection: Connection, updates: Sequence[EntryUpdate]) -> None:
    """Rewrite changed entries with their new version, keeping their old hash."""
    if not updates:
        return
    date, json = _converters(connection.dialect)
    rows = [
        (
            *_version(u.entry, u.published, u.updated, date, json),
            u.previous_content_hash,
            date(u.sort_at),
            u.id,
        )
        for u in updates
    ]
    m = mark(connection)
    sql = f"UPDATE entries SET {', '.join(f'{c} = {m}' for c in _UPDATED)} WHERE id = {m}"
    with raw_cursor(connection) as cursor:
        cursor.executemany(sql, rows)


@functools.cache
def _source_converters(dialect: Dialect) -> dict[str, Convert]:
    """Each column of ``sources`` with its bind conversion on ``dialect`` (as above)."""
    date = _converters(dialect)[0]
    return {
        column.name: date if isinstance(column.type, UTCDateTime) else _bind(column, dialect)
        for column in SOURCES.c
    }


def update_source(connection: Connection, source_id: int, values: dict[str, Any]) -> None:
    """``UPDATE sources SET …`` one source's ``values``; ``site_url`` is only filled in."""
    convert = _source_converters(connection.dialect)
    m = mark(connection)
    assignments = [
        f"{name} = coalesce({name}, {m})" if name == "site_url" else f"{name} = {m}"
        for name in values
    ]
    row = [convert[name](value) for name, value in values.items()]
    with raw_cursor(connection) as cursor:
        cursor.execute(
            f"UPDATE sources SET {', '.join(assignments)} WHERE id = {m}", (*row, source_id)
        )
