"""The built-in server: Content-Types, conditional requests and gzip, over real HTTP."""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Iterator

import pytest

from aggregator.server import Serving, SiteApp, make_server

PAGE = b"<!DOCTYPE html><title>x</title>" + b"<p>river item</p>" * 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """One server for the module: the tests only read from it, and closing one takes a second."""
    root = tmp_path_factory.mktemp("public")
    (root / "index.html").write_bytes(PAGE)
    (root / "feed.xml").write_bytes(b'<feed xmlns="http://www.w3.org/2005/Atom"/>' * 20)
    (root / "feed.json").write_bytes(b'{"version": "https://jsonfeed.org/version/1.1"}')
    (root / "blogroll.opml").write_bytes(b'<opml version="2.0"/>')
    (root / "style.css").write_bytes(b"body { margin: 0 }")
    srv = make_server(SiteApp(root, lambda: {"status": "ok"}), "127.0.0.1", 0)
    serving = Serving(srv).start()
    try:
        yield "127.0.0.1", srv.effective_port
    finally:
        serving.close()


def request(
    server: tuple[str, int], path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*server, timeout=5)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        # Header names are case-insensitive; compare them in one spelling.
        headers = {name.title(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feed.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/blogroll.opml", "text/x-opml; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
    ],
)
def test_each_kind_of_file_has_its_content_type(
    server: tuple[str, int], path: str, content_type: str
) -> None:
    status, headers, _ = request(server, path)

    assert status == 200
    assert headers["Content-Type"] == content_type


def test_gzip_is_used_when_the_client_accepts_it(server: tuple[str, int]) -> None:
    status, headers, body = request(server, "/index.html", {"Accept-Encoding": "gzip, br"})

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert int(headers["Content-Length"]) == len(body) < len(PAGE)
    assert gzip.decompress(body) == PAGE


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br"])
def test_no_gzip_unless_accepted(server: tuple[str, int], accept: str | None) -> None:
    headers = {"Accept-Encoding": accept} if accept else {"Accept-Encoding": ""}

    status, response_headers, body = request(server, "/index.html", headers)

    assert status == 200
    assert "Content-Encoding" not in response_headers
    assert body == PAGE


def test_gzipped_and_plain_bodies_have_different_etags(server: tuple[str, int]) -> None:
    _, plain, _ = request(server, "/index.html")
    _, zipped, _ = request(server, "/index.html", {"Accept-Encoding": "gzip"})

    assert plain["Etag"] != zipped["Etag"]


@pytest.mark.parametrize("gzip_ok", [False, True], ids=["plain", "gzip"])
def test_a_matching_etag_gets_304_without_a_body(server: tuple[str, int], gzip_ok: bool) -> None:
    base = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    _, headers, _ = request(server, "/feed.xml", base)

    status, again, body = request(server, "/feed.xml", {**base, "If-None-Match": headers["Etag"]})

    assert status == 304
    assert body == b""
    assert again["Etag"] == headers["Etag"]


def test_if_modified_since_gets_304_and_an_older_date_gets_the_file(
    server: tuple[str, int],
) -> None:
    _, headers, _ = request(server, "/feed.json")

    fresh = request(server, "/feed.json", {"If-Modified-Since": headers["Last-Modified"]})
    stale = request(server, "/feed.json", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})

    assert fresh[0] == 304
    assert stale[0] == 200


def test_head_sends_headers_only(server: tuple[str, int]) -> None:
    status, headers, body = request(server, "/index.html", method="HEAD")

    assert status == 200
    assert body == b""
    assert headers["Content-Length"] == str(len(PAGE))
