"""A counter of writes to the entries, for a build that has nothing new to publish.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entries", sa.Integer, nullable=False, server_default="0"),
    )
    op.bulk_insert(table, [{"id": 1, "entries": 0}])


def downgrade() -> None:
    op.drop_table("store_revision")
