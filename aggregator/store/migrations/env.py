"""Alembic environment: runs on the connection the store hands it."""

from __future__ import annotations

from alembic import context

from aggregator.store.schema import METADATA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
