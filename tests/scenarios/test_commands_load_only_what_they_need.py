"""A one-shot command loads only the libraries it uses: a rebuild with nothing new, or a
refresh where every feed answers 304, is mostly interpreter start and imports.

``aggregator build`` fetches nothing unless it pings a hub, so it does not load the
HTTP client; no one-shot command loads the metrics library, which only the service
(``aggregator run``, serving ``/metrics``) needs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from tests.support.feeds import FeedItem, rss2_feed
from tests.support.paths import REPO
from tests.support.server import FeedServer
from tests.support.site import Site

#: Run in a fresh interpreter, where no earlier test has imported anything.
COMMAND = """
import json, sys
from aggregator.cli import main
status = main(["--config", sys.argv[1], sys.argv[2]])
loaded = {name: name in sys.modules for name in ("requests", "prometheus_client")}
print(json.dumps({"status": status, **loaded}))
"""


def run_in_fresh_interpreter(site: Site, command: str) -> dict[str, object]:
    ran = subprocess.run(
        [sys.executable, "-c", COMMAND, str(site.config), command],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    found: dict[str, object] = json.loads(ran.stdout.strip().splitlines()[-1])
    return found


def test_a_build_and_a_rebuild_load_no_http_client(site: Site, feed_server: FeedServer) -> None:
    item = FeedItem("Quince", "https://quince.example/1", datetime(2026, 1, 4, tzinfo=UTC))
    site.write_blogroll(
        [feed_server.blog("Q", "https://quince.example/", "/q.xml", rss2_feed, [item])]
    )
    assert site.cli("refresh") == 0

    assert build_in_fresh_interpreter(site) == {"status": 0, "requests": False}
    assert (site.output / "index.html").is_file()
    assert build_in_fresh_interpreter(site) == {"status": 0, "requests": False}


def test_a_refresh_and_a_build_load_no_metrics_library(site: Site, feed_server: FeedServer) -> None:
    item = FeedItem("Sloe", "https://sloe.example/1", datetime(2026, 1, 6, tzinfo=UTC))
    site.write_blogroll(
        [feed_server.blog("S", "https://sloe.example/", "/s.xml", rss2_feed, [item])]
    )

    refreshed = run_in_fresh_interpreter(site, "refresh")
    built = run_in_fresh_interpreter(site, "build")

    assert refreshed == {"status": 0, "requests": True, "prometheus_client": False}
    assert built == {"status": 0, "requests": False, "prometheus_client": False}
    assert "Sloe" in (site.output / "index.html").read_text()


def build_in_fresh_interpreter(site: Site) -> dict[str, object]:
    """Whether the build succeeded and loaded the HTTP client."""
    found = run_in_fresh_interpreter(site, "build")
    return {"status": found["status"], "requests": found["requests"]}


def test_a_build_that_pings_a_hub_still_loads_it(site: Site, feed_server: FeedServer) -> None:
    site.write_blogroll([])
    site.write_post("a.md", "---\ntitle: A walk\ndate: 2026-01-05\n---\n\nAlong the canal.\n")
    site.append_config(f'[websub]\nhubs = ["{feed_server.url("/hub")}"]')

    assert build_in_fresh_interpreter(site) == {"status": 0, "requests": True}
