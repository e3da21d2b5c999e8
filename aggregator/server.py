"""Serves the published site and ``/healthz`` over a production WSGI server (waitress)."""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import mimetypes
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from waitress.server import create_server

from aggregator.errors import AggregatorError, PublishError
from aggregator.settings import ServerSettings

if TYPE_CHECKING:
    from aggregator.search.page import SearchPage
    from aggregator.websub.callback import Callback

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".xml": "application/atom+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    # The only JSON the site publishes is JSON Feed.
    ".json": "application/feed+json; charset=utf-8",
}
#: Bodies smaller than this are sent as they are: gzip would not pay for its header.
GZIP_MIN_BYTES = 512
_COMPRESSIBLE = (".html", ".css", ".xml", ".opml", ".json", ".txt", ".svg")


class SiteApp:
    """A small WSGI app: the output folder's files, ``/healthz``, ``/readyz`` and ``/metrics``.

    ``ready`` returns whether the service is ready and why; ``metrics`` the
    Prometheus text exposition; ``websub`` answers the hubs at ``/websub/TOKEN``;
    ``search`` renders ``/search`` (``[site] search``).
    """

    def __init__(
        self,
        root: Path,
        health: Callable[[], dict[str, Any]],
        ready: Callable[[], tuple[bool, dict[str, Any]]] | None = None,
        metrics: Callable[[], bytes] | None = None,
        websub: Callback | None = None,
        search: SearchPage | None = None,
    ) -> None:
        self.root = root.resolve()
        self.health = health
        self.ready = ready
        self.metrics = metrics
        self.websub = websub
        self.search = search

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = unquote(environ.get("PATH_INFO", "/"))
        if path.startswith("/websub/") and self.websub is not None:
            return self._websub(self.websub, path.removeprefix("/websub/"), environ, start_response)
        if method not in ("GET", "HEAD"):
            return _plain(
                start_response,
                "405 Method Not Allowed",
                b"method not allowed\n",
                [("Allow", "GET, HEAD")],
            )
        if path == "/search" and self.search is not None:
            return self._search(self.search, environ, start_response, head=method == "HEAD")
        if path == "/healthz":
            return _json(start_response, "200 OK", self.health(), head=method == "HEAD")
        if path == "/readyz" and self.ready is not None:
            ok, report = self.ready()
            status = "200 OK" if ok else "503 Service Unavailable"
            return _json(start_response, status, report, head=method == "HEAD")
        if path == "/metrics" and self.metrics is not None:
            from aggregator.metrics import CONTENT_TYPE

            body = self.metrics()
            start_response(
                "200 OK",
                [
                    ("Content-Type", CONTENT_TYPE),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [b""] if method == "HEAD" else [body]
        return self._static(path, environ, start_response, head=method == "HEAD")

    def _websub(
        self, websub: Callback, token: str, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        """A hub's verification (GET) or push (POST), the body capped like a fetch."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "POST"):
            return _plain(
                start_response,
                "405 Method Not Allowed",
                b"method not allowed\n",
                [("Allow", "GET, POST")],
            )
        try:
            if method == "GET":
                query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
                answer = websub.verify(token, query)
            else:
                length = environ.get("CONTENT_LENGTH") or ""
                if length.isdigit() and int(length) > websub.max_bytes:
                    return _plain(start_response, "413 Content Too Large", b"too large\n")
                body = environ["wsgi.input"].read(websub.max_bytes + 1)
                if len(body) > websub.max_bytes:
                    return _plain(start_response, "413 Content Too Large", b"too large\n")
                answer = websub.push(
                    token, body, environ.get("HTTP_X_HUB_SIGNATURE"), environ.get("CONTENT_TYPE")
                )
        except AggregatorError:
            # The database is away: the hub tries again later (a verification too, §5.3).
            return _plain(start_response, "503 Service Unavailable", b"try again later\n")
        return _plain(
            start_response, answer.status, answer.body.encode(), [("Cache-Control", "no-store")]
        )

    def _search(
        self, search: SearchPage, environ: Environ, start_response: StartResponse, *, head: bool
    ) -> Iterable[bytes]:
        """The results page; a query that cannot be read is read as plain words, never a 500."""
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(query[:20])
        try:
            status, body = search.render(params)
        except PublishError as exc:
            log.error("search page: %s", exc)
            return _plain(start_response, "500 Internal Server Error", b"search is broken\n")
        start_response(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                # The results change with every refresh; "private": they answer one query.
                ("Cache-Control", "private, no-cache"),
            ],
        )
        return [b"" if head else body]

    def _not_found(self, start_response: StartResponse, *, head: bool) -> Iterable[bytes]:
        """The site's own 404 page when it has one, with the 404 status."""
        page = self.root / "404.html"
        if not page.is_file():
            return _plain(start_response, "404 Not Found", b"not found\n")
        body = page.read_bytes()
        start_response(
            "404 Not Found",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [b"" if head else body]

    def _static(
        self, path: str, environ: Environ, start_response: StartResponse, *, head: bool
    ) -> Iterable[bytes]:
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            return _plain(start_response, "404 Not Found", b"not found\n")
        if target.is_dir():
            if not path.endswith("/"):
                return _plain(
                    start_response, "301 Moved Permanently", b"", [("Location", path + "/")]
                )
            target = target / "index.html"
        if not target.is_file() or target.name.startswith("."):
            return self._not_found(start_response, head=head)
        stat = target.stat()
        body = target.read_bytes()
        tag = f"{stat.st_mtime_ns:x}-{stat.st_size:x}"
        headers = [
            ("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True)),
            ("Cache-Control", _cache_control(path)),
        ]
        if target.suffix == ".svg":
            # A blog's SVG icon, sanitized already; opened on its own it still runs nothing.
            headers.append(
                (
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                )
            )
        compress = target.suffix in _COMPRESSIBLE and len(body) >= GZIP_MIN_BYTES
        if compress:
            headers.append(("Vary", "Accept-Encoding"))
            if _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
                # A strong ETag names one representation: the gzipped body gets its own.
                tag += "-gz"
                body = gzip.compress(body, compresslevel=6, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
        etag = f'"{tag}"'
        headers.append(("ETag", etag))
        if _not_modified(environ, etag, int(stat.st_mtime)):
            start_response("304 Not Modified", headers)
            return [b""]
        content_type = CONTENT_TYPES.get(target.suffix) or (
            mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [b"" if head else body]


def _cache_control(path: str) -> str:
    """Icons are named by their bytes (``publish.faces``): a name never changes content."""
    if path.startswith("/icons/"):
        return "public, max-age=31536000, immutable"
    return "public, max-age=300"


def _json(
    start_response: StartResponse, status: str, value: dict[str, Any], *, head: bool
) -> list[bytes]:
    body = json.dumps(value, sort_keys=True).encode() + b"\n"
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [b""] if head else [body]


def _accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (and does not refuse it with q=0)."""
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params.strip() or float(q) > 0
            except ValueError:
                return True
    return False


def _not_modified(environ: Environ, etag: str, mtime: int) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; else If-Modified-Since."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since:
        try:
            parsed = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return mtime <= int(parsed.timestamp())
    return False


def _plain(
    start_response: StartResponse,
    status: str,
    body: bytes,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *(extra or []),
        ],
    )
    return [body]


def make_server(app: SiteApp, host: str, port: int, threads: int = ServerSettings.threads) -> Any:
    """A waitress server bound to host:port; call ``.run()`` to serve, ``.close()`` to stop."""
    return create_server(app, host=host, port=port, threads=threads, ident="aggregator")


class Serving:
    """A waitress server running in a background thread, stopped with ``close``."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._closing = threading.Event()
        self.thread = threading.Thread(target=self._run, name="http", daemon=True)

    def start(self) -> Serving:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            # Closing the listening socket interrupts the select() loop; only then is it expected.
            if not self._closing.is_set():
                raise

    def close(self) -> None:
        self._closing.set()
        self.server.close()
        self.thread.join(timeout=2)
