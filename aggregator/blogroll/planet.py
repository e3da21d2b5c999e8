"""Planet Venus / Planet 2.0 configuration files read as a blogroll (pure).

A ``planet.ini`` has a ``[Planet]`` section describing the planet and one
section per feed, named by the feed's URL, with ``name =`` (the blog's title)
and ``face =`` (an image of its author). Everything else a planet knows
(templates, filters, cache folders, per-feed options) has no counterpart here
and is reported as a note, once per key.
"""

from __future__ import annotations

import configparser
import json
import re
from dataclasses import dataclass
from pathlib import Path

from aggregator.errors import BlogrollError
from aggregator.models import Blogroll, BlogrollEntry

#: ``[Planet]`` keys and the ``[site]`` settings they suggest.
SITE_KEYS = {"name": "title", "link": "url", "owner_name": "author", "owner_email": "author_email"}
#: Keys of a feed section that are read.
FEED_KEYS = {"name", "face"}
_PLANET_SECTION = re.compile(r"^\s*\[Planet\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class PlanetFeed:
    url: str
    name: str | None
    #: The face image URL, kept as the planet gives it.
    face: str | None


@dataclass(frozen=True)
class PlanetConfig:
    feeds: tuple[PlanetFeed, ...]
    #: Suggested ``[site]`` settings: key → value.
    site: dict[str, str]
    #: One line for each key or section that is not carried over.
    notes: tuple[str, ...]

    def blogroll(self) -> Blogroll:
        title = self.site.get("title") or "Blogroll"
        entries = tuple(
            BlogrollEntry(url=feed.url, feed_url=feed.url, title=feed.name) for feed in self.feeds
        )
        return Blogroll(title=title, entries=entries)


def is_planet_config(path: Path, text: str) -> bool:
    """A ``.ini`` file, or any file with a ``[Planet]`` section."""
    return path.suffix.lower() == ".ini" or bool(_PLANET_SECTION.search(text))


def parse_planet_config(text: str, name: str = "planet.ini") -> PlanetConfig:
    parser = configparser.ConfigParser(interpolation=None, strict=False, default_section="\0")
    try:
        parser.read_string(text, source=name)
    except configparser.Error as exc:
        raise BlogrollError(f"{name}: not a Planet configuration: {exc}") from None
    if not parser.has_section("Planet"):
        raise BlogrollError(f"{name}: not a Planet configuration (no [Planet] section)")
    site: dict[str, str] = {}
    ignored: dict[str, list[str]] = {}
    for key, value in parser.items("Planet"):
        if key in SITE_KEYS and value.strip():
            site[SITE_KEYS[key]] = value.strip()
        else:
            ignored.setdefault(f"[Planet] {key}", []).append("Planet")
    feeds: list[PlanetFeed] = []
    seen: set[str] = set()
    for section in parser.sections():
        if section == "Planet":
            continue
        if not section.startswith(("http://", "https://")):
            ignored.setdefault(f"section [{section}]", []).append(section)
            continue
        values = dict(parser.items(section))
        for key in values.keys() - FEED_KEYS:
            ignored.setdefault(f"feed key {key}", []).append(section)
        if section in seen:
            continue
        seen.add(section)
        feeds.append(
            PlanetFeed(
                url=section,
                name=(values.get("name") or "").strip() or None,
                face=(values.get("face") or "").strip() or None,
            )
        )
    notes = tuple(
        f"{name}: {what} ignored" + (_sections(len(where)) if what.startswith("feed") else "")
        for what, where in sorted(ignored.items())
    )
    return PlanetConfig(feeds=tuple(feeds), site=site, notes=notes)


def _sections(count: int) -> str:
    return f" (in {count} feed section{'s' if count > 1 else ''})"


def read_planet_config(path: Path) -> PlanetConfig | None:
    """The Planet configuration at ``path``, or None when the file is another kind of blogroll."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None  # the blogroll reader says what is wrong with it
    return parse_planet_config(text, path.name) if is_planet_config(path, text) else None


def planet_report(config: PlanetConfig) -> list[str]:
    """What the import could not put in the blogroll: [site] settings, faces, ignored keys."""
    lines = []
    if config.site:
        lines.append("suggested settings for your config file:")
        lines.append("[site]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in config.site.items()]
    faces = [feed for feed in config.feeds if feed.face]
    for feed in faces:
        lines.append(f"face of {feed.name or feed.url}: {feed.face}")
    lines += [f"note: {note}" for note in config.notes]
    return lines
