"""Generated feeds served on several loopback addresses, for the benchmarks.

Deterministic from a seed: N feeds (RSS 2.0 and Atom), 10–50 entries each with
2–20 KB of HTML, skewed so that the median feed is around 80 KB with about 20
entries, like real blogs. Served with ETag, Last-Modified, 304 and gzip by one
process with a threaded server per address (127.0.0.2, 127.0.0.3, …), so that
per-host limits act as they would on the internet.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

WORDS = [
    "feed",
    "river",
    "blog",
    "garden",
    "note",
    "static",
    "small",
    "web",
    "reader",
    "write",
    "slowly",
    "archive",
    "link",
    "post",
    "morning",
    "kernel",
    "lisp",
    "synth",
    "tape",
    "field",
    "moss",
    "harbor",
    "signal",
    "noise",
    "model",
    "latent",
    "spectral",
    "diffusion",
    "sampler",
    "tensor",
    "rabbit",
    "boat",
    "sail",
    "solar",
    "battery",
    "paper",
    "ink",
    "drawing",
    "music",
    "ambient",
    "mix",
    "record",
    "vinyl",
    "loop",
    "tempo",
    "chord",
    "city",
    "walk",
    "bridge",
    "window",
    "lamp",
    "tea",
    "bread",
]
BASE = datetime(2026, 3, 1, tzinfo=UTC)
LAST_MODIFIED = format_datetime(BASE, usegmt=True)


def paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    link = f'<a href="/p/{rng.randrange(10**6)}">{rng.choice(WORDS)}</a>'
    return f"<p>{text.capitalize()} {link}, <em>{rng.choice(WORDS)}</em>.</p>"


def entry_html(rng: random.Random) -> str:
    size = int(2000 + 18000 * rng.random() ** 10)  # 2–20 KB, most near the low end
    parts: list[str] = []
    total = 0
    while total < size:
        part = paragraph(rng, rng.randint(20, 80))
        parts.append(part)
        total += len(part)
    return "\n".join(parts)


def build_feed(index: int, seed: int, version: int = 0) -> bytes:
    """Feed number ``index``; a higher ``version`` adds newer entries on top."""
    rng = random.Random(f"{seed}-{index}")
    count = int(10 + 40 * rng.random() ** 2)
    host = f"blog{index}.example"
    entries = []
    for n in range(count + version):
        er = random.Random(f"{seed}-{index}-{n}")
        when = BASE - timedelta(days=3 * (count - n), hours=er.randrange(24))
        title = " ".join(er.choice(WORDS) for _ in range(er.randint(3, 8))).capitalize()
        entries.append((n, title, when, entry_html(er)))
    entries.reverse()
    if index % 2:
        return _atom(host, entries)
    return _rss(host, entries)


def _rss(host: str, entries: list[tuple[int, str, datetime, str]]) -> bytes:
    items = "".join(
        f"<item><title>{escape(t)}</title><link>https://{host}/posts/{n}</link>"
        f'<guid isPermaLink="true">https://{host}/posts/{n}</guid>'
        f"<pubDate>{format_datetime(w, usegmt=True)}</pubDate>"
        f"<description>{escape(h)}</description></item>\n"
        for n, t, w, h in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{host}</title><link>https://{host}/</link><description>A blog</description>\n"
        f"{items}</channel></rss>\n"
    ).encode()


def _atom(host: str, entries: list[tuple[int, str, datetime, str]]) -> bytes:
    updated = max(w for _, _, w, _ in entries).isoformat()
    items = "".join(
        f"<entry><title>{escape(t)}</title><id>https://{host}/posts/{n}</id>"
        f'<link rel="alternate" href="https://{host}/posts/{n}"/>'
        f"<published>{w.isoformat()}</published><updated>{w.isoformat()}</updated>"
        f'<content type="html">{escape(h)}</content></entry>\n'
        for n, t, w, h in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{host}</title><id>https://{host}/</id><updated>{updated}</updated>"
        f'<link rel="alternate" href="https://{host}/"/><author><name>{host}</name></author>\n'
        f"{items}</feed>\n"
    ).encode()


@dataclass
class Body:
    plain: bytes
    gzipped: bytes
    etag: str


def _body(data: bytes) -> Body:
    return Body(data, gzip.compress(data, 5), '"' + hashlib.sha1(data).hexdigest()[:16] + '"')


def host_of(index: int, hosts: int) -> str:
    return f"127.0.0.{2 + index % hosts}"


def feed_path(index: int) -> str:
    return f"/feeds/{index}.xml"


def _serve(n: int, seed: int, hosts: int, port: int, ready: object, control: object) -> None:
    bodies = {feed_path(i): _body(build_feed(i, seed)) for i in range(n)}
    versions = dict.fromkeys(range(n), 0)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are written separately: with Nagle's algorithm each 200 waited
        # for the client's delayed ACK (40 ms), which web servers do not make clients do.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            if self.path.startswith("/__change/"):
                percent = int(self.path.rsplit("/", 1)[1])
                with lock:
                    for i in range(0, n, max(1, round(100 / percent))):
                        versions[i] += 1
                        bodies[feed_path(i)] = _body(build_feed(i, seed, versions[i]))
                self._send(200, b"changed\n", {})
                return
            body = bodies.get(self.path)
            if body is None:
                self._send(404, b"not found\n", {})
                return
            headers = {"ETag": body.etag, "Last-Modified": LAST_MODIFIED}
            if self.headers.get("If-None-Match") == body.etag:
                self._send(304, b"", headers)
                return
            headers["Content-Type"] = "application/xml"
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                headers["Content-Encoding"] = "gzip"
                self._send(200, body.gzipped, headers)
            else:
                self._send(200, body.plain, headers)

        def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    servers = []
    for h in range(hosts):
        server = ThreadingHTTPServer((f"127.0.0.{2 + h}", port), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()  # type: ignore[attr-defined]
    control.wait()  # type: ignore[attr-defined]
    for server in servers:
        server.shutdown()


class FeedSite:
    """The feed server, in a process of its own so that it does not share our GIL."""

    def __init__(self, n: int, seed: int = 1, hosts: int = 8, port: int = 8765) -> None:
        self.n, self.seed, self.hosts, self.port = n, seed, hosts, port
        context = multiprocessing.get_context("spawn")
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve, args=(n, seed, hosts, port, self._ready, self._stop), daemon=True
        )

    def __enter__(self) -> FeedSite:
        self._process.start()
        deadline = time.monotonic() + 600
        while not self._ready.wait(0.5):
            # A server that died (its port taken by a server left from an interrupted run)
            # would otherwise be waited for until the deadline.
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the feed server did not start (is port {self.port} already taken?)"
                )
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    def url(self, index: int) -> str:
        return f"http://{host_of(index, self.hosts)}:{self.port}{feed_path(index)}"

    def urls(self) -> list[str]:
        return [self.url(i) for i in range(self.n)]

    def change(self, percent: int) -> None:
        """Give ``percent`` % of the feeds a new entry (and so a new ETag)."""
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.2:{self.port}/__change/{percent}") as r:
            r.read()
