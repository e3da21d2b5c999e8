"""Faults a long-running site meets: two refreshes at once, a site that cannot be written."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.db import on_postgres
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.paths import REPO
from tests.support.server import FeedServer
from tests.support.site import Site, make_site


def test_a_second_refresh_says_one_is_running_and_stops(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    if on_postgres():
        pytest.skip("SQLite only: on PostgreSQL, workers share the work through leases")
    items = [FeedItem("Slow entry", "https://slow.example/1", day(3))]
    release = threading.Event()  # the first refresh's fetch waits for it
    url = feed_server.serve(
        "/slow.xml", rss2_feed("Slow", "https://slow.example/", items), delay=10, hold=release
    )
    site.write_blogroll([("Slow", "https://slow.example/", url)])
    site.set_fetch(read_timeout=10, total_timeout=20)
    first = subprocess.Popen(
        [sys.executable, "-m", "aggregator", "--config", str(site.config), "refresh"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not feed_server.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feed_server.in_flight, "the first refresh never reached the server"

        assert site.cli("refresh") == 1
        err = capsys.readouterr().err
        assert "a refresh is already running" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        release.set()
        out, _ = first.communicate(timeout=30)
    assert first.returncode == 0
    assert b"1 ok" in out
    assert len(feed_server.requests_to("/slow.xml")) == 1

    # Once the first is done, refreshing works again.
    assert site.cli("refresh", "--all") == 0


def test_a_build_that_cannot_write_leaves_the_previous_site_untouched(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.cli("build") == 0
    before = {p: p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    # A new post changes the river; its page's folder cannot be created (a file is in the way).
    site.write_post(
        "2026-03-08-blocked.md", '---\ntitle: "A post that cannot be written"\n---\nx\n'
    )
    (site.output / "posts" / "blocked").write_text("in the way")
    before[site.output / "posts" / "blocked"] = b"in the way"
    capsys.readouterr()

    assert site.cli("build") == 1
    err = capsys.readouterr().err
    assert "cannot write the site" in err
    assert "the previously published site is unchanged" in err
    after = {p: p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    assert after == before
    assert "A post that cannot be written" not in (site.output / "index.html").read_text()


def _refresh_output(site: Site, *, terminal: bool) -> bytes:
    """stderr of `aggregator refresh`, on a pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "aggregator", "--config", str(site.config), "refresh", "--all"]
    if not terminal:
        done = subprocess.run(command, cwd=REPO, capture_output=True, timeout=60)
        return done.stderr
    import os
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


def test_refresh_shows_a_progress_bar_on_a_terminal_only(
    site: Site, feed_server: FeedServer
) -> None:
    blogs = [
        feed_server.blog(f"B{i}", f"https://b{i}.example/", f"/b{i}.xml", rss2_feed, [])
        for i in range(3)
    ]
    site.write_blogroll(blogs)
    on_terminal = _refresh_output(site, terminal=True)
    assert b"\rrefresh [" in on_terminal
    assert b"3/3" in on_terminal
    piped = _refresh_output(site, terminal=False)
    assert b"\r" not in piped


def test_a_cycle_that_loses_the_database_is_retried_soon_with_growing_delays(
    tmp_path: Path,
) -> None:
    from aggregator.app import App
    from aggregator.scheduler import JOB_ID, database_retry_delay, start_scheduler
    from aggregator.settings import load_settings

    # A PostgreSQL URL on a loopback port where nothing listens: every connection is refused.
    site = make_site(tmp_path / "site", database_url="postgresql://postgres@127.0.0.1:9/none")
    app = App(load_settings(site.config), upgrade=False)
    scheduler = start_scheduler(app)
    try:
        deadline = time.monotonic() + 20
        while app.database_failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.database_failures >= 1
        assert "database" in (app.last_cycle_error or "")
        time.sleep(0.2)  # the job reschedules itself as it ends
        next_run = scheduler.get_job(JOB_ID).next_run_time
        assert next_run - app.clock() <= timedelta(seconds=6)  # not the 30-minute interval
    finally:
        scheduler.shutdown(wait=False)
        app.close()

    interval = timedelta(minutes=30)
    delays = [database_retry_delay(n, interval) for n in range(1, 12)]
    assert delays[:4] == [timedelta(seconds=s) for s in (5, 10, 20, 40)]
    assert delays == sorted(delays)
    assert delays[-1] == interval
