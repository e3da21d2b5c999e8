"""Index entries by source and date, for each blog's latest entry and per-category rivers.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_source_sort_at", "entries", ["source_id", "sort_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_source_sort_at", table_name="entries")
