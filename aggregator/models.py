"""The frozen types passed between the stages of the data flow.

Every datetime here is timezone-aware and in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal

#: How much a blogroll line's problem matters: ``note`` when it was understood all the same.
Severity = Literal["warning", "note"]
SourceState = Literal["new", "ok", "not_modified", "failing", "rate_limited", "gone", "moved"]
#: A WebSub subscription: asked for, verified by the hub, being ended, or refused by the hub.
SubscriptionState = Literal["requested", "active", "unsubscribing", "denied"]


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
class BlogrollWarning:
    """A blogroll line that could not be read as written, or was read with a guess."""

    #: 1-based line of the blogroll file (0 when it cannot be told).
    line: int
    #: The line as written.
    text: str
    #: What was wrong, and what was done about it.
    reason: str
    #: ``note`` when the line was understood all the same (a scheme added).
    severity: Severity = "warning"

    def message(self, name: str) -> str:
        """``blogroll.md:7: warning: REASON: TEXT``, as the commands print it."""
        where = f"{name}:{self.line}" if self.line else name
        return f"{where}: {self.severity}: {self.reason}: {self.text}"


@dataclass(frozen=True)
class CategoryIntro:
    """The owner's words under a category heading, before its list (Markdown)."""

    category: str
    text: str


@dataclass(frozen=True)
class Blogroll:
    title: str
    entries: tuple[BlogrollEntry, ...]
    #: The page's own level-1 heading, as written ("" when it has none, as in OPML).
    heading: str = ""
    #: The paragraphs before the first category (Markdown).
    intro: str = ""
    category_intros: tuple[CategoryIntro, ...] = ()
    #: Lines left out or guessed at, in file order.
    warnings: tuple[BlogrollWarning, ...] = ()

    def category_intro(self, category: str) -> str:
        """The introduction the owner wrote for ``category`` ("" when none)."""
        return next((c.text for c in self.category_intros if c.category == category), "")


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
    first_failure_at: datetime | None = None
    last_failure_at: datetime | None = None
    retry_after: datetime | None = None
    gone_at: datetime | None = None
    moved_at: datetime | None = None
    body_hash: str | None = None
    #: The shortest interval the publisher asks for between fetches.
    publisher_interval: timedelta | None = None
    #: The interval the source's posting frequency calls for.
    interval: timedelta | None = None
    aliases: tuple[str, ...] = ()
    #: What the last parsed body was read despite (``ok, with a warning``).
    last_warning: ParseWarning | None = None

    def state(self, now: datetime) -> SourceState:
        """One word for ``status``: what is going on with this source right now."""
        if self.gone_at is not None:
            return "gone"
        if self.retry_after is not None and self.retry_after > now:
            return "rate_limited"
        if self.failure_count:
            return "failing"
        if self.last_result is None:
            return "new"
        if self.moved_at is not None and self.moved_at == self.last_fetched_at:
            return "moved"
        return "not_modified" if self.last_result == "not_modified" else "ok"

    feed_description: str | None = None
    feed_icon: str | None = None
    feed_language: str | None = None
    #: The owner's own blog feed (``own.feed_url``).
    is_own: bool = False
    #: Set while a worker holds the source (see ``Store.claim_due``).
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    #: The WebSub hubs and self URL its last polled feed named.
    hubs: tuple[str, ...] = ()
    self_url: str | None = None
    #: Whether a WebSub subscription of it is active: polling is then only a safety net.
    subscribed: bool = False

    @property
    def display_title(self) -> str:
        from urllib.parse import urlsplit

        return self.title or self.feed_title or urlsplit(self.site_url or self.url).netloc


@dataclass(frozen=True)
class Subscription:
    """A WebSub subscription of a source's topic at a hub, as the store knows it."""

    id: int
    source_id: int
    hub: str
    topic: str
    #: Names this subscription in its callback URL (``CALLBACK_URL/websub/TOKEN``).
    token: str
    #: ``hub.secret``: the key of the HMAC that signs pushed content.
    secret: str
    state: SubscriptionState
    #: The lease asked for, in seconds.
    lease_seconds: int
    lease_until: datetime | None
    #: When the hub last accepted a request of ours for it.
    requested_at: datetime | None
    failures: int
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Fetched:
    """A successful response with a body."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    #: Where a chain of permanent redirects (301/308) from the requested URL ended.
    permanent_url: str | None = None
    #: The body's sha256, kept when the body itself is let go after parsing.
    digest: str | None = None

    @property
    def body_hash(self) -> str:
        import hashlib

        return self.digest or hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class NotModified:
    """The server answered 304 to our conditional GET (or sent the same body again)."""

    url: str
    status: int = 304
    headers: dict[str, str] = field(default_factory=dict)
    permanent_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None


FetchResult = Fetched | NotModified


@dataclass(frozen=True)
class Enclosure:
    """A file attached to an entry (a podcast episode, say): RSS enclosure, Atom
    ``link rel="enclosure"``, JSON Feed attachment."""

    url: str
    type: str | None = None
    length: int | None = None


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
    enclosures: tuple[Enclosure, ...] = ()

    @cached_property
    def content_hash(self) -> str:
        """Identifies this version of the entry; computed once (in the parsing process)."""
        import hashlib

        parts = [self.url or "", self.title, self.author or "", self.summary, self.content_html]
        # Only when present, so that hashes stored before enclosures were kept still match.
        parts += [f"{e.url} {e.type or ''} {e.length or ''}" for e in self.enclosures]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    @cached_property
    def content_text(self) -> str:
        """The content as plain text, for the search index; computed once (in the parsing
        process: the one that writes the store has enough to do)."""
        from aggregator.parse.sanitize import text_of_clean_html

        return text_of_clean_html(self.content_html)


def with_content_text(entry: ParsedEntry, text: str) -> ParsedEntry:
    """``entry`` with its ``content_text`` already known: the parser made it from the
    same clean HTML to cut the summary, and it need not be made twice."""
    entry.__dict__["content_text"] = text
    return entry


@dataclass(frozen=True)
class ParseWarning:
    """A problem a feed was read despite (not well-formed XML), to show beside ``ok``."""

    kind: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.message} at line {self.line}" if self.line else self.message


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: tuple[ParsedEntry, ...]
    #: What the feed asks for between fetches (RSS ttl, sy:updatePeriod/Frequency).
    publisher_interval: timedelta | None = None
    description: str | None = None
    #: The feed's icon or logo (an absolute http(s) URL).
    icon: str | None = None
    language: str | None = None
    #: The feed's own date (Atom ``updated``, RSS ``lastBuildDate``/``pubDate``).
    updated: datetime | None = None
    #: Set when the document had to be read leniently.
    warning: ParseWarning | None = None
    #: The WebSub hubs the feed names (``<link rel="hub">``, JSON Feed ``hubs``).
    hubs: tuple[str, ...] = ()
    #: The feed's own URL as it states it (``rel="self"``, JSON Feed ``feed_url``).
    self_url: str | None = None


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
    #: The page relative to the site root, from the permalink pattern (``posts/SLUG/``).
    local_path: str = ""
    #: An Atom id the front matter gives (``id``); else one is made from the slug.
    atom_id: str | None = None
    #: Minutes to read: words / 220, rounded up.
    reading_minutes: int = 1
    #: Absolute URL of the cover image (Hugo ``cover.image``/``images``, Jekyll ``image``,
    #: ``header.image``, ``header.overlay_image``), shown atop the page and as ``og:image``.
    cover_image: str | None = None
    cover_alt: str = ""
    #: Older paths of the post, relative to the site root (Hugo ``aliases``, Jekyll
    #: ``redirect_from``): each gets a page pointing here.
    aliases: tuple[str, ...] = ()
    #: A table of contents atop the page (``toc``/``showToc``); open or collapsed as
    #: ``TocOpen`` says (without it: collapsed for Hugo's ``showToc``, open for ``toc``).
    toc: bool = False
    toc_open: bool = False
    #: TeX formulas rendered as MathML (``math``/``use_math``, or ``[own] math``).
    math: bool = False


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
    #: Whether the source is the owner's own blog feed (``own.feed_url``).
    source_is_own: bool = False
    enclosures: tuple[Enclosure, ...] = ()


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
    enclosures: tuple[Enclosure, ...] = ()
    #: The store's id of the blog an entry comes from; None for own posts.
    source_id: int | None = None
    #: When the blog last changed, as far as we know (its newest entry): ``atom:source``.
    source_updated: datetime | None = None
    #: Minutes to read an own post that has a page here; None for everything else.
    reading_minutes: int | None = None


@dataclass(frozen=True)
class Headline:
    """The little the monthly archives show of an entry: no content is loaded."""

    title: str
    url: str | None
    published: datetime
    source_id: int


#: ``bug``: an unexpected exception here, not recorded on the source.
SourceResult = Literal["ok", "not_modified", "error", "gone", "bug"]


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
    #: The blogroll's lines that could not be read (or were read with a guess).
    blogroll_warnings: tuple[BlogrollWarning, ...] = ()

    def count(self, result: SourceResult) -> int:
        return sum(1 for s in self.sources if s.result == result)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sources)

    def summary(self) -> str:
        failed = self.count("error") + self.count("gone") + self.count("bug")
        return (
            f"sources: {self.count('ok')} ok, {self.count('not_modified')} not modified, "
            f"{failed} failed; entries: {self.new} new, {self.updated} updated"
        )


# -- between the decisions and the store: what is read for an update, what is written --------


@dataclass(frozen=True)
class EntryIdentity:
    """What the store hands to an update about one stored entry: enough to match it."""

    id: int
    key: str
    url: str | None
    content_hash: str
    previous_content_hash: str | None
    first_seen_at: datetime


@dataclass(frozen=True)
class EntryInsert:
    """A new entry to store, with its final dates."""

    entry: ParsedEntry
    published: datetime | None
    updated: datetime | None
    sort_at: datetime


@dataclass(frozen=True)
class EntryUpdate:
    """A stored entry (``id``) rewritten with a changed version, keeping the old hash."""

    id: int
    entry: ParsedEntry
    published: datetime | None
    updated: datetime | None
    sort_at: datetime
    previous_content_hash: str


@dataclass(frozen=True)
class EntryIntents:
    """Everything a fetched feed changes in the entries; the store only applies it."""

    inserts: tuple[EntryInsert, ...] = ()
    updates: tuple[EntryUpdate, ...] = ()


@dataclass(frozen=True)
class StoredIcon:
    """A blog's icon as the store keeps it (``store.icons``); no ``body`` when none was found."""

    source_id: int
    #: Where the image was fetched from (None: no icon found).
    url: str | None
    content_type: str | None
    body: bytes | None
    #: The image's validators, for the next conditional GET.
    etag: str | None
    last_modified: str | None
    checked_at: datetime
    next_check_at: datetime
    #: sha256 of ``body``: the published file's name carries it.
    sha256: str | None


@dataclass(frozen=True)
class IconDue:
    """A blog whose icon is due to be looked for, with what is known of it (from the store)."""

    source_id: int
    #: The blogroll's URL (homepage or feed) and the homepage the feed names.
    url: str
    site_url: str | None
    #: The icon, logo or image the feed names.
    feed_icon: str | None
    stored: StoredIcon | None


IconResult = Literal["found", "unchanged", "none", "failed"]


@dataclass(frozen=True)
class IconUpdate:
    """What one icon check changes (``update.icons.decide_icon``), for the store to apply.

    ``found``: a new image replaces the stored one; ``unchanged``: the same image
    (a 304 or the same bytes); ``none``: no image at any candidate, the stored one
    is let go; ``failed``: the network failed, what is stored stays.
    """

    source_id: int
    result: IconResult
    checked_at: datetime
    next_check_at: datetime
    url: str | None = None
    content_type: str | None = None
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
