"""Pure: each blog's face — its icon published on the site itself, or a letter tile.

An icon is published as ``icons/<source id>-<first 8 of its sha256>.<ext>``:
a new image gets a new name, so browsers may cache each file for ever, and
no page ever loads an image from the blog's own host. A blog without one
gets a tile with the first letter of its name on a colour derived from its
URL (the same colour on every build and every page), dark enough for a
white letter to meet WCAG's 4.5:1 contrast.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from aggregator.models import Source, StoredIcon
from aggregator.parse.images import IMAGE_TYPES

#: The folder of published icons (``publish.prune`` owns it).
ICONS_DIR = "icons"
#: The letter's colour on every tile.
TILE_TEXT = "#ffffff"
#: WCAG 2.x AA for normal text (the letter is small).
MIN_CONTRAST = 4.5


@dataclass(frozen=True)
class FaceView:
    """What ``templates/_face.html`` draws beside a blog's name."""

    #: ``image``: the blog's icon at ``src``; ``letter``: a tile.
    kind: Literal["image", "letter"]
    #: The blog's name (the face itself is decorative: the name is always beside it).
    name: str
    #: The icon's path from the site's root, for ``image``.
    src: str | None = None
    letter: str = "?"
    #: The tile's background and letter colours, ``#rrggbb``.
    background: str = "#555555"
    foreground: str = TILE_TEXT


@dataclass(frozen=True)
class Faces:
    """Every blog's face by source id; ``faces[None]`` is the site's own (its posts)."""

    by_source: Mapping[int, FaceView]
    #: None only in ``NO_FACES``: then no face is drawn at all.
    own: FaceView | None
    #: The icon files to publish: path → bytes.
    files: Mapping[str, bytes] = field(default_factory=dict)

    def __getitem__(self, source_id: int | None) -> FaceView | None:
        if source_id is None:
            return self.own
        return self.by_source.get(source_id, self.own)


#: What a template rendered outside a build sees (``pages.make_environment``): no faces.
NO_FACES = Faces({}, None)


def build_faces(
    sources: Iterable[Source], icons: Iterable[StoredIcon], site_title: str, site_url: str
) -> Faces:
    """The face of every source (a published icon where one is stored) and the site's own."""
    published = {icon.source_id: icon for icon in icons if icon.body and icon.sha256}
    own = face_of(site_title, site_url, None)
    by_source: dict[int, FaceView] = {}
    files: dict[str, bytes] = {}
    for source in sources:
        if source.is_own:
            by_source[source.id] = own  # the owner's feed: its entries are own posts
            continue
        icon = published.get(source.id)
        path = icon_path(icon) if icon else None
        if icon and path and icon.body:
            files[path] = icon.body
        by_source[source.id] = face_of(source.display_title, source.site_url or source.url, path)
    return Faces(by_source, own, files)


def icon_path(icon: StoredIcon) -> str | None:
    """``icons/<source id>-<sha8>.<ext>``; None when the stored type is not an image kind."""
    extension = next(
        (ext for kind, (ctype, ext) in IMAGE_TYPES.items() if ctype == icon.content_type), None
    )
    if extension is None or not icon.sha256:
        return None
    return f"{ICONS_DIR}/{icon.source_id}-{icon.sha256[:8]}.{extension}"


def face_of(name: str, url: str | None, icon_src: str | None) -> FaceView:
    """A blog's face: its published icon, else a tile of its initial in its own colour."""
    if icon_src:
        return FaceView("image", name, src=icon_src)
    background = tile_colour(url or name)
    return FaceView("letter", name, letter=initial(name), background=background)


def initial(name: str) -> str:
    """The first letter or digit of the name, in capitals ("?" when it has none)."""
    for char in name:
        if char.isalnum():
            return char.upper()
    return "?"


def tile_colour(key: str) -> str:
    """A colour of its own for ``key`` (a blog's URL): the hue from its hash, then darkened
    until a white letter on it has at least ``MIN_CONTRAST``."""
    digest = hashlib.sha256(key.strip().lower().encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    saturation = 0.45 + digest[2] / 255 * 0.25
    lightness = 0.48
    while True:
        red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
        colour = _hex(red, green, blue)
        if contrast_ratio(colour, TILE_TEXT) >= MIN_CONTRAST or lightness <= 0.1:
            return colour
        lightness -= 0.02


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _hex(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in (red, green, blue))
