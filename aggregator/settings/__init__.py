"""Configuration: one TOML file plus ``AGGREGATOR_*`` environment variables.

This is the only module that reads either. The keys, their defaults and bounds
are declared once, in ``schema``; this module validates a file against them.
Relative paths in the file resolve against the file's folder, so a site folder
can be moved as a whole.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any

from aggregator.errors import ConfigError
from aggregator.settings.schema import (
    DEFAULT_PERMALINK,
    MAX_SUMMARY,
    MIN_SUMMARY,
    SUMMARY_LENGTH,
    SUMMARY_STORED,
    TITLE_FROM_CONTENT,
    BlogrollSettings,
    ContentSettings,
    DatabaseSettings,
    FetchSettings,
    OutputSettings,
    OwnSettings,
    RetentionSettings,
    ScheduleSettings,
    ServerSettings,
    Settings,
    SiteSettings,
    WebSubSettings,
    WorkerSettings,
)

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_PERMALINK",
    "MAX_SUMMARY",
    "MIN_SUMMARY",
    "SUMMARY_LENGTH",
    "SUMMARY_STORED",
    "TITLE_FROM_CONTENT",
    "BlogrollSettings",
    "ContentSettings",
    "DatabaseSettings",
    "FetchSettings",
    "OutputSettings",
    "OwnSettings",
    "RetentionSettings",
    "ScheduleSettings",
    "ServerSettings",
    "Settings",
    "SiteSettings",
    "WebSubSettings",
    "WorkerSettings",
    "config_path",
    "load_settings",
    "parse_settings",
    "sections",
    "settings_table_markdown",
]

DEFAULT_CONFIG = Path("config") / "aggregator.toml"


def sections() -> dict[str, tuple[type, tuple[Field[Any], ...]]]:
    """Each ``[section]`` of the file: its dataclass and its keys, in declaration order."""
    hints = typing.get_type_hints(Settings)
    return {
        f.name: (hints[f.name], fields(hints[f.name])) for f in fields(Settings) if f.name != "path"
    }


def _kind(cls: type, name: str) -> type:
    """The value type of a key, ``X | None`` read as ``X``."""
    hint = typing.get_type_hints(cls)[name]
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    origin = typing.get_origin(hint)
    return typing.cast(type, origin or hint)


#: Python type of a key → the TOML types accepted for it (paths are strings in TOML).
_TOML_TYPES: dict[type, tuple[type, ...]] = {
    str: (str,),
    Path: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    tuple: (list,),
}


def _required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: ``--config``, else ``$AGGREGATOR_CONFIG``, else an
    ``aggregator.toml`` in the current folder, else the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("AGGREGATOR_CONFIG")
    if env:
        return Path(env)
    here = Path("aggregator.toml")
    return here if here.is_file() else DEFAULT_CONFIG


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
    built = {
        name: _section(cls, keys, raw.get(name, {}), f"{file}: [{name}]", base, environ)
        for name, (cls, keys) in sections().items()
    }
    settings = Settings(path=file, **built)
    schedule = settings.schedule
    if schedule.min_interval_minutes > schedule.max_interval_minutes:
        raise ConfigError(
            f"{file}: [schedule] min_interval_minutes: must not exceed max_interval_minutes"
        )
    if settings.websub.subscribe and not settings.websub.callback_url:
        raise ConfigError(
            f"{file}: [websub] callback_url: required when subscribe is on "
            "(the public URL at which `aggregator run` answers /websub/)"
        )
    return settings


def _section(
    cls: type,
    keys: tuple[Field[Any], ...],
    given: dict[str, Any],
    where: str,
    base: Path,
    environ: dict[str, str],
) -> Any:
    values = {}
    for f in keys:
        kind = _kind(cls, f.name)
        env = f.metadata["env"]
        if env and environ.get(env):
            value: Any = _from_environment(env, environ[env], kind, f)
        elif f.name in given:
            value = given[f.name]
        else:
            value = f.default
        values[f.name] = _finish(value, kind, f, f"{where} {f.name}", base)
    return cls(**values)


def _finish(value: Any, kind: type, f: Field[Any], where: str, base: Path) -> Any:
    """A value checked against its bounds and its own check, paths resolved."""
    if value is None:
        return None
    low, high = f.metadata["min"], f.metadata["max"]
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{where}: must {_bounds(low, high)}")
    if f.metadata["check"] is not None:
        value = f.metadata["check"](value, where, base)
    if kind is Path:
        p = Path(value).expanduser()
        value = (p if p.is_absolute() else base / p).resolve()
    elif kind is tuple:
        value = tuple(value)
    return value


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"be between {low} and {high}"
    if low == 0:
        return "not be negative"
    return f"be at least {low}" if low is not None else f"be at most {high}"


def _from_environment(env: str, text: str, kind: type, f: Field[Any]) -> Any:
    if kind is str:
        return text
    if kind is int:
        low, high = f.metadata["min"], f.metadata["max"]
        number = int(text) if text.isdigit() else None
        if (
            number is None
            or (low is not None and number < low)
            or (high is not None and number > high)
        ):
            bounded = low is not None or high is not None
            expected = "an integer" + (f" (must {_bounds(low, high)})" if bounded else "")
            raise ConfigError(f"{env}: expected {expected}, got {text!r}")
        return number
    raise TypeError(f"{env}: no environment reading for {kind.__name__} settings")


def _validate(raw: dict[str, Any], file: Path) -> None:
    known = sections()
    for name, value in raw.items():
        if name not in known:
            raise ConfigError(f"{file}: unknown section [{name}]")
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: [{name}] must be a table")
        cls, keys = known[name]
        by_name = {f.name: f for f in keys}
        for key, item in value.items():
            if key not in by_name:
                raise ConfigError(f"{file}: [{name}] {key}: unknown key")
            accepted = _TOML_TYPES[_kind(cls, key)]
            # bool is an int in Python; a port of `true` is still a mistake.
            if (isinstance(item, bool) and bool not in accepted) or not isinstance(item, accepted):
                expected = " or ".join(_TYPE_NAMES[t] for t in accepted)
                raise ConfigError(
                    f"{file}: [{name}] {key}: expected {expected}, got {_type_name(item)}"
                )
    for name, (_, keys) in known.items():
        if any(_required(f) for f in keys) and name not in raw:
            raise ConfigError(f"{file}: missing section [{name}]")
    for name, (_, keys) in known.items():
        for f in keys:
            if _required(f) and f.name not in raw.get(name, {}):
                raise ConfigError(f"{file}: [{name}] {f.name}: missing required key")


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


def settings_table_markdown() -> str:
    """The README's table of settings, made from the declarations."""
    rows = ["| section | key | default | meaning |", "|---|---|---|---|"]
    for name, (_, keys) in sections().items():
        for i, f in enumerate(keys):
            doc = f.metadata["doc"]
            if f.metadata["env"]:
                doc += f" (`${f.metadata['env']}` overrides it)"
            section = f"| `[{name}]` |" if i == 0 else "| |"
            rows.append(f"{section} `{f.name}` | {_default_text(f)} | {doc} |")
    return "\n".join(rows) + "\n"


def _default_text(f: Field[Any]) -> str:
    if f.metadata["default_doc"]:
        return str(f.metadata["default_doc"])
    value = f.default
    if value is MISSING:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, tuple):
        return f"`{list(value)}`"
    return f"`{value}`"
