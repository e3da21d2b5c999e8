"""The store: sources and entries in SQLite or PostgreSQL, through SQLAlchemy.

Every public method is one transaction. Refresh writes one source per
transaction, so a crash loses at most the source in flight.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aggregator.errors import SourceError, StoreError
from aggregator.models import (
    BlogrollEntry,
    Fetched,
    Headline,
    ParsedFeed,
    Recommended,
    Source,
    StoredEntry,
)
from aggregator.policy import decide_entries
from aggregator.store.schema import EntryRow, SourceRow

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SyncOutcome:
    added: int
    retired: int
    kept: int


@dataclass(frozen=True)
class Health:
    last_refresh_at: datetime | None
    sources_ok: int
    sources_failed: int
    sources_total: int


class Store:
    """Typed access to the database; the only module that writes SQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- lifecycle -------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        """Connect to the database at ``url`` and, by default, apply pending migrations."""
        store = cls(create_store_engine(url))
        if upgrade:
            store.upgrade()
        return store

    def close(self) -> None:
        self.engine.dispose()

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade(self) -> None:
        """Apply every pending Alembic migration."""
        try:
            with self.engine.begin() as connection:
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"database {self.display_url}: cannot migrate: {_reason(exc)}"
            ) from exc

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @staticmethod
    def head_revision() -> str | None:
        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database {self.display_url}: {_reason(exc)}") from exc

    # -- sources ---------------------------------------------------------------------

    def sync_blogroll(self, entries: Sequence[BlogrollEntry], now: datetime) -> SyncOutcome:
        """Make the active sources match the blogroll; retired sources keep their entries."""
        added = kept = retired = 0
        with self._session() as session:
            rows = {row.url: row for row in session.scalars(select(SourceRow))}
            wanted = set()
            for position, entry in enumerate(entries):
                wanted.add(entry.url)
                row = rows.get(entry.url)
                if row is None:
                    row = SourceRow(url=entry.url, created_at=now, failure_count=0)
                    session.add(row)
                    added += 1
                else:
                    kept += 1
                # An explicit feed URL wins; otherwise keep what discovery found.
                if entry.feed_url:
                    if row.feed_url != entry.feed_url:
                        row.etag = row.last_modified = None
                    row.feed_url = entry.feed_url
                row.site_url = entry.site_url or row.site_url
                row.title = entry.title
                row.category = entry.category
                row.note = entry.note
                row.recommended = [{"title": r.title, "url": r.url} for r in entry.recommended]
                row.position = position
                row.active = True
            for url, row in rows.items():
                if url not in wanted and row.active:
                    row.active = False
                    retired += 1
        return SyncOutcome(added=added, retired=retired, kept=kept)

    def list_sources(self, *, include_retired: bool = False) -> list[Source]:
        """Sources in blogroll order, with how many entries each has stored."""
        counts = (
            select(EntryRow.source_id, func.count().label("n"))
            .group_by(EntryRow.source_id)
            .subquery()
        )
        query = (
            select(SourceRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.source_id == SourceRow.id)
            .order_by(SourceRow.active.desc(), SourceRow.position, SourceRow.id)
        )
        if not include_retired:
            query = query.where(SourceRow.active.is_(True))
        with self._session() as session:
            return [_source(row, count) for row, count in session.execute(query)]

    def due_sources(self, now: datetime, *, every: bool = False) -> list[Source]:
        """Active sources whose next check has come (all active ones with ``every``)."""
        return [
            s
            for s in self.list_sources()
            if every or s.next_check_at is None or s.next_check_at <= now
        ]

    def set_feed_url(self, source_id: int, feed_url: str, site_url: str | None) -> None:
        """Remember the feed that discovery found for a homepage."""
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            row.feed_url = feed_url
            row.site_url = row.site_url or site_url
            row.etag = row.last_modified = None

    # -- recording fetch results -----------------------------------------------------

    def store_feed(
        self,
        source_id: int,
        fetched: Fetched,
        feed: ParsedFeed,
        now: datetime,
        next_check_at: datetime,
    ) -> tuple[int, int]:
        """Store a fetched feed's new and changed entries; returns (new, updated)."""
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            keys = [e.key for e in feed.entries]
            stored: dict[str, EntryRow] = {}
            # Chunked so that a huge feed stays under the databases' parameter limits.
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                for entry_row in session.scalars(
                    select(EntryRow).where(EntryRow.source_id == source_id, EntryRow.key.in_(chunk))
                ):
                    stored[entry_row.key] = entry_row
            decision = decide_entries(
                feed.entries, {key: r.content_hash for key, r in stored.items()}
            )
            for entry in decision.new:
                session.add(
                    EntryRow(
                        source_id=source_id,
                        key=entry.key,
                        first_seen_at=now,
                        sort_at=entry.published or entry.updated or now,
                        **_entry_fields(entry),
                    )
                )
            for entry in decision.changed:
                entry_row = stored[entry.key]
                for name, value in _entry_fields(entry).items():
                    setattr(entry_row, name, value)
                entry_row.sort_at = entry.published or entry.updated or entry_row.first_seen_at
            row.feed_title = feed.title or row.feed_title
            row.site_url = row.site_url or feed.site_url
            row.etag = fetched.etag
            row.last_modified = fetched.last_modified
            row.last_http_status = fetched.status
            _record_success(row, "ok", now, next_check_at)
            return len(decision.new), len(decision.changed)

    def record_not_modified(
        self, source_id: int, status: int, now: datetime, next_check_at: datetime
    ) -> None:
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            row.last_http_status = status
            _record_success(row, "not_modified", now, next_check_at)

    def record_failure(
        self, source_id: int, error: SourceError, now: datetime, next_check_at: datetime
    ) -> None:
        """Record a failed fetch on its source; its stored entries are untouched."""
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            row.last_fetched_at = now
            row.last_result = "error"
            row.last_error_kind = error.kind
            row.last_error = str(error)
            row.last_http_status = getattr(error, "status", None)
            row.failure_count = (row.failure_count or 0) + 1
            row.next_check_at = next_check_at

    def failure_count(self, source_id: int) -> int:
        with self._session() as session:
            return session.get_one(SourceRow, source_id).failure_count

    # -- reading entries -------------------------------------------------------------

    def recent_entries(self, limit: int, *, source_id: int | None = None) -> list[StoredEntry]:
        """The newest entries, newest first, with their sources' names."""
        query = (
            select(EntryRow, SourceRow)
            .join(SourceRow, SourceRow.id == EntryRow.source_id)
            .order_by(EntryRow.sort_at.desc(), EntryRow.id.desc())
            .limit(limit)
        )
        if source_id is not None:
            query = query.where(EntryRow.source_id == source_id)
        with self._session() as session:
            return [_stored_entry(e, s) for e, s in session.execute(query)]

    def latest_entries_by_source(self) -> dict[int, StoredEntry]:
        """Each source's newest entry, for the blogroll page."""
        newest = (
            select(EntryRow.source_id, func.max(EntryRow.sort_at).label("sort_at"))
            .group_by(EntryRow.source_id)
            .subquery()
        )
        query = (
            select(EntryRow, SourceRow)
            .join(SourceRow, SourceRow.id == EntryRow.source_id)
            .join(
                newest,
                (newest.c.source_id == EntryRow.source_id) & (newest.c.sort_at == EntryRow.sort_at),
            )
        )
        with self._session() as session:
            latest: dict[int, StoredEntry] = {}
            for e, s in session.execute(query):
                latest.setdefault(s.id, _stored_entry(e, s))
            return latest

    def recent_entries_of(self, source_ids: Sequence[int], limit: int) -> list[StoredEntry]:
        """The newest entries of some sources (a blogroll category), newest first."""
        if not source_ids:
            return []
        query = (
            select(EntryRow, SourceRow)
            .join(SourceRow, SourceRow.id == EntryRow.source_id)
            .where(EntryRow.source_id.in_(list(source_ids)))
            .order_by(EntryRow.sort_at.desc(), EntryRow.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [_stored_entry(e, s) for e, s in session.execute(query)]

    def headlines_since(self, since: datetime) -> list[Headline]:
        """Title, link and date of every entry from ``since`` on, newest first; no content."""
        query = (
            select(
                EntryRow.title,
                EntryRow.url,
                EntryRow.published_at,
                EntryRow.sort_at,
                EntryRow.source_id,
            )
            .where(EntryRow.sort_at >= since)
            .order_by(EntryRow.sort_at.desc(), EntryRow.id.desc())
        )
        with self._session() as session:
            return [
                Headline(title, url, published or sort_at, source_id)
                for title, url, published, sort_at, source_id in session.execute(query)
            ]

    def headlines_between(self, start: datetime, end: datetime) -> list[Headline]:
        """Title, link and date of the entries with ``start <= sort_at < end``; no content."""
        query = (
            select(
                EntryRow.title,
                EntryRow.url,
                EntryRow.published_at,
                EntryRow.sort_at,
                EntryRow.source_id,
            )
            .where(EntryRow.sort_at >= start, EntryRow.sort_at < end)
            .order_by(EntryRow.sort_at.desc(), EntryRow.id.desc())
        )
        with self._session() as session:
            return [
                Headline(title, url, published or sort_at, source_id)
                for title, url, published, sort_at, source_id in session.execute(query)
            ]

    def entries_digest(self, start: datetime, end: datetime) -> tuple[int, str]:
        """How many entries have ``start <= sort_at < end``, and a cheap summary of them.

        The summary changes when an entry in the range is added, removed, retitled
        to a different length, moved or updated; the monthly archives use it to
        skip rendering a month whose page is already right.
        """
        query = select(
            func.count(),
            func.sum(EntryRow.id),
            func.sum(func.length(EntryRow.title)),
            func.sum(func.length(func.coalesce(EntryRow.url, ""))),
            func.max(EntryRow.updated_at),
            func.max(EntryRow.sort_at),
            func.sum(EntryRow.source_id),
        ).where(EntryRow.sort_at >= start, EntryRow.sort_at < end)
        with self._session() as session:
            row = session.execute(query).one()
        return int(row[0] or 0), "|".join(str(value) for value in row)

    def newest_entry_date(self) -> datetime | None:
        """When the newest stored entry was published."""
        with self._session() as session:
            value = session.scalar(select(func.max(EntryRow.sort_at)))
        if isinstance(value, str):  # an aggregate bypasses the column type on SQLite
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def health(self) -> Health:
        with self._session() as session:
            active = SourceRow.active.is_(True)
            last = session.scalar(select(func.max(SourceRow.last_fetched_at)).where(active))
            total = session.scalar(select(func.count()).where(active)) or 0
            failed = (
                session.scalar(select(func.count()).where(active, SourceRow.last_result == "error"))
                or 0
            )
            ok = (
                session.scalar(
                    select(func.count()).where(
                        active, SourceRow.last_result.in_(("ok", "not_modified"))
                    )
                )
                or 0
            )
        if isinstance(last, datetime) and last.tzinfo is None:
            from datetime import UTC

            last = last.replace(tzinfo=UTC)
        return Health(
            last_refresh_at=last, sources_ok=ok, sources_failed=failed, sources_total=total
        )

    def reset_schedule(self, source_ids: Iterable[int]) -> None:
        """Make sources due now (used by ``refresh --all``)."""
        with self._session() as session:
            session.execute(
                update(SourceRow)
                .where(SourceRow.id.in_(list(source_ids)))
                .values(next_check_at=None)
            )


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"database {database}: cannot create its folder: {exc.strerror}"
                ) from None
        kwargs["connect_args"] = {"timeout": 30}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"database {parsed.render_as_string(hide_password=True)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web server read while a refresh writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


def _record_success(row: SourceRow, result: str, now: datetime, next_check_at: datetime) -> None:
    row.last_fetched_at = now
    row.last_result = result
    row.last_error_kind = None
    row.last_error = None
    row.failure_count = 0
    row.next_check_at = next_check_at


def _entry_fields(entry: Any) -> dict[str, Any]:
    return {
        "url": entry.url,
        "title": entry.title,
        "author": entry.author,
        "published_at": entry.published,
        "updated_at": entry.updated,
        "summary": entry.summary,
        "content_html": entry.content_html,
        "content_hash": entry.content_hash,
    }


def _source(row: SourceRow, entry_count: int) -> Source:
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
    )


def _stored_entry(e: EntryRow, s: SourceRow) -> StoredEntry:
    return StoredEntry(
        id=e.id,
        key=e.key,
        url=e.url,
        title=e.title,
        author=e.author,
        published=e.published_at or e.sort_at,
        updated=e.updated_at or e.published_at or e.sort_at,
        summary=e.summary,
        content_html=e.content_html,
        source_id=s.id,
        source_title=s.title or s.feed_title or s.site_url or s.url,
        source_url=s.site_url,
        source_feed_url=s.feed_url or s.url,
    )
