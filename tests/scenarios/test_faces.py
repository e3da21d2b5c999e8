"""Faces end to end: blogs on their own local hosts → refresh → build → every blog has a face.

Five blogs, each on a loopback address of its own (``/favicon.ico`` belongs to a
host): one whose homepage declares its icon, one with only ``/favicon.ico``,
one with no icon at all, one whose "icon" is an HTML page and one whose icon
is 5 MB. The first two are published as files of the site itself and shown on
the river and the blogroll; the other three get a letter tile; and no page
loads anything from another host.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from aggregator.publish.faces import tile_colour
from tests.support.feeds import FeedItem, atom_feed, day
from tests.support.server import FeedServer, running
from tests.support.site import Site


def png(rgb: tuple[int, int, int], side: int = 32) -> bytes:
    """A real PNG of one colour, so that a browser draws it too."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def ico(image: bytes, side: int = 32) -> bytes:
    """An ICO file holding one PNG image (as favicons often are)."""
    entry = struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(image), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + image


PNG = png((200, 60, 40))
ICO = ico(png((40, 120, 200)))
HUGE = b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024)
NOT_FOUND_PAGE = b"<!doctype html><html><body><h1>Nothing here</h1></body></html>"


def homepage(title: str, head: str = "") -> bytes:
    page = f"<!doctype html><html><head><title>{title}</title>{head}</head><body></body></html>"
    return page.encode()


@dataclass
class Blog:
    name: str
    server: FeedServer

    @property
    def home(self) -> str:
        return self.server.url("/")

    def serve(self, head: str = "") -> tuple[str, str, str]:
        """The homepage (with ``head`` in it) and a feed of one entry; the blogroll's row."""
        self.server.serve("/", homepage(self.name, head), content_type="text/html")
        items = [FeedItem(f"{self.name} writes", self.server.url("/post"), day(3))]
        feed = self.server.serve("/feed.xml", atom_feed(self.name, self.home, items))
        return (self.name, self.home, feed)


@pytest.fixture
def hosts() -> Iterator[list[FeedServer]]:
    """Five web servers, each on its own loopback address: five hosts."""
    with ExitStack() as stack:
        yield [stack.enter_context(contextmanager(running)(f"127.0.0.{n}")) for n in range(11, 16)]


@pytest.fixture
def blogs(site: Site, hosts: list[FeedServer]) -> dict[str, Blog]:
    declared, favicon, plain, html, huge = (
        Blog(name, server)
        for name, server in zip(
            ["Declared", "Favicon", "Nothing", "Pretender", "Heavy"], hosts, strict=True
        )
    )
    rows = [
        declared.serve('<link rel="icon" href="/static/face.png" sizes="32x32">'),
        favicon.serve(),
        plain.serve(),
        html.serve('<link rel="icon" href="/face.png">'),
        huge.serve('<link rel="apple-touch-icon" href="/touch.png">'),
    ]
    declared.server.serve("/static/face.png", PNG, content_type="image/png")
    favicon.server.serve("/favicon.ico", ICO, content_type="image/vnd.microsoft.icon")
    # An "icon" that is the site's error page, served as if it were an image.
    html.server.serve("/face.png", NOT_FOUND_PAGE, content_type="image/png")
    html.server.serve("/favicon.ico", NOT_FOUND_PAGE, content_type="text/html")
    huge.server.serve("/touch.png", HUGE, content_type="image/png")
    site.write_blogroll(rows)
    site.set_fetch(icons=True)
    return {b.name: b for b in (declared, favicon, plain, html, huge)}


def refresh_and_build(site: Site) -> None:
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0


def source_id(site: Site, name: str) -> int:
    ((found,),) = site.query("SELECT id FROM sources WHERE title = :t", t=name)
    assert isinstance(found, int)
    return found


def published_icons(site: Site) -> dict[str, bytes]:
    folder = site.output / "icons"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def face_of(page: Path, name: str) -> lxml_html.HtmlElement:
    """The face drawn right before the blog's name on a page (the first such)."""
    tree = lxml_html.fromstring(page.read_bytes())
    for link in tree.iter("a"):
        if link.text_content().strip() == name:
            face = link.getprevious()
            if face is not None and "face" in face.get("class", "").split():
                return face
    raise AssertionError(f"{page.name}: no face beside {name}")


def test_the_icons_found_are_published_on_the_site_and_shown(
    site: Site, blogs: dict[str, Blog]
) -> None:
    refresh_and_build(site)

    declared, favicon = source_id(site, "Declared"), source_id(site, "Favicon")
    icons = published_icons(site)
    assert set(icons) == {
        f"{declared}-{_sha8(PNG)}.png",
        f"{favicon}-{_sha8(ICO)}.ico",
    }
    assert icons[f"{declared}-{_sha8(PNG)}.png"] == PNG
    assert icons[f"{favicon}-{_sha8(ICO)}.ico"] == ICO
    for page in ("index.html", "blogroll.html"):
        assert face_of(site.output / page, "Declared").get("src") == (
            f"icons/{declared}-{_sha8(PNG)}.png"
        )
        assert face_of(site.output / page, "Favicon").get("src") == (
            f"icons/{favicon}-{_sha8(ICO)}.ico"
        )


@pytest.mark.parametrize("name", ["Nothing", "Pretender", "Heavy"])
def test_a_blog_without_a_usable_icon_gets_its_letter_tile(
    site: Site, blogs: dict[str, Blog], name: str
) -> None:
    refresh_and_build(site)

    for page in ("index.html", "blogroll.html"):
        tile = face_of(site.output / page, name)
        assert tile.tag == "span" and "face-letter" in tile.get("class", "")
        assert tile.text_content() == name[0]
        assert tile_colour(blogs[name].home) in tile.get("style", "")
    assert not any(n.startswith(f"{source_id(site, name)}-") for n in published_icons(site))


def test_an_icon_never_makes_a_blog_look_broken(site: Site, blogs: dict[str, Blog]) -> None:
    refresh_and_build(site)

    for status in site.status().values():
        assert status["result"] == "ok" and status["state"] == "ok", status
        assert status["last_error"] is None, status


def test_the_5_mb_icon_is_refused_without_being_downloaded(
    site: Site, blogs: dict[str, Blog]
) -> None:
    refresh_and_build(site)

    (request,) = blogs["Heavy"].server.requests_to("/touch.png")
    assert request.status == 200  # answered, but the body was not read past its length


def test_no_page_loads_anything_from_another_host(site: Site, blogs: dict[str, Blog]) -> None:
    refresh_and_build(site)

    pages = sorted(site.output.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        for url in resources_of(page):
            if url.startswith("data:"):
                continue  # inline: loaded from no host at all
            base = urljoin("http://127.0.0.1:8080/", page.relative_to(site.output).as_posix())
            assert urlsplit(urljoin(base, url)).netloc == "127.0.0.1:8080", (page.name, url)


def test_an_unchanged_icon_is_asked_for_conditionally_a_week_later(
    site: Site, blogs: dict[str, Blog]
) -> None:
    refresh_and_build(site)
    before = published_icons(site)

    a_week_passed(site)
    refresh_and_build(site)

    first, again = blogs["Declared"].server.requests_to("/static/face.png")
    assert "If-None-Match" not in first.headers
    assert again.headers.get("If-None-Match") and again.status == 304
    assert published_icons(site) == before


def test_a_new_icon_gets_a_new_name_and_the_old_file_goes(
    site: Site, blogs: dict[str, Blog]
) -> None:
    refresh_and_build(site)
    declared = source_id(site, "Declared")
    old = f"{declared}-{_sha8(PNG)}.png"
    assert old in published_icons(site)

    newer = png((20, 160, 90))
    blogs["Declared"].server.serve("/static/face.png", newer, content_type="image/png")
    a_week_passed(site)
    refresh_and_build(site)

    icons = published_icons(site)
    assert old not in icons
    assert icons[f"{declared}-{_sha8(newer)}.png"] == newer
    src = face_of(site.output / "index.html", "Declared").get("src")
    assert src == f"icons/{declared}-{_sha8(newer)}.png"


def test_without_icons_every_blog_gets_a_tile_and_nothing_is_asked(
    site: Site, blogs: dict[str, Blog]
) -> None:
    site.set_fetch(icons=False)
    refresh_and_build(site)

    assert published_icons(site) == {}
    assert blogs["Declared"].server.requests_to("/static/face.png") == []
    assert face_of(site.output / "index.html", "Declared").tag == "span"


def a_week_passed(site: Site) -> None:
    """Every icon due again, as it is a week after its check."""
    site.query("UPDATE icons SET next_check_at = checked_at")


#: Attributes that make a browser load something (a plain link <a href> only navigates).
_LOADING = ("src", "srcset", "href", "poster", "data", "action", "formaction")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def resources_of(page: Path) -> Iterator[str]:
    """Every URL the page makes a browser fetch: src, srcset, href but <a>'s, url() in CSS."""
    tree = lxml_html.fromstring(page.read_bytes())
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name in _LOADING:
            value = element.get(name)
            if value is None or (name == "href" and element.tag == "a"):
                continue
            if name == "href" and element.tag == "link" and _is_plain_link(element):
                continue
            if name == "srcset":
                yield from (part.split()[0] for part in value.split(",") if part.strip())
            else:
                yield value
        yield from _CSS_URL.findall(element.get("style", ""))
        if element.tag == "style":
            yield from _CSS_URL.findall(element.text or "")


def _is_plain_link(element: lxml_html.HtmlElement) -> bool:
    """``<link rel="alternate|canonical|…">`` names a URL without loading it."""
    rels = set(element.get("rel", "").lower().split())
    loading = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "apple-touch-icon"}
    return not rels & loading


def _sha8(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:8]
