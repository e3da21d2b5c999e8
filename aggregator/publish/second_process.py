"""A large build renders its pages in two processes.

Rendering is Python through and through (Jinja2), so one process uses one
CPU: for a build that lists tens of thousands of entries (a blog's page each,
the monthly archives), a second process takes outputs from the far end of the
plan while this one takes them from the near end, until none is left. It is a
fresh interpreter running this module: it inherits neither this process's
threads nor its memory (nor re-runs its main script, as multiprocessing's
``spawn`` would), and it reads the archives' headlines from the store itself.

The second process stages the files it renders itself, beside the ones this
process stages (``files.stage_unless_same``), and says which: pages never
cross between the processes. If it fails or dies, the outputs it held are
rendered here (what it staged and did not report, ``prune`` removes); a
broken template is the same ``PublishError`` from either process.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aggregator
from aggregator.errors import PublishError
from aggregator.publish.files import StagedSite, cannot_write, stage_unless_same
from aggregator.publish.plan import Output
from aggregator.publish.render import Renderer, RenderShared, listed_rows
from aggregator.store import Store

log = logging.getLogger(__name__)

#: Listed entries from which a second process pays for its start (a few tenths of a second
#: of the other CPU, while this one renders the first pages).
SECOND_PROCESS_ROWS = 20_000

#: Outputs sent ahead to the second process, so that it never waits for this one (busy
#: rendering) to send the next.
_AHEAD = 4
#: Seconds between looks for the second process's results.
_LOOK_EVERY = 0.002


class RenderPool:
    """This process, and a second one when the store is large enough for it to pay: started
    with the build, so that it has started up by the time the pages are planned."""

    def __init__(self, store: Store) -> None:
        self._helper: _SecondProcess | None = None
        # The pipes are handed over as inherited descriptors, which only POSIX systems do.
        if os.name == "posix" and _cpus() > 1 and store.count_entries() >= SECOND_PROCESS_ROWS:
            self._helper = _SecondProcess()

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *_: object) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None

    def render_all(self, outputs: Sequence[Output], renderer: Renderer, files: StagedSite) -> None:
        """Render every output and stage its ``files``, taking the second process's help
        when the outputs list enough entries (see the module)."""
        helper = self._helper
        if helper is not None and sum(listed_rows(o) for o in outputs) < SECOND_PROCESS_ROWS:
            helper = None  # most pages were kept: not worth sending anything across
        if helper is not None:
            helper.send(renderer.shared)
        todo = deque(outputs)
        # The outputs the second process holds, in the order it renders them.
        sent: deque[Output] = deque()
        helped = 0
        # Looking for results costs a system call and lets other threads in: not after
        # every page, but often enough that the second process always has work queued.
        look_at = 0.0
        while todo or sent:
            while helper is not None and todo and len(sent) < _AHEAD:
                sent.append(todo.pop())
                helper.send(sent[-1])
            if helper is not None and sent and (not todo or time.monotonic() >= look_at):
                look_at = time.monotonic() + _LOOK_EVERY
                if helper.ready(wait=not todo):
                    try:
                        staged = helper.result()
                    except _Gone as gone:
                        log.warning("the second render process stopped (%s); rendering here", gone)
                        todo.extend(sent)
                        sent.clear()
                        helper = None
                        continue
                    sent.popleft()
                    helped += 1
                    for name, path in staged:
                        files.adopt(name, path)
                    continue
            if todo:
                for name, data in renderer.files(todo.popleft()):
                    files.put(name, data)
        if helped:
            log.debug("a second process rendered %d of %d outputs", helped, len(outputs))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Gone(Exception):
    """The second process failed or is no longer there."""


class _SecondProcess:
    def __init__(self) -> None:
        jobs_in, jobs_out = os.pipe()
        results_in, results_out = os.pipe()
        # Where this process found the package, so that the other one finds the same.
        path = [str(Path(aggregator.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(jobs_in), str(results_out)],
            pass_fds=(jobs_in, results_out),
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)},
        )
        os.close(jobs_in)
        os.close(results_out)
        self._jobs = Connection(jobs_out, readable=False)
        self._results = Connection(results_in, writable=False)
        # Writes wait in a thread: the other process reads its first message only once it
        # has started, and this one has pages to render meanwhile.
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="render-send", daemon=True)
        self._writer.start()

    def send(self, message: Any) -> None:
        self._outbox.put(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def ready(self, *, wait: bool) -> bool:
        """Whether a result (or the end of the other process) can be read now."""
        readable, _, _ = select.select([self._results], [], [], None if wait else 0)
        return bool(readable)

    def result(self) -> list[tuple[str, Path | None]]:
        """The files of the next output, as the other process staged them."""
        try:
            kind, value = self._results.recv()
        except (EOFError, OSError):
            raise _Gone(f"exit code {self._wait(1)}") from None
        if kind == "error":
            raise PublishError(value)
        if kind == "failed":
            raise _Gone(value)
        return [(name, Path(path) if path else None) for name, path in value]

    def close(self) -> None:
        self._outbox.put(None)
        self._writer.join(timeout=5)
        if self._wait(5) is None:
            self._process.kill()
            self._process.wait()
        self._results.close()

    def _wait(self, seconds: float) -> int | None:
        """The other process's exit code, once it has ended within ``seconds``."""
        try:
            return self._process.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def _write(self) -> None:
        try:
            while (message := self._outbox.get()) is not None:
                self._jobs.send_bytes(message)
            self._jobs.send(None)
        except OSError:
            pass  # the other process is gone: ``result`` says so
        finally:
            self._jobs.close()


def _serve(jobs: Connection, results: Connection) -> None:
    """The second process: render each output sent until told to stop."""
    # As in the build's own process: the cyclic collector would walk every page's objects.
    gc.disable()
    try:
        shared: RenderShared | None = jobs.recv()
        if shared is None:
            return  # the build had too little to render to need this process
        store = Store.open(shared.settings.database.url, upgrade=False)
        try:
            renderer = Renderer(shared.environment(), shared, store)
            folder = shared.settings.output.dir
            while (output := jobs.recv()) is not None:
                try:
                    staged = [
                        (name, stage_unless_same(folder / name, data))
                        for name, data in renderer.files(output)
                    ]
                    results.send(("ok", [(name, path and str(path)) for name, path in staged]))
                except PublishError as exc:
                    results.send(("error", str(exc)))
                except OSError as exc:
                    results.send(("error", str(cannot_write(exc, folder))))
                except Exception:
                    results.send(("failed", traceback.format_exc(limit=-3)))
        finally:
            store.close()
    except (EOFError, OSError):
        pass  # the build's process is gone: so is its build


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    )
    # Freeing every page's objects one by one would hold up the build, which waits for
    # this process to end; everything it wrote is written already.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
