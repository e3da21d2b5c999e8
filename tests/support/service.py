"""`aggregator run` as a real process, and waiting on what it serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from tests.support.paths import REPO
from tests.support.site import Site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(url: str, ready: object = None, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            status, body = get(url)
            if status == 200 and (ready is None or ready in body):  # type: ignore[operator]
                return body
            last = status
        except OSError as exc:
            last = exc
        time.sleep(0.05)
    raise AssertionError(f"{url} not ready after {timeout} s: {last}")


class Service:
    def __init__(self, site: Site, port: int) -> None:
        self.port = port
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("AGGREGATOR_DATABASE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "--config", str(site.config), "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        # Its output is read as it comes, so a test can wait for a line instead of sleeping.
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self._lines.append(raw.decode(errors="replace"))
                self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for_output(self, text: str, count: int = 1, timeout: float = 30) -> str:
        """Wait until ``text`` has appeared ``count`` times in the output; return the output."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: "".join(self._lines).count(text) >= count, timeout
            ):
                raise AssertionError(
                    f"{text!r} not seen {count} times in {timeout} s:\n{''.join(self._lines)}"
                )
            return "".join(self._lines)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float, str]:
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        elapsed = time.monotonic() - started
        self._reader.join(timeout=10)
        return code, elapsed, self.output
