"""Every kind of page in real headless Chromium, light and dark, checked by axe-core.

The site is served by ``aggregator run`` itself (so ``/search`` answers too), built
from a local feed, the owner's posts and one failing blog. axe-core must report no
serious or critical violation, contrast included; nothing loads from another host;
no page scrolls sideways at phone width.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.browser import (
    ARTIFACTS,
    SIZES,
    axe_violations,
    browser,
    chromium,
    color_scheme,
    requested_urls,
)
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.service import Service, free_port, wait_for
from tests.support.site import make_site

pytestmark = pytest.mark.browser
__all__ = ["browser", "chromium"]  # the fixtures

ITEMS = [
    FeedItem(
        f"Garden diary {n}", f"https://garden.example/{n}", day(n), f"<p>Day {n} of tomatoes.</p>"
    )
    for n in range(1, 9)
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.support.server import running

    tmp_path: Path = tmp_path_factory.mktemp("a11y")
    servers = running("127.0.0.1")
    feeds: FeedServer = next(servers)
    port = free_port()
    site = make_site(tmp_path / "site", f"sqlite:///{tmp_path / 'db.sqlite3'}", port=port)
    site.write_blogroll(
        [
            feeds.blog("Garden Diary", "https://garden.example/", "/garden.xml", rss2_feed, ITEMS),
            ("Gone Quiet", "https://quiet.example/", feeds.url("/missing.xml")),
        ]
    )
    running_service = Service(site, port)
    try:
        wait_for(running_service.url("/"), b"Garden diary 8")
        yield running_service.url("/")
    finally:
        running_service.process.terminate()
        running_service.process.wait(timeout=20)
        servers.close()


PAGES = {
    "river": "",
    "blogroll": "blogroll.html",
    "blog": "blogs/garden-diary/",
    "post": "posts/hello-hugo/",
    "status": "status.html",
    "search": "search?q=tomatoes",
    "not-found": "no/such/page/",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_passes_axe_and_loads_only_from_this_host(
    browser: Any, service: str, name: str, scheme: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    color_scheme(browser, scheme)
    for size, (width, height) in SIZES.items():
        browser.set_window_size(width, height)
        browser.get(service + PAGES[name])
        browser.find_element("css selector", "main h1")
        browser.save_screenshot(str(ARTIFACTS / f"a11y-{name}-{scheme}-{size}.png"))
        assert axe_violations(browser) == [], (name, scheme, size)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (name, size, "scrolls sideways")
    host = urlsplit(service).netloc
    for url in requested_urls(browser):
        if not url.startswith(("data:", "about:")):
            assert urlsplit(url).netloc == host, (name, url)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    if name == "not-found":  # the 404 status itself is logged by Chromium
        errors = [e for e in errors if "404" not in e["message"]]
    assert errors == [], (name, errors)


def test_search_results_mark_the_words_and_need_no_script(browser: Any, service: str) -> None:
    browser.get(service + "search?q=tomatoes")
    marks = browser.find_elements("css selector", "main mark")
    assert marks and all(m.text.lower() == "tomatoes" for m in marks)
    assert browser.find_elements("css selector", "script") == []
