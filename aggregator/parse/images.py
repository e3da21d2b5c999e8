"""Is it an image? Bytes → a known image kind, judged by the bytes alone. No I/O.

A blog's icon is published on our own site, so a server's ``Content-Type`` is
not trusted: the first bytes must be a PNG, GIF, JPEG, WebP or ICO signature.
An SVG is a document that can run script when opened on its own, so it is
rebuilt from an allow-list of drawing elements and attributes (no script, no
``foreignObject``, no event handlers, no ``<style>``, no reference outside
the file); anything the allow-list cannot keep is dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

ImageKind = Literal["png", "gif", "jpeg", "webp", "ico", "svg"]

#: kind → (Content-Type, file extension)
IMAGE_TYPES: dict[ImageKind, tuple[str, str]] = {
    "png": ("image/png", "png"),
    "gif": ("image/gif", "gif"),
    "jpeg": ("image/jpeg", "jpg"),
    "webp": ("image/webp", "webp"),
    "ico": ("image/x-icon", "ico"),
    "svg": ("image/svg+xml", "svg"),
}


@dataclass(frozen=True)
class Image:
    """Bytes known to be an image of ``kind``; an SVG's bytes are the sanitized document."""

    kind: ImageKind
    body: bytes

    @property
    def content_type(self) -> str:
        return IMAGE_TYPES[self.kind][0]

    @property
    def extension(self) -> str:
        return IMAGE_TYPES[self.kind][1]


def read_image(body: bytes) -> Image | None:
    """The image these bytes are, or None (HTML, an empty body, an unknown format)."""
    kind = sniff_image(body)
    if kind is None:
        return None
    if kind == "svg":
        clean = sanitize_svg(body)
        return Image("svg", clean) if clean is not None else None
    return Image(kind, body)


def sniff_image(body: bytes) -> ImageKind | None:
    """The image format the first bytes announce (the formats' magic numbers)."""
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if body.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if body.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(body) >= 12 and body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    # ICONDIR: reserved 0, type 1 (icon; 2 would be a cursor), then at least one image.
    if len(body) >= 22 and body[:4] == b"\x00\x00\x01\x00" and body[4:6] != b"\x00\x00":
        return "ico"
    if _SVG_START.match(body[:4096]):
        return "svg"
    return None


# An optional BOM, XML declaration, comments and whitespace, then the <svg root element.
_SVG_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<svg[\s>]", re.DOTALL
)

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

#: Drawing elements only: no script, foreignObject, image, style, a, filters (feImage
#: loads URLs), animation (it can set href) or anything unknown.
_ELEMENTS = frozenset(
    str.split(
        "svg g path rect circle ellipse line polyline polygon defs linearGradient "
        "radialGradient stop clipPath mask symbol use title desc text tspan pattern"
    )
)
_ATTRIBUTES = frozenset(
    str.split(
        "id class viewBox width height x y x1 y1 x2 y2 cx cy r rx ry fx fy d points "
        "fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin "
        "stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity "
        "transform offset stop-color stop-opacity gradientUnits gradientTransform "
        "spreadMethod clip-path clip-rule clipPathUnits mask maskUnits maskContentUnits "
        "patternUnits patternTransform preserveAspectRatio version font-family font-size "
        "font-weight font-style text-anchor dominant-baseline letter-spacing visibility "
        "display color style href"
    )
)
#: ``url(...)`` inside an attribute may only name a fragment of this very document.
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)
#: A style attribute is kept only if it is this plain: no escapes, no at-rules, no quotes.
_PLAIN_STYLE = re.compile(r"^[\w\s#%.,:;()+-]*$")


def sanitize_svg(body: bytes) -> bytes | None:
    """The SVG rebuilt from the allow-list, or None when it is not a well-formed SVG.

    A document type declaration is refused outright: entities are how an XML
    document reaches outside itself (and how a small file grows to gigabytes).
    """
    head = body[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in body.lower():
        return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag != f"{{{SVG}}}svg":
        return None
    clean = _clean(root)
    if clean is None:
        return None
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    document: bytes = ET.tostring(clean, encoding="utf-8", xml_declaration=False)
    return document


def _clean(element: ET.Element) -> ET.Element | None:
    name = _local(element.tag, SVG)
    if name is None or name not in _ELEMENTS:
        return None
    kept = ET.Element(element.tag)
    for key, value in element.attrib.items():
        attribute = _local(key, None) or _local(key, XLINK)
        if attribute is None or attribute not in _ATTRIBUTES or not _safe_value(value):
            continue
        if attribute == "href":
            if not value.startswith("#"):
                continue
            key = "href"  # xlink:href and href mean the same in SVG 2
        if attribute == "style" and not _PLAIN_STYLE.match(value):
            continue
        kept.set(key, value)
    kept.text = element.text if name in ("title", "desc", "text", "tspan") else None
    for child in element:
        cleaned = _clean(child)
        if cleaned is not None:
            cleaned.tail = child.tail if name in ("text", "tspan") else None
            kept.append(cleaned)
    return kept


def _local(tag: str, namespace: str | None) -> str | None:
    """The local name of ``tag`` when it is in ``namespace`` (None: no namespace)."""
    if namespace is None:
        return tag if not tag.startswith("{") else None
    prefix = f"{{{namespace}}}"
    return tag[len(prefix) :] if tag.startswith(prefix) else None


def _safe_value(value: str) -> bool:
    lowered = value.lower()
    if "javascript:" in lowered or "data:" in lowered or "@import" in lowered:
        return False
    return all(match.group(2).startswith("#") for match in _URL.finditer(value)) and (
        lowered.count("url(") == len(_URL.findall(value))
    )
