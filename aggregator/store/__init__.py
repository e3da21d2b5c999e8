"""The store: sources and entries in SQLite or PostgreSQL, through SQLAlchemy.

Every public method is one transaction. Refresh writes one source per
transaction, so a crash loses at most the source in flight.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aggregator.errors import SourceError, StoreError
from aggregator.models import (
    BlogrollEntry,
    Enclosure,
    EntryIdentity,
    EntryIntents,
    Fetched,
    Headline,
    NotModified,
    ParsedEntry,
    ParsedFeed,
    Recommended,
    Source,
    StoredEntry,
)
from aggregator.store.schema import EntryRow, SourceAliasRow, SourceRow

MIGRATIONS = Path(__file__).parent / "migrations"
# The tables themselves, for Core statements on the hot path (no ORM bookkeeping).
ENTRIES = cast(Table, EntryRow.__table__)
SOURCES = cast(Table, SourceRow.__table__)


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
        if upgrade and not store.is_current():
            store.upgrade()
        return store

    def is_current(self) -> bool:
        """Whether the schema is at the newest migration, without loading Alembic (slow)."""
        try:
            with self.engine.connect() as connection:
                current = connection.exec_driver_sql(
                    "SELECT version_num FROM alembic_version"
                ).scalar()
        except SQLAlchemyError:
            return False  # no schema yet: upgrade() creates it, or says why it cannot
        return current is not None and current == newest_revision()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade(self, revision: str = "head") -> None:
        """Apply every pending Alembic migration (up to ``revision``)."""
        from alembic import command

        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Undo migrations down to ``revision`` (``base``: an empty database)."""
        from alembic import command

        self._migrate(command.downgrade, revision)

    def _migrate(self, step: Any, revision: str) -> None:
        sqlite = self.engine.dialect.name == "sqlite"
        try:
            with self.engine.connect() as connection:
                if sqlite:
                    # Batch migrations copy a table and drop the old one; with foreign keys
                    # on, that drop would cascade to every entry. (Only outside a transaction.)
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    connection.commit()
                try:
                    with connection.begin():
                        config = _alembic_config()
                        config.attributes["connection"] = connection
                        step(config, revision)
                finally:
                    if sqlite:
                        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                        connection.commit()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"database {self.display_url}: cannot migrate: {_reason(exc)}"
            ) from exc

    @staticmethod
    def revisions() -> list[str]:
        """Every migration revision, oldest first."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config())
        return [r.revision for r in reversed(list(script.walk_revisions()))]

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @staticmethod
    def head_revision() -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database {self.display_url}: {_reason(exc)}") from exc

    # -- sources ---------------------------------------------------------------------

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
        with self._session() as session:
            rows = {row.url: row for row in session.scalars(select(SourceRow))}
            # A blog listed by its feed URL, a former feed URL or its new one is the same source.
            by_feed = {row.feed_url: row for row in rows.values() if row.feed_url}
            aliases = {
                alias.url: session.get_one(SourceRow, alias.source_id)
                for alias in session.scalars(select(SourceAliasRow))
            }
            wanted: set[str] = set()
            if own_feed_url:
                entries = [*entries, BlogrollEntry(url=own_feed_url, feed_url=own_feed_url)]
            for position, entry in enumerate(entries):
                row = rows.get(entry.url) or by_feed.get(entry.url) or aliases.get(entry.url)
                if row is not None and row.url in wanted:
                    continue  # listed twice under different URLs
                if row is None:
                    row = SourceRow(url=entry.url, created_at=now, failure_count=0)
                    session.add(row)
                    rows[entry.url] = row
                    added += 1
                else:
                    kept += 1
                wanted.add(row.url)
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
                row.is_own = entry.url == own_feed_url
            for url, row in rows.items():
                if url not in wanted and row.active:
                    row.active = False
                    retired += 1
        return SyncOutcome(added=added, retired=retired, kept=kept)

    def list_sources(
        self,
        *,
        include_retired: bool = False,
        ids: Sequence[int] | None = None,
        where: ColumnElement[bool] | None = None,
    ) -> list[Source]:
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
        if ids is not None:
            query = query.where(SourceRow.id.in_(ids))
        if where is not None:
            query = query.where(where)
        with self._session() as session:
            aliases: dict[int, list[str]] = {}
            for alias in session.scalars(
                select(SourceAliasRow).order_by(SourceAliasRow.created_at)
            ):
                aliases.setdefault(alias.source_id, []).append(alias.url)
            return [
                _source(row, count, tuple(aliases.get(row.id, ())))
                for row, count in session.execute(query)
            ]

    def due_sources(self, now: datetime, *, every: bool = False) -> list[Source]:
        """Active sources whose next check has come (all active ones with ``every``).

        Gone sources and sources whose Retry-After has not passed are never due.
        """
        return self.list_sources(where=due_clause(now, every=every))

    def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Source]:
        """Lease up to ``limit`` due sources to ``owner`` until ``now + lease``.

        One statement: on PostgreSQL the candidates are locked ``FOR UPDATE SKIP
        LOCKED``, so workers claiming at once get disjoint sources without waiting;
        SQLite serializes writers, so there the statement itself is the lock. A
        lease whose worker died simply expires and the source is due again.
        """
        candidates = (
            select(SourceRow.id)
            .where(SourceRow.active.is_(True), due_clause(now))
            .order_by(SourceRow.next_check_at.nulls_first(), SourceRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(SourceRow)
            .where(SourceRow.id.in_(candidates.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=now + lease)
            .returning(SourceRow.id)
            .execution_options(synchronize_session=False)
        )
        with self._session() as session:
            ids = list(session.scalars(claim))
        return self.list_sources(ids=ids) if ids else []

    def release_leases(self, owner: str, ids: Sequence[int] | None = None) -> int:
        """Give back ``owner``'s leases (only on ``ids`` if given); returns how many."""
        query = update(SourceRow).where(SourceRow.lease_owner == owner)
        if ids is not None:
            query = query.where(SourceRow.id.in_(ids))
        with self._session() as session:
            result = session.execute(
                query.values(lease_owner=None, lease_expires_at=None).execution_options(
                    synchronize_session=False
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

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
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            row.gone_at = None
            row.retry_after = None
            row.next_check_at = None

    def set_feed_url(self, source_id: int, feed_url: str, site_url: str | None) -> None:
        """Remember the feed that discovery found for a homepage."""
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            row.feed_url = feed_url
            row.site_url = row.site_url or site_url
            row.etag = row.last_modified = None

    # -- recording fetch results -----------------------------------------------------

    def entry_identities(
        self, source_id: int, keys: Sequence[str], urls: Sequence[str | None]
    ) -> tuple[dict[str, EntryIdentity], dict[str, EntryIdentity]]:
        """What an update matches a fetched feed against: the source's stored entries with
        one of ``keys``, and by link those with ``urls[i]`` where ``keys[i]`` was not found."""
        with self._session() as session:
            by_key = self._entries_where(session, source_id, EntryRow.key, keys)
            unmatched = [u for k, u in zip(keys, urls, strict=True) if u and k not in by_key]
            by_url = {
                r.url: r
                for r in self._entries_where(session, source_id, EntryRow.url, unmatched).values()
                if r.url
            }
            return (
                {k: _identity(r) for k, r in by_key.items()},
                {u: _identity(r) for u, r in by_url.items()},
            )

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
        with self._session() as session:
            if intents.inserts:
                # One multi-row INSERT: a cold refresh writes tens of thousands of entries.
                rows = [
                    {
                        "source_id": source_id,
                        "key": i.entry.key,
                        "first_seen_at": now,
                        "sort_at": i.sort_at,
                        "previous_content_hash": None,
                        **_entry_fields(i.entry, i.published, i.updated),
                    }
                    for i in intents.inserts
                ]
                session.connection().execute(insert(ENTRIES), rows)
            for u in intents.updates:
                session.connection().execute(
                    update(ENTRIES)
                    .where(ENTRIES.c.id == u.id)
                    .values(
                        **_entry_fields(u.entry, u.published, u.updated),
                        previous_content_hash=u.previous_content_hash,
                        sort_at=u.sort_at,
                    )
                )
            values: dict[str, Any] = {
                "site_url": func.coalesce(SOURCES.c.site_url, feed.site_url),
                "feed_description": feed.description,
                "feed_icon": feed.icon,
                "feed_language": feed.language,
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
            session.connection().execute(
                update(SOURCES).where(SOURCES.c.id == source_id).values(**values)
            )
            if fetched.permanent_url:
                _move(session, session.get_one(SourceRow, source_id), fetched.permanent_url, now)
            return len(intents.inserts), len(intents.updates)

    @staticmethod
    def _entries_where(
        session: Session, source_id: int, column: Any, values: Sequence[str | None]
    ) -> dict[str, Any]:
        """A source's entries whose ``column`` is one of ``values``, by that value.

        Only the columns matching needs are read, never the content.
        """
        wanted = sorted({v for v in values if v})
        found: dict[str, Any] = {}
        # Chunked so that a huge feed stays under the databases' parameter limits.
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = (
                select(
                    EntryRow.id,
                    EntryRow.key,
                    EntryRow.url,
                    EntryRow.content_hash,
                    EntryRow.previous_content_hash,
                    EntryRow.first_seen_at,
                )
                .where(EntryRow.source_id == source_id, column.in_(chunk))
                .order_by(EntryRow.id)
            )
            for entry_row in session.execute(query):
                found.setdefault(getattr(entry_row, column.key), entry_row)
        return found

    def record_not_modified_many(
        self, records: Sequence[tuple[int, NotModified, datetime, datetime]]
    ) -> None:
        """Record 304s or unchanged bodies: (source id, result, now, next check)."""
        with self._session() as session:
            rows = {
                row.id: row
                for row in session.scalars(
                    select(SourceRow).where(SourceRow.id.in_([r[0] for r in records]))
                )
            }
            for source_id, result, now, next_check_at in records:
                row = rows[source_id]
                row.last_http_status = result.status
                row.etag = result.etag or row.etag
                row.last_modified = result.last_modified or row.last_modified
                _move(session, row, result.permanent_url, now)
                _record_success(row, "not_modified", now, next_check_at)

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
        with self._session() as session:
            row = session.get_one(SourceRow, source_id)
            row.last_fetched_at = now
            row.last_result = "error"
            row.last_error_kind = error.kind
            row.last_error = str(error)
            row.last_http_status = getattr(error, "status", None)
            if not row.failure_count:
                row.first_failure_at = now
            row.last_failure_at = now
            row.failure_count = (row.failure_count or 0) + 1
            row.next_check_at = next_check_at
            row.retry_after = retry_after
            row.lease_owner = row.lease_expires_at = None
            if gone:
                row.gone_at = row.gone_at or now

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
        own = select(SourceRow.id).where(SourceRow.is_own.is_(True))
        doomed: set[int] = set()
        with self._session() as session:
            if max_age:
                old = select(EntryRow.id).where(
                    EntryRow.sort_at < now - max_age, EntryRow.source_id.not_in(own)
                )
                doomed.update(session.scalars(old))
            if per_source:
                rank = (
                    func.row_number()
                    .over(
                        partition_by=EntryRow.source_id,
                        order_by=(EntryRow.sort_at.desc(), EntryRow.id.desc()),
                    )
                    .label("rank")
                )
                ranked = select(EntryRow.id, rank).where(EntryRow.source_id.not_in(own)).subquery()
                beyond = select(ranked.c.id).where(ranked.c.rank > per_source)
                doomed.update(session.scalars(beyond))
            doomed.difference_update(keep)
            ids = sorted(doomed)
            for start in range(0, len(ids), 500):
                session.execute(delete(EntryRow).where(EntryRow.id.in_(ids[start : start + 500])))
        return len(doomed)

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


def due_clause(now: datetime, *, every: bool = False) -> ColumnElement[bool]:
    """What "due" means, once, for ``due_sources`` and ``claim_due``: not gone, past any
    Retry-After, next check come (any time with ``every``), and not leased to a worker."""
    conditions = [
        SourceRow.gone_at.is_(None),
        or_(SourceRow.retry_after.is_(None), SourceRow.retry_after <= now),
        or_(SourceRow.lease_expires_at.is_(None), SourceRow.lease_expires_at <= now),
    ]
    if not every:
        conditions.append(or_(SourceRow.next_check_at.is_(None), SourceRow.next_check_at <= now))
    return and_(*conditions)


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


def newest_revision() -> str:
    """The newest migration's revision: migration files are named ``NNNN_what.py`` with
    revision ``NNNN``, one after the other (a test holds every file to that)."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _reason(exc: SQLAlchemyError) -> str:
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


def _record_success(row: SourceRow, result: str, now: datetime, next_check_at: datetime) -> None:
    for name, value in _success_fields(result, now, next_check_at).items():
        setattr(row, name, value)


def _move(session: Session, row: SourceRow, new_url: str | None, now: datetime) -> None:
    """Follow a permanent redirect: the new URL is fetched, the old one kept as an alias."""
    old = row.feed_url or row.url
    if not new_url or new_url == old:
        return
    if session.get(SourceAliasRow, old) is None:
        session.add(SourceAliasRow(url=old, source_id=row.id, created_at=now))
    stale = session.get(SourceAliasRow, new_url)
    if stale is not None:
        session.delete(stale)
    row.feed_url = new_url
    row.moved_at = now


def _entry_fields(
    entry: ParsedEntry, published: datetime | None, updated: datetime | None
) -> dict[str, Any]:
    return {
        "url": entry.url,
        "title": entry.title,
        "author": entry.author,
        "published_at": published,
        "updated_at": updated,
        "summary": entry.summary,
        "content_html": entry.content_html,
        "content_hash": entry.content_hash,
        "enclosures": [{"url": e.url, "type": e.type, "length": e.length} for e in entry.enclosures]
        or None,
    }


def _identity(row: Any) -> EntryIdentity:
    return EntryIdentity(
        id=row.id,
        key=row.key,
        url=row.url,
        content_hash=row.content_hash,
        previous_content_hash=row.previous_content_hash,
        first_seen_at=row.first_seen_at,
    )


def _enclosures(value: Any) -> tuple[Enclosure, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Enclosure(str(e["url"]), e.get("type"), e.get("length"))
        for e in value
        if isinstance(e, dict) and e.get("url")
    )


def _source(row: SourceRow, entry_count: int, aliases: tuple[str, ...] = ()) -> Source:
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
        feed_description=row.feed_description,
        feed_icon=row.feed_icon,
        feed_language=row.feed_language,
        is_own=bool(row.is_own),
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
    )


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


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
        source_is_own=bool(s.is_own),
        enclosures=_enclosures(e.enclosures),
    )
