"""Two builds of one output folder, from two processes (``aggregator build`` while the
service builds), run one after the other: renaming and pruning at once could leave a
mix of both sites."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from aggregator.errors import PublishError
from aggregator.publish import files
from aggregator.publish.files import one_build_at_a_time
from tests.support.feeds import FeedItem, rss2_feed
from tests.support.paths import REPO
from tests.support.server import FeedServer
from tests.support.site import Site


def test_a_second_build_waits_for_the_first_then_builds(
    site: Site, feed_server: FeedServer
) -> None:
    item = FeedItem("Medlar", "https://medlar.example/1", datetime(2026, 1, 8, tzinfo=UTC))
    site.write_blogroll(
        [feed_server.blog("M", "https://medlar.example/", "/m.xml", rss2_feed, [item])]
    )
    assert site.cli("refresh") == 0
    env = {k: v for k, v in os.environ.items() if k != "AGGREGATOR_DATABASE_URL"}
    command = [sys.executable, "-m", "aggregator", "--config", str(site.config), "build"]

    with one_build_at_a_time(site.output):  # the first build, still running
        second = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        time.sleep(2)
        waited = second.poll() is None
        written_meanwhile = (site.output / "index.html").exists()
    _, err = second.communicate(timeout=60)

    assert waited and not written_meanwhile
    assert second.returncode == 0, err.decode()
    assert b"waiting for another build of" in err and str(site.output).encode() in err
    assert "Medlar" in (site.output / "index.html").read_text()


def test_a_build_that_waits_too_long_stops_and_names_the_folder(site: Site) -> None:
    with (
        one_build_at_a_time(site.output),
        pytest.raises(PublishError) as caught,
        one_build_at_a_time(site.output, wait=0.2),
    ):
        pytest.fail("two builds held the folder at once")

    message = str(caught.value)
    assert str(site.output) in message and "another build" in message
    with one_build_at_a_time(site.output, wait=0.2):  # released with the first
        pass


def test_a_folder_that_cannot_be_locked_is_built_unguarded_with_a_warning(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As on a network file system without locks on folders.
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(files.fcntl, "flock", no_locks)
    entered = False
    with one_build_at_a_time(site.output):
        entered = True

    assert entered
    assert str(site.output) in caplog.text and "cannot be locked" in caplog.text
