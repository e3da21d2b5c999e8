"""Requests to WebSub hubs go through the Fetcher's guard: address check, limits, no redirects."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from aggregator.errors import AddressRefused, HTTPStatusError, ResponseTooLarge
from aggregator.fetch.http import Fetcher
from aggregator.settings import FetchSettings
from tests.support.server import FeedServer

SITE = "http://127.0.0.1:8080/"


def fetcher(**values: object) -> Fetcher:
    return Fetcher(FetchSettings(**values), SITE)  # type: ignore[arg-type]


FORM = {"hub.mode": "publish", "hub.url": "http://127.0.0.1:8080/feed.xml"}


def test_a_form_is_posted_and_the_hub_sees_it(feed_server: FeedServer) -> None:
    hub = feed_server.serve("/hub", b"", status=202)
    assert fetcher(allow_networks=("127.0.0.0/8",)).post_form(hub, FORM) == 202
    (seen,) = feed_server.requests_to("/hub")
    assert seen.method == "POST"
    assert {k: v[0] for k, v in parse_qs(seen.body.decode()).items()} == FORM


def test_a_hub_on_a_refused_address_is_never_contacted(feed_server: FeedServer) -> None:
    hub = feed_server.serve("/hub", b"", status=202)
    with pytest.raises(AddressRefused):
        fetcher().post_form(hub, FORM)
    assert not feed_server.requests_to("/hub")


def test_a_redirect_or_an_error_is_a_failure(feed_server: FeedServer) -> None:
    moved = feed_server.serve("/moved", b"", status=307, headers={"Location": "/hub"})
    broken = feed_server.serve("/broken", b"no", status=500)
    loopback = fetcher(allow_networks=("127.0.0.0/8",))
    for url, status in ((moved, 307), (broken, 500)):
        with pytest.raises(HTTPStatusError) as caught:
            loopback.post_form(url, FORM)
        assert caught.value.status == status
    assert not feed_server.requests_to("/hub")


def test_a_hub_answer_over_the_size_limit_is_cut_off(feed_server: FeedServer) -> None:
    hub = feed_server.serve("/hub", b"x" * 5000, status=200)
    with pytest.raises(ResponseTooLarge):
        fetcher(allow_networks=("127.0.0.0/8",), max_bytes=1000).post_form(hub, FORM)
