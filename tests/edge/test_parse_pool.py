"""The parse pool of a refresh: worker processes start with the first feed to parse, and
parse it exactly as this process would."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.parse import parse_feed
from aggregator.settings import Settings, parse_settings
from aggregator.update.attempt import PROCESS_POOL_THRESHOLD, parser_for
from tests.support.feeds import FeedItem, rss2_feed
from tests.support.paths import REPO


def settings(tmp_path: Path) -> Settings:
    raw = {
        "site": {"title": "T", "url": "http://127.0.0.1/", "author": "A"},
        "fetch": {"parse_processes": 2},
    }
    return parse_settings(raw, tmp_path / "aggregator.toml", {})


#: Run in a fresh interpreter, where no earlier test has started a process or loaded
#: feedparser: enters the pool of a big refresh, parses nothing, says what it started.
NOTHING_PARSED = """
import glob, json, os, sys
from pathlib import Path
from aggregator.settings import parse_settings
from aggregator.update.attempt import parser_for

raw = {"site": {"title": "T", "url": "http://127.0.0.1/", "author": "A"},
       "fetch": {"parse_processes": 2}}
with parser_for(parse_settings(raw, Path(sys.argv[1]), {}), int(sys.argv[2])):
    children = [
        pid
        for tasks in glob.glob(f"/proc/{os.getpid()}/task/*/children")
        for pid in Path(tasks).read_text().split()
    ]
    print(json.dumps({"children": children, "feedparser": "feedparser" in sys.modules}))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_refresh_with_nothing_to_parse_starts_no_process_and_loads_no_parser(
    tmp_path: Path,
) -> None:
    ran = subprocess.run(
        [
            sys.executable,
            "-c",
            NOTHING_PARSED,
            str(tmp_path / "aggregator.toml"),
            str(PROCESS_POOL_THRESHOLD * 4),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert json.loads(ran.stdout) == {"children": [], "feedparser": False}


def test_the_first_feed_to_parse_starts_the_workers_which_parse_as_this_process_does(
    tmp_path: Path,
) -> None:
    body = rss2_feed(
        "A blog",
        "http://127.0.0.1/blog/",
        [FeedItem("First", "http://127.0.0.1/blog/1", datetime(2026, 3, 1, tzinfo=UTC))],
    )
    url = "http://127.0.0.1/blog/feed.xml"
    with parser_for(settings(tmp_path), PROCESS_POOL_THRESHOLD * 4) as parse:
        parsed = parse(body, url, "application/rss+xml")
        assert multiprocessing.active_children() != []
    assert parsed == parse_feed(body, url, "application/rss+xml")
    assert multiprocessing.active_children() == []
