"""Sources: the blogroll synced in, listed, looked up, and what each fetch did to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Update,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    update,
)

from aggregator.errors import SourceError
from aggregator.models import (
    BlogrollEntry,
    NotModified,
    Source,
)
from aggregator.store.rows import (
    StoreBase,
    _move,
    _source,
    _success_fields,
    due_clause,
    update_one,
)
from aggregator.store.schema import ENTRIES, SOURCE_ALIASES, SOURCES, SUBSCRIPTIONS


def _not_modified_update() -> Update:
    """``UPDATE sources`` after a 304 (or an unchanged body), for an executemany."""
    names = _success_fields("", datetime.now(UTC), datetime.now(UTC))  # only the names
    values: dict[str, Any] = {
        name: bindparam(f"new_{name}", type_=SOURCES.c[name].type) for name in names
    }
    values["last_http_status"] = bindparam("new_status", type_=SOURCES.c.last_http_status.type)
    for name in ("etag", "last_modified"):
        values[name] = func.coalesce(
            bindparam(f"new_{name}", type_=SOURCES.c[name].type), SOURCES.c[name]
        )
    return update(SOURCES).where(SOURCES.c.id == bindparam("where_id")).values(values)


_NOT_MODIFIED = _not_modified_update()

#: What a blogroll sync reads of each source and may change.
_SYNCED = [
    SOURCES.c[name]
    for name in (
        "id",
        "url",
        "feed_url",
        "site_url",
        "title",
        "category",
        "note",
        "recommended",
        "position",
        "active",
        "is_own",
    )
]

#: A source the blogroll adds, before the blogroll's fields are set.
_NEW_SOURCE: dict[str, Any] = {
    "feed_url": None,
    "site_url": None,
    "title": None,
    "category": "",
    "note": "",
    "recommended": [],
    "position": 0,
    "active": True,
    "is_own": False,
    "etag": None,
    "last_modified": None,
    "failure_count": 0,
}


def _prefixed(values: dict[str, Any]) -> dict[str, Any]:
    return {f"new_{k}": v for k, v in values.items()}


@dataclass(frozen=True)
class SyncOutcome:
    added: int
    retired: int
    kept: int


class SourcesMixin(StoreBase):
    def sync_blogroll(
        self,
        entries: Sequence[BlogrollEntry],
        now: datetime,
        *,
        own_feed_url: str | None = None,
    ) -> SyncOutcome:
        """Make the active sources match the blogroll; retired sources keep their entries.

        ``own_feed_url``, the owner's own blog feed, is followed as one more source
        whose entries are own posts.
        """
        added = kept = retired = 0
        with self._connection() as connection:
            # Plain dicts, changed in place as the blogroll is walked; only what changed
            # is written, so a blogroll that did not change writes nothing.
            rows = {r.url: dict(r._mapping) for r in connection.execute(select(*_SYNCED))}
            by_id = {row["id"]: row for row in rows.values()}
            # A blog listed by its feed URL, a former feed URL or its new one is the same source.
            by_feed = {row["feed_url"]: row for row in rows.values() if row["feed_url"]}
            aliases = {
                url: by_id[source_id]
                for url, source_id in connection.execute(
                    select(SOURCE_ALIASES.c.url, SOURCE_ALIASES.c.source_id)
                )
            }
            wanted: set[str] = set()
            new: list[dict[str, Any]] = []
            changes: dict[int, dict[str, Any]] = {}
            if own_feed_url:
                entries = [*entries, BlogrollEntry(url=own_feed_url, feed_url=own_feed_url)]
            for position, entry in enumerate(entries):
                row = rows.get(entry.url) or by_feed.get(entry.url) or aliases.get(entry.url)
                if row is not None and row["url"] in wanted:
                    continue  # listed twice under different URLs
                if row is None:
                    row = {**_NEW_SOURCE, "url": entry.url, "created_at": now}
                    new.append(row)
                    rows[entry.url] = row
                    added += 1
                else:
                    kept += 1
                wanted.add(row["url"])
                values: dict[str, Any] = {}
                # An explicit feed URL wins; otherwise keep what discovery found. A feed URL
                # the source moved away from (a 301/308) is not a new one: it stays moved.
                explicit = entry.feed_url and aliases.get(entry.feed_url) is not row
                if explicit and row["feed_url"] != entry.feed_url:
                    values.update(etag=None, last_modified=None, feed_url=entry.feed_url)
                listed = {
                    "site_url": entry.site_url or row["site_url"],
                    "title": entry.title,
                    "category": entry.category,
                    "note": entry.note,
                    "recommended": [{"title": r.title, "url": r.url} for r in entry.recommended],
                    "position": position,
                    "active": True,
                    "is_own": entry.url == own_feed_url,
                }
                values.update((k, v) for k, v in listed.items() if row[k] != v)
                row.update(values)
                if row.get("id") is not None and values:
                    changes.setdefault(row["id"], {}).update(values)
            for url, row in rows.items():
                if url not in wanted and row["active"]:
                    row["active"] = False
                    changes.setdefault(row["id"], {})["active"] = False
                    retired += 1
            if new:
                connection.execute(insert(SOURCES), [{**row} for row in new])
            for source_id, values in changes.items():
                connection.execute(update(SOURCES).where(SOURCES.c.id == source_id).values(values))
        return SyncOutcome(added=added, retired=retired, kept=kept)

    def list_sources(
        self,
        *,
        include_retired: bool = False,
        ids: Sequence[int] | None = None,
        where: ColumnElement[bool] | None = None,
    ) -> list[Source]:
        """Sources in blogroll order, with how many entries each has stored.

        Read with Core statements into plain rows: every refresh lists every due source.
        """
        counts = (
            select(ENTRIES.c.source_id, func.count().label("n"))
            .group_by(ENTRIES.c.source_id)
            .subquery()
        )
        query = (
            select(SOURCES, func.coalesce(counts.c.n, 0).label("entry_count"))
            .outerjoin(counts, counts.c.source_id == SOURCES.c.id)
            .order_by(SOURCES.c.active.desc(), SOURCES.c.position, SOURCES.c.id)
        )
        if not include_retired:
            query = query.where(SOURCES.c.active.is_(True))
        if ids is not None:
            query = query.where(SOURCES.c.id.in_(ids))
        if where is not None:
            query = query.where(where)
        with self._connection() as connection:
            # Only a verified subscription makes polling a safety net.
            subscribed = set(
                connection.scalars(
                    select(SUBSCRIPTIONS.c.source_id).where(SUBSCRIPTIONS.c.state == "active")
                )
            )
            aliases: dict[int, list[str]] = {}
            for source_id, url in connection.execute(
                select(SOURCE_ALIASES.c.source_id, SOURCE_ALIASES.c.url).order_by(
                    SOURCE_ALIASES.c.created_at
                )
            ):
                aliases.setdefault(source_id, []).append(url)
            return [
                _source(row, row.entry_count, tuple(aliases.get(row.id, ())), row.id in subscribed)
                for row in connection.execute(query)
            ]

    def due_sources(self, now: datetime, *, every: bool = False) -> list[Source]:
        """Active sources whose next check has come (all active ones with ``every``).

        Gone sources and sources whose Retry-After has not passed are never due.
        """
        return self.list_sources(where=due_clause(now, every=every))

    def find_source(self, url: str) -> Source | None:
        """The source listed, fed or formerly fed from ``url``."""
        return next(
            (
                s
                for s in self.list_sources(include_retired=True)
                if url in (s.url, s.feed_url, *s.aliases)
            ),
            None,
        )

    def revive(self, source_id: int) -> None:
        """Make a gone, rate-limited or failing source due now."""
        with self._connection() as connection:
            _change(connection, source_id, gone_at=None, retry_after=None, next_check_at=None)

    def set_feed_url(self, source_id: int, feed_url: str, site_url: str | None) -> None:
        """Remember the feed that discovery found for a homepage."""
        with self._connection() as connection:
            _change(
                connection,
                source_id,
                feed_url=feed_url,
                site_url=func.coalesce(SOURCES.c.site_url, site_url),
                etag=None,
                last_modified=None,
            )

    def record_not_modified_many(
        self, records: Sequence[tuple[int, NotModified, datetime, datetime]]
    ) -> None:
        """Record 304s or unchanged bodies: (source id, result, now, next check)."""
        if not records:
            return
        with self._connection() as connection:
            # One executemany for the batch: a warm refresh is almost only these.
            connection.execute(
                _NOT_MODIFIED,
                [
                    {
                        "where_id": source_id,
                        "new_status": result.status,
                        # A validator the server no longer sends keeps the stored one.
                        "new_etag": result.etag or None,
                        "new_last_modified": result.last_modified or None,
                        **_prefixed(_success_fields("not_modified", now, next_at)),
                    }
                    for source_id, result, now, next_at in records
                ],
            )
            moved = [(r[0], r[1].permanent_url, r[2]) for r in records if r[1].permanent_url]
            if moved:
                for source_id, url, now in moved:
                    _move(connection, source_id, url, now)

    def record_failure(
        self,
        source_id: int,
        error: SourceError,
        now: datetime,
        next_check_at: datetime,
        *,
        retry_after: datetime | None = None,
        gone: bool = False,
    ) -> None:
        """Record a failed fetch on its source; its stored entries are untouched."""
        with self._connection() as connection:
            failures = func.coalesce(SOURCES.c.failure_count, 0)
            # Bound as the columns' own type, which stores UTC the same way on both databases.
            at = literal(now, SOURCES.c.last_failure_at.type)
            values: dict[str, Any] = {
                "last_fetched_at": now,
                "last_result": "error",
                "last_error_kind": error.kind,
                "last_error": str(error),
                "last_http_status": getattr(error, "status", None),
                # The first of a run of failures: none were counted before this one.
                "first_failure_at": case((failures == 0, at), else_=SOURCES.c.first_failure_at),
                "last_failure_at": now,
                "failure_count": failures + 1,
                "next_check_at": next_check_at,
                "retry_after": retry_after,
                "lease_owner": None,
                "lease_expires_at": None,
            }
            if gone:
                values["gone_at"] = func.coalesce(SOURCES.c.gone_at, at)
            _change(connection, source_id, **values)


def _change(connection: Connection, source_id: int, **values: Any) -> None:
    update_one(connection, SOURCES, source_id, values, what="source")
