"""Atomic file writes for the published site."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import BinaryIO

from aggregator.errors import PublishError


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temp file and a rename; False if unchanged.

    A file whose bytes are already right is left alone (mtime too), so a
    rebuild with nothing new touches nothing and HTTP caches stay valid.
    """
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise PublishError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return True


def stage(target: Path, write: Callable[[BinaryIO], object], *, sync: bool = True) -> Path:
    """A temporary file beside ``target`` holding what ``write`` put in it, readable by
    all, and on disk unless ``sync`` is False (the caller then ``fsync``s it): the first
    phase of an all-or-nothing write (``os.replace`` is the second). A failure leaves no
    temporary file behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _write(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all_atomic(output: Path, files: dict[str, bytes]) -> tuple[list[str], int]:
    """Write many files so that either all changed files are replaced or none is.

    Every changed file is first written in full to a temporary file beside it;
    only when all of them are on disk are they renamed into place. A full
    disk or a folder that cannot be written fails the first phase, and the
    site that was there before stays exactly as it was. Returns (names
    written, number unchanged).
    """
    staged: list[tuple[Path, Path]] = []
    unchanged = 0
    try:
        for name, data in files.items():
            path = output / name
            if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
                unchanged += 1
                continue
            staged.append((stage(path, partial(_write, data=data), sync=False), path))
        # All written first, then all flushed: the disk takes them in one go rather than
        # one round trip per file.
        for tmp_path, _ in staged:
            _fsync(tmp_path)
    except OSError as exc:
        for tmp_path, _ in staged:
            tmp_path.unlink(missing_ok=True)
        where = exc.filename or output
        raise PublishError(
            f"{where}: cannot write the site: {exc.strerror or exc}; "
            "the previously published site is unchanged"
        ) from None
    for tmp_path, path in staged:
        os.replace(tmp_path, path)
    return [path.relative_to(output).as_posix() for _, path in staged], unchanged


_INPUTS = re.compile(rb'<meta name="aggregator-inputs" content="([0-9a-f]{64})">')


def carries_inputs(path: Path, inputs: str) -> bool:
    """Whether the page at ``path`` was rendered from exactly these inputs."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    match = _INPUTS.search(head)
    return match is not None and match.group(1).decode() == inputs
