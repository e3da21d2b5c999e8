"""A large build renders its pages in two processes.

Rendering is Python through and through (Jinja2), so one process uses one
CPU: for a build that lists tens of thousands of entries (a blog's page each,
the monthly archives), a second process takes outputs from the far end of the
plan while this one takes them from the near end, until none is left. It is a
fresh interpreter running this module: it inherits neither this process's
threads nor its memory (nor re-runs its main script, as multiprocessing's
``spawn`` would), and it reads the archives' headlines from the store itself.
It starts with the monthly archives, which are planned before the blogs'
pages' entries are read (``RenderPool.begin``): it renders them while this
process reads and plans the rest.

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

import aggregator
from aggregator.errors import PublishError
from aggregator.publish.archive import ArchiveMonth
from aggregator.publish.files import StagedSite, cannot_write, stage_unless_same
from aggregator.publish.plan import Output
from aggregator.publish.render import Renderer, RenderShared, listed_rows
from aggregator.store import Store

log = logging.getLogger(__name__)

#: Listed entries from which a second process pays for its start (a few tenths of a second
#: of the other CPU, while this one renders the first pages).
SECOND_PROCESS_ROWS = 20_000

#: Outputs sent ahead to the second process, so that it never waits for this one (busy
#: rendering) to send the next; each is in the pipe already, which a larger one
#: (``_widen``) holds without this process waiting to write.
_AHEAD = 8
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
        self._early: _Early | None = None

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *_: object) -> None:
        if self._early is not None:
            self._early.stop()
            self._early = None
        if self._helper is not None:
            self._helper.close()
            self._helper = None

    def begin(self, shared: RenderShared, outputs: Sequence[ArchiveMonth]) -> None:
        """Have the second process render ``outputs`` (the archive months: they read their
        own headlines) while this one goes on reading and planning the rest; ``render_all``
        takes over what it has not rendered by then, and skips them in its own outputs.
        Without a second process, nothing: ``render_all`` renders them with the rest."""
        if self._helper is not None and self._early is None and outputs:
            self._helper.share(shared)
            self._early = _Early(self._helper, outputs)

    def render_all(self, outputs: Sequence[Output], renderer: Renderer, files: StagedSite) -> None:
        """Render every output (but those given to ``begin``) and stage its ``files``,
        taking the second process's help when the outputs list enough entries (see the
        module)."""
        helper = self._helper
        # The outputs the second process holds, in the order it renders them.
        sent: deque[Output] = deque()
        early, self._early = self._early, None
        todo = deque(outputs if early is None else early.others(outputs))
        helped = 0
        if early is not None:
            left, sent, staged = early.take()
            for name, path in staged:
                files.adopt(name, path)
            # Those it has not been sent yet go to the far end, which it takes from.
            todo.extend(left)
            helped = early.rendered
            if early.failure is not None:
                _take_back(early.failure, todo, sent)
                helper = None
        elif helper is not None and sum(listed_rows(o) for o in outputs) < SECOND_PROCESS_ROWS:
            helper = None  # most pages were kept: not worth sending anything across
        elif helper is not None:
            helper.share(renderer.shared)
        # Looking for results costs a system call and lets other threads in: not after
        # every page, but often enough that the second process always has work queued.
        look_at = 0.0
        while todo or sent:
            if helper is not None:
                _send_ahead(helper, todo, sent)
            if helper is not None and sent and (not todo or time.monotonic() >= look_at):
                look_at = time.monotonic() + _LOOK_EVERY
                # With nothing left to render here, wait for the next result; then take
                # every result there is.
                wait: float | None = None if not todo else 0
                try:
                    while sent and helper.ready(wait):
                        for name, path in helper.result():
                            files.adopt(name, path)
                        sent.popleft()
                        helped += 1
                        wait = 0
                except _Gone as gone:
                    _take_back(gone, todo, sent)
                    helper = None
                continue
            if todo:
                for name, data in renderer.files(todo.popleft()):
                    files.put(name, data)
        if helped:
            log.debug("a second process rendered %d of %d outputs", helped, len(outputs))


def _send_ahead(helper: _SecondProcess, todo: deque[Output], sent: deque[Output]) -> None:
    """Keep the second process ``_AHEAD`` outputs ahead, taken from the far end of ``todo``."""
    while todo and len(sent) < _AHEAD and helper.accepts():
        sent.append(todo.pop())
        helper.send(sent[-1])


def _take_back(gone: _Gone, todo: deque[Output], sent: deque[Output]) -> None:
    """The second process is gone: what it held is rendered here."""
    log.warning("the second render process stopped (%s); rendering here", gone)
    todo.extend(sent)
    sent.clear()


class _Early:
    """Outputs sent to the second process before ``render_all``, a few at a time (as
    ``render_all`` sends them), by a thread that waits for each result: this process is
    busy meanwhile."""

    def __init__(self, helper: _SecondProcess, outputs: Sequence[ArchiveMonth]) -> None:
        self._helper = helper
        self._paths = {o.path for o in outputs}
        self._left: deque[Output] = deque(outputs)
        self._sent: deque[Output] = deque()
        self._staged: list[tuple[str, Path | None]] = []
        #: How many of the outputs it has rendered.
        self.rendered = 0
        self.failure: _Gone | None = None
        self._error: PublishError | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="render-early", daemon=True)
        self._thread.start()

    def others(self, outputs: Sequence[Output]) -> list[Output]:
        """``outputs`` but the ones given to this."""
        return [o for o in outputs if not (isinstance(o, ArchiveMonth) and o.path in self._paths)]

    def stop(self) -> None:
        """Stop sending and waiting for results."""
        self._stopping.set()
        self._thread.join()

    def take(self) -> tuple[deque[Output], deque[Output], list[tuple[str, Path | None]]]:
        """Stop: the outputs not sent, those sent and not yet rendered, and the files of
        those rendered. A broken template raises its ``PublishError`` here."""
        self.stop()
        if self._error is not None:
            raise self._error
        return self._left, self._sent, self._staged

    def _run(self) -> None:
        helper = self._helper
        while not self._stopping.is_set():
            _send_ahead(helper, self._left, self._sent)
            if not self._sent:
                if not self._left:
                    return
                time.sleep(_LOOK_EVERY)  # the first message is on its way
                continue
            # Waking now and then to see whether ``stop`` was called.
            if not helper.ready(0.05):
                continue
            try:
                staged = helper.result()
            except _Gone as gone:
                self.failure = gone
                return
            except PublishError as exc:
                self._error = exc
                return
            self._sent.popleft()
            self._staged.extend(staged)
            self.rendered += 1


def _widen(pipe: int) -> int:
    """Make the pipe hold as much as Linux lets it (a megabyte, usually): the bytes it
    holds."""
    try:
        import fcntl

        return fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        return 1 << 16


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
        # The first message is written by a thread: the other process reads it only once
        # it has started, and this one has pages to render meanwhile. The others are
        # written at once (a thread would wait for this busy one to let it run, each time).
        self._first: threading.Thread | None = None
        self._delivered = threading.Event()
        self._broken = False
        self._room = _widen(jobs_out)
        # The sizes of the messages sent and not yet answered, oldest first.
        self._unanswered: deque[int] = deque()

    def share(self, shared: RenderShared) -> None:
        """Send what every output is rendered with: the first message, written by a thread."""
        data = pickle.dumps(shared, pickle.HIGHEST_PROTOCOL)
        self._first = threading.Thread(
            target=self._write_first, args=(data,), name="render-send", daemon=True
        )
        self._first.start()

    def send(self, output: Output) -> None:
        """Send one output to render, once the first message is delivered (``accepts``
        says whether it has been): it answers each with a result."""
        data = pickle.dumps(output, pickle.HIGHEST_PROTOCOL)
        self._unanswered.append(len(data))
        self._delivered.wait()
        self._write(data)

    def accepts(self) -> bool:
        """Whether a message sent now is written at once, most likely: the first has been
        delivered, and those not yet answered leave room in the pipe for another."""
        return self._delivered.is_set() and sum(self._unanswered) <= self._room // 2

    def ready(self, timeout: float | None) -> bool:
        """Whether a result (or the end of the other process) can be read within ``timeout``
        seconds (``None``: however long it takes)."""
        readable, _, _ = select.select([self._results], [], [], timeout)
        return bool(readable)

    def result(self) -> list[tuple[str, Path | None]]:
        """The files of the next output, as the other process staged them."""
        try:
            kind, value = self._results.recv()
        except (EOFError, OSError):
            raise _Gone(f"exit code {self._wait(1)}") from None
        if self._unanswered:
            self._unanswered.popleft()
        if kind == "error":
            raise PublishError(value)
        if kind == "failed":
            raise _Gone(value)
        return [(name, Path(path) if path else None) for name, path in value]

    def close(self) -> None:
        """Tell the other process to stop, and wait for it to end (or end it)."""
        if self._first is not None:
            self._first.join(timeout=5)
        if self._delivered.is_set() or self._first is None:
            # Not waiting for room in the pipe: a process that does not read is ended.
            os.set_blocking(self._jobs.fileno(), False)
            self._write(pickle.dumps(None))
        if self._wait(5) is None:
            self._process.kill()
            self._process.wait()
        if self._first is not None:
            self._first.join()
        self._jobs.close()
        self._results.close()

    def _wait(self, seconds: float) -> int | None:
        """The other process's exit code, once it has ended within ``seconds``."""
        try:
            return self._process.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def _write_first(self, data: bytes) -> None:
        try:
            self._write(data)
        finally:
            self._delivered.set()

    def _write(self, data: bytes) -> None:
        if self._broken:
            return
        try:
            self._jobs.send_bytes(data)
        except OSError:
            self._broken = True  # the other process is gone: ``result`` says so


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
