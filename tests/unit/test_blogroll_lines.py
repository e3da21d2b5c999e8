"""Blogroll lines that cannot be read are reported as data; the page's prose is kept."""

from __future__ import annotations

import pytest

from aggregator.blogroll import parse_markdown_blogroll, parse_opml, render_markdown_blogroll
from aggregator.blogroll.urls import check_url, read_link_target
from aggregator.models import BlogrollWarning, CategoryIntro
from tests.support.paths import DATA


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("- [Typo](htp:/oops.example)", 'unknown scheme "htp:"'),
        ("- http://exa mple.com/", '"http://exa mple.com/" has a space inside the address'),
        ("- [Spaced](http://exa mple.com/)", "has a space inside the address"),
        ("- http://[::1/", "cannot be parsed (Invalid IPv6 URL)"),
        ("- [v6](http://[::1/)", "cannot be parsed (Invalid IPv6 URL)"),
        ("- [Port](https://a.example:80x/)", "cannot be parsed"),
        ("- [Under](https://bad_host!.example/)", "host name that cannot be looked up"),
        ("- a friend whose address I forgot", "a list item with no link"),
    ],
)
def test_an_unreadable_item_is_left_out_with_a_warning_on_its_line(item: str, reason: str) -> None:
    blogroll = parse_markdown_blogroll(f"# Blogs\n\n{item}\n- [Kept](https://kept.example/)\n")

    assert [e.url for e in blogroll.entries] == ["https://kept.example/"]
    (warning,) = blogroll.warnings
    assert (warning.line, warning.text, warning.severity) == (3, item, "warning")
    assert reason in warning.reason


def test_a_warning_names_the_file_and_the_line() -> None:
    warning = BlogrollWarning(4, "- [Typo](htp:/oops.example)", "not a web address")

    assert warning.message("blogroll.md") == (
        "blogroll.md:4: warning: not a web address: - [Typo](htp:/oops.example)"
    )


def test_a_host_without_a_scheme_is_read_as_https_with_a_note() -> None:
    blogroll = parse_markdown_blogroll("- [No scheme](www.example.org)\n")

    (entry,) = blogroll.entries
    assert (entry.url, entry.title) == ("https://www.example.org/", "No scheme")
    (note,) = blogroll.warnings
    assert note.severity == "note"
    assert "read as https://www.example.org/" in note.reason


def test_a_broken_feed_link_is_reported_and_the_blog_kept() -> None:
    blogroll = parse_markdown_blogroll("- [A](https://a.example/) ([feed](htp:/a.example/f))\n")

    (entry,) = blogroll.entries
    assert (entry.url, entry.feed_url) == ("https://a.example/", None)
    assert "the feed is found from the blog" in blogroll.warnings[0].reason


def test_the_line_of_a_warning_is_the_line_of_the_address_in_a_long_item() -> None:
    text = "### Friends\n- Anna, who writes\n  about tea at htp://anna.example/\n"
    # A bare address with another scheme than http(s) is running text, so: no link.
    (warning,) = parse_markdown_blogroll(text).warnings
    assert warning.line == 2

    (warning,) = parse_markdown_blogroll(text.replace("htp://", "http://[")).warnings
    assert warning.line == 3


@pytest.mark.parametrize(
    "href", ["mailto:me@example.org", "/about/", "#top", "notes.html", "gemini://a.example/"]
)
def test_links_that_are_not_meant_as_blogs_are_neither_blogs_nor_mistakes(href: str) -> None:
    assert read_link_target(href) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example/",
        "http://127.0.0.1:8080/feed.xml",
        "http://[::1]:8080/",
        "http://intranet/",
    ],
)
def test_good_addresses_pass(url: str) -> None:
    assert check_url(url) is None


def test_opml_outlines_with_an_unreadable_feed_are_left_out_with_a_warning() -> None:
    text = (
        '<opml version="2.0"><head/><body>\n'
        '<outline text="Bad" xmlUrl="http://[::1/"/>\n'
        '<outline text="Good" xmlUrl="https://good.example/feed"/>\n'
        "</body></opml>\n"
    )

    blogroll = parse_opml(text)

    assert [e.url for e in blogroll.entries] == ["https://good.example/feed"]
    (warning,) = blogroll.warnings
    assert warning.line == 2
    assert "cannot be parsed" in warning.reason


# -- the page's own words ---------------------------------------------------------------------


def test_the_fixture_page_keeps_its_heading_introduction_and_category_introductions() -> None:
    blogroll = parse_markdown_blogroll((DATA / "blogroll.md").read_text(encoding="utf-8"))

    assert blogroll.heading == "Blogs I follow"
    assert blogroll.intro.startswith("A short list of people whose writing I read")
    assert blogroll.intro.endswith("a site leaves the list when I stop reading it.")
    assert "\n\n" in blogroll.intro  # two paragraphs
    assert blogroll.category_intros == (
        CategoryIntro("old computers", "Two people who repair machines and write up every step."),
    )
    assert blogroll.warnings == ()


def test_prose_after_a_category_list_is_not_an_introduction() -> None:
    text = "# B\n\n### One\nBefore.\n\n- [A](https://a.example/)\n\nAfter.\n"

    assert parse_markdown_blogroll(text).category_intros == (CategoryIntro("One", "Before."),)


def test_a_written_page_reads_back_with_its_prose() -> None:
    page = parse_markdown_blogroll((DATA / "blogroll.md").read_text(encoding="utf-8"))

    again = parse_markdown_blogroll(render_markdown_blogroll(page))

    assert again == page
