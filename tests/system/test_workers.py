"""Scale-out: `aggregator worker` processes sharing one database through leases."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.models import BlogrollEntry
from aggregator.store import Store
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.paths import REPO
from tests.support.server import FeedServer
from tests.support.site import Site, make_site

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.sync_blogroll(
        [BlogrollEntry(url=f"https://b{n}.example/feed.xml") for n in range(10)], T0
    )
    yield opened
    opened.close()


def test_two_claims_get_disjoint_sources(store: Store) -> None:
    first = store.claim_due("w1", T0, LEASE, 6)
    second = store.claim_due("w2", T0, LEASE, 6)
    assert len(first) == 6
    assert len(second) == 4
    assert not {s.id for s in first} & {s.id for s in second}
    assert store.claim_due("w3", T0, LEASE, 6) == []
    assert store.due_sources(T0) == [], "a leased source is not due for a plain refresh either"


def test_an_expired_lease_is_claimed_again(store: Store) -> None:
    held = store.claim_due("dead", T0, LEASE, 10)
    assert store.claim_due("alive", T0 + LEASE - timedelta(seconds=1), LEASE, 10) == []
    again = store.claim_due("alive", T0 + LEASE, LEASE, 10)
    assert {s.id for s in again} == {s.id for s in held}
    assert {s.lease_owner for s in again} == {"alive"}


def test_released_leases_are_due_at_once(store: Store) -> None:
    held = store.claim_due("w1", T0, LEASE, 10)
    assert store.release_leases("w2") == 0
    assert store.release_leases("w1", [held[0].id]) == 1
    assert [s.id for s in store.claim_due("w2", T0, LEASE, 10)] == [held[0].id]


# -- processes -------------------------------------------------------------------------

WORKER_TOML = """
[worker]
tick_seconds = 1
lease_seconds = {lease}
batch = 4
shutdown_seconds = 5
"""


def fleet_site(
    tmp_path: Path, database_url: str, server: FeedServer, n: int, delay: float, lease: int
) -> tuple[Site, list[str]]:
    site = make_site(tmp_path / "site", database_url)
    site.config.write_text(site.config.read_text() + WORKER_TOML.format(lease=lease))
    blogs, paths = [], []
    for i in range(n):
        path = f"/blog{i}.xml"
        items = [
            FeedItem(f"Blog {i} post {k}", f"https://b{i}.example/{k}", day(k)) for k in (1, 2)
        ]
        feed = rss2_feed(f"Blog {i}", f"https://b{i}.example/", items)
        blogs.append((f"Blog {i}", f"https://b{i}.example/", server.serve(path, feed, delay=delay)))
        paths.append(path)
    site.write_blogroll(blogs)
    assert site.cli("blogroll", "sync") == 0
    return site, paths


def start_worker(site: Site, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AGGREGATOR_DATABASE_URL", None)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "aggregator", "--config", str(site.config), "worker"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_all_fetched(site: Site, n: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ((done,),) = site.query("SELECT count(*) FROM sources WHERE last_result = 'ok'")
        if done == n:
            return
        time.sleep(0.2)
    raise AssertionError(f"only {done} of {n} sources fetched")


def assert_no_entry_twice(site: Site, n: int) -> None:
    ((entries, distinct),) = site.query("SELECT count(*), count(DISTINCT url) FROM entries")
    assert entries == distinct == 2 * n


def stop_all(workers: list[subprocess.Popen[bytes]], log: Path) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    codes = [worker.wait(timeout=15) for worker in workers]
    assert all(code in (0, -signal.SIGKILL) for code in codes), log.read_text()


@pytest.mark.postgres
def test_three_workers_fetch_every_source_exactly_once(
    tmp_path: Path, postgres_url: str, feed_server: FeedServer
) -> None:
    n = 300
    site, paths = fleet_site(tmp_path, postgres_url, feed_server, n, delay=0.01, lease=60)
    log = tmp_path / "workers.log"
    workers = [start_worker(site, log) for _ in range(3)]
    try:
        wait_until_all_fetched(site, n)
        time.sleep(2.5)  # a few more ticks: nothing is due again within its window
    finally:
        stop_all(workers, log)

    requests = Counter(r.path for r in feed_server.seen)
    assert {path: requests[path] for path in paths} == dict.fromkeys(paths, 1)
    assert_no_entry_twice(site, n)
    assert site.query("SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL") == [(0,)]
    assert [w.returncode for w in workers] == [0, 0, 0], log.read_text()
    # Every worker took part: each logged a summary of what it fetched.
    text = log.read_text()
    for worker in workers:
        assert re.search(rf":{worker.pid} sources: [1-9]\d* ok", text), text


@pytest.mark.postgres
def test_a_killed_worker_loses_nothing_and_its_sources_are_taken_over(
    tmp_path: Path, postgres_url: str, feed_server: FeedServer
) -> None:
    n, lease = 60, 3
    site, paths = fleet_site(tmp_path, postgres_url, feed_server, n, delay=0.4, lease=lease)
    log = tmp_path / "workers.log"
    workers = [start_worker(site, log) for _ in range(3)]
    victim = workers[0]
    try:
        deadline = time.monotonic() + 30
        held: list[tuple[object, ...]] = []
        while not held and time.monotonic() < deadline:
            held = site.query(
                "SELECT id FROM sources WHERE lease_owner LIKE :me AND last_fetched_at IS NULL",
                me=f"%:{victim.pid}",
            )
        assert held, "the first worker never claimed anything"
        victim.kill()
        victim.wait()
        killed_at = datetime.now(UTC)
        wait_until_all_fetched(site, n)
    finally:
        stop_all(workers, log)

    assert_no_entry_twice(site, n)
    requests = Counter(r.path for r in feed_server.seen)
    assert all(requests[path] in (1, 2) for path in paths), requests
    fetched_at = dict(site.query("SELECT id, last_fetched_at FROM sources"))
    for (source_id,) in held:
        taken_over = fetched_at[source_id]
        if isinstance(taken_over, str):  # SQLite hands back text
            taken_over = datetime.fromisoformat(taken_over).replace(tzinfo=UTC)
        assert isinstance(taken_over, datetime)
        # Not before its lease ran out: nobody else touched it while it was held.
        assert taken_over >= killed_at + timedelta(seconds=lease - 1.5)


def test_one_worker_on_the_site_store_fetches_what_is_due_once(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [FeedItem("Worker entry", "https://w.example/1", day(3))]
    site.write_blogroll([feed_server.blog("W", "https://w.example/", "/w.xml", rss2_feed, items)])
    assert site.cli("blogroll", "sync") == 0
    assert site.cli("worker", "--once") == 0
    assert site.cli("worker", "--once") == 0
    assert len(feed_server.requests_to("/w.xml")) == 1
    assert site.query("SELECT title FROM entries") == [("Worker entry",)]
    assert "blogroll: 1 added" in capsys.readouterr().out
