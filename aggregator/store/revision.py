"""What the published site depends on in the store, summed up in one cheap read.

A build with nothing new compares this digest with the one its last build
recorded (``publish.fingerprint``) and, when they match, reads nothing more.
Entries are too many to hash at every build: the store counts its writes to
them instead (``store_revision``), in the same transaction as the write. The
other tables the pages show are small and hashed whole.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, select, update

from aggregator.store.rows import StoreBase
from aggregator.store.schema import ICONS, REVISION, SOURCE_ALIASES, SOURCES, SUBSCRIPTIONS

_BUMP = update(REVISION).where(REVISION.c.id == 1).values(entries=REVISION.c.entries + 1)


def count_entry_write(connection: Connection) -> None:
    """Record, inside the writing transaction, that entries were added, changed or removed."""
    connection.execute(_BUMP)


class RevisionMixin(StoreBase):
    def revision(self) -> str:
        """A digest that changes whenever anything a published page can show changes:
        an entry written or removed, a source, an alias, a subscription or an icon."""
        digest = hashlib.sha256()
        with self._connection() as connection:
            counted = connection.scalar(select(REVISION.c.entries).where(REVISION.c.id == 1))
            digest.update(repr(counted).encode())
            for query in (
                select(SOURCES).order_by(SOURCES.c.id),
                select(SOURCE_ALIASES).order_by(SOURCE_ALIASES.c.url),
                select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.id),
                # The image's digest stands for its bytes.
                select(*(c for c in ICONS.c if c.name != "body")).order_by(ICONS.c.source_id),
            ):
                for row in connection.execute(query):
                    digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()
