"""Crashes: `kill -9` in the middle of a refresh loses nothing and duplicates nothing."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from lxml import etree, html

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.service import Service, free_port, wait_for
from tests.support.site import make_site


def published_files_are_whole(output: Path) -> None:
    for path in output.rglob("*"):
        if path.suffix == ".html":
            text = path.read_text()
            # widget.html is a fragment to embed elsewhere: it ends with its own element.
            end = "</aside>" if path.name == "widget.html" else "</html>"
            assert text.rstrip().endswith(end), path
            html.fromstring(text)
        elif path.suffix == ".xml":
            etree.fromstring(path.read_bytes())  # raises on a cut-off document


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux's ``/proc``): the fork server and the parse workers."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        for tasks in Path(f"/proc/{stack.pop()}/task").glob("*/children"):
            try:
                children = {int(child) for child in tasks.read_text().split()}
            except OSError:
                continue
            stack.extend(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_kill_9_mid_refresh_then_restart(
    tmp_path: Path, feed_server: FeedServer, database_url: str
) -> None:
    n = 40
    port = free_port()
    site = make_site(tmp_path / "site", database_url, port=port)
    blogs = []
    for i in range(n):
        items = [
            FeedItem(f"Crash {i} post {k}", f"https://c{i}.example/{k}", day(k)) for k in (1, 2)
        ]
        feed = rss2_feed(f"Crash {i}", f"https://c{i}.example/", items)
        blogs.append(
            (
                f"Crash {i}",
                f"https://c{i}.example/",
                feed_server.serve(f"/c{i}.xml", feed, delay=0.3),
            )
        )
    site.write_blogroll(blogs)

    first = Service(site, port)
    try:
        wait_for(first.url("/"), b"Own post in Hugo format")
        deadline = time.monotonic() + 30
        stored = 0
        while not 0 < stored < 2 * n and time.monotonic() < deadline:
            ((stored,),) = site.query("SELECT count(*) FROM entries")
            time.sleep(0.05)
        assert 0 < stored < 2 * n, f"could not catch the refresh in the middle ({stored} stored)"
        below = descendants(first.process.pid)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        if first.process.poll() is None:
            first.process.kill()
    published_files_are_whole(site.output)
    fetched_before = {r.path for r in feed_server.seen}
    # Nothing it started outlives it: the parse workers see it gone and end, and so does
    # the fork server they kept alive.
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert below, "the service had started no process to parse with"
    assert not [pid for pid in below if alive(pid)], "processes of the killed service live on"

    # The delay was there to catch the first run mid-refresh; the second only has to finish.
    for route in feed_server.routes.values():
        route.delay = 0
    second = Service(site, port)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while done < n and time.monotonic() < deadline:
            ((done,),) = site.query("SELECT count(*) FROM sources WHERE last_result = 'ok'")
            time.sleep(0.05)
        assert done == n
        wait_for(second.url("/"), b"Crash 0 post 2")
        code, _, output = second.stop(signal.SIGTERM)
        assert code == 0, output
    finally:
        if second.process.poll() is None:
            second.process.kill()

    ((entries, distinct),) = site.query("SELECT count(*), count(DISTINCT url) FROM entries")
    assert entries == distinct == 2 * n
    published_files_are_whole(site.output)
    assert not list(site.output.rglob(".*.tmp")), "a half-written file was left behind"
    assert fetched_before, "the first run fetched nothing before it was killed"
