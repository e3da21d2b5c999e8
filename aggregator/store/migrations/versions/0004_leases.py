"""Leases: a worker claims a due source for a while, so several workers share one database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(255)))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True)))
    op.create_index("ix_sources_next_check_at", "sources", ["next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_sources_next_check_at", table_name="sources")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
