"""`/search` when the database does not answer, and a site built with `[site] search = false`."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.app import App
from aggregator.server import Serving
from aggregator.settings import load_settings
from tests.support.service import free_port
from tests.support.site import Site, make_site


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def away(tmp_path: Path) -> Iterator[int]:
    """The service's web server, its PostgreSQL database at an address nobody listens on."""
    port = free_port()
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"
    site = make_site(tmp_path / "site", nobody, port=port)
    app = App(load_settings(site.config), lambda: datetime(2026, 3, 9, tzinfo=UTC), upgrade=False)
    serving = Serving(app.site_server(lambda: {}, lambda: (False, {}), lambda: b"")).start()
    try:
        yield port
    finally:
        serving.close()
        app.close()


def test_search_without_its_database_is_a_503_page_in_the_site_design(away: int) -> None:
    status, page = get(away, "/search?q=marmalade")
    assert status == 503
    assert "Search is unavailable for a moment" in page
    assert 'href="/style.css"' in page
    assert 'value="marmalade"' in page


def test_an_empty_search_needs_no_database(away: int) -> None:
    status, page = get(away, "/search")
    assert status == 200
    assert 'name="q"' in page and "unavailable" not in page


def search_off(site: Site) -> None:
    text = site.config.read_text().replace("[site]\n", "[site]\nsearch = false\n", 1)
    site.config.write_text(text)


def test_a_site_for_a_static_host_has_no_search_box(site: Site) -> None:
    assert site.cli("build") == 0
    assert 'role="search"' in (site.output / "index.html").read_text()

    search_off(site)
    assert site.cli("build") == 0
    for page in ("index.html", "blogroll.html", "posts/hello-hugo/index.html", "404.html"):
        text = (site.output / page).read_text()
        assert 'role="search"' not in text and "search" not in text.lower().split("<main")[0]
