"""Configuration: one TOML file plus ``AGGREGATOR_*`` environment variables.

This is the only module that reads either. Relative paths in the file resolve
against the file's folder, so a site folder can be moved as a whole.
"""

from __future__ import annotations

import os
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
    interval_minutes: int = 60


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    #: Wall-clock limit for one fetch, body included.
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    workers: int = 16


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


# Per section: key -> (accepted types, required). Paths are strings in TOML.
_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "site": {
        "title": ((str,), True),
        "url": ((str,), True),
        "author": ((str,), True),
        "author_email": ((str,), False),
    },
    "database": {"url": ((str,), False)},
    "own": {"posts_dir": ((str,), False)},
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
    "schedule": {"interval_minutes": ((int,), False)},
    "server": {"host": ((str,), False), "port": ((int,), False)},
    "fetch": {
        "connect_timeout": ((int, float), False),
        "read_timeout": ((int, float), False),
        "total_timeout": ((int, float), False),
        "max_bytes": ((int,), False),
        "workers": ((int,), False),
    },
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
    if schedule.get("interval_minutes", 1) < 1:
        raise ConfigError(f"{file}: [schedule] interval_minutes: must be at least 1")
    server = dict(section("server"))
    if environ.get("AGGREGATOR_SERVER_HOST"):
        server["host"] = environ["AGGREGATOR_SERVER_HOST"]
    if environ.get("AGGREGATOR_SERVER_PORT"):
        port = environ["AGGREGATOR_SERVER_PORT"]
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"AGGREGATOR_SERVER_PORT: expected a port number, got {port!r}")
        server["port"] = int(port)
    fetch = section("fetch")
    return Settings(
        path=file,
        site=site_settings,
        database=DatabaseSettings(url=db_url),
        own=OwnSettings(posts_dir=path_of(section("own").get("posts_dir", "posts"))),
        blogroll=BlogrollSettings(file=path_of(section("blogroll").get("file", "blogroll.md"))),
        output=OutputSettings(
            dir=path_of(output.get("dir", "public")),
            templates_dir=path_of(templates_dir) if templates_dir else None,
            **_pick(output, OutputSettings, {"dir", "templates_dir"}),
        ),
        schedule=ScheduleSettings(**_pick(schedule, ScheduleSettings)),
        server=ServerSettings(**_pick(server, ServerSettings)),
        fetch=FetchSettings(**_pick(fetch, FetchSettings)),
    )


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
            if isinstance(item, bool) or not isinstance(item, types):
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


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number"}


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")
