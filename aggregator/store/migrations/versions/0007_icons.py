"""Icons: each blog's face, fetched at refresh time and published under the site's origin.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "icons",
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("url", sa.String(2048)),
        sa.Column("content_type", sa.String(64)),
        sa.Column("body", sa.LargeBinary),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(64)),
    )
    op.create_index("ix_icons_next_check_at", "icons", ["next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_icons_next_check_at", table_name="icons")
    op.drop_table("icons")
