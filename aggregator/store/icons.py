"""Blogs' icons: which are due to be checked, what was decided (``update.icons``), applied.

The store decides nothing here: an ``IconUpdate`` says whether the image is
new, the same, gone, or could not be checked, and when to look again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy import update as update_rows

from aggregator.models import IconDue, IconUpdate, StoredIcon
from aggregator.store.rows import StoreBase
from aggregator.store.schema import ICONS, SOURCES


class IconsMixin(StoreBase):
    def icons_due(self, now: datetime, *, limit: int | None = None) -> list[IconDue]:
        """Followed blogs fetched at least once whose icon was never checked, or is due.

        The feed must have been read first: it names the homepage and the feed's
        own icon, the best two places to look.
        """
        query = (
            select(
                SOURCES.c.id,
                SOURCES.c.url,
                SOURCES.c.site_url,
                SOURCES.c.feed_icon,
                *(column.label(f"icon_{column.name}") for column in ICONS.c),
            )
            .outerjoin(ICONS, ICONS.c.source_id == SOURCES.c.id)
            .where(
                SOURCES.c.active.is_(True),
                SOURCES.c.is_own.is_(False),  # own posts wear the site's own face
                SOURCES.c.last_result.is_not(None),
                SOURCES.c.gone_at.is_(None),
                or_(ICONS.c.source_id.is_(None), ICONS.c.next_check_at <= now),
            )
            .order_by(ICONS.c.next_check_at.is_not(None), ICONS.c.next_check_at, SOURCES.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._connection() as connection:
            rows = connection.execute(query).all()
        due = []
        for row in rows:
            values = row._mapping
            stored = {column.name: values[f"icon_{column.name}"] for column in ICONS.c}
            due.append(
                IconDue(
                    source_id=row.id,
                    url=row.url,
                    site_url=row.site_url,
                    feed_icon=row.feed_icon,
                    stored=_icon(stored) if stored["source_id"] is not None else None,
                )
            )
        return due

    def list_icons(self) -> list[StoredIcon]:
        """Every stored icon that holds an image, by source (what a build publishes)."""
        with self._connection() as connection:
            rows = connection.execute(
                select(ICONS).where(ICONS.c.body.is_not(None)).order_by(ICONS.c.source_id)
            )
            return [_icon(row._mapping) for row in rows]

    def save_icon(self, update: IconUpdate) -> None:
        """Apply one icon check: replace, keep or let go of the image, and set the next check."""
        with self._connection() as connection:
            row = connection.execute(
                select(ICONS.c.etag, ICONS.c.last_modified).where(
                    ICONS.c.source_id == update.source_id
                )
            ).first()
            values: dict[str, Any] = {
                "checked_at": update.checked_at,
                "next_check_at": update.next_check_at,
            }
            if update.result in ("found", "none"):
                values.update(
                    url=update.url,
                    content_type=update.content_type,
                    body=update.body,
                    etag=update.etag,
                    last_modified=update.last_modified,
                    sha256=update.sha256,
                )
            elif update.result == "unchanged":
                # A 304 may carry fresher validators (RFC 9110 §15.4.5).
                values["etag"] = update.etag or (row.etag if row else None)
                values["last_modified"] = update.last_modified or (
                    row.last_modified if row else None
                )
            if row is None:
                connection.execute(insert(ICONS).values(source_id=update.source_id, **values))
            else:
                connection.execute(
                    update_rows(ICONS).where(ICONS.c.source_id == update.source_id).values(values)
                )


def _icon(row: Mapping[Any, Any]) -> StoredIcon:
    return StoredIcon(
        source_id=row["source_id"],
        url=row["url"],
        content_type=row["content_type"],
        body=row["body"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        checked_at=row["checked_at"],
        next_check_at=row["next_check_at"],
        sha256=row["sha256"],
    )
