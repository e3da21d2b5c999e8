"""Allow-list HTML cleaning (nh3) and plain-text excerpts.

Everything from a feed passes through ``sanitize_html`` before it is stored, so
stored HTML is already safe to publish.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "b", "blockquote", "br", "caption", "cite", "code", "col",
        "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
        "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "picture", "pre", "q", "s", "samp", "small", "source", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "time", "tr", "u", "ul", "var", "audio", "video", "section",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "audio": {"src", "controls"},
    "video": {"src", "controls", "poster", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "time": {"datetime"},
    "ol": {"start", "reversed", "type"},
    "li": {"value", "id"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    # Footnotes: markdown-it links a reference and its note through ids.
    "sup": {"id"},
}  # fmt: skip

URL_SCHEMES = frozenset({"http", "https", "mailto"})

_WHITESPACE = re.compile(r"\s+")
_BLOCK_TAG = re.compile(
    r"</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]"
    r"|header|hr|li|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b[^>]*>",
    re.IGNORECASE,
)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; links get rel=noopener.

    With ``base_url``, relative ``href`` and ``src`` values are made absolute, so the
    HTML still works when it is read elsewhere (an outgoing feed, a feed reader).
    """
    if not fragment:
        return ""
    attribute_filter = None
    if base_url:

        def attribute_filter(_tag: str, name: str, value: str) -> str:
            if name in ("href", "src", "poster") and not value.startswith("#"):
                return urljoin(base_url, value.strip())
            if name == "srcset":
                return _resolve_srcset(value, base_url)
            return value

    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=attribute_filter,
    )


def _resolve_srcset(value: str, base_url: str) -> str:
    """``a.png 1x, b.png 2x`` with each candidate URL made absolute (HTML §4.8.4.2)."""
    candidates = []
    for candidate in value.split(","):
        parts = candidate.strip().split(None, 1)
        if parts:
            parts[0] = urljoin(base_url, parts[0])
            candidates.append(" ".join(parts))
    return ", ".join(candidates)


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment, entities decoded and whitespace collapsed."""
    if not fragment:
        return ""
    # Block boundaries become spaces so that words of adjacent paragraphs stay apart.
    spaced = _BLOCK_TAG.sub(" ", fragment)
    text = nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style"})
    return _WHITESPACE.sub(" ", html.unescape(text)).strip()


def excerpt(text: str, limit: int = 280) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def clean_title(raw: str) -> str:
    """A title as plain text: tags stripped, entities decoded, whitespace collapsed."""
    return html_to_text(raw)
