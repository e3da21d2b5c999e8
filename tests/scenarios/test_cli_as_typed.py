"""The command line as people type it: options after the command, a config found in the
current folder, output into a closed pipe, a host name without a scheme."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aggregator.cli import main
from tests.support.paths import REPO
from tests.support.server import FeedServer
from tests.support.site import Site


def test_config_and_verbosity_work_after_the_command(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--config", str(site.config), "-v", "--log-format", "json"]) == 0
    assert main(["--config", str(site.config), "blogroll", "sync", "-v"]) == 0
    assert "blogroll: 0 added" in capsys.readouterr().out


def test_an_aggregator_toml_in_the_current_folder_is_found(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AGGREGATOR_CONFIG", raising=False)
    monkeypatch.chdir(site.root)
    assert site.config.name == "aggregator.toml"

    assert main(["blogroll", "sync"]) == 0
    assert "blogroll: 0 added" in capsys.readouterr().out


def test_output_into_a_closed_pipe_ends_quietly(site: Site, feed_server: FeedServer) -> None:
    feeds = [
        (f"Blog {n}", f"https://b{n}.example/", feed_server.url(f"/{n}.xml")) for n in range(400)
    ]
    site.write_blogroll(feeds)
    assert site.cli("blogroll", "sync") == 0
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    env.pop("AGGREGATOR_DATABASE_URL", None)
    command = [sys.executable, "-m", "aggregator", "status", "--json", "--config", str(site.config)]
    producer = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert producer.stdout is not None
    producer.stdout.readline()
    producer.stdout.close()  # like `| head -1`
    _, err = producer.communicate(timeout=30)

    assert b"Traceback" not in err, err.decode()
    assert b"BrokenPipe" not in err
    assert producer.returncode == 0


def test_buffered_output_and_logs_all_reach_the_pipe_before_the_command_exits(
    site: Site, feed_server: FeedServer
) -> None:
    # The command exits without the interpreter's teardown: what it buffered still goes out.
    feeds = [
        (f"Blog {n}", f"https://b{n}.example/", feed_server.url(f"/{n}.xml")) for n in range(300)
    ]
    site.write_blogroll(feeds)
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    env.pop("AGGREGATOR_DATABASE_URL", None)
    base = [sys.executable, "-m", "aggregator", "--config", str(site.config)]

    synced = subprocess.run(
        [*base, "blogroll", "sync", "-vv"], cwd=REPO, env=env, capture_output=True, timeout=60
    )
    listed = subprocess.run(
        [*base, "status", "--json"], cwd=REPO, env=env, capture_output=True, timeout=60
    )
    missing = subprocess.run(
        [*base[:-1], str(site.root / "missing.toml"), "status"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
    )

    assert synced.returncode == 0, synced.stderr.decode()
    assert b"blogroll: 300 added" in synced.stdout
    assert synced.stderr.strip(), "the log lines asked for with -vv"
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout)) == 300
    assert missing.returncode == 1
    assert b"missing.toml" in missing.stderr


def test_a_command_run_under_a_profiler_still_gets_its_report_written(site: Site) -> None:
    profile = site.root / "status.prof"
    env = {k: v for k, v in os.environ.items() if k != "AGGREGATOR_DATABASE_URL"}
    command = ["-m", "aggregator", "--config", str(site.config), "status"]

    ran = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
    )

    assert ran.returncode == 0, ran.stderr.decode()
    assert profile.stat().st_size > 0


def test_discover_takes_a_bare_host_as_https_and_fails_without_a_feed(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    host = feed_server.url("").removeprefix("http://").rstrip("/")

    # The test server speaks plain HTTP, so the https attempt fails on loopback.
    assert site.cli("discover", host) == 1

    out = capsys.readouterr().out
    assert f"no feed found for https://{host}" in out


def test_discover_of_a_page_without_a_feed_exits_1(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    page = feed_server.serve(
        "/", b"<html><head></head><body>hi</body></html>", content_type="text/html"
    )
    assert site.cli("discover", page) == 1
    assert "no feed found" in capsys.readouterr().out
