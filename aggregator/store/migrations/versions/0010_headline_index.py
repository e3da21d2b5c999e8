"""SQLite: the entries' dates, ids, sources, titles and links in one index by date.

An entry's row holds its content, a few kilobytes: reading the headlines of a
month (the archives), the summary the archives' digests take, or the dates of
the activity charts from the rows meant reading one page of the table per entry.
From this index alone they read a few hundred entries per page. It replaces the
index on ``sort_at`` alone, which it serves as well. PostgreSQL keeps content
out of line already, and caps the size of an index row, which a long title
could pass: it keeps the plain index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: As it was when this migration was written (``schema.HEADLINE_COLUMNS``).
HEADLINE_COLUMNS = ["sort_at", "id", "source_id", "published_at", "updated_at", "title", "url"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_entries_headlines", "entries", HEADLINE_COLUMNS)
        op.drop_index("ix_entries_sort_at", table_name="entries")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_entries_sort_at", "entries", ["sort_at"])
        op.drop_index("ix_entries_headlines", table_name="entries")
