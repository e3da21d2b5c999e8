"""Screenshots of the example site for the README: ``docs/screenshots/*.png``.

Builds a demo site in a temporary folder from the project's own example
(``config/aggregator.toml``, ``config/blogroll.md``, ``config/posts``), with each
blog's homepage and feed served by a local server on 127.0.0.1 (nothing is fetched
from elsewhere), then photographs the river and the blogroll in headless Chromium
at 1280 and 390 px wide, light and dark: ``{river,blogroll}-{1280,390}-{light,dark}.png``,
each cropped to the viewport.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--keep FOLDER]

Needs Chromium, chromedriver and selenium, as the browser tests do.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aggregator.cli import main as cli  # noqa: E402
from aggregator.server import Serving, SiteApp, make_server  # noqa: E402
from tests.support.browser import CHROMEDRIVER, CHROMIUM  # noqa: E402
from tests.support.feeds import FeedItem, atom_feed  # noqa: E402
from tests.support.server import FeedServer, running  # noqa: E402

PAGES = {"river": "index.html", "blogroll": "blogroll.html"}
#: width → viewport height: a desktop window and a phone.
WIDTHS = {1280: 900, 390: 844}
SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class DemoBlog:
    """One blog of the example blogroll, as the local server plays it."""

    slug: str
    site_url: str
    feed_url: str | None
    #: An SVG icon its feed names, or None for a letter tile.
    icon: str | None
    titles: tuple[str, ...]
    #: Posts in the last year; the newest is ``fresh_hours`` old.
    count: int
    fresh_hours: float


def _svg(background: str, shape: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<rect width="32" height="32" rx="6" fill="{background}"/>{shape}</svg>'
    )


BLOGS = (
    DemoBlog(
        "xxiivv", "https://wiki.xxiivv.com/site/home.html", "https://wiki.xxiivv.com/links/rss.xml",
        _svg("#111", '<circle cx="16" cy="16" r="8" fill="none" stroke="#fff" stroke-width="3"/>'),
        ("Uxn on a handheld, one year in", "Notes on the Varvara file device",
         "A calendar that fits in 2 kilobytes", "Weathering a storm off the coast",
         "Rewriting the assembler in itself", "Small tools for drawing tiles"),
        14, 3,
    ),
    DemoBlog(
        "100r", "https://100r.co/site/home.html", "https://100r.co/links/rss.xml",
        _svg("#f2e6c9", '<path d="M8 22 16 8l8 14z" fill="#2b2b2b"/>'),
        ("Logbook: crossing to the islands", "Solar panels after six years at sea",
         "Fixing the watermaker, again", "A pantry that keeps for a month"),
        9, 27,
    ),
    DemoBlog(
        "sander", "https://sander.ai/", "https://sander.ai/feed.xml",
        None,
        ("Generative modelling in latent space", "Diffusion is spectral autoregression",
         "Noise schedules considered harmful", "The geometry of guidance"),
        5, 50,
    ),
    DemoBlog(
        "lilian", "https://lilianweng.github.io/", "https://lilianweng.github.io/index.xml",
        _svg("#3b5bdb", '<path d="M10 7v18h12" fill="none" stroke="#fff" stroke-width="4"/>'),
        ("Why we think", "Reward hacking in reinforcement learning",
         "Extrinsic hallucinations in LLMs", "Thinking about high-quality human data"),
        6, 30,
    ),
    DemoBlog(
        "colah", "https://colah.github.io/", "https://colah.github.io/rss.xml",
        None,
        ("Visualizing representations", "Calculus on computational graphs",
         "Understanding convolutions"),
        2, 24 * 40,
    ),
    DemoBlog(
        "optimistic", "https://optimisticunderground.com/", "https://optimisticunderground.com/feed/",
        _svg("#e8590c", '<circle cx="16" cy="16" r="9" fill="#fff"/>'
             '<circle cx="16" cy="16" r="3" fill="#e8590c"/>'),
        ("Five records for a rainy November", "Kenyan benga from a 1978 cassette",
         "The year's list, part one", "A drone record that sounds like a harbour",
         "Library music from Torino"),
        20, 5,
    ),
    DemoBlog(
        "delayed", "https://www.delayed.nyc/", None,
        None,
        ("Sunday morning mix 112", "Sunday morning mix 111", "Three ambient reissues",
         "Club tracks for the long way home"),
        16, 8,
    ),
)  # fmt: skip

EXCERPTS = (
    "What changed since last time, what went wrong on the way, and what I would do "
    "differently next time; with pictures of the bench and links to the notes that helped.",
    "A short one this week. Three things I learned, one I unlearned, and a question I "
    "still cannot answer.",
    "This started as a reply to a letter and grew into a post. Thanks to everyone who "
    "wrote in with corrections.",
    "Long read. I tried to keep the maths to the end, so the first half works without it.",
)

DEMO_POST = """---
title: "A week of slower reading"
date: {date}
tags: [reading, feeds]
excerpt: "What happened when the river replaced the unread count."
---

A week ago I moved every blog I follow onto this page and stopped opening the reader.
"""


def serve_blogs(server: FeedServer, now: datetime) -> dict[str, str]:
    """Serve every demo blog's homepage, feed and icon; returns real URL → local URL."""
    rng = random.Random(12)
    local: dict[str, str] = {}
    for index, blog in enumerate(BLOGS):
        home = server.url(f"/{blog.slug}/")
        feed = server.url(f"/{blog.slug}/feed.xml")
        items = []
        for n in range(blog.count):
            # The newest two are recent, so the first days of the river hold several blogs.
            days = 0.0 if n == 0 else rng.uniform(0.5, 4) if n == 1 else rng.uniform(4, 330)
            age = timedelta(hours=blog.fresh_hours, days=days)
            title = blog.titles[n % len(blog.titles)]
            if n >= len(blog.titles):
                title = f"{title} ({n // len(blog.titles) + 1})"
            excerpt = f"<p>{EXCERPTS[(index + n) % len(EXCERPTS)]}</p>"
            items.append(FeedItem(title, f"{home}{n}.html", now - age, excerpt))
        body = atom_feed(blog.site_url.split("/")[2], home, items)
        body = body.replace(b"<author><name>Feed Author</name></author>", b"")
        if blog.icon:
            icon = server.serve(
                f"/{blog.slug}/icon.svg", blog.icon.encode(), content_type="image/svg+xml"
            )
            body = body.replace(b"<updated>", f"<icon>{icon}</icon><updated>".encode(), 1)
        server.serve(f"/{blog.slug}/feed.xml", body, content_type="application/atom+xml")
        page = (
            f"<!doctype html><html><head><title>{blog.slug}</title>"
            f'<link rel="alternate" type="application/atom+xml" href="{feed}"></head></html>'
        )
        server.serve(f"/{blog.slug}/", page.encode(), content_type="text/html; charset=utf-8")
        local[blog.site_url] = home
        if blog.feed_url:
            local[blog.feed_url] = feed
    return local


def make_demo_site(folder: Path, local: dict[str, str], now: datetime) -> Path:
    """The example site, with the blogroll's blogs on 127.0.0.1; returns its config file."""
    shutil.copytree(REPO / "config" / "posts", folder / "posts")
    shutil.copytree(REPO / "config" / "static", folder / "static")
    (folder / "posts" / "a-week-of-slower-reading.md").write_text(
        DEMO_POST.format(date=(now - timedelta(days=1)).date().isoformat()), encoding="utf-8"
    )
    blogroll = (REPO / "config" / "blogroll.md").read_text(encoding="utf-8")
    # Only link targets: an address written out in a note stays as the owner wrote it.
    for real, here in local.items():
        blogroll = blogroll.replace(f"]({real})", f"]({here})")
    (folder / "blogroll.md").write_text(blogroll, encoding="utf-8")
    config = (REPO / "config" / "aggregator.toml").read_text(encoding="utf-8")
    config = config.replace('dir = "../public"', 'dir = "public"')
    config = re.sub(
        r"\[database\]\n", f'[database]\nurl = "sqlite:///{folder}/demo.sqlite3"\n', config
    )
    config += '\n[fetch]\nallow_networks = ["127.0.0.0/8"]\nconnect_timeout = 2\nread_timeout = 2\n'
    path = folder / "aggregator.toml"
    path.write_text(config, encoding="utf-8")
    return path


def chromium() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-dev-shm-usage"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def photograph(base: str, out: Path) -> list[Path]:
    """Every page at every width in both schemes, cropped to the viewport."""
    out.mkdir(parents=True, exist_ok=True)
    driver = chromium()
    shots = []
    try:
        for width, height in WIDTHS.items():
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            )
            for scheme in SCHEMES:
                driver.execute_cdp_cmd(
                    "Emulation.setEmulatedMedia",
                    {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
                )
                for name, path in PAGES.items():
                    driver.get(base + path)
                    shot = out / f"{name}-{width}-{scheme}.png"
                    shot.write_bytes(driver.get_screenshot_as_png())
                    shots.append(shot)
    finally:
        driver.quit()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, help="build the demo site here and keep it")
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.keep or Path(scratch)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        servers = running("127.0.0.1")
        feeds = next(servers)
        try:
            config = make_demo_site(folder, serve_blogs(feeds, now), now)
            for command in ("refresh", "build"):
                if cli(["--config", str(config), command]) != 0:
                    print(f"aggregator {command} failed", file=sys.stderr)
                    return 1
            server = make_server(
                SiteApp(folder / "public", lambda: {"status": "ok"}), "127.0.0.1", 0
            )
            serving = Serving(server).start()
            try:
                shots = photograph(f"http://127.0.0.1:{server.effective_port}/", args.out)
            finally:
                serving.close()
        finally:
            next(servers, None)  # the generator's end shuts the server down
    for shot in shots:
        name = shot.relative_to(REPO) if shot.is_relative_to(REPO) else shot
        print(f"{name}: {shot.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
