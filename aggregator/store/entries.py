"""Entries: written from fetched feeds as the update computed them, read for pages, pruned."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
)

from aggregator.models import (
    EntryIdentity,
    EntryIntents,
    Fetched,
    ParsedFeed,
)
from aggregator.store.bulk import identities_where, insert_entries, update_entries, update_source
from aggregator.store.revision import count_entry_write
from aggregator.store.rows import (
    StoreBase,
    _move,
    _success_fields,
    warning_value,
)
from aggregator.store.schema import ENTRIES, SOURCES
from aggregator.store.search import delete_entry_documents, entry_document, write_entry_documents


class EntriesMixin(StoreBase):
    def entry_identities(
        self, source_id: int, keys: Sequence[str], urls: Sequence[str | None]
    ) -> tuple[dict[str, EntryIdentity], dict[str, EntryIdentity]]:
        """What an update matches a fetched feed against: the source's stored entries with
        one of ``keys``, and by link those with ``urls[i]`` where ``keys[i]`` was not found."""
        with self._connection() as connection:
            by_key = identities_where(connection, source_id, "key", keys)
            unmatched = [u for k, u in zip(keys, urls, strict=True) if u and k not in by_key]
            by_url = identities_where(connection, source_id, "url", unmatched)
            return by_key, by_url

    def store_feed(
        self,
        source_id: int,
        fetched: Fetched,
        feed: ParsedFeed,
        now: datetime,
        next_check_at: datetime,
        interval: timedelta,
        intents: EntryIntents,
    ) -> tuple[int, int]:
        """Apply a fetched feed: its entry ``intents`` and the source's new state, in one
        transaction; returns (new, updated). Written with Core statements: this is the
        hot path of a refresh, run once per changed feed.
        """
        with self._connection() as connection:
            # Through the DBAPI cursor (store.bulk): a cold refresh writes tens of
            # thousands of entries, and SQLAlchemy's per-row work was most of the cost.
            ids = insert_entries(connection, source_id, now, intents.inserts)
            update_entries(connection, intents.updates)
            documents = [
                entry_document(id, i.entry.title, i.entry.summary, i.entry.content_text)
                for id, i in zip(ids, intents.inserts, strict=True)
            ] + [
                entry_document(u.id, u.entry.title, u.entry.summary, u.entry.content_text)
                for u in intents.updates
            ]
            # The search index changes with the entries, in the same transaction.
            write_entry_documents(connection, documents)
            if intents.inserts or intents.updates:
                count_entry_write(connection)
            values: dict[str, Any] = {
                "site_url": feed.site_url,  # kept when the blogroll or a discovery set one
                "feed_description": feed.description,
                "feed_icon": feed.icon,
                "feed_language": feed.language,
                "last_warning": warning_value(feed.warning),
                "hub_urls": list(feed.hubs) or None,
                "self_url": feed.self_url,
                "etag": fetched.etag,
                "last_modified": fetched.last_modified,
                "last_http_status": fetched.status,
                "body_hash": fetched.body_hash,
                "interval_seconds": int(interval.total_seconds()),
                "publisher_interval_seconds": (
                    int(feed.publisher_interval.total_seconds())
                    if feed.publisher_interval
                    else None
                ),
                **_success_fields("ok", now, next_check_at),
            }
            if feed.title:
                values["feed_title"] = feed.title
            update_source(connection, source_id, values)
            if fetched.permanent_url:
                _move(connection, source_id, fetched.permanent_url, now)
            return len(intents.inserts), len(intents.updates)

    def entries_digest(self, start: datetime, end: datetime) -> tuple[int, str]:
        """How many entries have ``start <= sort_at < end``, and a cheap summary of them.

        The summary changes when an entry in the range is added, removed, retitled
        to a different length, moved or updated; the monthly archives use it to
        skip rendering a month whose page is already right.
        """
        query = select(
            func.count(),
            func.sum(ENTRIES.c.id),
            func.sum(func.length(ENTRIES.c.title)),
            func.sum(func.length(func.coalesce(ENTRIES.c.url, ""))),
            func.max(ENTRIES.c.updated_at),
            func.max(ENTRIES.c.sort_at),
            func.sum(ENTRIES.c.source_id),
        ).where(ENTRIES.c.sort_at >= start, ENTRIES.c.sort_at < end)
        with self._connection() as connection:
            row = connection.execute(query).one()
        return int(row[0] or 0), "|".join(str(value) for value in row)

    def newest_entry_date(self) -> datetime | None:
        """When the newest stored entry was published."""
        return self._entry_date(func.max(ENTRIES.c.sort_at))

    def count_entries(self) -> int:
        """How many entries are stored."""
        with self._connection() as connection:
            return connection.scalar(select(func.count()).select_from(ENTRIES)) or 0

    def oldest_entry_date(self) -> datetime | None:
        """When the oldest stored entry was published: where the monthly archives begin."""
        return self._entry_date(func.min(ENTRIES.c.sort_at))

    def _entry_date(self, aggregate: Any) -> datetime | None:
        with self._connection() as connection:
            value = connection.scalar(select(aggregate))
        if isinstance(value, str):  # an aggregate bypasses the column type on SQLite
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value if isinstance(value, datetime) else None

    def entry_dates_since(self, since: datetime) -> dict[int, list[datetime]]:
        """The dates of each source's entries from ``since`` on: what its activity chart counts."""
        query = select(ENTRIES.c.source_id, ENTRIES.c.sort_at).where(ENTRIES.c.sort_at >= since)
        dates: dict[int, list[datetime]] = {}
        with self._connection() as connection:
            for source_id, sort_at in connection.execute(query):
                dates.setdefault(source_id, []).append(sort_at)
        return dates

    def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta | None,
        per_source: int | None,
        keep: Collection[int] = (),
    ) -> int:
        """Delete entries older than ``max_age`` or beyond the newest ``per_source`` of a blog.

        Entries in ``keep`` (what the pages show) and entries of the owner's own
        feed are never deleted. Returns how many were.
        """
        if not max_age and not per_source:
            return 0
        own = select(SOURCES.c.id).where(SOURCES.c.is_own.is_(True))
        doomed: set[int] = set()
        with self._connection() as connection:
            if max_age:
                old = select(ENTRIES.c.id).where(
                    ENTRIES.c.sort_at < now - max_age, ENTRIES.c.source_id.not_in(own)
                )
                doomed.update(connection.scalars(old))
            if per_source:
                rank = (
                    func.row_number()
                    .over(
                        partition_by=ENTRIES.c.source_id,
                        order_by=(ENTRIES.c.sort_at.desc(), ENTRIES.c.id.desc()),
                    )
                    .label("rank")
                )
                ranked = (
                    select(ENTRIES.c.id, rank).where(ENTRIES.c.source_id.not_in(own)).subquery()
                )
                beyond = select(ranked.c.id).where(ranked.c.rank > per_source)
                doomed.update(connection.scalars(beyond))
            doomed.difference_update(keep)
            ids = sorted(doomed)
            for start in range(0, len(ids), 500):
                connection.execute(
                    delete(ENTRIES).where(ENTRIES.c.id.in_(ids[start : start + 500]))
                )
            delete_entry_documents(connection, ids)
            if ids:
                count_entry_write(connection)
        return len(doomed)
