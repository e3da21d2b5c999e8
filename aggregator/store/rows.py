"""Shared by the store's parts: the tables, the transaction, and row ↔ model conversions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from aggregator.errors import StoreError
from aggregator.models import (
    Enclosure,
    ParseWarning,
    Recommended,
    Source,
)
from aggregator.store.schema import SOURCE_ALIASES, SOURCES


class StoreBase:
    """The engine and one transaction per call; the parts of ``Store`` build on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The connection of this thread's ``transaction`` block, while there is one.
        self._shared = threading.local()

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every call of the store in this block, on this thread, in one transaction:
        committed when the block ends, all of it rolled back if the block raises. A
        statement that fails raises ``StoreError`` and leaves the transaction to be rolled
        back (so the block must end)."""
        if getattr(self._shared, "connection", None) is not None:
            yield  # already in one
            return
        with self._connection() as connection:
            self._shared.connection = connection
            try:
                yield
            finally:
                self._shared.connection = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """One transaction (or the ``transaction`` block's); committed when the block ends,
        rolled back if it raises."""
        shared: Connection | None = getattr(self._shared, "connection", None)
        # The hot paths write through the driver's own cursor (``bulk``): its errors too.
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            if shared is not None:
                yield shared
                return
            with self.engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, driver_error) as exc:
            raise StoreError(f"database {self.display_url}: {_reason(exc)}") from exc


def due_clause(now: datetime, *, every: bool = False) -> ColumnElement[bool]:
    """What "due" means, once, for ``due_sources`` and ``claim_due``: not gone, past any
    Retry-After, next check come (any time with ``every``), and not leased to a worker."""
    conditions = [
        SOURCES.c.gone_at.is_(None),
        or_(SOURCES.c.retry_after.is_(None), SOURCES.c.retry_after <= now),
        or_(SOURCES.c.lease_expires_at.is_(None), SOURCES.c.lease_expires_at <= now),
    ]
    if not every:
        conditions.append(or_(SOURCES.c.next_check_at.is_(None), SOURCES.c.next_check_at <= now))
    return and_(*conditions)


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


def _success_fields(result: str, now: datetime, next_check_at: datetime) -> dict[str, Any]:
    """A source's state after a successful fetch: every failure mark cleared."""
    return {
        "last_fetched_at": now,
        "last_result": result,
        "last_error_kind": None,
        "last_error": None,
        "failure_count": 0,
        "first_failure_at": None,
        "retry_after": None,
        "gone_at": None,
        "next_check_at": next_check_at,
        # Recording the result is the end of the fetch: the lease, if any, is over.
        "lease_owner": None,
        "lease_expires_at": None,
    }


def update_one(
    connection: Connection, table: Table, row_id: int, values: dict[str, Any], *, what: str
) -> None:
    """Update the row of ``table`` with id ``row_id``; one that is not there is an error
    naming ``what`` it is, not a silent no-op."""
    changed = connection.execute(update(table).where(table.c.id == row_id).values(values))
    if changed.rowcount == 0:
        raise StoreError(f"{what} {row_id} is not in the store")


def _move(connection: Connection, source_id: int, new_url: str | None, now: datetime) -> None:
    """Follow a permanent redirect: the new URL is fetched, the old one kept as an alias."""
    row = connection.execute(
        select(SOURCES.c.url, SOURCES.c.feed_url).where(SOURCES.c.id == source_id)
    ).one()
    old = row.feed_url or row.url
    if not new_url or new_url == old:
        return
    known = select(SOURCE_ALIASES.c.url).where(SOURCE_ALIASES.c.url == old)
    if connection.execute(known).first() is None:
        connection.execute(
            insert(SOURCE_ALIASES).values(url=old, source_id=source_id, created_at=now)
        )
    connection.execute(delete(SOURCE_ALIASES).where(SOURCE_ALIASES.c.url == new_url))
    connection.execute(
        update(SOURCES).where(SOURCES.c.id == source_id).values(feed_url=new_url, moved_at=now)
    )


def _enclosures(value: Any) -> tuple[Enclosure, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Enclosure(str(e["url"]), e.get("type"), e.get("length"))
        for e in value
        if isinstance(e, dict) and e.get("url")
    )


def _source(
    row: Any, entry_count: int, aliases: tuple[str, ...] = (), subscribed: bool = False
) -> Source:
    return Source(
        id=row.id,
        url=row.url,
        feed_url=row.feed_url,
        site_url=row.site_url,
        title=row.title,
        feed_title=row.feed_title,
        category=row.category,
        note=row.note,
        recommended=tuple(Recommended(r["title"], r["url"]) for r in row.recommended or []),
        position=row.position,
        active=row.active,
        etag=row.etag,
        last_modified=row.last_modified,
        last_fetched_at=row.last_fetched_at,
        last_result=row.last_result,
        last_http_status=row.last_http_status,
        last_error_kind=row.last_error_kind,
        last_error=row.last_error,
        failure_count=row.failure_count,
        next_check_at=row.next_check_at,
        entry_count=entry_count,
        first_failure_at=row.first_failure_at,
        last_failure_at=row.last_failure_at,
        retry_after=row.retry_after,
        gone_at=row.gone_at,
        moved_at=row.moved_at,
        body_hash=row.body_hash,
        publisher_interval=_seconds(row.publisher_interval_seconds),
        interval=_seconds(row.interval_seconds),
        aliases=aliases,
        last_warning=_warning(row.last_warning),
        feed_description=row.feed_description,
        feed_icon=row.feed_icon,
        feed_language=row.feed_language,
        is_own=bool(row.is_own),
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        hubs=tuple(row.hub_urls or ()),
        self_url=row.self_url,
        subscribed=subscribed,
    )


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def _warning(value: Any) -> ParseWarning | None:
    if not isinstance(value, dict) or not value.get("message"):
        return None
    line = value.get("line")
    return ParseWarning(
        str(value.get("kind") or "xml"),
        str(value["message"]),
        line if isinstance(line, int) else None,
    )


def warning_value(warning: ParseWarning | None) -> dict[str, Any] | None:
    """A parse warning as the store keeps it."""
    if warning is None:
        return None
    return {"kind": warning.kind, "message": warning.message, "line": warning.line}
