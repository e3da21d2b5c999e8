"""Faces: where a blog's icon is looked for, when again, and the letter tile without one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.fetch.icons import IconFetch
from aggregator.fetch.links import find_icon_links, homepage_of, icon_candidates
from aggregator.models import IconDue, StoredIcon
from aggregator.parse.images import Image
from aggregator.publish.faces import (
    MIN_CONTRAST,
    TILE_TEXT,
    Faces,
    contrast_ratio,
    face_of,
    icon_path,
    initial,
    tile_colour,
)
from aggregator.publish.pages import make_environment
from aggregator.update.icons import RECHECK, RETRY, decide_icon

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
BLOG_URLS = [f"https://blog{n}.example/" for n in range(500)]


def test_a_blog_s_tile_colour_is_the_same_on_every_build() -> None:
    assert tile_colour("https://xxiivv.com/") == tile_colour("https://xxiivv.com/")
    assert tile_colour("https://XXIIVV.com/ ") == tile_colour("https://xxiivv.com/")


def test_blogs_get_colours_of_their_own() -> None:
    colours = {tile_colour(url) for url in BLOG_URLS}
    assert len(colours) > 400


def test_every_tile_letter_is_readable_on_its_colour() -> None:
    for url in BLOG_URLS:
        colour = tile_colour(url)
        assert contrast_ratio(colour, TILE_TEXT) >= MIN_CONTRAST, (url, colour)


def test_contrast_ratio_is_wcag_s() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#ffffff") == 1


@pytest.mark.parametrize(
    ("name", "letter"),
    [("XXIIVV", "X"), ("  ~ocean~", "O"), ("écrits", "É"), ("42 Lines", "4"), ("···", "?")],
)
def test_the_tile_shows_the_first_letter_of_the_blog_s_name(name: str, letter: str) -> None:
    assert initial(name) == letter


def test_a_blog_with_a_published_icon_shows_it_and_one_without_gets_a_tile() -> None:
    with_icon = face_of("Alice", "https://alice.example/", "icons/3-0123abcd.png")
    without = face_of("Bob", "https://bob.example/", None)

    assert with_icon.kind == "image" and with_icon.src == "icons/3-0123abcd.png"
    assert without.kind == "letter" and without.letter == "B" and without.src is None
    assert without.background == tile_colour("https://bob.example/")


def stored(content_type: str, sha256: str = "0123abcd" + "f" * 56) -> StoredIcon:
    return StoredIcon(3, "https://a.example/i", content_type, b"x", None, None, NOW, NOW, sha256)


def test_an_icon_is_published_under_a_name_that_changes_with_its_bytes() -> None:
    assert icon_path(stored("image/png")) == "icons/3-0123abcd.png"
    assert icon_path(stored("image/x-icon")) == "icons/3-0123abcd.ico"
    assert icon_path(stored("image/svg+xml", "9" * 64)) == "icons/3-99999999.svg"
    assert icon_path(stored("text/html")) is None


def test_the_homepage_s_sharpest_declared_icon_comes_first() -> None:
    html = """<html><head><base href="/blog/">
      <link rel="icon" href="favicon-16.png" sizes="16x16">
      <link rel="shortcut icon" href="/favicon.ico">
      <link rel="apple-touch-icon" href="touch.png">
      <link rel="icon" href="favicon-32.png" sizes="32x32">
      <link rel="icon" href="data:image/png;base64,AAAA">
      <link rel="mask-icon" href="mask.svg">
      <link rel="stylesheet" href="style.css">
    </head></html>"""

    found = find_icon_links(html, "https://a.example/")

    assert found == [
        "https://a.example/blog/touch.png",
        "https://a.example/blog/favicon-32.png",
        "https://a.example/blog/favicon-16.png",
        "https://a.example/favicon.ico",
    ]


def test_candidates_are_the_feed_s_icon_the_page_s_then_favicon_ico() -> None:
    assert icon_candidates(
        "https://cdn.example/logo.png",
        ["https://a.example/touch.png", "https://cdn.example/logo.png"],
        "https://a.example/blog/",
    ) == [
        "https://cdn.example/logo.png",
        "https://a.example/touch.png",
        "https://a.example/favicon.ico",
    ]


def test_the_homepage_is_the_feed_s_link_else_the_blogroll_page_else_the_site_root() -> None:
    assert homepage_of("https://a.example/feed.xml", "https://a.example/blog/") == (
        "https://a.example/blog/"
    )
    assert homepage_of("https://a.example/blog/", None) == "https://a.example/blog/"
    assert homepage_of("https://a.example/blog/feed.xml", None) == "https://a.example/"


DUE = IconDue(3, "https://a.example/", "https://a.example/", None, None)


def test_an_icon_found_is_stored_with_its_hash_and_looked_at_again_in_a_week() -> None:
    image = Image("png", b"\x89PNG\r\n\x1a\nrest")
    update = decide_icon(DUE, IconFetch("found", "https://a.example/i.png", image, '"e1"'), NOW)

    assert update.result == "found" and update.body == image.body
    assert update.content_type == "image/png" and update.etag == '"e1"'
    assert update.sha256 is not None and len(update.sha256) == 64
    assert update.next_check_at == NOW + RECHECK == NOW + timedelta(days=7)


def test_a_check_the_network_spoilt_keeps_the_icon_and_is_tried_again_tomorrow() -> None:
    update = decide_icon(DUE, IconFetch("failed", reason="timed out"), NOW)
    assert update.result == "failed" and update.body is None
    assert update.next_check_at == NOW + RETRY


def test_no_icon_anywhere_is_remembered_for_a_week() -> None:
    update = decide_icon(DUE, IconFetch("none", reason="not an image"), NOW)
    assert update.result == "none" and update.next_check_at == NOW + RECHECK


def draw(env_faces: Faces | None, source_id: int | None, root: str = "") -> str:
    env = make_environment()
    if env_faces is not None:
        env.globals["faces"] = env_faces
    template = env.from_string(
        '{% from "_face.html" import face %}{{ face(faces[source_id], root) }}'
    )
    return template.render(source_id=source_id, root=root)


def test_the_face_macro_draws_the_icon_from_the_site_s_root() -> None:
    faces = Faces({3: face_of("Alice", None, "icons/3-0123abcd.png")}, face_of("Me", None, None))

    html = draw(faces, 3, root="../../")

    assert html.startswith('<img class="face" src="../../icons/3-0123abcd.png" alt=""')


def test_the_face_macro_draws_a_tile_for_a_blog_without_icon_and_for_own_posts() -> None:
    faces = Faces({}, face_of("My Site", "https://me.example/", None))

    html = draw(faces, None)

    assert html.startswith('<span class="face face-letter" style="background-color: #')
    assert html.endswith(">M</span>") and 'aria-hidden="true"' in html


def test_a_page_rendered_outside_a_build_draws_no_face() -> None:
    assert draw(None, 3) == ""
