"""What the published site depends on in the store, summed up in one cheap read.

A build with nothing new compares this digest with the one its last build
recorded (``publish.fingerprint``) and, when they match, reads nothing more.
Entries are too many to hash at every build: the store counts its writes to
them instead (``store_revision``), in the same transaction as the write. The
other tables the pages show are small and hashed whole.
"""

from __future__ import annotations

import hashlib
from typing import cast

from sqlalchemy import Connection, Table, select, update

from aggregator.store.rows import StoreBase
from aggregator.store.schema import IconRow, RevisionRow, SourceAliasRow, SourceRow, SubscriptionRow

REVISION = cast(Table, RevisionRow.__table__)
_BUMP = update(REVISION).where(REVISION.c.id == 1).values(entries=REVISION.c.entries + 1)


def count_entry_write(connection: Connection) -> None:
    """Record, inside the writing transaction, that entries were added, changed or removed."""
    connection.execute(_BUMP)


class RevisionMixin(StoreBase):
    def revision(self) -> str:
        """A digest that changes whenever anything a published page can show changes:
        an entry written or removed, a source, an alias, a subscription or an icon."""
        icons = cast(Table, IconRow.__table__)
        digest = hashlib.sha256()
        with self._session() as session:
            counted = session.scalar(select(REVISION.c.entries).where(REVISION.c.id == 1))
            digest.update(repr(counted).encode())
            for query in (
                select(cast(Table, SourceRow.__table__)).order_by(SourceRow.id),
                select(cast(Table, SourceAliasRow.__table__)).order_by(SourceAliasRow.url),
                select(cast(Table, SubscriptionRow.__table__)).order_by(SubscriptionRow.id),
                # The image's digest stands for its bytes.
                select(*(c for c in icons.c if c.name != "body")).order_by(IconRow.source_id),
            ):
                for row in session.connection().execute(query):
                    digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()
