"""The built-in server and the published icons: cached for good, SVG sandboxed, over real HTTP."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest

from aggregator.server import Serving, SiteApp, make_server

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'


def request(server: tuple[str, int], path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*server, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        headers = {name.title(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    root = tmp_path_factory.mktemp("public")
    (root / "icons").mkdir()
    (root / "icons" / "3-0123abcd.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "icons" / "4-89abcdef.svg").write_bytes(SVG)
    (root / "index.html").write_bytes(b"<!DOCTYPE html><title>x</title>")
    srv = make_server(SiteApp(root, lambda: {"status": "ok"}), "127.0.0.1", 0)
    serving = Serving(srv).start()
    try:
        yield "127.0.0.1", srv.effective_port
    finally:
        serving.close()


def test_an_icon_s_name_changes_with_its_bytes_so_browsers_keep_it_for_good(
    server: tuple[str, int],
) -> None:
    status, headers, body = request(server, "/icons/3-0123abcd.png")

    assert status == 200 and body.startswith(b"\x89PNG")
    assert headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    _, page_headers, _ = request(server, "/index.html")
    assert page_headers["Cache-Control"] == "public, max-age=300"


def test_an_svg_opened_on_its_own_runs_nothing(server: tuple[str, int]) -> None:
    status, headers, _ = request(server, "/icons/4-89abcdef.svg")

    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
