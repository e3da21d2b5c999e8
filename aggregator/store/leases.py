"""Leases: workers claim due sources so that no two hold the same one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    select,
    update,
)

from aggregator.models import (
    Source,
)
from aggregator.store.rows import (
    due_clause,
)
from aggregator.store.schema import SOURCES
from aggregator.store.sources import SourcesMixin


class LeasesMixin(SourcesMixin):
    def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Source]:
        """Lease up to ``limit`` due sources to ``owner`` until ``now + lease``.

        One statement: on PostgreSQL the candidates are locked ``FOR UPDATE SKIP
        LOCKED``, so workers claiming at once get disjoint sources without waiting;
        SQLite serializes writers, so there the statement itself is the lock. A
        lease whose worker died simply expires and the source is due again.
        """
        candidates = (
            select(SOURCES.c.id)
            .where(SOURCES.c.active.is_(True), due_clause(now))
            .order_by(SOURCES.c.next_check_at.nulls_first(), SOURCES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(SOURCES)
            .where(SOURCES.c.id.in_(candidates.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=now + lease)
            .returning(SOURCES.c.id)
        )
        with self._connection() as connection:
            ids = list(connection.scalars(claim))
        return self.list_sources(ids=ids) if ids else []

    def release_leases(self, owner: str, ids: Sequence[int] | None = None) -> int:
        """Give back ``owner``'s leases (only on ``ids`` if given); returns how many."""
        query = update(SOURCES).where(SOURCES.c.lease_owner == owner)
        if ids is not None:
            query = query.where(SOURCES.c.id.in_(ids))
        with self._connection() as connection:
            result = connection.execute(query.values(lease_owner=None, lease_expires_at=None))
            return int(getattr(result, "rowcount", 0) or 0)
