"""Search: full-text indexes of entries and own posts, filled from the stored entries.

SQLite: FTS5 tables (``unicode61``, diacritics removed). PostgreSQL: plain tables
with a generated ``tsvector`` (``simple`` configuration: no stemming, any language)
and a GIN index. The own posts' table is filled by the next build.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aggregator.parse.sanitize import html_to_text
from aggregator.store.search import entry_document, write_entry_documents

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: Entries read and indexed at a time, so that a large database fills in bounded memory.
BATCH = 500

_FTS5 = "fts5({columns}, tokenize = 'unicode61 remove_diacritics 2')"
_DOCUMENT = (
    "tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('simple', coalesce(content, '')), 'C')) STORED"
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE entry_search USING "
            + _FTS5.format(columns="title, summary, content")
        )
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING "
            + _FTS5.format(columns="path UNINDEXED, published UNINDEXED, title, summary, content")
        )
    else:
        op.execute(
            "CREATE TABLE entry_search ("
            "entry_id integer PRIMARY KEY REFERENCES entries (id) ON DELETE CASCADE, "
            "title text NOT NULL, summary text NOT NULL, content text NOT NULL, "
            f"document {_DOCUMENT})"
        )
        op.execute("CREATE INDEX ix_entry_search_document ON entry_search USING gin (document)")
        op.execute(
            "CREATE TABLE post_search ("
            "id serial PRIMARY KEY, path text NOT NULL, published timestamptz NOT NULL, "
            "title text NOT NULL, summary text NOT NULL, content text NOT NULL, "
            f"document {_DOCUMENT})"
        )
        op.execute("CREATE INDEX ix_post_search_document ON post_search USING gin (document)")
    _index_stored_entries(connection)


def _index_stored_entries(connection: sa.Connection) -> None:
    entries = sa.table(
        "entries",
        sa.column("id"),
        sa.column("title"),
        sa.column("summary"),
        sa.column("content_html"),
    )
    last = 0
    while True:
        batch = connection.execute(
            sa.select(entries.c.id, entries.c.title, entries.c.summary, entries.c.content_html)
            .where(entries.c.id > last)
            .order_by(entries.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        write_entry_documents(
            connection,
            [
                entry_document(r.id, r.title, r.summary or "", html_to_text(r.content_html or ""))
                for r in batch
            ],
        )
        last = batch[-1].id


def downgrade() -> None:
    op.execute("DROP TABLE post_search")
    op.execute("DROP TABLE entry_search")
