"""Front matter fields Hugo and Jekyll spell differently: the cover image, old addresses."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

log = logging.getLogger(__name__)


def cover_of(meta: dict[str, Any], url: str) -> tuple[str | None, str]:
    """The cover image's absolute URL and alt text, from the first field that names one."""
    cover, header = meta.get("cover"), meta.get("header")
    images = meta.get("images")
    candidates: list[tuple[Any, Any]] = []
    if isinstance(cover, dict):
        candidates.append((cover.get("image"), cover.get("alt")))
    if isinstance(images, list | tuple) and images:
        candidates.append((images[0], None))
    elif isinstance(images, str):
        candidates.append((images, None))
    image = meta.get("image")
    # jekyll-seo-tag also takes ``image: {path: …, alt: …}``.
    if isinstance(image, dict):
        candidates.append((image.get("path"), image.get("alt")))
    else:
        candidates.append((image, None))
    if isinstance(header, dict):
        caption = header.get("image_description") or header.get("caption")
        candidates += [(header.get("image"), caption), (header.get("overlay_image"), caption)]
    for value, alt in candidates:
        if isinstance(value, str) and value.strip():
            return urljoin(url, value.strip()), _text(alt)
    return None, ""


def aliases_of(meta: dict[str, Any], path: Path) -> tuple[str, ...]:
    """Hugo ``aliases`` and Jekyll ``redirect_from`` as paths from the site root."""
    found: list[str] = []
    for field in ("aliases", "redirect_from"):
        for value in _strings(meta.get(field)):
            split = urlsplit(value)
            if split.scheme or split.netloc or ".." in split.path.split("/"):
                log.warning("post=%s alias=%r ignored: not a path on this site", path, value)
                continue
            local = split.path.lstrip("/")
            if local and local not in found:
                found.append(local)
    return tuple(found)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list | tuple):
        return tuple(_text(v) for v in value if _text(v))
    return ()
