"""A missing page gets the site's own 404 page, in its design, with the 404 status."""

from __future__ import annotations

import http.client

from aggregator.server import Serving, SiteApp, make_server
from tests.support.site import Site


def test_the_built_404_page_is_served_with_status_404(site: Site) -> None:
    assert site.cli("build") == 0
    page = (site.output / "404.html").read_text(encoding="utf-8")
    assert "<h1>Page not found</h1>" in page
    # Served at any depth, so its links start at the site's root, not beside the file.
    assert 'href="/style.css"' in page or 'href="/index.html"' in page

    server = make_server(SiteApp(site.output, lambda: {"status": "ok"}), "127.0.0.1", 0)
    serving = Serving(server).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=5)
        connection.request("GET", "/no/such/page.html")
        response = connection.getresponse()
        body = response.read()
        connection.close()
    finally:
        serving.close()

    assert response.status == 404
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"Page not found" in body
