"""WebSub subscriber edges: the callback over real HTTP on a real store (signatures, size
cap, states), and the upkeep against a hub that fails."""

from __future__ import annotations

import hashlib
import hmac
import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from aggregator.app import App
from aggregator.server import Serving, SiteApp, make_server
from aggregator.settings import load_settings
from aggregator.websub.callback import Callback
from tests.support.feeds import FeedItem, atom_feed, day
from tests.support.hub import LocalHub
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


@dataclass
class Subscriber:
    app: App
    address: tuple[str, int]
    hub: LocalHub
    feed_url: str
    stored: list[int]
    verified: list[int]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SiteApp, tuple[str, int]]]:
    """One server for the module (closing one takes a second); each test plugs its callback."""
    site_app = SiteApp(Path("/nonexistent"), lambda: {"status": "ok"})
    server = make_server(site_app, "127.0.0.1", 0)
    serving = Serving(server).start()
    try:
        yield site_app, ("127.0.0.1", int(server.effective_port))
    finally:
        serving.close()


@pytest.fixture
def subscriber(
    site: Site, feed_server: FeedServer, served: tuple[SiteApp, tuple[str, int]]
) -> Iterator[Subscriber]:
    hub = LocalHub(feed_server)
    items = [FeedItem("Polled post", "https://blog.example/1", day(9))]
    feed_url = feed_server.serve(
        "/feed.xml", atom_feed("Blog", "https://blog.example/", items, hub=hub.url)
    )
    site.write_blogroll([("Blog", "https://blog.example/", feed_url)])
    site.append_config(
        '[websub]\nsubscribe = true\ncallback_url = "http://127.0.0.1:8080/"\nlease_seconds = 3600'
    )
    site.set_fetch(max_bytes=50_000)
    stored: list[int] = []
    verified: list[int] = []
    with App(load_settings(site.config), clock=lambda: NOW) as app:
        assert app.refresh().count("ok") == 1
        callback = Callback(
            app.settings,
            app.store,
            app.clock,
            verified=lambda: verified.append(1),
            stored=lambda: stored.append(1),
        )
        site_app, address = served
        site_app.websub = callback
        try:
            yield Subscriber(app, address, hub, feed_url, stored, verified)
        finally:
            site_app.websub = None


def call(
    subscriber: Subscriber,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(*subscriber.address, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def subscribed(subscriber: Subscriber) -> str:
    """Subscribe and verify; returns the callback's path."""
    assert subscriber.app.subscriptions is not None
    assert subscriber.app.subscriptions.run().sent == 1
    request = subscriber.hub.wait_for_request("subscribe", subscriber.feed_url)
    path = urlsplit(request.callback).path
    query = {
        "hub.mode": "subscribe",
        "hub.topic": subscriber.feed_url,
        "hub.challenge": "xyz",
        "hub.lease_seconds": "600",
    }
    assert call(subscriber, "GET", f"{path}?{urlencode(query)}") == (200, b"xyz")
    return path


def signed(secret: str, body: bytes, method: str = "sha256") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
    return {"X-Hub-Signature": f"{method}={digest}", "Content-Type": "application/atom+xml"}


def titles(subscriber: Subscriber) -> set[str]:
    return {e.title for e in subscriber.app.store.recent_entries(50)}


def pushed(*titles: str) -> bytes:
    items = [FeedItem(t, f"https://blog.example/{i}", day(10 + i)) for i, t in enumerate(titles)]
    return atom_feed("Blog", "https://blog.example/", items)


def test_a_verified_subscription_has_the_lease_the_hub_granted(subscriber: Subscriber) -> None:
    subscribed(subscriber)
    [sub] = subscriber.app.store.list_subscriptions()
    assert (sub.state, sub.lease_until, sub.lease_seconds) == (
        "active",
        NOW + timedelta(seconds=600),
        600,
    )
    assert subscriber.verified == [1]
    [source] = subscriber.app.store.list_sources()
    assert source.subscribed


def test_a_push_signed_with_sha1_is_stored_once_and_the_site_told(subscriber: Subscriber) -> None:
    path = subscribed(subscriber)
    [sub] = subscriber.app.store.list_subscriptions()
    body = pushed("Pushed with sha1")
    assert call(subscriber, "POST", path, body, signed(sub.secret, body, "sha1"))[0] == 202
    assert "Pushed with sha1" in titles(subscriber)
    assert subscriber.stored == [1]
    # The same content again changes nothing, and asks for no build.
    assert call(subscriber, "POST", path, body, signed(sub.secret, body))[0] == 202
    assert subscriber.stored == [1]


def test_an_oversized_push_is_refused_unread(subscriber: Subscriber) -> None:
    path = subscribed(subscriber)
    [sub] = subscriber.app.store.list_subscriptions()
    big = FeedItem("Too big", "https://blog.example/big", day(12), html="<p>word</p>" * 6000)
    body = atom_feed("Blog", "https://blog.example/", [big])
    assert len(body) > 50_000
    assert call(subscriber, "POST", path, body, signed(sub.secret, body))[0] == 413
    assert "Too big" not in titles(subscriber)


def test_pushes_before_verification_or_unsigned_are_dropped(subscriber: Subscriber) -> None:
    assert subscriber.app.subscriptions is not None
    subscriber.app.subscriptions.run()
    [sub] = subscriber.app.store.list_subscriptions()
    path = f"/websub/{sub.token}"
    body = pushed("Too early")
    assert call(subscriber, "POST", path, body, signed(sub.secret, body))[0] == 202
    assert call(subscriber, "POST", path, body, {"Content-Type": "application/atom+xml"})[0] == 202
    assert "Too early" not in titles(subscriber)
    assert subscriber.stored == []
    assert call(subscriber, "PUT", path, body)[0] == 405


def test_a_refusal_by_the_hub_is_recorded(subscriber: Subscriber) -> None:
    assert subscriber.app.subscriptions is not None
    subscriber.app.subscriptions.run()
    [sub] = subscriber.app.store.list_subscriptions()
    query = {"hub.mode": "denied", "hub.topic": sub.topic, "hub.reason": "not allowed"}
    assert call(subscriber, "GET", f"/websub/{sub.token}?{urlencode(query)}")[0] == 200
    [sub] = subscriber.app.store.list_subscriptions()
    assert (sub.state, sub.last_error) == ("denied", "denied by the hub: not allowed")


def test_a_failing_hub_is_recorded_and_asked_again(
    subscriber: Subscriber, feed_server: FeedServer
) -> None:
    upkeep = subscriber.app.subscriptions
    assert upkeep is not None
    feed_server.serve("/hub", b"down", status=500)
    outcome = upkeep.run()
    assert (outcome.sent, outcome.failed) == (0, 1)
    [sub] = subscriber.app.store.list_subscriptions()
    assert (sub.state, sub.failures) == ("requested", 1)
    assert "HTTP 500" in (sub.last_error or "")

    feed_server.serve("/hub", b"", status=202)
    assert (upkeep.run().sent, upkeep.run().sent) == (1, 0)
    [again] = subscriber.app.store.list_subscriptions()
    assert (again.token, again.secret, again.failures) == (sub.token, sub.secret, 0)
    # The same subscription was asked for twice, with the same callback and secret.
    requests = subscriber.hub.requests()
    assert len(requests) == 2 and requests[0].callback == requests[1].callback


def test_a_feed_that_stops_naming_the_hub_is_unsubscribed(
    subscriber: Subscriber, feed_server: FeedServer, site: Site
) -> None:
    subscribed(subscriber)
    upkeep = subscriber.app.subscriptions
    assert upkeep is not None
    items = [FeedItem("Polled post", "https://blog.example/1", day(9))]
    feed_server.serve("/feed.xml", atom_feed("Blog", "https://blog.example/", items))
    assert subscriber.app.refresh(every=True).count("ok") == 1
    assert upkeep.run().sent == 1
    ended = subscriber.hub.wait_for_request("unsubscribe", subscriber.feed_url)
    [sub] = subscriber.app.store.list_subscriptions()
    assert sub.state == "unsubscribing"
    assert urlsplit(ended.callback).path == f"/websub/{sub.token}"
    query = {"hub.mode": "unsubscribe", "hub.topic": sub.topic, "hub.challenge": "bye"}
    assert call(subscriber, "GET", f"/websub/{sub.token}?{urlencode(query)}") == (200, b"bye")
    assert subscriber.app.store.list_subscriptions() == []
    assert not subscriber.app.store.list_sources()[0].subscribed


def test_status_names_each_source_s_subscription(
    subscriber: Subscriber, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    subscribed(subscriber)
    capsys.readouterr()
    assert site.cli("status") == 0
    line = capsys.readouterr().out
    assert f"websub=active hub={subscriber.hub.url}" in line
    assert "lease_until=" in line


def test_a_subscribed_blog_is_still_polled_at_the_longest_interval(subscriber: Subscriber) -> None:
    path = subscribed(subscriber)
    [sub] = subscriber.app.store.list_subscriptions()
    # Fourteen posts this week call for a check every twelve hours, were it not subscribed.
    items = [
        FeedItem(f"Busy post {i}", f"https://blog.example/busy/{i}", NOW - timedelta(hours=i))
        for i in range(14)
    ]
    body = atom_feed("Blog", "https://blog.example/", items)
    assert call(subscriber, "POST", path, body, signed(sub.secret, body))[0] == 202
    [source] = subscriber.app.store.list_sources()
    assert source.interval == timedelta(hours=12)
    assert source.next_check_at is not None
    assert source.next_check_at - NOW >= timedelta(days=1) * 0.9
