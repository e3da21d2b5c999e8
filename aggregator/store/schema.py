"""The database schema as SQLAlchemy Core tables.

Alembic migrations in ``migrations/`` create and evolve it; this module is what
the code reads and writes through, with Core statements only: the ORM's import and its
per-row bookkeeping would be most of a refresh that finds nothing new.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so that text ordering is time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


METADATA = MetaData()


SOURCES = Table(
    "sources",
    METADATA,
    Column("id", Integer, primary_key=True),
    # The URL the blogroll names (homepage or feed); the source's identity.
    Column("url", String(2048), unique=True, nullable=False),
    Column("feed_url", String(2048)),
    Column("site_url", String(2048)),
    Column("title", Text),
    Column("feed_title", Text),
    Column("category", Text, default="", nullable=False),
    Column("note", Text, default="", nullable=False),
    Column("recommended", JSON, default=list, nullable=False),
    Column("position", Integer, default=0, nullable=False),
    # False once the source is no longer on the blogroll; its entries are kept.
    Column("active", Boolean, default=True, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_fetched_at", UTCDateTime),
    # ok / not_modified / error
    Column("last_result", String(32)),
    Column("last_http_status", Integer),
    Column("last_error_kind", String(32)),
    Column("last_error", Text),
    # What the last parsed body was read despite: {"kind", "message", "line"}.
    Column("last_warning", JSON),
    Column("failure_count", Integer, default=0, nullable=False),
    Column("next_check_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_failure_at", UTCDateTime),
    Column("last_failure_at", UTCDateTime),
    # Not to be fetched before this time (429/503 Retry-After).
    Column("retry_after", UTCDateTime),
    # Set when the feed answered 410 Gone; such a source is not fetched until revived.
    Column("gone_at", UTCDateTime),
    # When the feed last moved permanently (301/308) to its current feed_url.
    Column("moved_at", UTCDateTime),
    # sha256 of the last body parsed: an unchanged 200 is treated as not modified.
    Column("body_hash", String(64)),
    # The shortest interval the publisher asks for (Cache-Control, Expires, ttl, sy:*).
    Column("publisher_interval_seconds", Integer),
    # The interval its posting frequency calls for, from the last parsed feed.
    Column("interval_seconds", Integer),
    Column("feed_description", Text),
    Column("feed_icon", String(2048)),
    Column("feed_language", String(64)),
    # The owner's own blog feed (``own.feed_url``): its entries are own posts.
    Column("is_own", Boolean, default=False, nullable=False),
    # The worker fetching this source now, and until when its claim holds (``claim_due``).
    Column("lease_owner", String(255)),
    Column("lease_expires_at", UTCDateTime, index=True),
    # The WebSub hubs and the self URL the last polled feed named.
    Column("hub_urls", JSON),
    Column("self_url", String(2048)),
)

#: A former feed URL of a source (after a permanent redirect), so it is not added twice.
SOURCE_ALIASES = Table(
    "source_aliases",
    METADATA,
    Column("url", String(2048), primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

#: The columns of the SQLite index the archives read headlines from, in this order: a
#: range of dates, newest first, is one backward scan.
HEADLINE_COLUMNS = ("sort_at", "id", "source_id", "published_at", "updated_at", "title", "url")

ENTRIES = Table(
    "entries",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(2048), nullable=False),
    Column("url", String(2048)),
    Column("title", Text, nullable=False),
    Column("author", Text),
    Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    # published, else updated, else first seen: the river's order.
    Column("sort_at", UTCDateTime, nullable=False),
    Column("summary", Text, default="", nullable=False),
    Column("content_html", Text, default="", nullable=False),
    Column("content_hash", String(64), nullable=False),
    # The hash before the last change: a feed flipping between two versions does not churn.
    Column("previous_content_hash", String(64)),
    # [{"url", "type", "length"}]
    Column("enclosures", JSON),
    UniqueConstraint("source_id", "key", name="uq_entries_source_key"),
    # One of the two, by dialect (migration 0010): SQLite reads headlines from the index.
    Index("ix_entries_sort_at", "sort_at").ddl_if(dialect="postgresql"),
    Index("ix_entries_headlines", *HEADLINE_COLUMNS).ddl_if(dialect="sqlite"),
    Index("ix_entries_source_sort_at", "source_id", "sort_at"),
)

#: A WebSub subscription of one source's topic at one hub (``store.subscriptions``).
SUBSCRIPTIONS = Table(
    "subscriptions",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("hub", String(2048), nullable=False),
    Column("topic", String(2048), nullable=False),
    # The last part of the callback URL: names this subscription to the hub and back.
    Column("token", String(64), unique=True, nullable=False),
    # ``hub.secret``: pushed content is signed with it.
    Column("secret", String(128), nullable=False),
    # requested / active / unsubscribing / denied
    Column("state", String(16), nullable=False),
    # The lease asked for; the hub's verification says what it granted.
    Column("lease_seconds", Integer, nullable=False),
    Column("lease_until", UTCDateTime),
    # When the hub last accepted a request (subscribe, renew or unsubscribe) from us.
    Column("requested_at", UTCDateTime),
    Column("failures", Integer, default=0, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("source_id", "hub", "topic", name="uq_subscriptions_source_hub"),
)

#: A blog's icon: the image bytes and how to ask for them again (``store.icons``).
ICONS = Table(
    "icons",
    METADATA,
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    # Where the image came from; None when no candidate held one.
    Column("url", String(2048)),
    Column("content_type", String(64)),
    Column("body", LargeBinary),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("next_check_at", UTCDateTime, index=True, nullable=False),
    Column("sha256", String(64)),
)

#: One row counting the writes to ``entries``, so that a build can tell in one read
#: whether any entry changed since the last one (``store.revision``).
REVISION = Table(
    "store_revision",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("entries", Integer, default=0, nullable=False),
)
