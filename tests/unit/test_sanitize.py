"""Sanitizing: an allow-list of tags, attributes and URL schemes; plain-text excerpts."""

from __future__ import annotations

import json
import random
import re

import pytest

from aggregator.parse.sanitize import (
    clean_title,
    excerpt,
    excerpt_of_collapsed,
    html_to_text,
    sanitize_html,
    strip_control_characters,
    text_of_clean_html,
)
from tests.support.paths import DATA

BASE = "https://site.example/blog/post/"

#: (id, hostile input). Every one must come out without anything that can run.
HOSTILE = [
    ("script", "<script>alert(1)</script>ok"),
    ("script-uppercase-src", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok"),
    ("script-unclosed", "<p>ok</p><script>alert(1)"),
    ("img-onerror", '<img src="https://a.example/i.png" onerror="alert(1)">'),
    ("img-onerror-unquoted", "<img src=x onerror=alert(1)//"),
    ("body-onload", '<body onload="alert(1)">ok</body>'),
    ("link-onclick", '<a href="https://ok.example/" onclick="alert(1)">ok</a>'),
    ("input-onfocus", '<div><input autofocus onfocus="alert(1)"></div>'),
    ("javascript-href", '<a href="javascript:alert(1)">x</a>'),
    ("javascript-uppercase", '<a href="JAVASCRIPT:alert(1)">x</a>'),
    ("javascript-mixed-case", '<a href="JaVaScRiPt:alert(1)">x</a>'),
    ("javascript-leading-space", '<a href="  javascript:alert(1)">x</a>'),
    ("javascript-tab-inside", '<a href="java\tscript:alert(1)">x</a>'),
    ("javascript-newline-entity", '<a href="jav&#x0A;ascript:alert(1)">x</a>'),
    ("javascript-decimal-entity", '<a href="&#106;avascript:alert(1)">x</a>'),
    ("javascript-hex-entities", '<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>'),
    ("javascript-control-char", '<a href="\x01javascript:alert(1)">x</a>'),
    ("javascript-img-src", '<img src="javascript:alert(1)">'),
    ("vbscript-href", '<a href="vbscript:msgbox(1)">x</a>'),
    ("vbscript-mixed-case", '<a href="VBScript:msgbox(1)">x</a>'),
    ("iframe", '<iframe src="https://evil.example/"></iframe>ok'),
    ("object", '<object data="movie.swf"><param name="x" value="y"></object>ok'),
    ("embed", '<embed src="movie.swf">ok'),
    ("form", '<form action="https://evil.example/"><input name="p"><button>Go</button></form>ok'),
    ("style-element", "<style>body{display:none}</style>ok"),
    ("style-attribute", '<p style="position:fixed;top:0;left:0">ok</p>'),
    ("svg-onload", '<svg onload="alert(1)"><circle r="1"></circle></svg>ok'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example/">ok'),
    ("base-href", '<base href="https://evil.example/">ok'),
    ("link-stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">ok'),
    ("data-html-link", '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>'),
    ("data-svg-image", '<img src="data:image/svg+xml,<svg onload=alert(1)>">'),
    ("math-mutation", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("noscript-mutation", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("comment-conditional", "<!--[if IE]><script>alert(1)</script><![endif]-->ok"),
]

FORBIDDEN = [
    re.compile(r"<\s*(script|iframe|object|embed|form|input|button|style|svg|meta|base|link)\b"),
    re.compile(r"\son[a-z]+\s*="),
    re.compile(r"\sstyle\s*="),
    re.compile(r"javascript:"),
    re.compile(r"vbscript:"),
    re.compile(r"data:"),
    re.compile(r"<!--"),
]


@pytest.mark.parametrize("base_url", [None, BASE], ids=["no-base", "with-base"])
@pytest.mark.parametrize("hostile", [h for _, h in HOSTILE], ids=[i for i, _ in HOSTILE])
def test_hostile_html_comes_out_harmless(hostile: str, base_url: str | None) -> None:
    clean = sanitize_html(hostile, base_url=base_url).lower()

    for pattern in FORBIDDEN:
        assert not pattern.search(clean), (pattern.pattern, clean)
    assert "alert(" not in clean
    assert "msgbox(" not in clean


#: What every image gets: lazy loading, no referrer, and an alt when it had none.
IMG = ' alt="" loading="lazy" referrerpolicy="no-referrer"'
IMG_WITH_ALT = ' loading="lazy" referrerpolicy="no-referrer"'


@pytest.mark.parametrize(
    ("hostile", "kept"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ('<p style="color:red">ok</p>', "<p>ok</p>"),
        ('<a href="javascript:alert(1)">click</a>', '<a rel="noopener noreferrer">click</a>'),
        ('<img src="https://a.example/i.png" onerror="alert(1)">', f'<img src="https://a.example/i.png"{IMG}>'),
        ("<iframe src='https://evil.example/'></iframe><p>after</p>", "<p>after</p>"),
    ],
)  # fmt: skip
def test_removing_the_dangerous_part_keeps_the_rest(hostile: str, kept: str) -> None:
    assert sanitize_html(hostile) == kept


# -- benign HTML ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "benign",
    [
        "<p>Plain <em>emphasis</em>, <strong>strong</strong> and <code>code</code>.</p>",
        "<blockquote><p>Quoted.</p></blockquote>",
        "<pre><code>x &lt; y &amp;&amp; y &gt; z</code></pre>",
        "<ul><li>one</li><li>two</li></ul>",
        '<ol start="3"><li>three</li></ol>',
        '<h2 id="setup">Setup</h2>',
        "<details><summary>More</summary>Hidden text.</details>",
        '<time datetime="2024-03-01">1 March</time>',
        "<p>Line<br>break</p>",
        "<p>H<sub>2</sub>O and E=mc<sup>2</sup></p>",
        "<p><del>old</del> <ins>new</ins> <s>gone</s> <mark>marked</mark></p>",
        '<abbr title="HyperText Markup Language">HTML</abbr>',
    ],
)  # fmt: skip
def test_benign_html_is_kept_unchanged(benign: str) -> None:
    assert sanitize_html(benign) == benign


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            '<img src="//a.example/i.png" alt="A photo" width="640" height="480">',
            f'<img src="//a.example/i.png" alt="A photo" width="640" height="480"{IMG_WITH_ALT}>',
        ),
        (
            '<figure><img src="https://a.example/i.png" alt="x"><figcaption>C</figcaption>',
            f'<figure><img src="https://a.example/i.png" alt="x"{IMG_WITH_ALT}><figcaption>C</figcaption></figure>',  # noqa: E501
        ),
        ('<img src="https://a.example/i.png">', f'<img src="https://a.example/i.png"{IMG}>'),
        ('<img src="https://a.example/i.png" alt="">', f'<img src="https://a.example/i.png" alt=""{IMG_WITH_ALT}>'),  # noqa: E501
        (
            '<img src="https://a.example/i.png" title="a > b">',
            f'<img src="https://a.example/i.png" title="a &gt; b"{IMG}>',
        ),
        (
            '<img src="https://a.example/i.png" loading="eager" referrerpolicy="unsafe-url">',
            f'<img src="https://a.example/i.png"{IMG}>',
        ),
        (
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">',
            f'<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot"{IMG_WITH_ALT}>',
        ),
    ],
    ids=[
        "with-alt-and-size", "in-figure", "without-alt", "empty-alt", "angle-in-title",
        "own-loading-replaced", "data-png",
    ],
)  # fmt: skip
def test_images_load_lazily_without_referrer_and_have_an_alt(image: str, expected: str) -> None:
    assert sanitize_html(image) == expected


def test_tables_are_kept() -> None:
    clean = sanitize_html(
        '<table><tr><th scope="col">A</th></tr><tr><td colspan="2">b</td></tr></table>'
    )

    assert '<th scope="col">A</th>' in clean
    assert '<td colspan="2">b</td>' in clean


REL = 'rel="noopener noreferrer"'


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('<a href="https://a.example/">x</a>', f'<a href="https://a.example/" {REL}>x</a>'),
        (
            '<a href="http://a.example/" title="T">x</a>',
            f'<a href="http://a.example/" title="T" {REL}>x</a>',
        ),
        ('<a href="mailto:kim@example.org">m</a>', f'<a href="mailto:kim@example.org" {REL}>m</a>'),
        (
            '<a href="https://a.example/" rel="nofollow" target="_blank">x</a>',
            f'<a href="https://a.example/" {REL}>x</a>',
        ),
    ],
    ids=["https", "http-with-title", "mailto", "own-rel-and-target-replaced"],
)
def test_links_are_kept_with_rel_noopener(link: str, expected: str) -> None:
    assert sanitize_html(link) == expected


@pytest.mark.parametrize(
    "attribute", ['class="big"', 'id="x"', 'data-track="1"', "hidden", 'tabindex="1"']
)
def test_attributes_outside_the_allow_list_are_dropped(attribute: str) -> None:
    assert sanitize_html(f"<p {attribute}>text</p>") == "<p>text</p>"


def test_unknown_tags_are_dropped_but_their_text_kept() -> None:
    assert sanitize_html("<article><custom-tag>hello</custom-tag></article>") == "hello"


def test_empty_input_gives_empty_output() -> None:
    assert sanitize_html("") == ""
    assert sanitize_html("", base_url=BASE) == ""


# -- base_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<a href="next/">n</a>', 'href="https://site.example/blog/post/next/"'),
        ('<a href="../other/">o</a>', 'href="https://site.example/blog/other/"'),
        ('<a href="/about/">a</a>', 'href="https://site.example/about/"'),
        ('<a href="?page=2">p</a>', 'href="https://site.example/blog/post/?page=2"'),
        ('<a href="//cdn.example/x">c</a>', 'href="https://cdn.example/x"'),
        ('<a href="https://elsewhere.example/">e</a>', 'href="https://elsewhere.example/"'),
        ('<a href="#notes">f</a>', 'href="#notes"'),
        ('<a href=" spaced.html ">s</a>', 'href="https://site.example/blog/post/spaced.html"'),
        ('<img src="fig.png" alt="f">', 'src="https://site.example/blog/post/fig.png"'),
        ('<video src="v.mp4" poster="p.jpg"></video>', 'poster="https://site.example/blog/post/p.jpg"'),
        ('<audio src="a.ogg" controls></audio>', 'src="https://site.example/blog/post/a.ogg"'),
    ],
    ids=[
        "child", "parent", "root", "query", "protocol-relative", "absolute", "fragment",
        "whitespace", "image", "video-poster", "audio",
    ],
)  # fmt: skip
def test_relative_urls_resolve_against_base_url(fragment: str, expected: str) -> None:
    assert expected in sanitize_html(fragment, base_url=BASE)


def test_without_base_url_relative_urls_are_left_alone() -> None:
    assert 'href="next/"' in sanitize_html('<a href="next/">n</a>')


def test_srcset_resolves_against_base_url() -> None:
    clean = sanitize_html('<img src="a.png" srcset="a-2x.png 2x" alt="a">', base_url=BASE)

    assert 'srcset="https://site.example/blog/post/a-2x.png 2x"' in clean


# -- html_to_text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<p>One</p><p>Two</p>", "One Two"),
        ("<p>Fish &amp; chips&nbsp;today</p>", "Fish & chips today"),
        ("a<br>b<br/>c", "a b c"),
        ("<ul><li>first</li><li>second</li></ul>", "first second"),
        ("<h2>Heading</h2>Body", "Heading Body"),
        ("<blockquote>quoted</blockquote>after", "quoted after"),
        ("<p>Kept</p><script>var hidden = 1;</script><style>p{}</style>", "Kept"),
        ("  lots   of\n\n whitespace\t ", "lots of whitespace"),
        ("<p>5 &lt; 6</p>", "5 < 6"),
        ("plain text", "plain text"),
        ("", ""),
    ],
    ids=[
        "paragraphs", "entities", "line-breaks", "list-items", "heading", "blockquote",
        "script-and-style-text-dropped", "whitespace", "escaped-angle", "plain", "empty",
    ],
)  # fmt: skip
def test_html_to_text(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<table><tr><td>Name</td><td>Value</td></tr></table>", "Name Value"),
        ("<dl><dt>Term</dt><dd>Meaning</dd></dl>", "Term Meaning"),
        ("<pre>first</pre><pre>second</pre>", "first second"),
    ],
    ids=["table-cells", "definition-list", "pre-blocks"],
)
def test_html_to_text_keeps_words_of_adjacent_blocks_apart(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


#: Sanitized HTML whose text is easy to get wrong without parsing it.
TRICKY_CLEAN = [
    '<p title="a > b">x</p>y',
    '<a href="https://x.example/?a=1&amp;b=2" title="&quot;q&quot; &gt; r">link</a> after',
    "<p>5 &lt; 6 &amp;&amp; 7 &gt; 3&nbsp;ok</p>",
    "<pre>\n  code\n</pre><table><tr><td>a</td><td>b</td></tr></table>",
    "<math><mi>x</mi><mo>&lt;</mo><mn>2</mn></math> tail",
    "&amp;lt;not a tag&amp;gt;",
]


@pytest.mark.parametrize(
    "fragment",
    [h for _, h in HOSTILE]
    + TRICKY_CLEAN
    + [c["hostile"] for c in json.loads((DATA / "hostile_html.json").read_text())["cases"]],
)
def test_text_of_clean_html_is_the_text_html_to_text_finds(fragment: str) -> None:
    clean = sanitize_html(fragment, BASE)

    assert text_of_clean_html(clean) == html_to_text(clean)


# -- excerpt -----------------------------------------------------------------------------------

LONG_TEXT = (
    "The allotment was quiet this morning, apart from a blackbird arguing with a cat about "
    "who owned the compost heap. The beans are up, the peas are sulking, and the new water "
    "butt has already paid for itself twice over."
)


def test_short_text_is_returned_whole() -> None:
    assert excerpt("Short and sweet.", 280) == "Short and sweet."


def test_text_exactly_at_the_limit_is_returned_whole() -> None:
    assert excerpt("exactly ten", 11) == "exactly ten"


def test_long_text_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    cut = excerpt("the quick brown fox jumps over the lazy dog", 20)

    assert cut == "the quick brown…"


@pytest.mark.parametrize("limit", [10, 25, 40, 61, 100, 150, 199])
def test_excerpt_is_never_longer_than_the_limit(limit: int) -> None:
    cut = excerpt(LONG_TEXT, limit)

    assert len(cut) <= limit
    assert cut.endswith("…")
    assert LONG_TEXT.startswith(cut[:-1])


@pytest.mark.parametrize("limit", [25, 40, 61, 100, 150, 199])
def test_excerpt_ends_on_a_whole_word(limit: int) -> None:
    words = set(re.findall(r"[\w']+", LONG_TEXT))

    last_word = re.findall(r"[\w']+", excerpt(LONG_TEXT, limit))[-1]

    assert last_word in words


def test_excerpt_drops_trailing_punctuation_before_the_ellipsis() -> None:
    assert excerpt("word, another, third. fourth", 16) == "word, another…"


def test_excerpt_cuts_a_single_long_word_hard() -> None:
    assert excerpt("a" * 50, 10) == "a" * 9 + "…"


def test_excerpt_collapses_whitespace_first() -> None:
    assert excerpt("  lots   of\n\nspace  ", 100) == "lots of space"


#: Letters, single and double spaces, every kind of whitespace and what XML cannot carry.
TRICKY = "ab é " + "  \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000" + "\x00\x01\x7f\ufffe\uffff.,"


@pytest.mark.parametrize("seed", range(20))
def test_a_short_clean_text_is_its_own_excerpt_and_any_other_is_cleaned(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randrange(0, 30)))
        limit = rng.randrange(5, 40)
        # What excerpt gives, worked out the long way.
        cleaned = " ".join(strip_control_characters(text).split())
        expected = excerpt_of_collapsed(cleaned, limit)

        assert excerpt(text, limit) == expected, repr(text)


# -- clean_title ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Plain title", "Plain title"),
        ("  <b>Bold</b> &amp; <i>italic</i>\n title  ", "Bold & italic title"),
        ("Caf&eacute; &#8212; open", "Café — open"),
        ("5 &lt; 6 and 7 &gt; 3", "5 < 6 and 7 > 3"),
        ("Emoji 🌱 stays", "Emoji 🌱 stays"),
        ("", ""),
    ],
    ids=["plain", "tags-and-whitespace", "entities", "escaped-comparison", "emoji", "empty"],
)
def test_clean_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title


# -- the hostile-input table -------------------------------------------------------------

#: XSS filter-evasion classics (after the OWASP cheat sheet), each with exactly what is left
#: of it when read in a post at the table's base URL.
HOSTILE_TABLE = json.loads((DATA / "hostile_html.json").read_text())
HOSTILE_CASES = HOSTILE_TABLE["cases"]
HOSTILE_BASE = HOSTILE_TABLE["base_url"]


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c["name"] for c in HOSTILE_CASES])
def test_hostile_input_gives_exactly_this_safe_output(case: dict[str, str]) -> None:
    assert sanitize_html(case["hostile"], base_url=HOSTILE_BASE) == case["safe"]


#: What no safe output may hold: elements that run, frame or restyle; handlers; scripted URLs.
UNSAFE = [
    re.compile(
        r"<\s*(script|iframe|frame|object|embed|form|input|style|svg|annotation-xml|maction|meta|base|link)\b"
    ),
    re.compile(r"<[^>]*\son[a-z]+\s*="),
    re.compile(r"<[^>]*\sstyle\s*="),
    re.compile(r'(href|src|poster|srcset)="\s*(javascript|vbscript|data):'),
]


def test_the_hostile_table_is_large_and_every_output_in_it_is_harmless() -> None:
    assert len(HOSTILE_CASES) >= 40
    for case in HOSTILE_CASES:
        lowered = case["safe"].lower()
        for pattern in UNSAFE:
            assert not pattern.search(lowered), (case["name"], pattern.pattern)


def test_mathml_presentation_markup_is_kept() -> None:
    formula = (
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
        "<mrow><mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup></mrow>"
        '<mfrac linethickness="0"><mn>1</mn><msqrt><mn>2</mn></msqrt></mfrac></math>'
    )
    assert sanitize_html(f"<p>{formula}</p>") == f"<p>{formula}</p>"


def test_a_mathml_link_must_go_to_a_web_page() -> None:
    fragment = '<math><mi href="/glossary#c">c</mi><mi href="mailto:x@example.org">x</mi></math>'
    assert sanitize_html(fragment, base_url="https://blog.example/post/") == (
        '<math><mi href="https://blog.example/glossary#c">c</mi><mi>x</mi></math>'
    )


XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
LONG = "A paragraph of plain words, long enough to take the fast path. " * 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "short\x01",
        LONG,
        LONG + "\x00\x08\x0b\x0c\x0e\x1f\x7f",
        "\x01" + LONG + "é 日本 🛣️\x1f",
        LONG + "\ufffe" + "\x02",
        LONG + "\uffff",
        LONG + "\ud800 a lone surrogate\x03",
        LONG + "\t\n\r are kept",
        "\x85 and \u2028 are XML characters " + LONG,
    ],
)
def test_control_characters_xml_cannot_carry_are_removed_and_nothing_else(text: str) -> None:
    assert strip_control_characters(text) == XML_INVALID.sub("", text)


def test_control_characters_are_removed_from_any_text_as_the_definition_says() -> None:
    rng = random.Random(20261203)
    pool = [*range(0x20), 0x7F, 0x80, 0xE9, 0x2028, 0xD800, 0xFFFE, 0xFFFF, 0x1F6E3]
    for _ in range(3000):
        text = "".join(
            chr(rng.choice(pool) if rng.random() < 0.2 else rng.randrange(0x20, 0x7F))
            for _ in range(rng.randrange(200))
        )
        assert strip_control_characters(text) == XML_INVALID.sub("", text), repr(text)
