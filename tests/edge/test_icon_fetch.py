"""Looking for one blog's icon over real HTTP: which candidate wins, what counts as a failure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from aggregator.errors import ResponseTooLarge
from aggregator.fetch.http import Fetcher
from aggregator.fetch.icons import ICON_MAX_BYTES, fetch_icon
from aggregator.models import IconDue, StoredIcon
from aggregator.settings import FetchSettings
from tests.support.server import FeedServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    settings = FetchSettings(
        connect_timeout=2, read_timeout=1, total_timeout=5, allow_networks=("127.0.0.0/8",)
    )
    made = Fetcher(settings, "http://127.0.0.1:8080/")
    yield made
    made.close()


def due(server: FeedServer, feed_icon: str | None = None, **stored: object) -> IconDue:
    kept = None
    if stored:
        kept = StoredIcon(
            source_id=1,
            url=str(stored["url"]),
            content_type="image/png",
            body=PNG,
            etag=stored.get("etag"),  # type: ignore[arg-type]
            last_modified=None,
            checked_at=NOW,
            next_check_at=NOW,
            sha256="0" * 64,
        )
    return IconDue(1, server.url("/feed.xml"), server.url("/blog/"), feed_icon, kept)


def test_the_feed_s_own_icon_comes_before_the_homepage_s(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.serve("/logo.gif", GIF, content_type="image/gif")
    feed_server.serve("/blog/", b'<link rel="icon" href="/i.png">', content_type="text/html")
    feed_server.serve("/i.png", PNG, content_type="image/png")

    found = fetch_icon(fetcher, due(feed_server, feed_server.url("/logo.gif")))

    assert found.result == "found" and found.url == feed_server.url("/logo.gif")
    assert found.image is not None and found.image.kind == "gif"
    assert feed_server.requests_to("/blog/") == []


def test_a_feed_icon_that_is_not_an_image_falls_back_to_the_homepage_s(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.serve("/logo.gif", b"<html>moved</html>", content_type="image/gif")
    feed_server.serve("/blog/", b'<link rel="icon" href="i.png">', content_type="text/html")
    feed_server.serve("/blog/i.png", PNG, content_type="application/octet-stream")

    found = fetch_icon(fetcher, due(feed_server, feed_server.url("/logo.gif")))

    assert found.result == "found" and found.url == feed_server.url("/blog/i.png")
    assert found.image is not None and found.image.content_type == "image/png"


def test_an_svg_icon_is_stored_sanitized(feed_server: FeedServer, fetcher: Fetcher) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
        b'<circle r="4" fill="#c00"/></svg>'
    )
    feed_server.serve("/blog/", b'<link rel="icon" href="/i.svg">', content_type="text/html")
    feed_server.serve("/i.svg", svg, content_type="image/svg+xml")

    found = fetch_icon(fetcher, due(feed_server))

    assert found.image is not None and found.image.kind == "svg"
    assert b"<circle" in found.image.body
    assert b"alert" not in found.image.body and b"script" not in found.image.body


def test_no_icon_anywhere_is_none_and_a_server_in_trouble_is_a_failure(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.serve("/blog/", b"<title>plain</title>", content_type="text/html")

    assert fetch_icon(fetcher, due(feed_server)).result == "none"
    assert len(feed_server.requests_to("/favicon.ico")) == 1

    feed_server.serve("/favicon.ico", b"busy", status=503)
    assert fetch_icon(fetcher, due(feed_server)).result == "failed"


def test_a_stored_icon_is_asked_for_conditionally(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    url = feed_server.serve("/i.png", PNG, content_type="image/png")
    etag = feed_server.routes["/i.png"].etag

    again = fetch_icon(fetcher, due(feed_server, url=url, etag=etag))

    assert again.result == "unchanged"
    (request,) = feed_server.requests_to("/i.png")
    assert request.headers["If-None-Match"] == etag and request.status == 304
    assert feed_server.requests_to("/blog/") == []


def test_the_per_call_size_limit_is_below_the_feed_limit(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    url = feed_server.serve("/big.png", PNG + b"\x00" * ICON_MAX_BYTES, content_type="image/png")

    assert len(fetcher.fetch(url).content) > ICON_MAX_BYTES  # a feed this size is fine
    with pytest.raises(ResponseTooLarge, match=str(ICON_MAX_BYTES)):
        fetcher.fetch(url, max_bytes=ICON_MAX_BYTES)
