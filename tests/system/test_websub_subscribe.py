"""`aggregator run` as a WebSub subscriber, against a local hub: it subscribes to the hub a
blog's feed names, answers the hub's verification for its own topics only, publishes a
signed push within seconds, ignores a forged one, renews before the lease ends, and
unsubscribes a blog that left the blogroll."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.feeds import FeedItem, atom_feed, day
from tests.support.hub import HubRequest, LocalHub
from tests.support.server import FeedServer
from tests.support.service import Service, free_port, wait_for
from tests.support.site import Site, make_site

LEASE = 6
FIRST_ITEMS = [FeedItem("First blog's old post", "https://first.example/1", day(10))]


@dataclass
class World:
    site: Site
    service: Service
    hub: LocalHub
    first: str
    #: What the first blog's feed names as its rel="self": the topic of its subscription.
    first_topic: str
    second: str
    callback_base: str


@pytest.fixture
def world(tmp_path: Path, feed_server: FeedServer, database_url: str) -> Iterator[World]:
    port = free_port()
    site = make_site(tmp_path / "site", database_url, port=port)
    hub = LocalHub(feed_server)
    callback_base = f"http://127.0.0.1:{port}"
    site.append_config(
        f'[websub]\nsubscribe = true\ncallback_url = "{callback_base}"\nlease_seconds = {LEASE}'
    )
    first, second = feed_server.url("/first.xml"), feed_server.url("/second.xml")
    first_topic = feed_server.url("/feeds/first")
    feed_server.serve(
        "/first.xml",
        atom_feed(
            "First Blog", "https://first.example/", FIRST_ITEMS, hub=hub.url, self_url=first_topic
        ),
    )
    second_items = [FeedItem("Second blog's post", "https://second.example/1", day(9))]
    feed_server.serve(
        "/second.xml",
        atom_feed("Second Blog", "https://second.example/", second_items, hub=hub.url),
    )
    site.write_blogroll(
        [
            ("First Blog", "https://first.example/", first),
            ("Second Blog", "https://second.example/", second),
        ]
    )
    service = Service(site, port)
    yield World(site, service, hub, first, first_topic, second, callback_base)
    if service.process.poll() is None:
        service.process.kill()
        service.process.wait()


def first_blog(items: list[FeedItem], world: World) -> bytes:
    return atom_feed(
        "First Blog", "https://first.example/", items, hub=world.hub.url, self_url=world.first_topic
    )


def status(world: World, capsys: pytest.CaptureFixture[str]) -> dict[str, list[dict[str, str]]]:
    capsys.readouterr()
    assert world.site.cli("status", "--json") == 0
    return {s["feed_url"]: s["websub"] for s in json.loads(capsys.readouterr().out)}


def test_the_service_follows_blogs_through_their_hub(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    hub, service = world.hub, world.service

    # It subscribes to each blog's topic (rel="self", else the feed URL) with its own
    # callback and a random secret, for the lease it is configured with.
    first = hub.wait_for_request("subscribe", world.first_topic)
    second = hub.wait_for_request("subscribe", world.second)
    for request in (first, second):
        assert request.callback.startswith(world.callback_base + "/websub/")
        assert request.secret and len(request.secret) >= 32
        assert request.lease_seconds == LEASE
    assert first.callback != second.callback
    assert first.secret != second.secret

    # The verification is answered for its own topic and mode only.
    assert hub.verify(first, topic=world.first)[0] == 404
    assert hub.verify(first, topic=world.second)[0] == 404
    assert hub.verify(first, mode="unsubscribe")[0] == 404
    stranger = HubRequest(
        "subscribe", world.first_topic, world.callback_base + "/websub/x", None, LEASE, 0
    )
    assert hub.verify(stranger)[0] == 404
    assert hub.verify(first, challenge="first-challenge") == (200, b"first-challenge")
    verified_at = time.monotonic()
    assert hub.verify(second, challenge="second-challenge") == (200, b"second-challenge")
    subscriptions = status(world, capsys)
    assert [(s["hub"], s["state"]) for s in subscriptions[world.first]] == [(hub.url, "active")]
    assert subscriptions[world.first][0]["lease_until"]

    # A push with a wrong signature is acknowledged and dropped; a signed one is published
    # within seconds.
    forged = [*FIRST_ITEMS, FeedItem("Forged post", "https://first.example/forged", day(12))]
    assert hub.push(first, first_blog(forged, world), secret="not-the-secret") == 202
    pushed = [*FIRST_ITEMS, FeedItem("Pushed post", "https://first.example/2", day(12))]
    started = time.monotonic()
    assert hub.push(first, first_blog(pushed, world)) == 202
    index = wait_for(service.url("/"), b"Pushed post", timeout=5)
    assert time.monotonic() - started < 5
    assert b"Forged post" not in index
    assert world.site.query("SELECT count(*) FROM entries WHERE title = 'Forged post'") == [(0,)]
    # A signed push to an unknown callback is refused.
    assert hub.push(stranger, first_blog(pushed, world), secret="x") == 404

    # The subscription is renewed (same callback and secret) before its lease ends.
    renewal = hub.wait_for_request("subscribe", world.first_topic, count=2, timeout=LEASE + 2)
    assert renewal.at < verified_at + LEASE
    assert (renewal.callback, renewal.secret) == (first.callback, first.secret)
    assert hub.verify(renewal)[0] == 200

    # The second blog leaves the blogroll: its subscription is ended and, once the hub
    # verifies that, forgotten.
    world.site.write_blogroll([("First Blog", "https://first.example/", world.first)])
    assert world.site.cli("blogroll", "sync") == 0
    ended = hub.wait_for_request("unsubscribe", world.second, timeout=LEASE + 2)
    assert ended.callback == second.callback
    assert hub.verify(ended, challenge="bye") == (200, b"bye")
    deadline = time.monotonic() + 5
    while world.site.query("SELECT count(*) FROM subscriptions") != [(1,)]:
        assert time.monotonic() < deadline, world.site.query("SELECT * FROM subscriptions")
        time.sleep(0.05)
    assert world.site.query("SELECT topic FROM subscriptions") == [(world.first_topic,)]
    assert world.second not in status(world, capsys)

    code, _, output = service.stop()
    assert code == 0
    assert "websub push ignored" in output and "reason=signature" in output
