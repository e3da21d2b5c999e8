"""The network edge of faces: find and fetch one blog's icon through the one ``Fetcher``.

Candidates, in order (``fetch.links.icon_candidates``): the icon, logo or
image the feed names, the icons the homepage's ``<link rel>`` declare, then
``/favicon.ico`` at the site's root. The first whose bytes are an image
(``parse.images.read_image``) wins. Nothing here raises: a failure is an
outcome, and an icon never makes the blog's refresh fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aggregator.errors import FetchError, FetchTimeout, HTTPStatusError, NetworkError
from aggregator.fetch.http import Fetcher
from aggregator.fetch.links import find_icon_links, homepage_of, icon_candidates
from aggregator.models import Fetched, IconDue, IconResult, NotModified
from aggregator.parse.images import Image, read_image

log = logging.getLogger(__name__)

#: The largest icon accepted: a face is shown at a few dozen pixels.
ICON_MAX_BYTES = 256 * 1024
#: The homepage is read only for its ``<head>``; a bigger page is not worth the wait.
HOMEPAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_ACCEPT = "image/png, image/webp, image/svg+xml, image/*;q=0.8, */*;q=0.1"
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class IconFetch:
    """What looking for one blog's icon found (``update.icons.decide_icon`` judges it)."""

    result: IconResult
    url: str | None = None
    image: Image | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: Why nothing was found or kept, for the log.
    reason: str = ""


def fetch_icon(fetcher: Fetcher, due: IconDue) -> IconFetch:
    """Check the stored icon conditionally, else look through every candidate."""
    stored = due.stored
    # The feed naming another icon than the stored one means the blog changed it.
    if stored and stored.url and stored.body and due.feed_icon in (None, stored.url):
        again = _fetch_image(fetcher, stored.url, stored.etag, stored.last_modified)
        if again.result in ("found", "unchanged", "failed"):
            return again
    return _discover(fetcher, due)


def _discover(fetcher: Fetcher, due: IconDue) -> IconFetch:
    home = homepage_of(due.url, due.site_url)
    tried: set[str] = set()
    reasons: list[str] = []
    any_failed = False

    def attempt(urls: list[str]) -> IconFetch | None:
        nonlocal any_failed
        for url in urls:
            if url in tried:
                continue
            tried.add(url)
            fetched = _fetch_image(fetcher, url, None, None)
            if fetched.result == "found":
                return fetched
            any_failed = any_failed or fetched.result == "failed"
            reasons.append(fetched.reason)
        return None

    found = attempt(icon_candidates(due.feed_icon, [], None))
    if found:
        return found
    declared = _page_icons(fetcher, home, reasons) if home else []
    found = attempt(icon_candidates(None, declared, home))
    if found:
        return found
    return IconFetch("failed" if any_failed else "none", reason="; ".join(reasons))


def _page_icons(fetcher: Fetcher, home: str, reasons: list[str]) -> list[str]:
    try:
        page = fetcher.fetch(home, max_bytes=HOMEPAGE_MAX_BYTES, accept=HTML_ACCEPT)
    except FetchError as exc:
        reasons.append(str(exc))
        return []
    if not isinstance(page, Fetched):
        return []
    # The links sit in <head>, in ASCII nearly always: a wrong charset costs nothing here.
    return find_icon_links(page.content.decode("utf-8", errors="replace"), page.url)


def _fetch_image(
    fetcher: Fetcher, url: str, etag: str | None, last_modified: str | None
) -> IconFetch:
    try:
        got = fetcher.fetch(
            url,
            etag=etag,
            last_modified=last_modified,
            max_bytes=ICON_MAX_BYTES,
            accept=IMAGE_ACCEPT,
        )
    except (FetchTimeout, NetworkError) as exc:
        return IconFetch("failed", url, reason=str(exc))
    except HTTPStatusError as exc:
        # The server is in trouble (5xx, 429): try again soon rather than forget the icon.
        result: IconResult = "failed" if exc.status >= 500 or exc.status == 429 else "none"
        return IconFetch(result, url, reason=str(exc))
    except FetchError as exc:
        return IconFetch("none", url, reason=str(exc))
    if isinstance(got, NotModified):
        return IconFetch("unchanged", url, etag=got.etag, last_modified=got.last_modified)
    image = read_image(got.content)
    if image is None:
        return IconFetch("none", url, reason=f"{url}: not an image")
    return IconFetch("found", url, image, got.etag, got.last_modified)
