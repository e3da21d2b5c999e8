"""Fetch state: failures, rate limits, gone sources, body hash, publisher interval, aliases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("first_failure_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_failure_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("retry_after", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("gone_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("moved_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("body_hash", sa.String(64)))
        batch.add_column(sa.Column("publisher_interval_seconds", sa.Integer))
        batch.add_column(sa.Column("interval_seconds", sa.Integer))
    op.create_table(
        "source_aliases",
        sa.Column("url", sa.String(2048), primary_key=True),
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_entries_source_sort_at", "entries", ["source_id", "sort_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_source_sort_at", table_name="entries")
    op.drop_table("source_aliases")
    with op.batch_alter_table("sources") as batch:
        for column in (
            "interval_seconds",
            "publisher_interval_seconds",
            "body_hash",
            "moved_at",
            "gone_at",
            "retry_after",
            "last_failure_at",
            "first_failure_at",
        ):
            batch.drop_column(column)
