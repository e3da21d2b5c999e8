"""Nothing stored changes: a refresh of the benchmark's feeds and of the golden fixtures
stores exactly the entries (and search index text) pinned in tests/data/stored/.

The golden file was written before the refresh was made faster, so any change to
parsing, sanitizing, excerpts, hashing or storing that alters a stored byte fails
here. After a deliberate change, rewrite it with
``python -m tests.scenarios.test_stored_equality`` and review the diff.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.support.db import on_postgres
from tests.support.paths import DATA, REPO
from tests.support.server import FeedServer, running
from tests.support.site import Site, make_site
from tests.unit.test_golden import FEEDS, FIXTURES

GOLDEN = DATA / "stored" / "entries.json"
#: How many of the benchmark's generated feeds (seed 1) are refreshed: RSS and Atom alike.
BENCH_FEEDS = 36
#: Longer text is pinned by its digest, so that the golden file stays readable.
VERBATIM_CHARS = 200
_PLACEHOLDER = "http://feeds.test"


def feedsite() -> ModuleType:
    """benchmarks/feedsite.py, which is a script beside the project, not a package."""
    if "feedsite" in sys.modules:
        return sys.modules["feedsite"]
    spec = importlib.util.spec_from_file_location("feedsite", REPO / "benchmarks" / "feedsite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["feedsite"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def serve_every_feed(server: FeedServer) -> list[tuple[str, str, str]]:
    """The benchmark's feeds and the fixtures, each under its own path; blogroll rows."""
    build_feed = feedsite().build_feed
    blogs = [
        (
            f"Bench {i}",
            f"https://blog{i}.example/",
            server.serve(f"/bench/{i}.xml", build_feed(i, 1), content_type="application/xml"),
        )
        for i in range(BENCH_FEEDS)
    ]
    for name, (_url, content_type) in sorted(FIXTURES.items()):
        body = (FEEDS / name).read_bytes()
        url = server.serve(f"/fixtures/{name}", body, content_type=content_type or "")
        blogs.append((f"Fixture {name}", f"https://fixtures.example/{name}/", url))
    return blogs


def stored_entries(site: Site, origin: str, started: datetime) -> list[dict[str, Any]]:
    """Every stored entry column that comes from the feed, with its search index text,
    in a stable order; the test server's address and the refresh's own time are named."""
    key = "d.entry_id" if on_postgres() else "d.rowid"
    rows = site.query(
        "SELECT s.feed_url, e.key, e.url, e.title, e.author, e.published_at, e.updated_at,"
        " e.sort_at, e.summary, e.content_html, e.content_hash, e.previous_content_hash,"
        " e.enclosures, d.title, d.summary, d.content"
        " FROM entries e JOIN sources s ON s.id = e.source_id"
        f" LEFT JOIN entry_search d ON {key} = e.id"
    )
    names = (
        "feed", "key", "url", "title", "author", "published_at", "updated_at", "sort_at",
        "summary", "content_html", "content_hash", "previous_content_hash", "enclosures",
        "search_title", "search_summary", "search_content",
    )  # fmt: skip
    entries = []
    for row in rows:
        entry = dict(zip(names, row, strict=True))
        assert entry["content_hash"] == content_hash(entry), entry["key"]
        if isinstance(entry["enclosures"], str):
            entry["enclosures"] = json.loads(entry["enclosures"])
        if any(origin in str(value) for name, value in entry.items() if name != "feed"):
            # The hash covers the address, which differs per run; checked above instead.
            entry["content_hash"] = "(covers the test server's address)"
        entries.append({name: _pinned(value, origin, started) for name, value in entry.items()})
    return sorted(entries, key=lambda e: (e["feed"], e["key"]))


def content_hash(entry: dict[str, Any]) -> str:
    """The content hash as the store has always computed it, written out independently."""
    enclosures = entry["enclosures"]
    if isinstance(enclosures, str):
        enclosures = json.loads(enclosures)
    parts = [
        entry["url"] or "",
        entry["title"],
        entry["author"] or "",
        entry["summary"],
        entry["content_html"],
    ]
    parts += [f"{e['url']} {e['type'] or ''} {e['length'] or ''}" for e in enclosures or []]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _pinned(value: Any, origin: str, started: datetime) -> Any:
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] in "T ":
        with contextlib.suppress(ValueError):  # a text that only looks like a date
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return "(the refresh's time)" if moment >= started else moment.isoformat()
    if isinstance(value, list):
        return [_pinned(v, origin, started) for v in value]
    if isinstance(value, dict):
        return {k: _pinned(v, origin, started) for k, v in value.items()}
    if isinstance(value, str):
        value = value.replace(origin, _PLACEHOLDER)
        if len(value) > VERBATIM_CHARS:
            digest = hashlib.sha256(value.encode()).hexdigest()
            return f"sha256:{digest} ({len(value)} chars)"
    return value


def refreshed_entries(site: Site, server: FeedServer) -> list[dict[str, Any]]:
    site.write_blogroll(serve_every_feed(server))
    started = datetime.now(UTC)
    assert site.cli("refresh") == 0
    return stored_entries(site, server.url(""), started)


def test_a_refresh_stores_exactly_the_pinned_entries(site: Site, feed_server: FeedServer) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))

    stored = refreshed_entries(site, feed_server)

    assert len(stored) == len(expected)
    for got, want in zip(stored, expected, strict=True):
        assert got == want


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp) / "site")
        servers: Iterator[FeedServer] = running("127.0.0.1")
        server = next(servers)
        try:
            entries = refreshed_entries(site, server)
        finally:
            next(servers, None)
    GOLDEN.parent.mkdir(exist_ok=True)
    text = json.dumps(entries, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    GOLDEN.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    regenerate()
