"""Reading the entries the pages show, fast: Core rows, each source's names read once.

A build of a large store reads tens of thousands of entries (every blog's
page lists its newest): they are read as the driver returns them and converted
once each. The blogs' names are read once and shared by all of their entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Select, func, literal, select

from aggregator.models import Headline, StoredEntry
from aggregator.store.bulk import date_reader, json_reader, raw
from aggregator.store.rows import StoreBase, _enclosures
from aggregator.store.schema import ENTRIES, SOURCES

_NAMES = select(
    SOURCES.c.id,
    SOURCES.c.title,
    SOURCES.c.feed_title,
    SOURCES.c.site_url,
    SOURCES.c.url,
    SOURCES.c.feed_url,
    SOURCES.c.is_own,
)
_ORDER = (ENTRIES.c.sort_at.desc(), ENTRIES.c.id.desc())


def _columns(*, content: bool) -> list[Any]:
    e = ENTRIES.c
    # Dates and enclosures as the driver gives them, converted in _entries: their types'
    # result processors, once per value, cost twice the query.
    return [
        e.id,
        e.key,
        e.url,
        e.title,
        e.author,
        raw(e.published_at),
        raw(e.updated_at),
        raw(e.sort_at),
        e.summary,
        e.content_html if content else literal("").label("no_content"),
        e.source_id,
        raw(e.enclosures),
    ]


def _newest_query(
    source_ids: Sequence[int], limit: int, *, content: bool, dated: bool = False
) -> Select[Any]:
    """Each source's ``limit`` newest entries (only dated ones with ``dated``), grouped by
    source, newest first: one windowed query, the ids ranked from the indexes, then their
    rows looked up as a set, which reads the table in its own order (each page once)
    rather than in rank order (a page again for most rows: 1.4× the time)."""
    where = [ENTRIES.c.source_id.in_(list(source_ids))]
    if dated:
        where.append(ENTRIES.c.published_at.is_not(None))
    ranked = (
        select(
            ENTRIES.c.id,
            func.row_number().over(partition_by=ENTRIES.c.source_id, order_by=_ORDER).label("rank"),
        )
        .where(*where)
        .subquery()
    )
    chosen = select(ranked.c.id).where(ranked.c.rank <= limit)
    return (
        select(*_columns(content=content))
        .where(ENTRIES.c.id.in_(chosen))
        .order_by(ENTRIES.c.source_id, *_ORDER)
    )


@dataclass(frozen=True)
class NewestBySource:
    """Each source's newest entries, and its newest dated one (undated entries are mostly
    pages, "About", rather than posts)."""

    entries: dict[int, list[StoredEntry]]
    latest: dict[int, StoredEntry]


class ShownMixin(StoreBase):
    def newest_by_source(
        self, source_ids: Sequence[int], limit: int, *, content: bool = True
    ) -> NewestBySource:
        """Each source's ``limit`` newest entries, newest first, in one query; without
        ``content``, their ``content_html`` is left empty (a page that shows excerpts)."""
        found: dict[int, list[StoredEntry]] = {source_id: [] for source_id in source_ids}
        latest: dict[int, StoredEntry] = {}
        if not source_ids:
            return NewestBySource(found, latest)
        undated: dict[int, StoredEntry] = {}
        with self._connection() as connection:
            names = _names(connection)
            query = _newest_query(source_ids, limit, content=content)
            for entry, dated in _entries(connection, names, query):
                found[entry.source_id].append(entry)
                (latest if dated else undated).setdefault(entry.source_id, entry)
            # Sources whose newest are all undated: a dated entry may lie further back.
            missing = [source_id for source_id in undated if source_id not in latest]
            if missing:
                query = _newest_query(missing, 1, content=content, dated=True)
                for entry, _ in _entries(connection, names, query):
                    latest[entry.source_id] = entry
        for source_id in missing:
            latest.setdefault(source_id, undated[source_id])
        return NewestBySource(found, latest)

    def recent_entries(
        self,
        limit: int,
        source_id: int | None = None,
        *,
        source_ids: Sequence[int] | None = None,
        active_only: bool = False,
    ) -> list[StoredEntry]:
        """The newest entries, newest first, with their sources' names: of ``source_id``
        or ``source_ids`` when given; with ``active_only``, only those of blogs still on
        the blogroll."""
        if source_id is not None:
            source_ids = [source_id]
        # The ids first, from the indexes alone; then only those rows, content and all.
        chosen = select(ENTRIES.c.id).order_by(*_ORDER).limit(limit)
        if source_ids is not None:
            if not source_ids:
                return []
            chosen = chosen.where(ENTRIES.c.source_id.in_(list(source_ids)))
        if active_only:
            active = select(SOURCES.c.id).where(SOURCES.c.active.is_(True))
            chosen = chosen.where(ENTRIES.c.source_id.in_(active))
        query = (
            select(*_columns(content=True))
            .where(ENTRIES.c.id.in_(chosen.scalar_subquery()))
            .order_by(*_ORDER)
        )
        with self._connection() as connection:
            rows = _entries(connection, _names(connection), query)
        return [entry for entry, _ in rows]

    def headlines_between(self, start: datetime, end: datetime) -> list[Headline]:
        """Title, link and date of the entries with ``start <= sort_at < end``; no content."""
        e = ENTRIES.c
        # One date column to convert per row instead of two: archives list every entry.
        shown = raw(func.coalesce(e.published_at, e.sort_at))
        query = (
            select(e.title, e.url, shown, e.source_id)
            .where(e.sort_at >= start, e.sort_at < end)
            .order_by(*_ORDER)
        )
        with self._connection() as connection:
            date = date_reader(_dialect(connection))
            return [
                Headline(title, url, date(shown), source_id)  # type: ignore[arg-type]
                for title, url, shown, source_id in connection.execute(query).all()
            ]


#: A source's names as its entries carry them: title, site, feed, and whether it is own.
Names = dict[int, tuple[str, str | None, str, bool]]


def _names(connection: Connection) -> Names:
    """Every source's names, read once for all the entries of a call."""
    return {
        row.id: (
            row.title or row.feed_title or row.site_url or row.url,
            row.site_url,
            row.feed_url or row.url,
            bool(row.is_own),
        )
        for row in connection.execute(_NAMES)
    }


def _dialect(connection: Connection) -> Dialect:
    return connection.dialect


def _entries(
    connection: Connection, names: Names, query: Select[Any]
) -> list[tuple[StoredEntry, bool]]:
    """The entries of ``query`` (``_columns`` rows), each with whether it is dated."""
    dialect = _dialect(connection)
    date, json = date_reader(dialect), json_reader(dialect)
    found = []
    for (
        id,
        key,
        url,
        title,
        author,
        published,
        updated,
        sort_at,
        summary,
        body,
        source_id,
        enclosures,
    ) in connection.execute(query).all():
        source_title, source_url, feed_url, is_own = names[source_id]
        published = date(published)
        first = cast(datetime, published or date(sort_at))  # sort_at is never NULL
        entry = StoredEntry(
            id=id,
            key=key,
            url=url,
            title=title,
            author=author,
            published=first,
            updated=date(updated) or first,
            summary=summary,
            content_html=body,
            source_id=source_id,
            source_title=source_title,
            source_url=source_url,
            source_feed_url=feed_url,
            source_is_own=is_own,
            enclosures=_enclosures(json(enclosures)) if enclosures else (),
        )
        found.append((entry, published is not None))
    return found
