"""Shared fixtures: a real HTTP server on 127.0.0.1 and a site folder to run against."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from aggregator.cli import main
from tests.feeds import FeedItem

FeedBuilder = Callable[[str, str, list[FeedItem]], bytes]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = Path(__file__).parent / "data"

#: Set to a PostgreSQL URL to run every store-backed test on PostgreSQL instead of SQLite.
TEST_DATABASE_ENV = "AGGREGATOR_TEST_DATABASE_URL"
POSTGRES_HINT = (
    f"needs PostgreSQL: set {TEST_DATABASE_ENV}=postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_base_url() -> str | None:
    """The PostgreSQL database the tests may use, if any."""
    return os.environ.get(TEST_DATABASE_ENV) or None


def on_postgres() -> bool:
    return postgres_base_url() is not None


def require_postgres() -> str:
    """The PostgreSQL URL; skips the test without one, and fails it under CI."""
    base = postgres_base_url()
    if base is None:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_HINT} (under CI it must be set; .ci/run does it)")
        pytest.skip(POSTGRES_HINT)
    return base


def _admin_engine(base: str) -> object:
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A fresh, empty schema; the URL yielded puts it first on the search path.

    A schema per test is much faster than a database per test and as isolated:
    every table, including Alembic's, is created in it.
    """
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = _admin_engine(base)
    with engine.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f"CREATE SCHEMA {name}"))
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    url = url.update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:  # type: ignore[attr-defined]
            # A process the test killed may still hold a lock for a moment.
            connection.execute(text("SET lock_timeout = '10s'"))
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The store of one test: SQLite in its folder, or a fresh schema on PostgreSQL."""
    base = postgres_base_url()
    if base is None:
        yield f"sqlite:///{tmp_path / 'db' / 'aggregator.sqlite3'}"
        return
    with postgres_schema(base) as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, for tests that only make sense on PostgreSQL."""
    with postgres_schema(require_postgres()) as url:
        yield url


def query(database_url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Run one SQL statement on a test's store and return its rows (none for a write)."""
    from aggregator.store import create_store_engine

    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


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

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


LAST_MODIFIED = format_datetime(datetime(2026, 3, 1, tzinfo=UTC), usegmt=True)


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    status: int


class FeedServer:
    """Serves registered routes and remembers every request, for assertions on what it saw."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[SeenRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                route = server.routes.get(self.path)
                status = 404 if route is None else route.status
                if route is not None and route.delay:
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

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

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


def _running(host: str) -> Iterator[FeedServer]:
    server = FeedServer(host)
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    yield from _running("127.0.0.1")


@pytest.fixture
def other_host_server() -> Iterator[FeedServer]:
    """A second server on another loopback address, i.e. another host as far as limits go."""
    yield from _running("127.0.0.2")


@dataclass
class Site:
    """A site folder: config, blogroll, posts; output and database inside it."""

    root: Path
    database_url: str

    def query(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        """Rows of one SQL statement on this site's store."""
        return query(self.database_url, sql, **params)

    @property
    def config(self) -> Path:
        return self.root / "aggregator.toml"

    @property
    def output(self) -> Path:
        return self.root / "public"

    @property
    def posts(self) -> Path:
        return self.root / "posts"

    def write_blogroll(self, blogs: list[tuple[str, str, str]]) -> None:
        """blogs: (title, site URL, feed URL), all under one category."""
        lines = ["# Blogs I like", "", "### Friends"]
        lines += [f"- [{t}]({s}) ([feed]({f})) - a note about {t}." for t, s, f in blogs]
        (self.root / "blogroll.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def write_post(self, name: str, text: str, mtime: datetime | None = None) -> Path:
        path = self.posts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if mtime is not None:
            os.utime(path, (mtime.timestamp(), mtime.timestamp()))
        return path

    def cli(self, *args: str) -> int:
        return main(["--config", str(self.config), *args])

    def set_fetch(self, **values: object) -> None:
        """Change [fetch] settings of this site's config."""
        text = self.config.read_text()
        for key, value in values.items():
            rendered = json.dumps(value)
            if re.search(rf"^{key} = .*$", text, flags=re.M):
                text = re.sub(rf"^{key} = .*$", f"{key} = {rendered}", text, flags=re.M)
            else:
                text = text.replace("[fetch]\n", f"[fetch]\n{key} = {rendered}\n")
        self.config.write_text(text)


SITE_TOML = """\
[site]
title = "Test Reading Room"
url = "http://127.0.0.1:8080/"
author = "Test Owner"
author_email = "owner@example.org"

[database]
url = "{database_url}"

[own]
posts_dir = "posts"

[blogroll]
file = "blogroll.md"

[output]
dir = "public"

[schedule]
interval_minutes = 30

[server]
host = "127.0.0.1"
port = {port}

[fetch]
connect_timeout = 2
read_timeout = 1
total_timeout = 5
workers = 4
allow_networks = ["127.0.0.0/8"]
"""

OWN_POSTS = {
    "hello-hugo.md": """---
title: "Own post in Hugo format"
date: 2026-03-04
draft: false
tags: ["notes"]
---

Body of the Hugo post, with a [link](/blogroll.html).
""",
    "2026-03-06-jekyll-style.md": """---
title: "Own post in Jekyll format"
tags: [feeds]
excerpt: "A short excerpt."
header:
  overlay_filter: 0.5
---

Body of the Jekyll post.
""",
    "plain-notes.md": "Own post without front matter\n\nFirst paragraph of the plain post.\n",
    "secret-draft.md": """---
title: "Secret draft post"
date: 2026-03-07
draft: true
---

Never published.
""",
}
PLAIN_POST_MTIME = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def make_site(root: Path, database_url: str | None = None, port: int = 8080) -> Site:
    root.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{root / 'aggregator.sqlite3'}"
    site = Site(root, url)
    site.config.write_text(SITE_TOML.format(database_url=url, port=port), encoding="utf-8")
    site.write_blogroll([])
    for name, body in OWN_POSTS.items():
        site.write_post(name, body, mtime=PLAIN_POST_MTIME)
    return site


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Site:
    return make_site(tmp_path / "site", database_url)
