"""Atomic file writes for the published site."""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import BinaryIO

from aggregator.errors import PublishError

log = logging.getLogger(__name__)

#: How ``stage`` names its temporary files: ``.index.html.k3j9x2ab.tmp`` beside ``index.html``.
_TEMPORARY_PREFIX, _TEMPORARY_SUFFIX = ".", ".tmp"


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temp file and a rename; False if unchanged.

    A file whose bytes are already right is left alone (mtime too), so a
    rebuild with nothing new touches nothing and HTTP caches stay valid.
    """
    if _holds(path, data):
        return False
    try:
        os.replace(stage(path, partial(_write, data=data)), path)
    except OSError as exc:
        raise PublishError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return True


def stage(target: Path, write: Callable[[BinaryIO], object], *, flush: bool = True) -> Path:
    """A temporary file beside ``target`` holding what ``write`` put in it, readable by
    all and on disk: the first phase of an all-or-nothing write (``os.replace`` is the
    second). A failure leaves no temporary file behind. Without ``flush`` the file may
    still be in memory only: the caller puts it on disk (``put_on_disk``) before the
    rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=target.parent,
        prefix=f"{_TEMPORARY_PREFIX}{target.name}.",
        suffix=_TEMPORARY_SUFFIX,
    )
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if flush:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def put_on_disk(folder: Path, paths: Sequence[Path]) -> None:
    """Put the files ``paths``, all on the file system of ``folder``, on disk.

    Flushed one by one, each file waits for its own journal commit: on a site of a
    thousand pages that took up to two thirds of a second. Linux's ``syncfs`` flushes
    the whole file system in one go and, like ``fsync``, reports a write that failed
    (since Linux 5.8); elsewhere each file is flushed in turn.
    """
    if not paths:
        return
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                import ctypes

                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), str(folder))
        finally:
            os.close(fd)
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """The C library's ``syncfs``, where there is one."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def make_output_folder(output: Path) -> None:
    """The output folder, made if missing; one that cannot be made is a PublishError."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"{output}: cannot create output folder: {exc.strerror}") from None


#: How long a build waits for another one in the same output folder before it gives up.
BUILD_WAIT_SECONDS = 600.0


@contextmanager
def one_build_at_a_time(output: Path, wait: float = BUILD_WAIT_SECONDS) -> Iterator[None]:
    """Hold the output folder for one build, across processes (``aggregator build`` while
    the service builds): two builds renaming and pruning files in one folder at once
    could leave a mix of both. A second build waits for the first, then runs; it
    usually finds that nothing is left to do. The lock is the folder itself (``flock``
    on it), so no lock file lies among the published ones."""
    make_output_folder(output)
    try:
        fd = os.open(output, os.O_RDONLY)
    except OSError as exc:
        raise PublishError(f"{output}: cannot open output folder: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + wait
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PublishError(
                        f"{output}: another build has held this output folder for more "
                        f"than {wait:g} s; this build stopped without writing anything"
                    ) from None
                if not waiting:
                    log.warning("waiting for another build of %s to end", output)
                    waiting = True
                time.sleep(0.05)
            except OSError as exc:
                # A file system that cannot lock a folder (some network ones): build as
                # before, unguarded, rather than not at all.
                log.warning("%s: cannot be locked for the build (%s)", output, exc.strerror)
                break
        yield
    finally:
        os.close(fd)  # and with it the lock


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is named as ``stage`` names its temporary files."""
    return path.name.startswith(_TEMPORARY_PREFIX) and path.name.endswith(_TEMPORARY_SUFFIX)


def _write(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` already holds exactly ``data``."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:  # missing, or a folder in the way: to be written (and to fail there)
        return False


#: Files written at once: reading the old file and writing the new wait on the disk.
WRITERS = 8


class StagedSite:
    """The files of one build, written so that either all changed files are replaced or
    none is.

    Each file given to ``put`` is written in full, in writer threads while the build
    goes on, to a temporary file beside its place; a file that already holds those
    bytes is left alone (mtime too). ``commit`` puts them all on disk at once, then
    renames them into place. A full disk or a folder that cannot be written fails
    ``commit``, and leaving the ``with`` block without it (a template that fails)
    discards what was staged: either way the site that was there before stays exactly
    as it was. Nothing is held in memory once written, so a large site is never all
    in memory at once.
    """

    def __init__(self, output: Path) -> None:
        self.output = output
        self._staged: dict[str, Future[Path | None]] = {}
        self._superseded: list[Future[Path | None]] = []
        # Reads, writes and flushes wait on the disk without holding the interpreter.
        self._pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="write")

    def __enter__(self) -> StagedSite:
        return self

    def __exit__(self, *_: object) -> None:
        self.discard()
        self._pool.shutdown(wait=True)

    def put(self, name: str, data: bytes) -> None:
        """Stage ``data`` as the file ``name`` of the site; the last one given wins."""
        if name in self._staged:
            self._superseded.append(self._staged[name])
        self._staged[name] = self._pool.submit(stage_unless_same, self.output / name, data)

    def adopt(self, name: str, staged: Path | None) -> None:
        """Take the file ``name`` as staged by another process (``stage_unless_same``): its
        temporary file, or None when ``name`` already holds its bytes."""
        done: Future[Path | None] = Future()
        done.set_result(staged)
        if name in self._staged:
            self._superseded.append(self._staged[name])
        self._staged[name] = done

    def update(self, files: Mapping[str, bytes]) -> None:
        for name, data in files.items():
            self.put(name, data)

    def names(self) -> set[str]:
        """Every file staged so far, changed or not."""
        return set(self._staged)

    def commit(self) -> tuple[list[str], int]:
        """Put every changed file in place: (names written, in the order given; number
        unchanged)."""
        try:
            changed = {
                name: path for name, future in self._staged.items() if (path := future.result())
            }
            put_on_disk(self.output, list(changed.values()))
        except OSError as exc:
            raise cannot_write(exc, self.output) from None
        for name, tmp_path in changed.items():
            os.replace(tmp_path, self.output / name)
        written = list(changed)
        unchanged = len(self._staged) - len(written)
        self._staged.clear()
        self.discard()  # what a later ``put`` superseded
        return written, unchanged

    def discard(self) -> None:
        """Remove every staged file that was not committed."""
        for future in [*self._staged.values(), *self._superseded]:
            try:
                tmp_path = future.result()
            except OSError:
                continue  # ``stage`` left nothing behind
            if tmp_path is not None:
                tmp_path.unlink(missing_ok=True)
        self._staged.clear()
        self._superseded.clear()


def cannot_write(exc: OSError, output: Path) -> PublishError:
    """The error of a site that could not be staged or put in place."""
    where = exc.filename or output
    return PublishError(
        f"{where}: cannot write the site: {exc.strerror or exc}; "
        "the previously published site is unchanged"
    )


def stage_unless_same(path: Path, data: bytes) -> Path | None:
    """The temporary file holding ``data`` for ``path``; None when ``path`` holds it."""
    if _holds(path, data):
        return None
    return stage(path, partial(_write, data=data), flush=False)


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
