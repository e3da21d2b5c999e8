"""The parse pool of a refresh: worker processes start with the first feed to parse, and
parse it exactly as this process would."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from aggregator.parse import parse_feed
from aggregator.settings import Settings, parse_settings
from aggregator.update.attempt import PROCESS_POOL_THRESHOLD, parser_for
from tests.support.feeds import FeedItem, rss2_feed


def settings(tmp_path: Path) -> Settings:
    raw = {
        "site": {"title": "T", "url": "http://127.0.0.1/", "author": "A"},
        "fetch": {"parse_processes": 2},
    }
    return parse_settings(raw, tmp_path / "aggregator.toml", {})


def test_a_refresh_with_nothing_to_parse_starts_no_process(tmp_path: Path) -> None:
    with parser_for(settings(tmp_path), PROCESS_POOL_THRESHOLD * 4) as parse:
        assert parse is not parse_feed
        assert multiprocessing.active_children() == []


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
