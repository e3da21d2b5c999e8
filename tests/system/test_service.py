"""`aggregator run` as a real process: serves the site and /healthz, stops cleanly on signals."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from aggregator.app import App
from aggregator.settings import load_settings
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.paths import DATA, REPO
from tests.support.server import FeedServer
from tests.support.service import Service, free_port, get, wait_for
from tests.support.site import Site, make_site


@pytest.fixture
def service(tmp_path: Path, feed_server: FeedServer, database_url: str) -> Iterator[Service]:
    port = free_port()
    site = make_site(tmp_path / "site", database_url, port=port)
    items = [FeedItem("Served entry", "https://blog.example/1", day(11))]
    feed = feed_server.serve("/feed.xml", rss2_feed("Local Blog", "https://blog.example/", items))
    site.write_blogroll(
        [
            ("Local Blog", "https://blog.example/", feed),
            (
                "Offline Blog",
                "https://offline.example/",
                f"http://127.0.0.1:{free_port()}/feed.xml",
            ),
        ]
    )
    running = Service(site, port)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_the_service_publishes_the_site_and_reports_health(service: Service) -> None:
    index = wait_for(service.url("/"), b"Served entry")
    assert b"Own post in Hugo format" in index
    assert b"Secret draft" not in index

    feed = wait_for(service.url("/feed.xml"))
    schema = etree.RelaxNG(etree.parse(str(DATA / "atom.rng")))
    assert schema.validate(etree.fromstring(feed)), schema.error_log

    status, body = get(service.url("/healthz"))
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["sources_total"] == 2
    deadline = time.monotonic() + 15
    while health["sources_ok"] + health["sources_failed"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        health = json.loads(get(service.url("/healthz"))[1])
    assert (health["sources_ok"], health["sources_failed"]) == (1, 1)
    assert health["last_refresh_at"]

    assert get(service.url("/posts/hello-hugo/"))[0] == 200
    assert get(service.url("/no-such-page"))[0] == 404
    assert get(service.url("/../aggregator.toml"))[0] == 404

    code, elapsed, output = service.stop(signal.SIGTERM)
    assert code == 0, output
    assert elapsed < 5


def test_sigint_stops_the_service_too(service: Service) -> None:
    wait_for(service.url("/"))
    code, elapsed, output = service.stop(signal.SIGINT)
    assert code == 0, output
    assert elapsed < 5


def test_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        site = make_site(tmp_path / "site", port=port)
        result = subprocess.run(
            [sys.executable, "-m", "aggregator", "--config", str(site.config), "run"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_readyz_and_metrics_report_the_refresh(service: Service) -> None:
    wait_for(service.url("/readyz"), b'"ready": true')
    status, body = get(service.url("/readyz"))
    assert status == 200
    assert json.loads(body)["ready"] is True

    status, body = get(service.url("/metrics"))
    assert status == 200
    text = body.decode()
    assert 'aggregator_fetches_total{result="ok"} 1.0' in text
    assert 'aggregator_fetches_total{result="error"} 1.0' in text
    assert "aggregator_entries_stored_total 1.0" in text
    assert "aggregator_sources_failing 1.0" in text
    assert re.search(r"aggregator_fetch_duration_seconds_count [1-9]", text)
    assert re.search(r"aggregator_last_build_timestamp_seconds \d\.\d+e\+09", text)
    code, _, output = service.stop(signal.SIGTERM)
    assert code == 0, output


def test_an_unreachable_database_keeps_the_last_build_online(tmp_path: Path) -> None:
    port = free_port()
    site = make_site(tmp_path / "site", port=port)
    assert site.cli("build") == 0
    dead = f"postgresql://nobody@127.0.0.1:{free_port()}/gone"
    site.config.write_text(
        re.sub(r'(?m)^url = "sqlite.*"$', f'url = "{dead}"', site.config.read_text())
    )
    running = Service(site, port)
    try:
        page = wait_for(running.url("/"), b"Own post in Hugo format")
        assert b"Own post in Hugo format" in page
        status, body = get(running.url("/healthz"))
        assert status == 200
        health = json.loads(body)
        assert health["status"] == "degraded"
        assert "database postgresql" in health["database"]
        status, body = get(running.url("/readyz"))
        assert status == 503
        assert json.loads(body)["reason"] == "database unreachable"
        running.wait_for_output("database unreachable, retrying in", count=2)
        code, _, output = running.stop(signal.SIGTERM)
        assert code == 0, output
        assert output.count("database unreachable, retrying in") >= 2, output
    finally:
        if running.process.poll() is None:
            running.process.kill()


def test_a_cycle_still_waiting_for_its_turn_ends_when_the_service_stops(site: Site) -> None:
    # The shutdown holds the turn while it closes the store; a job queued just before
    # must end rather than wait for it forever (the process could not exit).
    with App(load_settings(site.config)) as app:
        app._busy.acquire()
        try:
            job = threading.Thread(target=app.cycle)
            job.start()
            time.sleep(0.3)
            app.stop.set()
            job.join(timeout=5)
            assert not job.is_alive()
        finally:
            app._busy.release()
