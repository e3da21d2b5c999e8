"""Every setting, declared once: its section, key, type, default, bounds and meaning.

Validation (``aggregator.settings``) and the README's settings table are both
derived from these dataclasses; a field's ``metadata`` holds what its type and
default cannot say.
"""

from __future__ import annotations

import ipaddress
import string
import zoneinfo
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any

from aggregator.errors import ConfigError

#: Bounds of ``[content] summary_length``; entries are stored with the longest excerpt.
MIN_SUMMARY = 40
MAX_SUMMARY = 1000
#: The excerpt stored with each entry; pages cut it to ``[content] summary_length``.
SUMMARY_STORED = MAX_SUMMARY
#: The default of ``[content] summary_length``.
SUMMARY_LENGTH = 280
#: The default of ``[own] permalink``.
DEFAULT_PERMALINK = "/posts/{slug}/"
#: A missing title is made of the content's first words, at most this long.
TITLE_FROM_CONTENT = 60

# ``setting`` returns a ``dataclasses.field``: a Path default in it is not shared state.

#: Checks and converts one value: (value, "file: [section] key", config folder) → value.
Check = Callable[[Any, str, Path], Any]


def setting(
    default: Any = MISSING,
    *,
    doc: str,
    min: int | None = None,
    max: int | None = None,
    env: str | None = None,
    check: Check | None = None,
    default_doc: str | None = None,
) -> Any:
    """A dataclass field that is a config key: no default means a required key."""
    metadata = {
        "doc": doc,
        "min": min,
        "max": max,
        "env": env,
        "check": check,
        "default_doc": default_doc,
    }
    return field(default=default, metadata=metadata)


def _http_url(value: str, where: str, base: Path) -> str:
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: must be an absolute http(s) URL, got {value!r}")
    return value


def _site_url(value: str, where: str, base: Path) -> str:
    value = _http_url(value, where, base)
    return value if value.endswith("/") else value + "/"


def _database_url(value: str, where: str, base: Path) -> str:
    """A relative SQLite path resolves against the config folder."""
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        rest = value.removeprefix("sqlite:///")
        if rest and rest != ":memory:":
            return f"sqlite:///{(base / Path(rest).expanduser()).resolve()}"
    return value


_PERMALINK_FIELDS = {"slug", "year", "month", "day"}


def _permalink(pattern: str, where: str, base: Path) -> str:
    """A permalink pattern must name the slug, so that two posts never share a page."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    unknown = names - _PERMALINK_FIELDS
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {{{sorted(unknown)[0]}}} "
            f"(use {{slug}}, {{year}}, {{month}}, {{day}})"
        )
    if "slug" not in names:
        raise ConfigError(f"{where}: must contain {{slug}}")
    if not pattern.startswith("/") or not pattern.endswith("/"):
        raise ConfigError(f"{where}: must start and end with '/', got {pattern!r}")
    return pattern


def _timezone(value: str, where: str, base: Path) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ConfigError(
            f'{where}: unknown time zone {value!r} (an IANA name like "Europe/Paris")'
        ) from None
    return value


def _river(value: str, where: str, base: Path) -> str:
    if value not in ("excerpts", "full"):
        raise ConfigError(f'{where}: must be "excerpts" or "full", got {value!r}')
    return value


def _networks(values: list[Any], where: str, base: Path) -> tuple[str, ...]:
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(str(value), strict=False)))
        except ValueError:
            raise ConfigError(f"{where}: {value!r} is not a network like 127.0.0.0/8") from None
    return tuple(networks)


@dataclass(frozen=True)
class SiteSettings:
    title: str = setting(doc="the site's name, on every page and feed")
    #: Always ends in "/".
    url: str = setting(
        doc="absolute base URL of the published site; permalinks and feed ids derive from it",
        check=_site_url,
    )
    author: str = setting(doc="the owner, author of the own posts and of the feeds")
    author_email: str | None = setting(None, doc="shown in the feeds and the footer")
    search: bool = setting(
        True,
        doc="a search box on every page, answered at `/search` by `aggregator run`; set it to "
        "`false` when the site is served by a static host, which has no search",
    )
    timezone: str = setting(
        "UTC",
        doc="the time zone of the pages (an IANA name like `Europe/Paris`): day headings, "
        "times and ages are said in it; feeds and `<time datetime>` keep the exact instant",
        check=_timezone,
    )


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = setting(
        "sqlite:///aggregator.sqlite3",
        doc="an SQLAlchemy URL; `postgresql://user@host/db` uses psycopg",
        env="AGGREGATOR_DATABASE_URL",
        check=_database_url,
        default_doc="`sqlite:///aggregator.sqlite3` next to the config",
    )


@dataclass(frozen=True)
class OwnSettings:
    posts_dir: Path = setting(Path("posts"), doc="folder of your Markdown posts")  # noqa: RUF009
    permalink: str = setting(
        DEFAULT_PERMALINK,
        doc="where each post is published, under the site URL; `{slug}`, `{year}`, `{month}`, "
        "`{day}` are filled in. Must contain `{slug}`. Changing it moves the pages; the posts' "
        "Atom ids stay the same",
        check=_permalink,
    )
    feed_url: str | None = setting(
        None,
        doc="your existing blog's feed: followed like a blogroll source (not listed on the "
        "blogroll), its entries shown and published as own posts, linking to the original. "
        "An own post file with the same URL wins",
        check=_http_url,
    )
    math: bool = setting(
        False,
        doc="TeX formulas (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`) in every post become MathML; "
        "without it, a post turns them on with `math: true` or `use_math: true`",
    )
    static_dir: Path = setting(  # noqa: RUF009
        Path("static"),
        doc="a folder copied as it is to the site's root (`static/images/a.png` is "
        "`/images/a.png`), when it exists; changed files only",
    )


@dataclass(frozen=True)
class BlogrollSettings:
    file: Path = setting(  # noqa: RUF009
        Path("blogroll.md"), doc="the blogroll: Markdown, or OPML when it ends in `.opml`"
    )


@dataclass(frozen=True)
class OutputSettings:
    dir: Path = setting(Path("public"), doc="where the site is written")  # noqa: RUF009
    items: int = setting(100, min=1, doc="items on each page of the river")
    pages: int = setting(
        10,
        min=1,
        doc="numbered river pages (`index.html`, `page/2/`, …); older items are in the "
        "monthly archives",
    )
    per_source: int = setting(
        5,
        min=1,
        doc="fair share: at most this many items of one blog per day on a river page; the "
        "rest fold into one line, “and 3 more from …”, linking to the blog's page. Own posts "
        "are never folded",
    )
    feed_items: int = setting(
        50, min=1, doc="the latest items in each published feed, Atom and JSON Feed"
    )
    archive_months: int = setting(
        0,
        min=0,
        doc="monthly archives (`archive/YYYY/MM/`): every month with items has one (0); a "
        "number keeps only that many months, counted back from the newest item. Own posts are "
        "archived whatever their age",
    )
    river: str = setting(
        "excerpts",
        doc='what the river shows of each item: `"excerpts"`, or `"full"` for its whole '
        "(sanitized) content",
        check=_river,
    )
    quiet_months: int = setting(
        6,
        min=1,
        doc="a blog with no post for this many months is marked “quiet” on the blogroll page",
    )
    templates_dir: Path | None = setting(  # noqa: RUF009
        None,
        doc="a folder of your own templates; a file there replaces the shipped one of the same "
        "name (`base.html`, `index.html`, `blogroll.html`, `style.css`, …)",
    )
    suggestions: bool = setting(
        False,
        doc="also list, on the blogroll page, the blogs most recommended by the blogrolls of "
        "the blogs you follow (see `aggregator blogroll suggest`)",
    )


@dataclass(frozen=True)
class ScheduleSettings:
    interval_minutes: int = setting(
        10, min=1, doc="how often the service looks for sources that are due"
    )
    min_interval_minutes: int = setting(
        30, min=1, doc="the shortest interval between two fetches of one source"
    )
    max_interval_minutes: int = setting(
        1440, min=1, doc="the longest interval between two fetches of a healthy source"
    )
    max_backoff_minutes: int = setting(
        1440, doc="the longest wait before retrying a failing source"
    )


@dataclass(frozen=True)
class ServerSettings:
    host: str = setting(
        "127.0.0.1", doc="address the service listens on", env="AGGREGATOR_SERVER_HOST"
    )
    port: int = setting(8080, min=1, max=65535, doc="its port", env="AGGREGATOR_SERVER_PORT")
    threads: int = setting(
        4, min=1, doc="threads serving HTTP requests", env="AGGREGATOR_SERVER_THREADS"
    )
    ready_max_age_minutes: int = setting(
        0,
        min=0,
        doc="`/readyz` fails when the last refresh (or, for a publisher, the last build) ended "
        "longer ago than this (0: three times `interval_minutes`)",
    )


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = setting(10.0, doc="seconds to connect")
    read_timeout: float = setting(20.0, doc="seconds between two reads")
    total_timeout: float = setting(60.0, doc="seconds for a whole fetch, body included")
    max_bytes: int = setting(
        10 * 1024 * 1024, min=1, doc="largest body accepted, counted after decompression"
    )
    workers: int = setting(16, min=1, doc="sources fetched at once")
    per_host: int = setting(2, min=1, doc="requests to one host at once, at most")
    allow_networks: tuple[str, ...] = setting(
        (),
        doc='networks fetched from although they are not public, e.g. `["192.168.1.0/24"]`; '
        "loopback, private, link-local, multicast and reserved addresses are refused otherwise",
        check=_networks,
    )
    parse_processes: int = setting(
        0,
        doc="processes that parse feeds (0: one per CPU); small refreshes parse in the fetch "
        "threads",
    )
    icons: bool = setting(
        True,
        doc="look for each blog's icon (its face on the pages) at refresh time, once a week; "
        "off: every blog gets a letter tile",
    )


@dataclass(frozen=True)
class WorkerSettings:
    lease_seconds: int = setting(
        600,
        min=1,
        doc="how long a worker's claim on a source holds; the sources of a worker that died "
        "are fetched by another after this",
    )
    tick_seconds: int = setting(
        60, min=1, doc="how often `aggregator worker` looks for due sources"
    )
    batch: int = setting(32, min=1, doc="sources one worker claims at once")
    shutdown_seconds: int = setting(
        10, doc="on SIGTERM, how long fetches in flight may take to finish"
    )


@dataclass(frozen=True)
class RetentionSettings:
    max_age_days: int = setting(
        0,
        min=0,
        doc="entries older than this are pruned after each refresh (0: kept forever)",
    )
    per_source: int = setting(
        0,
        min=0,
        doc="only this many newest entries of each blog are kept (0: no limit). Pruning never "
        "removes an entry the river's pages, the category pages, the blog pages or the feeds "
        "show, nor your own posts",
    )


@dataclass(frozen=True)
class ContentSettings:
    summary_length: int = setting(
        SUMMARY_LENGTH,
        min=MIN_SUMMARY,
        max=MAX_SUMMARY,
        doc="longest plain-text excerpt on the river, in characters "
        f"({MIN_SUMMARY}–{MAX_SUMMARY}), cut at a word boundary",
    )
    clamp_future_dates: bool = setting(
        True,
        doc="an entry dated in the future is dated when it was first seen instead, so nothing "
        "sticks to the top",
    )


@dataclass(frozen=True)
class WidgetSettings:
    count: int = setting(
        3,
        min=1,
        doc="blogs in `widget.html` / `widget.json`: the latest post of each of the "
        "blogs that posted most recently",
    )
    category: str | None = setting(None, doc="only blogs of this blogroll category in the widget")


def _hubs(values: list[Any], where: str, base: Path) -> tuple[str, ...]:
    for value in values:
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: {value!r} is not an absolute http(s) URL")
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class WebSubSettings:
    hubs: tuple[str, ...] = setting(
        (),
        doc="WebSub hubs (absolute http(s) URLs) that every published feed names; after a build "
        "each hub gets one ping per changed feed",
        check=_hubs,
    )
    subscribe: bool = setting(
        False,
        doc='subscribe to the hubs the blogs\' feeds name (`<link rel="hub">`), so their new '
        "posts arrive within seconds; needs `callback_url`",
    )
    callback_url: str | None = setting(
        None,
        doc="the public URL at which `aggregator run` is reached; hubs call "
        "`CALLBACK_URL/websub/TOKEN`. Required when `subscribe` is on",
        check=_http_url,
    )
    lease_seconds: int = setting(
        864000,
        min=1,
        doc="how long a subscription is asked for; it is renewed before it ends",
    )


@dataclass(frozen=True)
class Settings:
    """The whole configuration; every field after ``path`` is a ``[section]`` of the file."""

    path: Path
    site: SiteSettings
    database: DatabaseSettings
    own: OwnSettings
    blogroll: BlogrollSettings
    output: OutputSettings
    schedule: ScheduleSettings
    server: ServerSettings
    fetch: FetchSettings
    content: ContentSettings = ContentSettings()
    worker: WorkerSettings = WorkerSettings()
    retention: RetentionSettings = RetentionSettings()
    widget: WidgetSettings = WidgetSettings()
    websub: WebSubSettings = WebSubSettings()
