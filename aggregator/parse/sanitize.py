"""Allow-list HTML cleaning (nh3) and plain-text excerpts.

Everything from a feed passes through ``sanitize_html`` before it is stored, so
stored HTML is already safe to publish.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import nh3
from pygments.token import STANDARD_TYPES

from aggregator.settings import SUMMARY_LENGTH

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

# MathML presentation markup (math and physics blogs publish it; every current browser
# renders it). Not ``annotation-xml``, which can carry HTML, nor ``maction``, which acts.
MATHML_TAGS = frozenset(
    {
        "math", "menclose", "merror", "mfenced", "mfrac", "mi", "mmultiscripts", "mn", "mo",
        "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace",
        "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr",
        "munder", "munderover", "none", "semantics", "annotation",
    }
)  # fmt: skip
_MATHML_COMMON = {"mathvariant", "mathsize", "dir", "displaystyle", "scriptlevel", "href"}
_MATHML_ATTRIBUTES = {
    "math": {"display", "xmlns", "alttext"},
    "mo": {"fence", "stretchy", "symmetric", "largeop", "movablelimits", "accent", "form",
           "lspace", "rspace", "separator", "minsize", "maxsize"},
    "mfrac": {"linethickness", "bevelled"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines",
               "rowlines", "frame"},
    "mtr": {"columnalign", "rowalign"},
    "mtd": {"columnspan", "rowspan", "columnalign", "rowalign"},
    "mspace": {"width", "height", "depth", "linebreak"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "menclose": {"notation"},
    "mfenced": {"open", "close", "separators"},
    "annotation": {"encoding"},
}  # fmt: skip
#: For formulas the renderer makes: no links at all.
MATHML_ATTRIBUTES = {
    tag: (_MATHML_COMMON - {"href"}) | _MATHML_ATTRIBUTES.get(tag, set()) for tag in MATHML_TAGS
}
for _tag in MATHML_TAGS:
    ALLOWED_ATTRIBUTES[_tag] = _MATHML_COMMON | _MATHML_ATTRIBUTES.get(_tag, set())
ALLOWED_TAGS = ALLOWED_TAGS | MATHML_TAGS

URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_ATTRIBUTES = frozenset({"href", "src", "poster"})
#: Raster images only: an SVG can carry script.
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp|avif)[;,]", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
# nh3's serializer always double-quotes values, which may hold ">".
_IMG_TAG = re.compile(r'<img((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>')
_ALT = re.compile(r'\salt(?:="|\s|$)')

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_BLOCK_TAG = re.compile(
    r"</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]"
    r"|header|hr|li|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b[^>]*>",
    re.IGNORECASE,
)

#: ``_BLOCK_TAG`` for the lower-case tags of sanitized HTML (a third of the time).
_CLEAN_BLOCK_TAG = re.compile(_BLOCK_TAG.pattern)
#: A tag as nh3 writes it: double-quoted values may hold ">".
_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Keep only allow-listed tags, attributes and URL schemes.

    Links get ``rel="noopener noreferrer"``; images load lazily, send no referrer
    and always have an ``alt`` (empty when the source gave none). ``data:`` URLs
    survive only as raster images in ``img src``. With ``base_url``, relative
    ``href`` and ``src`` values are made absolute, so the HTML still works when it
    is read elsewhere (an outgoing feed, a feed reader).
    """
    return _FEED_CLEANER.clean(fragment, base_url)


def sanitize_post_html(fragment: str, base_url: str | None = None) -> str:
    """``sanitize_html`` for the owner's rendered Markdown, keeping the classes the renderer
    sets (code highlighting, footnotes, heading anchors, task lists). No ``style``
    attribute ever is: the stylesheet colours the code. Formulas and task-list boxes
    are put in afterwards by the renderer, so raw HTML in a post never makes them."""
    return _POST_CLEANER.clean(fragment, base_url)


def sanitize_mathml(fragment: str) -> str:
    """Presentation MathML only: no links, no HTML inside, nothing that can run."""
    return _MATHML_CLEANER.clean(fragment, None)


#: Pygments' token classes (``k``, ``nf``, ``s2``…), styled by the stylesheet.
_TOKEN_CLASSES = frozenset(c for c in STANDARD_TYPES.values() if c)
POST_CLASSES = {
    "span": set(_TOKEN_CLASSES),
    "pre": {"highlight"},
    "code": {"math-source"},
    "a": {"header-anchor", "footnote-backref"},
    "sup": {"footnote-ref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item", "task-list-item"},
    "ul": {"contains-task-list"},
}


class _Cleaner:
    """One allow-list, built once: building nh3's options from Python sets on every call
    cost three times the cleaning itself. The base URL of the fragment being cleaned is
    per thread, since one cleaner serves every fetch thread."""

    def __init__(
        self, tags: frozenset[str], attributes: dict[str, set[str]], classes: dict[str, set[str]]
    ) -> None:
        self._resolvers = threading.local()
        self._nh3 = nh3.Cleaner(
            tags=set(tags),
            attributes={tag: set(attrs) for tag, attrs in attributes.items()},
            allowed_classes=classes,
            url_schemes=set(URL_SCHEMES) | {"data"},
            link_rel="noopener noreferrer",
            strip_comments=True,
            attribute_filter=self._attribute_filter,
        )

    def clean(self, fragment: str, base_url: str | None) -> str:
        if not fragment:
            return ""
        self._resolvers.resolve = _resolver(base_url) if base_url else None
        try:
            clean = self._nh3.clean(fragment)
        finally:
            self._resolvers.resolve = None
        if "<img" in clean:
            clean = _IMG_TAG.sub(_with_alt, clean)
        return strip_control_characters(clean)

    def _attribute_filter(self, tag: str, name: str, value: str) -> str | None:
        if name in _URL_ATTRIBUTES:
            resolve = self._resolvers.resolve
            url = value.strip()
            if tag in MATHML_TAGS:  # a MathML link: to a web page, nothing else
                url = resolve(url) if resolve is not None else url
                return url if url.startswith(("https://", "http://")) else None
            if _scheme(url) == "data":
                return url if tag == "img" and name == "src" and _DATA_IMAGE.match(url) else None
            if resolve is not None and not url.startswith("#"):
                return resolve(url)  # type: ignore[no-any-return]
            return value
        if name == "srcset":
            resolve = self._resolvers.resolve
            return _resolve_srcset(value, resolve) if resolve is not None else value
        return value


_FEED_CLEANER = _Cleaner(ALLOWED_TAGS, ALLOWED_ATTRIBUTES, {})
_POST_CLEANER = _Cleaner(ALLOWED_TAGS, ALLOWED_ATTRIBUTES, POST_CLASSES)
_MATHML_CLEANER = _Cleaner(MATHML_TAGS, MATHML_ATTRIBUTES, {})
#: Text only: every tag stripped, scripts and styles with their content.
_TEXT_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"})


#: The characters of ``_XML_INVALID`` below U+0080: one byte each in UTF-8, a byte that
#: no other character's encoding holds.
_XML_INVALID_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def strip_control_characters(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot carry, so that the
    outgoing feeds can always be written."""
    if len(text) < 64 or "\ufffe" in text or "\uffff" in text:
        return _XML_INVALID.sub("", text)
    # Deleting bytes from the UTF-8 is four times faster than the regex on long text.
    data = text.encode("utf-8", "surrogatepass")
    kept = data.translate(None, _XML_INVALID_BYTES)
    return text if len(kept) == len(data) else kept.decode("utf-8", "surrogatepass")


def _scheme(url: str) -> str:
    """The scheme of a URL as a browser reads it: control characters and whitespace ignored."""
    if url.startswith(("https://", "http://", "/", "#")) or ":" not in url:
        return ""  # the common cases, without a regex
    head = _IGNORED_IN_SCHEME.sub("", url.split(":", 1)[0])
    return head.lower()


def _resolver(base_url: str) -> Callable[[str], str]:
    """``urljoin(base_url, url)``, with the common shapes of URL handled without parsing."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"

    def resolve(url: str) -> str:
        if url.startswith(("https://", "http://", "mailto:")):
            return url
        if url.startswith("/") and not url.startswith("//") and "/." not in url:
            return origin + url
        return urljoin(base_url, url)

    return resolve


def _with_alt(match: re.Match[str]) -> str:
    # Added here rather than by nh3, whose order of added attributes varies between runs.
    attributes = match.group(1)
    alt = "" if _ALT.search(attributes) else ' alt=""'
    return f'<img{attributes}{alt} loading="lazy" referrerpolicy="no-referrer">'


def _resolve_srcset(value: str, resolve: Callable[[str], str]) -> str:
    """``a.png 1x, b.png 2x`` with each candidate URL made absolute (HTML §4.8.4.2)."""
    candidates = []
    for candidate in value.split(","):
        parts = candidate.strip().split(None, 1)
        if parts:
            parts[0] = resolve(parts[0])
            candidates.append(" ".join(parts))
    return ", ".join(candidates)


def excerpt_of_html(fragment: str, limit: int) -> str:
    """``excerpt(html_to_text(fragment), limit)``, reading only as much HTML as it needs."""
    # Read a prefix first: most fragments have enough text near their start.
    prefix = fragment[: limit * 3]
    text = html_to_text(prefix)
    if len(text) <= limit and len(prefix) < len(fragment):
        text = html_to_text(fragment)
    return excerpt_of_collapsed(text, limit)  # html_to_text's text is already collapsed


def text_of_clean_html(clean: str) -> str:
    """``html_to_text`` for HTML that ``sanitize_html`` made, in two regex passes rather
    than another parse: its tags are lower case, every attribute value is double-quoted
    and every ``<`` in text is escaped, so a tag is exactly what ``_TAG`` matches."""
    if not clean:
        return ""
    if "<math" in clean:
        return html_to_text(clean)  # nh3 drops a formula's text whole; so does the index
    text = _TAG.sub("", _CLEAN_BLOCK_TAG.sub(" ", clean))
    if "&" in text:
        text = html.unescape(text)
    return _collapse(strip_control_characters(text))


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment, entities decoded and whitespace collapsed."""
    if not fragment:
        return ""
    # Block boundaries become spaces so that words of adjacent paragraphs stay apart.
    spaced = _BLOCK_TAG.sub(" ", fragment)
    text = _TEXT_CLEANER.clean(spaced)
    return _collapse(strip_control_characters(html.unescape(text)))


def excerpt(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit and _is_collapsed(text):
        return text  # a stored summary, already an excerpt: the blogs' pages list thousands
    whole = text
    text = _collapse(strip_control_characters(whole[: limit * 2]))
    if len(text) <= limit and len(whole) > limit * 2:
        text = _collapse(strip_control_characters(whole))
    return excerpt_of_collapsed(text, limit)


def excerpt_of_collapsed(text: str, limit: int) -> str:
    """``excerpt`` of text whose whitespace is already collapsed (``text_of_clean_html``'s,
    ``html_to_text``'s)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def _is_collapsed(text: str) -> bool:
    """Whether ``_collapse`` and ``strip_control_characters`` would leave ``text`` as it is.
    Every whitespace character but the space, and every character XML cannot carry, is
    "not printable" to Python; a few harmless ones are too (a soft hyphen), and only
    send the text the long way."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def _collapse(text: str) -> str:
    """Whitespace runs as single spaces, none at the ends (split/join: 5× a regex)."""
    return " ".join(text.split())


def clean_title(raw: str) -> str:
    """A title as plain text: tags stripped, entities decoded, whitespace collapsed."""
    return html_to_text(raw)
