"""Parse warnings: what a feed that had to be read leniently (not well-formed XML) got wrong.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("last_warning", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("last_warning")
