"""Removing output files the build no longer writes."""

from __future__ import annotations

import re
import shutil
import string
import time
from pathlib import Path

from aggregator.publish.files import is_temporary

#: Folders whose every file the build owns; files it no longer writes there are removed.
MANAGED_DIRS = ("posts", "page", "archive", "tags", "category", "icons")
#: A build's temporary file younger than this may belong to another build writing into the
#: same folder (builds wait for each other, but not on a file system that cannot lock the
#: folder); an older one was left by a build that was killed.
IN_FLIGHT_SECONDS = 3600


def prune_output(output: Path, keep: set[str], permalink: str) -> None:
    """Remove stale files in the managed folders, pages of posts that are gone, and
    temporary files that killed builds left anywhere in the output."""
    _prune(output, keep)
    root = output.resolve()
    if not root.is_dir():
        return
    # One walk of the whole output for the post pages and the temporary files.
    everything = list(root.rglob("*"))
    _prune_left_behind([path for path in everything if is_temporary(path)])
    pages = {name.rpartition("/")[0] + "/" for name in keep}
    indexes = [path for path in everything if path.name == "index.html"]
    _prune_posts(root, pages, permalink, indexes)


def _prune_left_behind(temporary: list[Path]) -> None:
    """Remove the temporary files (``files.stage``) that a build killed before its commit
    left, wherever they lie: in a folder the build does not manage (the root, a blog's
    page, a copied static file) nothing else would ever remove them."""
    for path in temporary:
        if path.is_file() and not _in_flight(path):
            path.unlink(missing_ok=True)


def _prune(output: Path, keep: set[str]) -> None:
    """Remove files the build no longer writes (a deleted post, a page that emptied)."""
    for folder in MANAGED_DIRS:
        top = output / folder
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*"), reverse=True):
            name = path.relative_to(output).as_posix()
            if path.is_file() and name not in keep and not _in_flight(path):
                path.unlink(missing_ok=True)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if not any(top.iterdir()):
            top.rmdir()


def _in_flight(path: Path) -> bool:
    """Whether ``path`` is a temporary file (``files.stage``) another build may be writing."""
    if not is_temporary(path):
        return False
    try:
        return time.time() - path.stat().st_mtime < IN_FLIGHT_SECONDS
    except OSError:
        return False


def _prune_posts(root: Path, pages: set[str], pattern: str, indexes: list[Path]) -> None:
    """Remove pages of posts that no longer exist (deleted, or turned back into drafts):
    of the ``index.html`` files under ``root``, those whose folder is not in ``pages``.

    A page is a post page when its folder matches the permalink pattern. Pages
    under an earlier pattern are left alone, so that old links keep working.
    """
    shape = _pattern_regex(pattern)
    for index in sorted(indexes):
        folder = index.parent
        local = folder.relative_to(root).as_posix() + "/"
        if local in pages or not shape.fullmatch(local):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        for parent in folder.parents:
            if parent == root:
                break
            try:
                parent.rmdir()  # only when empty: another post may live beside it
            except OSError:
                break


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    fields = {"slug": r"[^/]+", "year": r"\d{4}", "month": r"\d{2}", "day": r"\d{2}"}
    parts = []
    for literal, name, _, _ in string.Formatter().parse(pattern.lstrip("/")):
        parts.append(re.escape(literal))
        if name:
            parts.append(fields.get(name, r"[^/]+"))
    return re.compile("".join(parts))
