"""A real HTTP server on a loopback address that serves feeds and remembers each request."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.feeds import FeedItem

FeedBuilder = Callable[[str, str, list[FeedItem]], bytes]


@dataclass
class Route:
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    status: int = 200
    #: Seconds to wait before answering (to provoke timeouts).
    delay: float = 0.0
    #: Honour If-None-Match / If-Modified-Since with 304.
    conditional: bool = True
    #: Seconds between 1 KiB pieces of the body (a slow drip).
    chunk_delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    #: Answer once this is set (waiting at most ``delay`` seconds, or 30 without one), so a
    #: test holds a request open exactly as long as it needs instead of for a guessed delay.
    hold: threading.Event | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


LAST_MODIFIED = format_datetime(datetime(2026, 3, 1, tzinfo=UTC), usegmt=True)


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    status: int
    method: str = "GET"
    #: The request body (a POST's form), empty for a GET.
    body: bytes = b""
    #: When it arrived (``time.monotonic()``).
    at: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up mid-answer (a timeout test) is expected; anything else is
        # printed as the standard server prints it.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FeedServer:
    """Serves registered routes and remembers every request, for assertions on what it saw."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[SeenRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        #: Connections accepted so far, and those still open.
        self.connections = 0
        self.open_connections = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.connections += 1
                    server.open_connections += 1

            def finish(self) -> None:
                with server._lock:
                    server.open_connections -= 1
                super().finish()

            def do_GET(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def do_POST(self) -> None:
                """A POST is answered with the route's status and body, and recorded with its
                body (a WebSub hub's view of a ping or a subscription request)."""
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                route = server.routes.get(self.path)
                status = 404 if route is None else route.status
                with server._lock:
                    server.seen.append(
                        SeenRequest(
                            self.path, dict(self.headers), status, "POST", body, time.monotonic()
                        )
                    )
                answer = b"not found" if route is None else route.body
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass

            def _answer(self) -> None:
                route = server.routes.get(self.path)
                status = 404 if route is None else route.status
                if route is not None and route.hold is not None:
                    route.hold.wait(route.delay or 30)
                elif route is not None and route.delay:
                    time.sleep(route.delay)
                fresh = route is not None and (
                    self.headers.get("If-None-Match") == route.etag
                    or (
                        self.headers.get("If-Modified-Since") == LAST_MODIFIED
                        and "If-None-Match" not in self.headers
                    )
                )
                if route is not None and route.status == 200 and route.conditional and fresh:
                    status = 304
                with server._lock:
                    server.seen.append(SeenRequest(self.path, dict(self.headers), status))
                body = b"" if status == 304 else (route.body if route else b"not found")
                try:
                    self.send_response(status)
                    if route is not None:
                        self.send_header("Content-Type", route.content_type)
                        if route.conditional:
                            self.send_header("ETag", route.etag)
                            self.send_header("Last-Modified", LAST_MODIFIED)
                        for name, value in route.headers.items():
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if route is not None and route.chunk_delay:
                        for start in range(0, len(body), 1024):
                            self.wfile.write(body[start : start + 1024])
                            self.wfile.flush()
                            time.sleep(route.chunk_delay)
                    else:
                        self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (a timeout test), or the server is closing

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _QuietServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        # A short poll interval: shutdown waits for it, once per server per test.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def serve(self, path: str, body: bytes, **kwargs: object) -> str:
        self.routes[path] = Route(body, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def blog(
        self, title: str, site_url: str, path: str, builder: FeedBuilder, items: list[FeedItem]
    ) -> tuple[str, str, str]:
        """Serve a feed built from ``items``; returns a blogroll row (title, site, feed URL)."""
        return (title, site_url, self.serve(path, builder(title, site_url, items)))

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.seen if r.path == path]


def running(host: str) -> Iterator[FeedServer]:
    server = FeedServer(host)
    server.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
