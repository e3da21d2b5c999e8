"""Feed discovery: the feed URLs a web page points to, best first, and common guesses."""

from __future__ import annotations

import pytest

from aggregator.fetch.links import COMMON_PATHS, find_feed_links, guess_feed_urls
from tests.support.paths import SHARED

PAGE = "https://blog.example/notes/"
CORPUS = SHARED / "corpus" / "blogroll"


def page(head: str = "", body: str = "") -> str:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>Notes</title>"
        f"{head}</head><body><h1>Notes</h1>{body}</body></html>"
    )


def alternate(href: str, kind: str = "application/rss+xml", **attrs: str) -> str:
    extra = "".join(f' {name}="{value}"' for name, value in attrs.items())
    return f'<link rel="alternate" type="{kind}" href="{href}"{extra}>'


# -- <link rel="alternate"> -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (alternate("links/rss.xml"), "https://blog.example/notes/links/rss.xml"),
        (alternate("/index.xml"), "https://blog.example/index.xml"),
        (alternate("../feed.xml"), "https://blog.example/feed.xml"),
        (alternate("https://feeds.example/blog.xml"), "https://feeds.example/blog.xml"),
        (alternate("//cdn.example/feed.xml"), "https://cdn.example/feed.xml"),
        (alternate("/atom.xml", "application/atom+xml"), "https://blog.example/atom.xml"),
        (alternate("/index.rdf", "application/rdf+xml"), "https://blog.example/index.rdf"),
        (alternate("/feed.json", "application/feed+json"), "https://blog.example/feed.json"),
        (alternate("/feed?a=1&amp;b=2"), "https://blog.example/feed?a=1&b=2"),
    ],
    ids=[
        "relative",
        "root-relative",
        "parent",
        "absolute",
        "protocol-relative",
        "atom",
        "rdf",
        "json-feed",
        "entity-in-href",
    ],
)
def test_alternate_link_is_found_as_an_absolute_url(head: str, expected: str) -> None:
    assert find_feed_links(page(head), PAGE) == [expected]


def test_attribute_names_and_values_are_case_insensitive() -> None:
    html = '<LINK REL="Alternate" TYPE="Application/RSS+XML; charset=utf-8" HREF="/Feed.xml">'

    assert find_feed_links(page(html), PAGE) == ["https://blog.example/Feed.xml"]


def test_link_with_several_rel_values_counts() -> None:
    html = '<link rel="alternate feed" type="application/atom+xml" href="/atom.xml">'

    assert find_feed_links(page(html), PAGE) == ["https://blog.example/atom.xml"]


def test_main_feed_comes_before_comment_and_tag_feeds() -> None:
    head = (
        alternate("/comments/feed/", title="Notes » Comments Feed")
        + alternate("/feed/", title="Notes » Feed")
        + alternate("/tag/python/feed.atom", "application/atom+xml", title="Python")
        + alternate("/category/travel/feed/", title="Travel")
        + alternate("/atom.xml", "application/atom+xml", title="Notes (Atom)")
    )

    assert find_feed_links(page(head), PAGE) == [
        "https://blog.example/feed/",
        "https://blog.example/atom.xml",
        "https://blog.example/comments/feed/",
        "https://blog.example/tag/python/feed.atom",
        "https://blog.example/category/travel/feed/",
    ]


def test_comment_feed_named_only_by_its_title_also_comes_last() -> None:
    head = alternate("/c.xml", title="Comments on all posts") + alternate("/p.xml", title="Posts")

    assert find_feed_links(page(head), PAGE) == [
        "https://blog.example/p.xml",
        "https://blog.example/c.xml",
    ]


def test_translation_feed_with_hreflang_is_ignored() -> None:
    head = alternate("/fr/index.xml", hreflang="fr") + alternate("/index.xml")

    assert find_feed_links(page(head), PAGE) == ["https://blog.example/index.xml"]


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="alternate" type="text/html" href="/m/">',
        '<link rel="alternate" type="application/json" href="/wp-json/">',
        '<link rel="stylesheet" type="text/css" href="/style.css">',
        '<link rel="alternate" type="application/rss+xml">',
        '<link rel="alternate" type="application/rss+xml" href="">',
        alternate("javascript:alert(1)"),
        alternate("mailto:kim@example.org"),
    ],
    ids=[
        "html-alternate",
        "plain-json",
        "stylesheet",
        "no-href",
        "empty-href",
        "javascript",
        "mailto",
    ],
)
def test_links_that_are_not_feeds_are_ignored(head: str) -> None:
    assert find_feed_links(page(head), PAGE) == []


def test_same_feed_linked_twice_is_listed_once() -> None:
    head = alternate("/feed.xml") + alternate("https://blog.example/feed.xml")
    body = '<a href="/feed.xml">Subscribe</a>'

    assert find_feed_links(page(head, body), PAGE) == ["https://blog.example/feed.xml"]


# -- <a href> --------------------------------------------------------------------------------


def test_anchor_to_a_feed_is_found_when_there_is_no_link_element() -> None:
    body = '<a href="/about/">About</a> <a href="./rss.xml">RSS</a> <a href="archive.html">Old</a>'

    assert find_feed_links(page(body=body), PAGE) == ["https://blog.example/notes/rss.xml"]


def test_link_elements_come_before_anchors() -> None:
    head = alternate("/index.xml")
    body = '<a href="/atom.xml">Atom</a>'

    assert find_feed_links(page(head, body), PAGE) == [
        "https://blog.example/index.xml",
        "https://blog.example/atom.xml",
    ]


@pytest.mark.parametrize(
    "href",
    ["/feed/", "/atom.xml", "/posts/index.xml", "https://feeds.example/notes/rss.xml", "/rss"],
)
def test_anchors_that_look_like_feeds(href: str) -> None:
    assert len(find_feed_links(page(body=f'<a href="{href}">x</a>'), PAGE)) == 1


@pytest.mark.parametrize(
    "href",
    ["/about/", "/", "/2024/03/a-post.html", "/comments/feed/", "/tag/python/rss.xml", "#rss"],
)
def test_anchors_that_are_not_main_feeds_are_ignored(href: str) -> None:
    assert find_feed_links(page(body=f'<a href="{href}">x</a>'), PAGE) == []


@pytest.mark.parametrize(
    ("page_url", "html", "expected"),
    [
        (
            "https://vintage.example/",
            '<a href="https://vintage.example/journal/rss.xml">RSS</a>',
            ["https://vintage.example/journal/rss.xml"],
        ),
        (
            "https://stage.example/",
            alternate("https://stage.example/comments/feed/", title="Comments")
            + alternate("https://stage.example/feed/", title="Posts"),
            ["https://stage.example/feed/", "https://stage.example/comments/feed/"],
        ),
        ("https://a.example/", '<a href="/feedback/">Feedback</a>', []),
    ],
    ids=["host-contains-tag", "main-feed-on-host-containing-tag", "feedback-page"],
)
def test_feed_words_are_whole_words(page_url: str, html: str, expected: list[str]) -> None:
    assert find_feed_links(page(html), page_url) == expected


# -- <base href> ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://cdn.example/site/", "https://cdn.example/site/feed.xml"),
        ("/other/", "https://blog.example/other/feed.xml"),
        ("../", "https://blog.example/feed.xml"),
    ],
    ids=["absolute-base", "root-relative-base", "parent-base"],
)
def test_base_href_is_respected(base: str, expected: str) -> None:
    head = f'<base href="{base}">' + alternate("feed.xml")

    assert find_feed_links(page(head), PAGE) == [expected]


def test_only_the_first_base_counts() -> None:
    head = '<base href="https://one.example/"><base href="https://two.example/">'

    assert find_feed_links(page(head + alternate("f.xml")), PAGE) == ["https://one.example/f.xml"]


def test_base_applies_to_anchors_too() -> None:
    html = page('<base href="https://cdn.example/site/">', '<a href="rss.xml">RSS</a>')

    assert find_feed_links(html, PAGE) == ["https://cdn.example/site/rss.xml"]


# -- pages without feeds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    ["", "<p>nothing here</p>", "not html at all", "<html><head><link rel=alternate", "<<<>>>"],
    ids=["empty", "no-links", "text", "truncated", "garbage"],
)
def test_page_without_feed_links_gives_nothing(html: str) -> None:
    assert find_feed_links(html, PAGE) == []


# -- guessing -----------------------------------------------------------------------------------


def test_guesses_are_common_paths_on_the_page_host() -> None:
    guesses = guess_feed_urls("https://blog.example/notes/page.html?x=1#top")

    assert guesses == [f"https://blog.example{path}" for path in COMMON_PATHS]
    assert guesses[0] == "https://blog.example/feed.xml"
    assert "https://blog.example/index.xml" in guesses
    assert "https://blog.example/links/rss.xml" in guesses


def test_guesses_keep_the_scheme_and_port() -> None:
    guesses = guess_feed_urls("http://127.0.0.1:8080/blog/")

    assert all(url.startswith("http://127.0.0.1:8080/") for url in guesses)


def test_guesses_are_distinct() -> None:
    guesses = guess_feed_urls(PAGE)

    assert len(guesses) == len(set(guesses))


# -- real homepages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "page_url", "expected"),
    [
        ("xxiivv", "https://wiki.xxiivv.com/", ["https://wiki.xxiivv.com/links/rss.xml"]),
        ("sander", "https://sander.ai/", ["https://sander.ai/feed.xml"]),
        ("lilianweng", "https://lilianweng.github.io/", ["https://lilianweng.github.io/index.xml"]),
        ("colah", "https://colah.github.io/", []),
    ],
)
def test_real_homepages(name: str, page_url: str, expected: list[str]) -> None:
    path = CORPUS / f"{name}.html"
    if not path.is_file():
        pytest.skip(f"{path} is not available")

    found = find_feed_links(path.read_text(encoding="utf-8"), page_url)

    assert found == expected


def test_a_homepage_without_feed_links_is_still_covered_by_the_guesses() -> None:
    assert "https://colah.github.io/rss.xml" in guess_feed_urls("https://colah.github.io/")
