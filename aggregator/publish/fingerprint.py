"""A build with nothing to do: told in one store read and a few file listings.

Each build records, beside the site (``.build.json``), the fingerprint of
everything its files are made from: the code, templates and libraries that
render them, the settings, the owner's files (posts, static files, blogroll,
cached suggestions) as names, sizes and times, and the store's revision
(``store.revision``). It also records when time alone would change a page
(the next local midnight, for ages and charts; a failing blog turning
"broken"), the files it published with their sizes, and its summary.

The next build with the same fingerprint, before that time, with every
published file still there at its size, has nothing to write: it reads no
entry and renders no page. Imported before the renderers, and light for that.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from importlib.util import find_spec
from pathlib import Path

import aggregator
from aggregator.fetch.recommendations import cache_path
from aggregator.publish.chrome import AltFeed, BuildOutcome, PageChrome
from aggregator.settings import Settings
from aggregator.store import Store

#: The record's name in the output folder (the server serves no dotfile).
RECORD_FILE = ".build.json"

#: Libraries whose version changes what a page or a feed holds.
_RENDERERS = ("jinja2", "markupsafe", "feedgen", "markdown_it", "pygments", "nh3", "latex2mathml")


@dataclass(frozen=True)
class BuildRecord:
    """What a build left for the next one to compare with."""

    fingerprint: str
    #: Time alone changes a page from this moment.
    valid_until: datetime
    #: Every published file, by path under the output folder, with its size.
    files: dict[str, int]
    items: int
    posts: int
    chrome: PageChrome


def site_fingerprint(settings: Settings, store: Store) -> str:
    """The digest of everything a build of ``settings`` reads, as it stands now."""
    digest = hashlib.sha256()
    digest.update(repr(settings).encode())
    digest.update(store.revision().encode())
    digest.update(code_digest().encode())
    watched = [
        Path(aggregator.__file__).parent.parent / "templates",
        settings.own.posts_dir,
        settings.own.static_dir,
        settings.blogroll.file,
        cache_path(settings.path),
        *([settings.output.templates_dir] if settings.output.templates_dir else []),
    ]
    for line in _listing(watched, skip=settings.output.dir):
        digest.update(line.encode())
    return digest.hexdigest()


def unchanged_outcome(out_dir: Path, fingerprint: str, now: datetime) -> BuildOutcome | None:
    """The outcome of the last build when it is still the site's, else None."""
    record = read_record(out_dir)
    if record is None or record.fingerprint != fingerprint or now >= record.valid_until:
        return None
    for path, size in record.files.items():
        try:
            if (out_dir / path).stat().st_size != size:
                return None
        except OSError:
            return None
    return BuildOutcome(
        written=(),
        unchanged=len(record.files),
        items=record.items,
        posts=record.posts,
        chrome=record.chrome,
    )


def valid_until(now: datetime, tz: tzinfo, changes: Iterable[datetime | None]) -> datetime:
    """The first moment after ``now`` at which a page changes with no new input: the next
    local midnight, or an earlier moment in ``changes``."""
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)
    return min([midnight, *(c for c in changes if c is not None and c > now)])


def write_record(out_dir: Path, record: BuildRecord | None) -> None:
    """Record the build for the next one; None removes the record (the next build runs)."""
    target = out_dir / RECORD_FILE
    if record is None:
        target.unlink(missing_ok=True)
        return
    chrome = record.chrome
    data = {
        "fingerprint": record.fingerprint,
        "valid_until": record.valid_until.isoformat(),
        "items": record.items,
        "posts": record.posts,
        "feeds": [[f.title, f.type, f.href] for f in chrome.feeds],
        "category_links": [list(link) for link in chrome.category_links],
        "updated": chrome.updated.isoformat(),
        "files": record.files,
    }
    temporary = target.with_name(f"{RECORD_FILE}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)


def read_record(out_dir: Path) -> BuildRecord | None:
    """The last build's record, or None when there is none or it cannot be read."""
    try:
        data = json.loads((out_dir / RECORD_FILE).read_text(encoding="utf-8"))
        chrome = PageChrome(
            feeds=tuple(AltFeed(*feed) for feed in data["feeds"]),
            category_links=tuple((name, path) for name, path in data["category_links"]),
            updated=datetime.fromisoformat(data["updated"]),
        )
        return BuildRecord(
            fingerprint=str(data["fingerprint"]),
            valid_until=datetime.fromisoformat(data["valid_until"]),
            files={str(path): int(size) for path, size in data["files"].items()},
            items=int(data["items"]),
            posts=int(data["posts"]),
            chrome=chrome,
        )
    except (OSError, ValueError, KeyError, TypeError):
        # No record, or a damaged one: the build runs in full and writes a new one.
        return None


def published_sizes(out_dir: Path, paths: Iterable[str]) -> dict[str, int]:
    """The size of each published file, as written."""
    return {path: (out_dir / path).stat().st_size for path in sorted(paths)}


def code_digest() -> str:
    """The digest of the code that renders pages: this package's files, the rendering
    libraries' and Python's version. The pages that carry the digest of their inputs (a
    blog's, a month's) hold this in it, so that an upgrade renders each of them again."""
    package = Path(aggregator.__file__).parent
    digest = hashlib.sha256(f"{aggregator.__version__}\0{sys.version}".encode())
    for line in _listing([package, *_renderer_files()], skip=package / "__pycache__"):
        digest.update(line.encode())
    return digest.hexdigest()


def _renderer_files() -> list[Path]:
    found = []
    for name in _RENDERERS:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin:
            found.append(Path(spec.origin))
    return found


def _listing(roots: Sequence[Path], *, skip: Path) -> list[str]:
    """One line per file under ``roots``: path, size and modification time; a missing root
    is a line too. The output folder and bytecode caches are left out."""
    lines = []
    skipped = os.path.abspath(skip)
    for root in roots:
        if root.is_file():
            stat = root.stat()
            lines.append(f"{root}\0{stat.st_size}\0{stat.st_mtime_ns}")
            continue
        if not root.is_dir():
            lines.append(f"{root}\0missing")
            continue
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(
                d
                for d in dirs
                if d != "__pycache__"
                and not d.startswith(".")
                and os.path.abspath(os.path.join(folder, d)) != skipped
            )
            for name in sorted(names):
                if name.endswith(".pyc"):
                    continue
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                lines.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return lines
