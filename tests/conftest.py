"""Fixtures: a loopback HTTP server, a store, a site folder. Helpers: tests/support."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.db import postgres_base_url, postgres_schema, require_postgres
from tests.support.server import FeedServer, running
from tests.support.site import Site, make_site


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


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    yield from running("127.0.0.1")


@pytest.fixture
def other_host_server() -> Iterator[FeedServer]:
    """A second server on another loopback address, i.e. another host as far as limits go."""
    yield from running("127.0.0.2")


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Site:
    return make_site(tmp_path / "site", database_url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/system/ is the slow tier (processes, crashes, the browser)."""
    for item in items:
        if "system" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.slow)
