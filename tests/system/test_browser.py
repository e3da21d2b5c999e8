"""The built site in real headless Chromium, served by the project's own server on 127.0.0.1.

Skips when Chromium or its driver is missing, except under CI (``$CI`` set), where
that is a failure. Screenshots at desktop and phone widths go to ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from aggregator.server import Serving, SiteApp, make_server
from tests.support.browser import ARTIFACTS, SIZES, browser, chromium, requested_urls
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.paths import REPO
from tests.support.server import running
from tests.support.site import make_site

pytestmark = pytest.mark.browser
__all__ = ["browser", "chromium"]  # the fixtures, shared with the other browser tests


# Markup a hostile feed might send, in the title, the excerpt and the content.
HOSTILE_TITLE = '<img src=x onerror="window.__owned=1">Sneaky <script>window.__owned=2</script>'
HOSTILE_HTML = (
    "<p>Innocent words.</p><script>window.__owned=3</script>"
    '<img src="http://127.0.0.1:9/x.png" onerror="window.__owned=4">'
    '<a href="javascript:window.__owned=5">click</a>'
    '<svg onload="window.__owned=6"></svg><iframe src="javascript:parent.__owned=7"></iframe>'
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site built from a feed on 127.0.0.1 that carries hostile HTML, served by SiteApp.

    The tests only read it, so one build serves the whole module.
    """
    tmp_path = tmp_path_factory.mktemp("served")
    site = make_site(tmp_path / "site", f"sqlite:///{tmp_path / 'db' / 'aggregator.sqlite3'}")
    feed_server = next(servers := running("127.0.0.1"))
    items = [
        FeedItem(HOSTILE_TITLE, "https://hostile.example/1", day(9), HOSTILE_HTML, author="Mal"),
        FeedItem("A calm entry", "https://calm.example/1", day(8), "<p>Calm.</p>"),
    ]
    gone = feed_server.url("/a-rather-long-folder/with/a-feed-that-went-away-for-good.xml")
    site.write_blogroll(
        [
            feed_server.blog("Mixed Blog", "https://mixed.example/", "/feed.xml", rss2_feed, items),
            ("A blog with a rather long name that is gone", "https://gone.example/", gone),
        ]
    )
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    server = make_server(SiteApp(site.output, lambda: {"status": "ok"}), "127.0.0.1", 0)
    serving = Serving(server).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        serving.close()
        servers.close()


PAGES = {
    "river": "index.html",
    "blogroll": "blogroll.html",
    "post": "posts/hello-hugo/",
    "blog": "blogs/mixed-blog/index.html",
    "status": "status.html",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly_executes_nothing_and_stays_on_this_host(
    browser: Any, served: str, name: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        browser.set_window_size(width, height)
        browser.get(served + PAGES[name])
        browser.find_element("css selector", "main h1")
        browser.save_screenshot(str(ARTIFACTS / f"{name}-{size}.png"))

        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
        assert browser.execute_script("return window.__owned === undefined")
        others = [
            url
            for url in requested_urls(browser)
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname != "127.0.0.1"
        ]
        assert others == []
    assert (ARTIFACTS / f"{name}-phone.png").stat().st_size > 1000


def test_the_hostile_title_shows_as_text(browser: Any, served: str) -> None:
    browser.get(served + "index.html")

    titles = [h.text for h in browser.find_elements("css selector", ".item h3")]

    # Markup in a title is the title's text: shown as written, never turned into elements.
    assert HOSTILE_TITLE in titles
    assert browser.find_elements("css selector", "main img, main script, main iframe") == []


def test_the_page_needs_no_javascript_and_has_landmarks(browser: Any, served: str) -> None:
    browser.get(served + "blogroll.html")

    for selector in ("header", "nav", "main", "footer", "h1"):
        assert browser.find_elements("css selector", selector), selector
    assert browser.find_elements("css selector", "script") == []
    # The phone layout does not scroll sideways.
    browser.set_window_size(*SIZES["phone"])
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_the_status_page_is_one_card_per_blog_at_phone_width(browser: Any, served: str) -> None:
    browser.set_window_size(*SIZES["phone"])
    browser.get(served + "status.html")

    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    rows = browser.find_elements("css selector", "table.status tbody tr")
    assert len(rows) == 2
    assert {row.value_of_css_property("display") for row in rows} == {"block"}
    # A date never wraps: each <time> is one line high.
    for time in browser.find_elements("css selector", "table.status time"):
        assert time.size["height"] < 2 * float(time.value_of_css_property("font-size")[:-2]) * 1.2
    assert "HTTP 404" in browser.find_element("css selector", "main").text


# -- an own post that uses every feature ------------------------------------------------------

POST_FIXTURE = REPO / "tests" / "data" / "posts" / "site"


@pytest.fixture(scope="module")
def served_post(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The golden fixture post built into a site whose URL is the server's own, so its
    absolute links to its pictures load from where it is served."""
    tmp_path = tmp_path_factory.mktemp("served_post")
    site = make_site(tmp_path / "site", f"sqlite:///{tmp_path / 'db' / 'aggregator.sqlite3'}")
    shutil.rmtree(site.posts)
    shutil.copytree(POST_FIXTURE / "posts", site.posts)
    shutil.copytree(POST_FIXTURE / "static", site.root / "static")
    server = make_server(SiteApp(site.output, lambda: {"status": "ok"}), "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.effective_port}/"
    config = site.config.read_text(encoding="utf-8")
    site.config.write_text(config.replace("http://127.0.0.1:8080/", url), encoding="utf-8")
    assert site.cli("build") == 0
    serving = Serving(server).start()
    try:
        yield url
    finally:
        serving.close()


def test_the_post_with_every_feature_loads_cleanly_from_this_host_only(
    browser: Any, served_post: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        browser.set_window_size(width, height)
        browser.get(served_post + "posts/kitchen-sink/")
        browser.find_element("css selector", "main h1")
        browser.save_screenshot(str(ARTIFACTS / f"post-features-{size}.png"))

        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert errors == [], errors
        others = [
            url
            for url in requested_urls(browser)
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname != "127.0.0.1"
        ]
        assert others == []
        assert browser.find_elements("css selector", "script") == []


def test_the_posts_pictures_formulas_and_contents_render(browser: Any, served_post: str) -> None:
    browser.get(served_post + "posts/kitchen-sink/")
    # Lazy pictures load once scrolled to.
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")

    widths = browser.execute_script(
        "return [...document.querySelectorAll('main img')].map(i => i.complete && i.naturalWidth)"
    )
    assert len(widths) == 3 and all(widths), widths
    math = browser.execute_script(
        "return [...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().width)"
    )
    assert len(math) == 4 and all(w > 0 for w in math), math
    contents = browser.find_element("css selector", "nav.toc details")
    assert contents.get_attribute("open") is None
    browser.find_element("css selector", "nav.toc summary").click()
    assert contents.get_attribute("open") is not None


def test_code_is_coloured_by_the_light_and_the_dark_palette(browser: Any, served_post: str) -> None:
    script = "return getComputedStyle(document.querySelector('pre.highlight .k')).color"
    browser.get(served_post + "posts/kitchen-sink/")
    colours = {}
    try:
        for scheme in ("light", "dark"):
            browser.execute_cdp_cmd(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            )
            colours[scheme] = browser.execute_script(script)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

    body = browser.execute_script("return getComputedStyle(document.body).color")
    assert colours["light"] != colours["dark"]
    assert body not in colours.values()


def test_an_old_address_leads_to_the_post(browser: Any, served_post: str) -> None:
    browser.get(served_post + "old/kitchen-sink/")

    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/posts/kitchen-sink/"))
    assert browser.find_element("css selector", "main h1").text == "Everything a post can hold"
