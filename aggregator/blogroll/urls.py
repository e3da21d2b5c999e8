"""Pure: the web addresses a blogroll line gives, read strictly enough to never store a bad one.

A link target is a blog only when it is an absolute ``http``/``https`` URL with a
host name that can be resolved; ``www.example.org`` (no scheme) is taken as
``https://www.example.org/`` with a note. Links to mail, chat and the like and
relative links are not blogs and are left alone, as is ``ftp://…`` in running text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

#: Schemes that name something other than a blog; such a link is neither a blog nor a mistake.
OTHER_SCHEMES = frozenset(
    {"mailto", "tel", "sms", "xmpp", "irc", "ircs", "matrix", "gemini", "gopher", "ftp"}
    | {"sftp", "ssh", "news", "magnet", "geo"}
)
#: A host name written without a scheme: ``www.example.org`` or ``example.org/blog``.
_HOST_LIKE = re.compile(
    r"^(?P<host>(?:[\w-]+\.)+(?P<tld>[^\W\d_]{2,63}))(?::\d{1,5})?(?:[/?#]\S*)?$", re.UNICODE
)
#: Endings that make ``notes.html`` a relative file rather than a host name.
_FILE_ENDINGS = frozenset(
    {"html", "htm", "md", "markdown", "xml", "rss", "atom", "json", "txt", "php", "opml"}
)
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$", re.UNICODE)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
#: Anything written like ``scheme://…`` in running text.
URLISH = re.compile(r"(?<![\w/])[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"]*")
_TRAILING = ".,;:!?'\""


@dataclass(frozen=True)
class Reading:
    """What one written address gives: a URL, or the reason it cannot be one."""

    #: The absolute http(s) URL, or None when the address cannot be used.
    url: str | None
    #: Why it cannot be used.
    problem: str | None = None
    #: Something worth telling although the URL was understood (a scheme added).
    note: str | None = None


def read_link_target(href: str) -> Reading | None:
    """A Markdown link's target as a blog address; None when it is not meant as one
    (mail, chat, a relative link to a page of this site)."""
    href = href.strip()
    scheme = href.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", href) else ""
    if scheme in OTHER_SCHEMES or href.startswith("#"):
        return None
    host_like = _HOST_LIKE.match(href)
    if host_like and host_like.group("tld").lower() not in _FILE_ENDINGS and "://" not in href:
        guessed = _with_root_path(f"https://{href}")
        problem = check_url(guessed)
        if problem:
            return Reading(None, f'"{href}" {problem}')
        return Reading(guessed, note=f'"{href}" has no scheme: read as {guessed}')
    if scheme in ("http", "https"):
        problem = check_url(href)
        return Reading(None, f'"{href}" {problem}') if problem else Reading(href)
    if scheme:
        return Reading(None, f'"{href}" is not a web address (unknown scheme "{scheme}:")')
    return None  # a relative link (``/about/``): a page of this site, not a blog


def bare_urls(text: str) -> list[tuple[str, Reading]]:
    """Each ``http(s)://…`` written in plain text, as written, with what it gives."""
    found: list[tuple[str, Reading]] = []
    for match in URLISH.finditer(text):
        written = _trim(match.group(0))
        scheme = written.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            continue
        rest = text[match.start() + len(written) :]
        before = text[: match.start()]
        continued = re.match(r" +([^\s\[\]()]*[./][^\s\[\]()]*)", rest)
        if before.endswith("](") or (continued and "." not in _host_of(written)):
            # "[x](http://exa mple.com/)" is no link, and "http://exa mple.com/" is no URL.
            whole = written + (continued.group(0) if continued else "")
            found.append((written, Reading(None, f'"{whole}" has a space inside the address')))
            continue
        problem = check_url(written)
        found.append(
            (written, Reading(None, f'"{written}" {problem}') if problem else Reading(written))
        )
    return found


def check_url(url: str) -> str | None:
    """Why an http(s) URL cannot be fetched as written, or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        return f"cannot be parsed ({exc})"
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http or https address"
    if not host:
        return "has no host name"
    if ":" in host or _IPV4.match(host):
        return None  # an IP address, which urlsplit has already checked the brackets of
    if not all(_LABEL.match(label) for label in host.rstrip(".").split(".")):
        return f'has a host name that cannot be looked up ("{host}")'
    return None


def _with_root_path(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path or "/"))


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _trim(url: str) -> str:
    """A URL without the punctuation of the sentence around it, and without a closing
    bracket that it did not open (``(see https://a.example/)``)."""
    while url:
        last = url[-1]
        unopened = last in ")]" and url.count({")": "(", "]": "["}[last]) < url.count(last)
        if last not in _TRAILING and not unopened:
            break
        url = url[:-1]
    return url
