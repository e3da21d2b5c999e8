"""Feed metadata on sources, the owner's own feed, enclosures and the previous content hash.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("feed_description", sa.Text))
        batch.add_column(sa.Column("feed_icon", sa.String(2048)))
        batch.add_column(sa.Column("feed_language", sa.String(64)))
        batch.add_column(sa.Column("is_own", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("enclosures", sa.JSON))
        batch.add_column(sa.Column("previous_content_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("previous_content_hash")
        batch.drop_column("enclosures")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("is_own")
        batch.drop_column("feed_language")
        batch.drop_column("feed_icon")
        batch.drop_column("feed_description")
