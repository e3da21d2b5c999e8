"""Blogs' icons: which are due to be checked, what was decided (``update.icons``), applied.

The store decides nothing here: an ``IconUpdate`` says whether the image is
new, the same, gone, or could not be checked, and when to look again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from aggregator.models import IconDue, IconUpdate, StoredIcon
from aggregator.store.rows import StoreBase
from aggregator.store.schema import IconRow, SourceRow


class IconsMixin(StoreBase):
    def icons_due(self, now: datetime, *, limit: int | None = None) -> list[IconDue]:
        """Followed blogs fetched at least once whose icon was never checked, or is due.

        The feed must have been read first: it names the homepage and the feed's
        own icon, the best two places to look.
        """
        query = (
            select(SourceRow, IconRow)
            .outerjoin(IconRow, IconRow.source_id == SourceRow.id)
            .where(
                SourceRow.active.is_(True),
                SourceRow.is_own.is_(False),  # own posts wear the site's own face
                SourceRow.last_result.is_not(None),
                SourceRow.gone_at.is_(None),
                or_(IconRow.source_id.is_(None), IconRow.next_check_at <= now),
            )
            .order_by(IconRow.next_check_at.is_not(None), IconRow.next_check_at, SourceRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return [
                IconDue(
                    source_id=source.id,
                    url=source.url,
                    site_url=source.site_url,
                    feed_icon=source.feed_icon,
                    stored=_icon(icon) if icon is not None else None,
                )
                for source, icon in session.execute(query).all()
            ]

    def list_icons(self) -> list[StoredIcon]:
        """Every stored icon that holds an image, by source (what a build publishes)."""
        with self._session() as session:
            rows = session.scalars(
                select(IconRow).where(IconRow.body.is_not(None)).order_by(IconRow.source_id)
            )
            return [_icon(row) for row in rows]

    def save_icon(self, update: IconUpdate) -> None:
        """Apply one icon check: replace, keep or let go of the image, and set the next check."""
        with self._session() as session:
            row = session.get(IconRow, update.source_id)
            if row is None:
                row = IconRow(source_id=update.source_id)
                session.add(row)
            row.checked_at, row.next_check_at = update.checked_at, update.next_check_at
            if update.result in ("found", "none"):
                row.url, row.content_type, row.body = update.url, update.content_type, update.body
                row.etag, row.last_modified = update.etag, update.last_modified
                row.sha256 = update.sha256
            elif update.result == "unchanged":
                # A 304 may carry fresher validators (RFC 9110 §15.4.5).
                row.etag = update.etag or row.etag
                row.last_modified = update.last_modified or row.last_modified


def _icon(row: IconRow) -> StoredIcon:
    return StoredIcon(
        source_id=row.source_id,
        url=row.url,
        content_type=row.content_type,
        body=row.body,
        etag=row.etag,
        last_modified=row.last_modified,
        checked_at=row.checked_at,
        next_check_at=row.next_check_at,
        sha256=row.sha256,
    )
