"""Pure: the one rule for a URL a feed gives (an entry's link, a site, an icon, a hub)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

#: Characters after which ``urljoin`` may give back something other than what it was given
#: (a query, fragment or parameters it re-joins, tabs and newlines it drops, a bracketed
#: IPv6 host it checks): a URL holding one of them goes the long way.
_REJOINED = frozenset("?#;[]\t\r\n\\")


def http_url(value: Any, base: str) -> str | None:
    """An absolute http(s) URL, relative ones resolved against ``base``; else None."""
    if not isinstance(value, str):
        return None
    text: str = value.strip()
    if not text:
        return None
    # Most links are absolute already, and ``urljoin`` with ``urlsplit`` cost a tenth of
    # parsing a feed: such a link is taken as it is, which is what they would return.
    if (
        text.startswith(("https://", "http://"))
        and text.isascii()
        and text[text.index("//") + 2 : text.index("//") + 3] not in ("", "/")
        and _REJOINED.isdisjoint(text)
    ):
        return text
    url = urljoin(base, text)
    return url if urlsplit(url).scheme in ("http", "https") else None
