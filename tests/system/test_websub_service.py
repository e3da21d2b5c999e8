"""`aggregator run` with a WebSub hub: the builds it runs ping the hub for the changed feeds."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.service import Service, free_port, wait_for
from tests.support.site import make_site


def test_the_service_pings_the_hub_after_its_builds(
    tmp_path: Path, feed_server: FeedServer, database_url: str
) -> None:
    port = free_port()
    site = make_site(tmp_path / "site", database_url, port=port)
    hub = feed_server.serve("/hub", b"", status=202)
    with site.config.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[websub]\nhubs = ["{hub}"]\n')
    items = [FeedItem("Served entry", "https://blog.example/1", day(11))]
    feed = feed_server.serve("/feed.xml", rss2_feed("Local Blog", "https://blog.example/", items))
    site.write_blogroll([("Local Blog", "https://blog.example/", feed)])
    service = Service(site, port)
    try:
        wait_for(service.url("/feed.xml"), b"Served entry")
        deadline = time.monotonic() + 10
        topics: list[str] = []
        while time.monotonic() < deadline:
            topics = [
                parse_qs(r.body.decode())["hub.url"][0] for r in feed_server.requests_to("/hub")
            ]
            # The first build (own posts only) and the one after the refresh both changed it.
            if topics.count("http://127.0.0.1:8080/feed.xml") >= 2:
                break
            time.sleep(0.1)
        assert topics.count("http://127.0.0.1:8080/feed.xml") == 2, topics
        assert "http://127.0.0.1:8080/own.xml" in topics
        code, _, output = service.stop()
        assert code == 0
        assert "websub ping hub=" in output
    finally:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait()
