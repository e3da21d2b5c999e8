"""The database schema as SQLAlchemy 2.0 typed ORM classes.

Alembic migrations in ``migrations/`` create and evolve it; this module is what
the code reads and writes through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The URL the blogroll names (homepage or feed); the source's identity.
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    feed_url: Mapped[str | None] = mapped_column(String(2048))
    site_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(Text)
    feed_title: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recommended: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: False once the source is no longer on the blogroll; its entries are kept.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ok / not_modified / error
    last_result: Mapped[str | None] = mapped_column(String(32))
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    #: What the last parsed body was read despite: {"kind", "message", "line"}.
    last_warning: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Not to be fetched before this time (429/503 Retry-After).
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when the feed answered 410 Gone; such a source is not fetched until revived.
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the feed last moved permanently (301/308) to its current feed_url.
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sha256 of the last body parsed: an unchanged 200 is treated as not modified.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    #: The shortest interval the publisher asks for (Cache-Control, Expires, ttl, sy:*).
    publisher_interval_seconds: Mapped[int | None] = mapped_column(Integer)
    #: The interval its posting frequency calls for, from the last parsed feed.
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    feed_description: Mapped[str | None] = mapped_column(Text)
    feed_icon: Mapped[str | None] = mapped_column(String(2048))
    feed_language: Mapped[str | None] = mapped_column(String(64))
    #: The owner's own blog feed (``own.feed_url``): its entries are own posts.
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The worker fetching this source now, and until when its claim holds (``claim_due``).
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The WebSub hubs and the self URL the last polled feed named.
    hub_urls: Mapped[list[str] | None] = mapped_column(JSON)
    self_url: Mapped[str | None] = mapped_column(String(2048))


class SourceAliasRow(Base):
    """A former feed URL of a source (after a permanent redirect), so it is not added twice."""

    __tablename__ = "source_aliases"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: The columns of the SQLite index the archives read headlines from, in this order: a
#: range of dates, newest first, is one backward scan.
HEADLINE_COLUMNS = ("sort_at", "id", "source_id", "published_at", "updated_at", "title", "url")


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("source_id", "key", name="uq_entries_source_key"),
        # One of the two, by dialect (migration 0010): SQLite reads headlines from the index.
        Index("ix_entries_sort_at", "sort_at").ddl_if(dialect="postgresql"),
        Index("ix_entries_headlines", *HEADLINE_COLUMNS).ddl_if(dialect="sqlite"),
        Index("ix_entries_source_sort_at", "source_id", "sort_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(2048))
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: published, else updated, else first seen: the river's order.
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The hash before the last change: a feed flipping between two versions does not churn.
    previous_content_hash: Mapped[str | None] = mapped_column(String(64))
    #: [{"url", "type", "length"}]
    enclosures: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)


class SubscriptionRow(Base):
    """A WebSub subscription of one source's topic at one hub (``store.subscriptions``)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("source_id", "hub", "topic", name="uq_subscriptions_source_hub"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    hub: Mapped[str] = mapped_column(String(2048))
    topic: Mapped[str] = mapped_column(String(2048))
    #: The last part of the callback URL: names this subscription to the hub and back.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``hub.secret``: pushed content is signed with it.
    secret: Mapped[str] = mapped_column(String(128))
    #: requested / active / unsubscribing / denied
    state: Mapped[str] = mapped_column(String(16))
    #: The lease asked for; the hub's verification says what it granted.
    lease_seconds: Mapped[int] = mapped_column(Integer)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the hub last accepted a request (subscribe, renew or unsubscribe) from us.
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IconRow(Base):
    """A blog's icon: the image bytes and how to ask for them again (``store.icons``)."""

    __tablename__ = "icons"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    #: Where the image came from; None when no candidate held one.
    url: Mapped[str | None] = mapped_column(String(2048))
    content_type: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))


class RevisionRow(Base):
    """One row counting the writes to ``entries``, so that a build can tell in one read
    whether any entry changed since the last one (``store.revision``)."""

    __tablename__ = "store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
