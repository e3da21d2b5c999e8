"""Configuration: one TOML file plus ``AGGREGATOR_*`` environment variables.

This is the only module that reads either. Relative paths in the file resolve
against the file's folder, so a site folder can be moved as a whole.
"""

from __future__ import annotations

import os
import string
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from aggregator.errors import ConfigError

DEFAULT_CONFIG = Path("config") / "aggregator.toml"


@dataclass(frozen=True)
class SiteSettings:
    title: str
    #: Absolute base URL of the published site, always ending in "/".
    url: str
    author: str
    author_email: str | None = None


@dataclass(frozen=True)
class DatabaseSettings:
    url: str


@dataclass(frozen=True)
class OwnSettings:
    posts_dir: Path
    #: Where a post is published, relative to the site URL; ``{slug}``, ``{year}``,
    #: ``{month}`` and ``{day}`` are filled in.
    permalink: str = "/posts/{slug}/"
    #: The owner's existing blog feed, merged as own posts.
    feed_url: str | None = None


@dataclass(frozen=True)
class BlogrollSettings:
    file: Path


@dataclass(frozen=True)
class OutputSettings:
    dir: Path
    #: Items on each page of the river.
    items: int = 100
    #: Numbered river pages (``index.html``, ``page/2/`` …); older items are in the archives.
    pages: int = 10
    #: Fair share: at most this many items of one blog on a river page.
    per_source: int = 5
    #: Items in each published feed (Atom and JSON Feed).
    feed_items: int = 50
    #: Months of monthly archives, counted back from the newest item.
    archive_months: int = 12
    #: A blog with no post for this many months is marked quiet on the blogroll page.
    quiet_months: int = 6
    #: The owner's templates; a file here replaces the shipped one of the same name.
    templates_dir: Path | None = None


@dataclass(frozen=True)
class ScheduleSettings:
    #: How often the service looks for sources that are due.
    interval_minutes: int = 10
    #: Bounds of each source's own interval, which follows its posting frequency.
    min_interval_minutes: int = 30
    max_interval_minutes: int = 1440
    #: Longest wait between two tries of a failing source.
    max_backoff_minutes: int = 1440


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    #: ``/readyz`` fails when the last refresh or build ended longer ago (0: 3 × interval).
    ready_max_age_minutes: int = 0


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    #: Wall-clock limit for one fetch, body included.
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    workers: int = 16
    #: Concurrent requests to one host at most.
    per_host: int = 2
    #: Networks fetched from even though they are not public (loopback, private, ...).
    allow_networks: tuple[str, ...] = ()
    #: Processes that parse feeds; 0 means one per CPU.
    parse_processes: int = 0


@dataclass(frozen=True)
class ContentSettings:
    #: Longest plain-text excerpt on the river, in characters (cut at a word boundary).
    summary_length: int = 280
    #: A date in the future is replaced by the time the entry was first seen.
    clamp_future_dates: bool = True


@dataclass(frozen=True)
class WorkerSettings:
    #: How long a worker's claim on a source holds; a dead worker's sources are free after it.
    lease_seconds: int = 600
    #: How often ``aggregator worker`` looks for due sources.
    tick_seconds: int = 60
    #: Sources claimed at once by one worker.
    batch: int = 32
    #: On SIGTERM, how long fetches in flight may take to finish before the process exits.
    shutdown_seconds: int = 10


@dataclass(frozen=True)
class RetentionSettings:
    #: Entries older than this many days are pruned (0: kept forever).
    max_age_days: int = 0
    #: Entries beyond the newest this many of one source are pruned (0: no limit).
    per_source: int = 0


@dataclass(frozen=True)
class WebSubSettings:
    #: WebSub hubs every published feed names (``<link rel="hub">``) and pings after a change.
    hubs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
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
    websub: WebSubSettings = WebSubSettings()


# Per section: key -> (accepted types, required). Paths are strings in TOML.
_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "site": {
        "title": ((str,), True),
        "url": ((str,), True),
        "author": ((str,), True),
        "author_email": ((str,), False),
    },
    "database": {"url": ((str,), False)},
    "own": {
        "posts_dir": ((str,), False),
        "permalink": ((str,), False),
        "feed_url": ((str,), False),
    },
    "blogroll": {"file": ((str,), False)},
    "output": {
        "dir": ((str,), False),
        "items": ((int,), False),
        "pages": ((int,), False),
        "per_source": ((int,), False),
        "feed_items": ((int,), False),
        "archive_months": ((int,), False),
        "quiet_months": ((int,), False),
        "templates_dir": ((str,), False),
    },
    "schedule": {
        "interval_minutes": ((int,), False),
        "min_interval_minutes": ((int,), False),
        "max_interval_minutes": ((int,), False),
        "max_backoff_minutes": ((int,), False),
    },
    "server": {
        "host": ((str,), False),
        "port": ((int,), False),
        "ready_max_age_minutes": ((int,), False),
    },
    "fetch": {
        "connect_timeout": ((int, float), False),
        "read_timeout": ((int, float), False),
        "total_timeout": ((int, float), False),
        "max_bytes": ((int,), False),
        "workers": ((int,), False),
        "per_host": ((int,), False),
        "allow_networks": ((list,), False),
        "parse_processes": ((int,), False),
    },
    "content": {
        "summary_length": ((int,), False),
        "clamp_future_dates": ((bool,), False),
    },
    "worker": {
        "lease_seconds": ((int,), False),
        "tick_seconds": ((int,), False),
        "batch": ((int,), False),
        "shutdown_seconds": ((int,), False),
    },
    "retention": {
        "max_age_days": ((int,), False),
        "per_source": ((int,), False),
    },
    "websub": {"hubs": ((list,), False)},
}
_REQUIRED_SECTIONS = ("site",)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: ``--config``, else ``$AGGREGATOR_CONFIG``, else the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("AGGREGATOR_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read and validate the config file; raise ConfigError naming the file and key."""
    environ = dict(os.environ) if environ is None else environ
    file = config_path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: config file is not UTF-8: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return parse_settings(raw, file, environ)


def parse_settings(raw: dict[str, Any], file: Path, environ: dict[str, str]) -> Settings:
    """Validate a decoded TOML document; pure apart from resolving paths."""
    _validate(raw, file)
    base = file.resolve().parent

    def section(name: str) -> dict[str, Any]:
        value: dict[str, Any] = raw.get(name, {})
        return value

    def path_of(value: str) -> Path:
        p = Path(value).expanduser()
        return (p if p.is_absolute() else base / p).resolve()

    site = section("site")
    url = site["url"]
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{file}: [site] url: must be an absolute http(s) URL, got {url!r}")
    site_settings = SiteSettings(
        title=site["title"],
        url=url if url.endswith("/") else url + "/",
        author=site["author"],
        author_email=site.get("author_email"),
    )

    db_url = environ.get("AGGREGATOR_DATABASE_URL") or section("database").get("url")
    if not db_url:
        db_url = f"sqlite:///{base / 'aggregator.sqlite3'}"
    elif db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        rest = db_url.removeprefix("sqlite:///")
        if rest and rest != ":memory:":
            db_url = f"sqlite:///{path_of(rest)}"

    output = section("output")
    for key in ("items", "pages", "per_source", "feed_items", "archive_months", "quiet_months"):
        if output.get(key, 1) < 1:
            raise ConfigError(f"{file}: [output] {key}: must be at least 1")
    templates_dir = output.get("templates_dir")
    schedule = section("schedule")
    for key in ("interval_minutes", "min_interval_minutes", "max_interval_minutes"):
        if schedule.get(key, 1) < 1:
            raise ConfigError(f"{file}: [schedule] {key}: must be at least 1")
    if schedule.get("min_interval_minutes", 30) > schedule.get("max_interval_minutes", 1440):
        raise ConfigError(
            f"{file}: [schedule] min_interval_minutes: must not exceed max_interval_minutes"
        )
    server = dict(section("server"))
    if environ.get("AGGREGATOR_SERVER_HOST"):
        server["host"] = environ["AGGREGATOR_SERVER_HOST"]
    if environ.get("AGGREGATOR_SERVER_PORT"):
        port = environ["AGGREGATOR_SERVER_PORT"]
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"AGGREGATOR_SERVER_PORT: expected a port number, got {port!r}")
        server["port"] = int(port)
    fetch = dict(section("fetch"))
    if "allow_networks" in fetch:
        fetch["allow_networks"] = _networks(fetch["allow_networks"], file)
    for key in ("workers", "per_host", "max_bytes"):
        if fetch.get(key, 1) < 1:
            raise ConfigError(f"{file}: [fetch] {key}: must be at least 1")
    own = section("own")
    permalink = own.get("permalink", "/posts/{slug}/")
    _check_permalink(permalink, file)
    feed_url = own.get("feed_url")
    if feed_url is not None and not feed_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{file}: [own] feed_url: must be an absolute http(s) URL, got {feed_url!r}"
        )
    worker = section("worker")
    for key in ("lease_seconds", "tick_seconds", "batch"):
        if worker.get(key, 1) < 1:
            raise ConfigError(f"{file}: [worker] {key}: must be at least 1")
    retention = section("retention")
    for key in ("max_age_days", "per_source"):
        if retention.get(key, 0) < 0:
            raise ConfigError(f"{file}: [retention] {key}: must not be negative")
    content = section("content")
    if not MIN_SUMMARY <= content.get("summary_length", 280) <= MAX_SUMMARY:
        raise ConfigError(
            f"{file}: [content] summary_length: must be between {MIN_SUMMARY} and {MAX_SUMMARY}"
        )
    websub = _websub(section("websub"), file)
    return Settings(
        path=file,
        site=site_settings,
        database=DatabaseSettings(url=db_url),
        own=OwnSettings(
            posts_dir=path_of(own.get("posts_dir", "posts")), permalink=permalink, feed_url=feed_url
        ),
        blogroll=BlogrollSettings(file=path_of(section("blogroll").get("file", "blogroll.md"))),
        output=OutputSettings(
            dir=path_of(output.get("dir", "public")),
            templates_dir=path_of(templates_dir) if templates_dir else None,
            **_pick(output, OutputSettings, {"dir", "templates_dir"}),
        ),
        schedule=ScheduleSettings(**_pick(schedule, ScheduleSettings)),
        server=ServerSettings(**_pick(server, ServerSettings)),
        fetch=FetchSettings(**_pick(fetch, FetchSettings)),
        content=ContentSettings(**_pick(content, ContentSettings)),
        worker=WorkerSettings(**_pick(worker, WorkerSettings)),
        retention=RetentionSettings(**_pick(retention, RetentionSettings)),
        websub=websub,
    )


def _websub(values: dict[str, Any], file: Path) -> WebSubSettings:
    hubs = values.get("hubs", [])
    for hub in hubs:
        if not isinstance(hub, str) or not hub.startswith(("http://", "https://")):
            raise ConfigError(f"{file}: [websub] hubs: {hub!r} is not an absolute http(s) URL")
    return WebSubSettings(hubs=tuple(dict.fromkeys(hubs)))


def _networks(values: list[Any], file: Path) -> tuple[str, ...]:
    import ipaddress

    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(str(value), strict=False)))
        except ValueError:
            raise ConfigError(
                f"{file}: [fetch] allow_networks: {value!r} is not a network like 127.0.0.0/8"
            ) from None
    return tuple(networks)


#: Bounds of ``[content] summary_length``; entries are stored with the longest excerpt.
MIN_SUMMARY = 40
MAX_SUMMARY = 1000
_PERMALINK_FIELDS = {"slug", "year", "month", "day"}


def _check_permalink(pattern: str, file: Path) -> None:
    """A permalink pattern must name the slug, so that two posts never share a page."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{file}: [own] permalink: {exc}") from None
    unknown = names - _PERMALINK_FIELDS
    if unknown:
        raise ConfigError(
            f"{file}: [own] permalink: unknown field {{{sorted(unknown)[0]}}} "
            f"(use {{slug}}, {{year}}, {{month}}, {{day}})"
        )
    if "slug" not in names:
        raise ConfigError(f"{file}: [own] permalink: must contain {{slug}}")
    if not pattern.startswith("/") or not pattern.endswith("/"):
        raise ConfigError(f"{file}: [own] permalink: must start and end with '/', got {pattern!r}")


def _pick(values: dict[str, Any], cls: type, skip: set[str] | None = None) -> dict[str, Any]:
    names = {f.name for f in fields(cls)} - (skip or set())
    return {k: v for k, v in values.items() if k in names}


def _validate(raw: dict[str, Any], file: Path) -> None:
    for name, value in raw.items():
        if name not in _SCHEMA:
            raise ConfigError(f"{file}: unknown section [{name}]")
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: [{name}] must be a table")
        schema = _SCHEMA[name]
        for key, item in value.items():
            if key not in schema:
                raise ConfigError(f"{file}: [{name}] {key}: unknown key")
            types, _ = schema[key]
            # bool is an int in Python; a port of `true` is still a mistake.
            if (isinstance(item, bool) and bool not in types) or not isinstance(item, types):
                expected = " or ".join(_TYPE_NAMES[t] for t in types)
                raise ConfigError(
                    f"{file}: [{name}] {key}: expected {expected}, got {_type_name(item)}"
                )
    for name in _REQUIRED_SECTIONS:
        if name not in raw:
            raise ConfigError(f"{file}: missing section [{name}]")
    for name, schema in _SCHEMA.items():
        for key, (_, required) in schema.items():
            if required and name in raw and key not in raw[name]:
                raise ConfigError(f"{file}: [{name}] {key}: missing required key")


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    list: "a list",
}


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")
