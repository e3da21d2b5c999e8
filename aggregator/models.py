"""The frozen types passed between the stages of the data flow.

Every datetime here is timezone-aware and in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Recommended:
    """A post the owner recommends on the blogroll page (not subscribed)."""

    title: str
    url: str


@dataclass(frozen=True)
class BlogrollEntry:
    """One blog as the owner lists it in the blogroll file."""

    #: The URL the owner wrote: a homepage or a feed. Identifies the source.
    url: str
    #: The feed URL when the blogroll gives it explicitly.
    feed_url: str | None = None
    #: The blog's homepage, when known.
    site_url: str | None = None
    #: The title the owner gave, if any.
    title: str | None = None
    category: str = ""
    #: The owner's note, as Markdown.
    note: str = ""
    recommended: tuple[Recommended, ...] = ()


@dataclass(frozen=True)
class Blogroll:
    title: str
    entries: tuple[BlogrollEntry, ...]


@dataclass(frozen=True)
class Source:
    """A blog we follow, as the store knows it."""

    id: int
    url: str
    feed_url: str | None
    site_url: str | None
    title: str | None
    feed_title: str | None
    category: str
    note: str
    recommended: tuple[Recommended, ...]
    position: int
    active: bool
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    last_result: str | None
    last_http_status: int | None
    last_error_kind: str | None
    last_error: str | None
    failure_count: int
    next_check_at: datetime | None
    entry_count: int = 0

    @property
    def display_title(self) -> str:
        from urllib.parse import urlsplit

        return self.title or self.feed_title or urlsplit(self.site_url or self.url).netloc


@dataclass(frozen=True)
class Fetched:
    """A successful response with a body."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class NotModified:
    """The server answered 304 to our conditional GET."""

    url: str
    status: int = 304


FetchResult = Fetched | NotModified


@dataclass(frozen=True)
class ParsedEntry:
    """One entry of a feed, normalised and sanitized, ready to store."""

    key: str
    url: str | None
    title: str
    author: str | None
    published: datetime | None
    updated: datetime | None
    summary: str
    content_html: str

    @property
    def content_hash(self) -> str:
        import hashlib

        parts = (self.url or "", self.title, self.author or "", self.summary, self.content_html)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: tuple[ParsedEntry, ...]


@dataclass(frozen=True)
class Post:
    """One of the owner's Markdown posts, rendered."""

    path: str
    slug: str
    title: str
    published: datetime
    updated: datetime | None
    draft: bool
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    summary: str
    content_html: str
    metadata: dict[str, object] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class StoredEntry:
    """An entry read back from the store, with its source's names."""

    id: int
    key: str
    url: str | None
    title: str
    author: str | None
    published: datetime
    updated: datetime
    summary: str
    content_html: str
    source_id: int
    source_title: str
    source_url: str | None
    source_feed_url: str | None


@dataclass(frozen=True)
class Item:
    """One row of the merged timeline: an entry or an own post."""

    kind: Literal["post", "entry"]
    id: str
    title: str
    url: str
    local_url: str | None
    source_title: str
    source_url: str | None
    source_feed_url: str | None
    author: str | None
    published: datetime
    updated: datetime
    summary: str
    content_html: str
    tags: tuple[str, ...] = ()
    #: The store's id of the blog an entry comes from; None for own posts.
    source_id: int | None = None
    #: When the blog last changed, as far as we know (its newest entry): ``atom:source``.
    source_updated: datetime | None = None


@dataclass(frozen=True)
class Headline:
    """The little the monthly archives show of an entry: no content is loaded."""

    title: str
    url: str | None
    published: datetime
    source_id: int


SourceResult = Literal["ok", "not_modified", "error"]


@dataclass(frozen=True)
class SourceOutcome:
    """What refreshing one source did."""

    source_url: str
    result: SourceResult
    new: int = 0
    updated: int = 0
    error: str | None = None


@dataclass(frozen=True)
class RefreshOutcome:
    """What one refresh run did, source by source."""

    sources: tuple[SourceOutcome, ...]

    def count(self, result: SourceResult) -> int:
        return sum(1 for s in self.sources if s.result == result)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sources)

    def summary(self) -> str:
        return (
            f"sources: {self.count('ok')} ok, {self.count('not_modified')} not modified, "
            f"{self.count('error')} failed; entries: {self.new} new, {self.updated} updated"
        )
