"""An icon is an image by its bytes, whatever the server calls it; an SVG is rebuilt safe."""

from __future__ import annotations

import pytest

from aggregator.parse.images import read_image, sanitize_svg, sniff_image

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
GIF = b"GIF89a\x10\x00\x10\x00" + b"\x00" * 10
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 10
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 10
ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + b"\x00" * 10
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.mark.parametrize(
    ("body", "kind"),
    [(PNG, "png"), (GIF, "gif"), (JPEG, "jpeg"), (WEBP, "webp"), (ICO, "ico")],
    ids=["png", "gif", "jpeg", "webp", "ico"],
)
def test_each_image_format_is_known_by_its_magic_number(body: bytes, kind: str) -> None:
    assert sniff_image(body) == kind
    image = read_image(body)
    assert image is not None and image.kind == kind and image.body == body


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!doctype html><html><head><title>Not found</title></head></html>",
        b"<html><body><svg></svg></body></html>",
        b"\x00\x00\x02\x00\x01\x00" + b"\x00" * 20,  # a cursor, not an icon
        b"\x00\x00\x01\x00\x00\x00" + b"\x00" * 20,  # an icon file holding no image
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # audio
        b"GIF8",
        b'{"icon": "x.png"}',
    ],
    ids=["empty", "html", "svg-in-html", "cursor", "empty-ico", "wav", "short-gif", "json"],
)
def test_anything_else_is_not_an_image(body: bytes) -> None:
    assert read_image(body) is None


def test_a_plain_svg_icon_is_kept_with_its_drawing() -> None:
    body = (
        f'<?xml version="1.0"?>\n<!-- logo --><svg {SVG_NS} viewBox="0 0 16 16">'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient>'
        '</defs><circle cx="8" cy="8" r="7" fill="url(#g)"/><title>Blog</title></svg>'
    ).encode()

    image = read_image(body)

    assert image is not None and image.kind == "svg"
    assert image.content_type == "image/svg+xml" and image.extension == "svg"
    text = image.body.decode()
    assert 'fill="url(#g)"' in text and "<circle" in text and "Blog" in text


@pytest.mark.parametrize(
    ("inside", "never"),
    [
        ("<script>alert(1)</script>", "script"),
        ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>',
         "foreignObject"),
        ('<rect width="1" height="1" onclick="alert(1)"/>', "onclick"),
        ('<circle r="1" onload="alert(1)"/>', "onload"),
        ('<a href="https://evil.example/"><rect width="1" height="1"/></a>', "evil"),
        ('<image href="https://tracker.example/pixel.png"/>', "tracker"),
        ('<use href="https://evil.example/sprite.svg#x"/>', "evil"),
        ('<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="data:image/svg+xml,x"/>',
         "data:"),
        ('<rect fill="url(https://evil.example/p)" width="1" height="1"/>', "evil"),
        ('<rect style="fill:url(https://evil.example/p)" width="1" height="1"/>', "evil"),
        ('<rect style="background:\\75rl(x)" width="1" height="1"/>', "\\75"),
        ("<style>@import url(https://evil.example/s.css);</style>", "import"),
        ('<animate attributeName="href" to="javascript:alert(1)"/>', "javascript"),
        ('<filter id="f"><feImage href="https://evil.example/i.png"/></filter>', "evil"),
    ],
    ids=["script", "foreignObject", "onclick", "onload", "a-href", "image", "use-external",
         "xlink-data", "fill-url", "style-url", "style-escape", "style-element", "animate",
         "feImage"],
)  # fmt: skip
def test_an_svg_keeps_nothing_that_runs_or_reaches_out(inside: str, never: str) -> None:
    body = f'<svg {SVG_NS} viewBox="0 0 16 16"><g>{inside}</g><path d="M0 0h16v16z"/></svg>'

    clean = sanitize_svg(body.encode())

    assert clean is not None
    assert never not in clean.decode()
    assert "<path" in clean.decode()


def test_a_fragment_reference_inside_the_svg_is_kept() -> None:
    body = (
        f'<svg {SVG_NS}><symbol id="s"><rect width="1" height="1"/></symbol><use href="#s"/></svg>'
    )
    clean = sanitize_svg(body.encode())
    assert clean is not None and 'href="#s"' in clean.decode()


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>',
        b"<svg><rect/></svg>",  # no SVG namespace: browsers would not draw it as an image
    ],
    ids=["doctype-entities", "malformed", "no-namespace"],
)
def test_an_svg_that_cannot_be_read_safely_is_refused(body: bytes) -> None:
    assert read_image(body) is None
