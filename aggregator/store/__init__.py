"""The store: sources and entries in SQLite or PostgreSQL, through SQLAlchemy.

Every public method is one transaction. Refresh writes one source per
transaction, so a crash loses at most the source in flight. ``Store`` is
composed of its parts: sources, leases, entries, subscriptions, icons, search and migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from aggregator.store.entries import EntriesMixin
from aggregator.store.icons import IconsMixin
from aggregator.store.leases import LeasesMixin
from aggregator.store.migrate import (
    MIGRATIONS,
    MigrateMixin,
    create_store_engine,
    newest_revision,
)
from aggregator.store.revision import RevisionMixin
from aggregator.store.rows import due_clause
from aggregator.store.schema import SOURCES
from aggregator.store.search import SearchMixin
from aggregator.store.shown import ShownMixin
from aggregator.store.sources import SyncOutcome
from aggregator.store.subscriptions import SubscriptionsMixin

__all__ = [
    "MIGRATIONS",
    "Health",
    "Store",
    "SyncOutcome",
    "create_store_engine",
    "due_clause",
    "newest_revision",
]


@dataclass(frozen=True)
class Health:
    last_refresh_at: datetime | None
    sources_ok: int
    sources_failed: int
    sources_total: int


class Store(
    MigrateMixin,
    LeasesMixin,
    EntriesMixin,
    SubscriptionsMixin,
    IconsMixin,
    SearchMixin,
    RevisionMixin,
    ShownMixin,
):
    """Typed access to the database; the only module that writes SQL."""

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        """Connect to the database at ``url`` and, by default, apply pending migrations."""
        store = cls(create_store_engine(url))
        if upgrade and not store.is_current():
            store.upgrade()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def health(self) -> Health:
        with self._connection() as connection:
            active = SOURCES.c.active.is_(True)
            last = connection.scalar(select(func.max(SOURCES.c.last_fetched_at)).where(active))
            total = connection.scalar(select(func.count()).where(active)) or 0
            failed = (
                connection.scalar(
                    select(func.count()).where(active, SOURCES.c.last_result == "error")
                )
                or 0
            )
            ok = (
                connection.scalar(
                    select(func.count()).where(
                        active, SOURCES.c.last_result.in_(("ok", "not_modified"))
                    )
                )
                or 0
            )
        if isinstance(last, datetime) and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return Health(
            last_refresh_at=last, sources_ok=ok, sources_failed=failed, sources_total=total
        )
