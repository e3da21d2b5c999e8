"""Charset repair: response bytes with an encoding declaration that matches them."""

from __future__ import annotations

import re


def normalise_encoding(content: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """The body and Content-Type with an encoding declaration that matches the bytes.

    Feeds often declare the wrong encoding. A body that is valid UTF-8 (and not
    plain ASCII) is UTF-8 whatever it says; one that is not UTF-8 but claims to
    be, or claims nothing, is read as windows-1252; ISO-8859-1 is read as
    windows-1252, as browsers do. UTF-16 and UTF-32 are left to feedparser.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:200]:
        return content, content_type
    header_charset = _charset(content_type)
    declaration = _XML_DECLARATION.match(content)
    declared_in_body = declaration.group("encoding") if declaration else None
    declared = (header_charset or (declared_in_body or b"").decode("ascii", "ignore")).lower()
    try:
        content.decode("utf-8")
        is_utf8 = True
    except UnicodeDecodeError:
        is_utf8 = False
    if is_utf8:
        if content.isascii() or declared in _UTF8_NAMES:
            return content, content_type
        wanted = "utf-8"
    elif declared in ("", *_UTF8_NAMES, "us-ascii", "ascii", *_LATIN1_NAMES):
        wanted = "windows-1252"
    else:
        return content, content_type
    return _declare(content, declaration, wanted), _without_charset(content_type)


_UTF8_NAMES = ("utf-8", "utf8")
_LATIN1_NAMES = ("iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1")
_XML_DECLARATION = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml\b[^>]*?(?:encoding\s*=\s*[\"'](?P<encoding>[^\"']+)[\"'])?[^>]*\?>"
)


def _charset(content_type: str | None) -> str:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else ""


def _without_charset(content_type: str | None) -> str | None:
    if not content_type:
        return content_type
    # application/xml: without a charset, the document's own declaration counts (RFC 7303).
    return "application/xml"


def _declare(content: bytes, declaration: re.Match[bytes] | None, encoding: str) -> bytes:
    new = f'<?xml version="1.0" encoding="{encoding}"?>'.encode()
    if declaration is None:
        return new + b"\n" + content.removeprefix(b"\xef\xbb\xbf")
    return new + content[declaration.end() :]
