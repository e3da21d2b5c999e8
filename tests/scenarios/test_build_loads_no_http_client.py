"""``aggregator build`` fetches nothing unless it pings a hub, so it does not load the
HTTP client: a rebuild with nothing new is mostly interpreter start and imports."""

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
BUILD = """
import json, sys
from aggregator.cli import main
status = main(["--config", sys.argv[1], "build"])
print(json.dumps({"status": status, "requests": "requests" in sys.modules}))
"""


def build_in_fresh_interpreter(site: Site) -> dict[str, object]:
    ran = subprocess.run(
        [sys.executable, "-c", BUILD, str(site.config)],
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


def test_a_build_that_pings_a_hub_still_loads_it(site: Site, feed_server: FeedServer) -> None:
    site.write_blogroll([])
    site.write_post("a.md", "---\ntitle: A walk\ndate: 2026-01-05\n---\n\nAlong the canal.\n")
    site.append_config(f'[websub]\nhubs = ["{feed_server.url("/hub")}"]')

    assert build_in_fresh_interpreter(site) == {"status": 0, "requests": True}
