"""`aggregator run` as a real process, and waiting on what it serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
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
        time.sleep(0.2)
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
        output = self.process.stdout.read().decode() if self.process.stdout else ""
        return code, time.monotonic() - started, output
