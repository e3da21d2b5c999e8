"""Schema migrations (Alembic) and the engine: creating, upgrading, checking revisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from aggregator.errors import StoreError
from aggregator.store.rows import (
    StoreBase,
    _reason,
)

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrateMixin(StoreBase):
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
    # Pages of 16 KiB for a new database (an existing one keeps its own): an entry's
    # row, content included, fits one page, and a cold refresh makes a third of the
    # write calls it would with 4 KiB pages.
    cursor.execute("PRAGMA page_size=16384")
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
