"""What a post's front matter and body say beyond its text: reading time, cover, aliases,
contents, math, page bundles; and the table of contents made from its headings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aggregator.models import Post
from aggregator.posts import parse_post
from aggregator.posts.markdown import formula_html, highlight_code
from aggregator.posts.toc import build_toc
from aggregator.publish.own_pages import alias_path

SITE = "https://me.example/"


def post(front: str, body: str = "Some words.\n", name: str = "a-post.md") -> Post:
    text = f"---\n{front.strip()}\n---\n{body}" if front else body
    return parse_post(text, Path(name), SITE, mtime=1_700_000_000.0)


@pytest.mark.parametrize(("words", "minutes"), [(1, 1), (220, 1), (221, 2), (660, 3), (661, 4)])
def test_reading_time_is_words_over_220_rounded_up(words: int, minutes: int) -> None:
    assert post("title: t\ndate: 2024-01-01", "word " * words).reading_minutes == minutes


@pytest.mark.parametrize(
    ("front", "cover"),
    [
        ("cover:\n  image: cover.jpg\n  alt: A hill", "https://me.example/posts/a-post/cover.jpg"),
        ("images: [/img/one.png, /img/two.png]", "https://me.example/img/one.png"),
        ("image: /assets/teaser.png", "https://me.example/assets/teaser.png"),
        ("image:\n  path: /assets/seo.png", "https://me.example/assets/seo.png"),
        ("header:\n  image: /assets/header.png", "https://me.example/assets/header.png"),
        (
            "header:\n  overlay_image: https://cdn.example/dark.webp\n  overlay_filter: 0.5",
            "https://cdn.example/dark.webp",
        ),
        ("header:\n  overlay_filter: 0.5", None),
    ],
)
def test_the_cover_image_comes_from_hugo_or_jekyll_fields(front: str, cover: str | None) -> None:
    assert post(f"title: t\ndate: 2024-01-01\n{front}").cover_image == cover


def test_a_hugo_cover_keeps_its_alt_text() -> None:
    assert (
        post("title: t\ndate: 2024-01-01\ncover:\n  image: c.png\n  alt: A hill").cover_alt
        == "A hill"
    )


def test_aliases_come_from_hugo_aliases_and_jekyll_redirect_from() -> None:
    hugo = post("title: t\ndate: 2024-01-01\naliases: [/old/one/, /2019/two.html]")
    jekyll = post("title: t\ndate: 2024-01-01\nredirect_from:\n  - /blog/old-name/")

    assert hugo.aliases == ("old/one/", "2019/two.html")
    assert jekyll.aliases == ("blog/old-name/",)


def test_an_alias_on_another_site_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        found = post("title: t\ndate: 2024-01-01\naliases: [https://elsewhere.example/x/]")

    assert found.aliases == ()
    assert "a-post.md" in caplog.text and "elsewhere.example" in caplog.text


@pytest.mark.parametrize(
    ("alias", "path"),
    [
        ("old/one/", "old/one/index.html"),
        ("old/one", "old/one/index.html"),
        ("a/b.html", "a/b.html"),
    ],
)
def test_an_alias_is_a_page_at_the_old_path(alias: str, path: str) -> None:
    assert alias_path(alias) == path


@pytest.mark.parametrize(
    ("front", "toc", "toc_open"),
    [
        ("showToc: true\nTocOpen: true", True, True),
        ("showToc: true\nTocOpen: false", True, False),
        ("showToc: true", True, False),
        ("toc: true", True, True),
        ("showToc: false", False, False),
        ("", False, False),
    ],
)
def test_contents_flags_follow_hugo_and_jekyll(front: str, toc: bool, toc_open: bool) -> None:
    found = post(f"title: t\ndate: 2024-01-01\n{front}")

    assert (found.toc, found.toc_open) == (toc, toc_open)


def test_math_is_off_unless_the_post_or_the_site_asks() -> None:
    body = "Area $\\pi r^2$.\n"

    plain = post("title: t\ndate: 2024-01-01", body)
    jekyll = post("title: t\ndate: 2024-01-01\nuse_math: true", body)
    hugo = post("title: t\ndate: 2024-01-01\nmath: true", body)
    site_wide = parse_post(
        f"---\ntitle: t\ndate: 2024-01-01\n---\n{body}", Path("a.md"), SITE, math=True
    )

    assert "<math" not in plain.content_html and "$\\pi r^2$" in plain.content_html
    assert all("<math" in p.content_html for p in (jekyll, hugo, site_wide))


def test_math_inside_code_is_left_alone() -> None:
    body = "`$a$` and\n\n```\n$$b$$\n```\n\n    $c$\n"

    html = post("title: t\ndate: 2024-01-01\nmath: true", body).content_html

    assert "<math" not in html
    assert "<code>$a$</code>" in html and "$$b$$" in html and "$c$" in html


def test_a_formula_that_cannot_be_converted_stays_as_source_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        html = formula_html("\\unknowncommand{x}", display=False, post="posts/p.md")

    assert html == '<code class="math-source">$\\unknowncommand{x}$</code>'
    assert "posts/p.md" in caplog.text and "unknowncommand" in caplog.text


def test_an_unknown_language_is_plain_pre_code() -> None:
    assert highlight_code("a < b\n", "no-such-language") == "<pre><code>a &lt; b\n</code></pre>\n"
    assert highlight_code("x = 1\n", "").startswith("<pre><code>")
    assert highlight_code("x = 1\n", "python").startswith(
        '<pre class="highlight"><code><span class="n">'
    )


def test_a_page_bundle_is_named_by_its_folder() -> None:
    bundled = post("title: t\ndate: 2024-01-01", name="posts/my-trip/index.md")
    jekyll = post("title: t", name="posts/2024-05-06-road-notes/index.md")

    assert bundled.slug == "my-trip" and bundled.local_path == "posts/my-trip/"
    assert jekyll.slug == "road-notes" and jekyll.published.date().isoformat() == "2024-05-06"


def test_front_matter_without_a_date_warns_but_a_plain_note_does_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        post("", "A plain note\n\nIts words.\n", name="note.md")
    assert caplog.records == []

    with caplog.at_level(logging.WARNING):
        post("title: Forgot the date", name="forgot.md")
    assert "forgot.md" in caplog.text and "date=missing" in caplog.text


def test_the_contents_nest_headings_and_open_as_asked() -> None:
    html = post("title: t\ndate: 2024-01-01", "## One\n\n### One a\n\n## Two & more\n").content_html

    collapsed = build_toc(html, open_=False)
    opened = build_toc(html, open_=True)

    assert collapsed.startswith('<nav class="toc"') and "<details>" in collapsed
    assert "<details open>" in opened
    assert '<li><a href="#one">One</a>\n<ol>\n<li><a href="#one-a">One a</a>' in collapsed
    assert '<a href="#two--more">Two &amp; more</a>' in collapsed
    assert "header-anchor" not in collapsed
    assert build_toc("<p>No headings.</p>", open_=True) == ""


def test_a_formula_that_stays_as_source_keeps_its_delimiters() -> None:
    html = post("title: t\ndate: 2024-01-01\nmath: true", "See \\(\\frac{1\\) here.\n").content_html

    assert '<code class="math-source">\\(\\frac{1\\)</code>' in html


def test_raw_html_in_a_post_makes_no_form_field_and_no_scripted_formula() -> None:
    body = (
        '<input type="checkbox" checked> <INPUT TYPE="IMAGE" SRC="x.png">\n\n'
        '<math href="javascript:alert(1)"><mi>x</mi></math> \ue0000\ue001 $\\text{<b>bold</b>}$\n'
    )

    html = post("title: t\ndate: 2024-01-01\nmath: true", body).content_html

    assert "<input" not in html and "javascript" not in html
    # Raw MathML is sanitized like a feed's; the formula the renderer made holds no HTML.
    assert "<math><mi>x</mi></math>" in html and "<b>" not in html
