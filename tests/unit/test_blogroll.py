"""The blogroll: a Markdown "blogs I like" page or an OPML file becomes a list of blogs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aggregator.blogroll import build_opml, load_blogroll, parse_markdown_blogroll, parse_opml
from aggregator.errors import BlogrollError
from aggregator.models import Blogroll, BlogrollEntry, Recommended
from tests.support.paths import DATA, REPO, SHARED

SEEDS = SHARED / "seeds"


def fixture_page() -> Blogroll:
    return parse_markdown_blogroll((DATA / "blogroll.md").read_text(encoding="utf-8"))


def by_url(blogroll: Blogroll) -> dict[str, BlogrollEntry]:
    return {entry.url: entry for entry in blogroll.entries}


def categories(blogroll: Blogroll) -> Counter[str]:
    return Counter(entry.category for entry in blogroll.entries)


def opml(body: str, title: str = "My subscriptions") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<opml version="2.0"><head><title>{title}</title></head>\n'
        f"<body>\n{body}\n</body></opml>\n"
    )


# -- the Markdown fixture page ---------------------------------------------------------


def test_page_title_is_the_level_one_heading() -> None:
    assert fixture_page().title == "Blogs I follow"


def test_every_list_item_with_a_link_is_one_blog_in_page_order() -> None:
    assert [entry.url for entry in fixture_page().entries] == [
        "https://soil.example.net/",
        "https://compost.example.org/journal/",
        "https://mira.example.com/",
        "https://byteshed.example.io/",
        "https://nightradio.example.fm/",
        "https://tapehiss.example.org/",
    ]


def test_level_three_headings_are_categories() -> None:
    assert categories(fixture_page()) == {"gardening": 2, "old computers": 2, "listening": 2}


@pytest.mark.parametrize(
    ("url", "title", "feed_url", "category"),
    [
        (
            "https://soil.example.net/",
            "Soil Notes",
            "https://soil.example.net/index.xml",
            "gardening",
        ),
        (
            "https://compost.example.org/journal/",
            "Compost Corner",
            "https://compost.example.org/rss.xml",
            "gardening",
        ),
        ("https://mira.example.com/", "Mira's workbench", None, "old computers"),
        ("https://byteshed.example.io/", "Byte Shed", None, "old computers"),
        ("https://nightradio.example.fm/", "Night Radio", None, "listening"),
        (
            "https://tapehiss.example.org/",
            "Tape Hiss",
            "https://tapehiss.example.org/feed/",
            "listening",
        ),
    ],
    ids=[
        "linked-name-with-feed",
        "bare-url-after-name-with-feed-at-end",
        "bare-url-with-trailing-full-stop",
        "linked-name-without-feed",
        "bare-url-before-space-and-full-stop",
        "rss-link-counts-as-feed",
    ],
)
def test_each_blog_has_its_title_site_and_feed(
    url: str, title: str, feed_url: str | None, category: str
) -> None:
    entry = by_url(fixture_page())[url]

    assert entry.title == title
    assert entry.site_url == url
    assert entry.feed_url == feed_url
    assert entry.category == category


def test_a_profile_link_inside_a_note_is_not_a_blog() -> None:
    page = fixture_page()

    assert all("social.example" not in entry.url for entry in page.entries)
    assert "[her Mastodon profile](https://social.example/@byteshed)" in (
        by_url(page)["https://byteshed.example.io/"].note
    )


def test_intro_paragraphs_are_not_blogs() -> None:
    notes = " ".join(entry.note for entry in fixture_page().entries)

    assert "Nothing here is sponsored" not in notes
    assert "Two people who repair machines" not in notes


def test_note_is_the_text_after_a_linked_name() -> None:
    entry = by_url(fixture_page())["https://tapehiss.example.org/"]

    assert entry.note == "cassette culture, old and new."


def test_a_list_item_continued_on_an_unindented_line_keeps_both_lines_in_its_note() -> None:
    entry = by_url(fixture_page())["https://soil.example.net/"]

    assert entry.note == (
        "a weekly diary of one allotment, failures included.\n"
        "Every spring starts with the same optimism and ends with slugs."
    )


def test_note_of_a_bare_url_item_keeps_the_sentence_but_drops_the_feed_link() -> None:
    entry = by_url(fixture_page())["https://compost.example.org/journal/"]

    assert "keeps a log of heaps, worms and temperatures." in entry.note
    assert "feed" not in entry.note
    assert "rss.xml" not in entry.note


def test_nested_items_are_recommended_posts_of_their_blog() -> None:
    page = by_url(fixture_page())

    assert page["https://mira.example.com/"].recommended == (
        Recommended(
            title="Recapping a green-screen monitor",
            url="https://mira.example.com/2023/05/recap.html",
        ),
        Recommended(
            title="A keyboard built from scraps",
            url="https://mira.example.com/2024/01/keyboard.html",
        ),
    )
    others = [entry for url, entry in page.items() if url != "https://mira.example.com/"]
    assert all(entry.recommended == () for entry in others)


def test_recommended_posts_are_not_blogs_of_their_own() -> None:
    urls = {entry.url for entry in fixture_page().entries}

    assert "https://mira.example.com/2023/05/recap.html" not in urls


# -- smaller Markdown rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_urls"),
    [
        ("- [A](https://a.example/)\n- nothing to follow here\n", ["https://a.example/"]),
        ("- [A](https://a.example/)\n- again: https://a.example/\n", ["https://a.example/"]),
        ("1. [A](https://a.example/)\n2. [B](http://b.example/)\n", ["https://a.example/", "http://b.example/"]),
        ("- [feed](https://a.example/feed.xml) [A](https://a.example/)\n", ["https://a.example/"]),
        ("Some text with https://not-a-list.example/ in it.\n", []),
        ("- [local](/about/) and https://b.example/\n", ["https://b.example/"]),
    ],
    ids=[
        "item-without-link-skipped",
        "duplicate-url-kept-once",
        "ordered-list",
        "feed-link-before-name",
        "paragraph-link-ignored",
        "relative-link-ignored",
    ],
)  # fmt: skip
def test_which_items_become_blogs(text: str, expected_urls: list[str]) -> None:
    assert [entry.url for entry in parse_markdown_blogroll(text).entries] == expected_urls


def test_feed_link_before_the_name_still_gives_the_feed_url() -> None:
    (entry,) = parse_markdown_blogroll(
        "- [atom](https://a.example/atom.xml) [A](https://a.example/)\n"
    ).entries

    assert entry.feed_url == "https://a.example/atom.xml"
    assert entry.title == "A"


def test_page_without_a_level_one_heading_is_called_blogroll() -> None:
    assert parse_markdown_blogroll("## Friends\n- [A](https://a.example/)\n").title == "Blogroll"


def test_blogs_before_any_heading_have_no_category() -> None:
    (entry,) = parse_markdown_blogroll("- [A](https://a.example/)\n").entries

    assert entry.category == ""


def test_recommended_post_given_as_bare_url_is_titled_by_its_url() -> None:
    (entry,) = parse_markdown_blogroll(
        "- [A](https://a.example/)\n  - https://a.example/post-1\n  - a line with no link\n"
    ).entries

    assert entry.recommended == (
        Recommended(title="https://a.example/post-1", url="https://a.example/post-1"),
    )


@pytest.mark.parametrize(
    "item",
    [
        "- [*Soil Notes*](https://soil.example.net/) - a garden diary\n",
        '- [Soil Notes](https://soil.example.net/ "home") - a garden diary\n',
    ],
    ids=["emphasised-link-text", "link-with-title"],
)
def test_note_leaves_out_the_name_link_however_it_is_written(item: str) -> None:
    (entry,) = parse_markdown_blogroll(item).entries

    assert entry.title == "Soil Notes"
    assert entry.note == "a garden diary"


def test_byte_order_mark_does_not_hide_the_page_title(tmp_path: Path) -> None:
    text = "\ufeff# Friends' sites\n\n- [A](https://a.example/)\n"
    path = tmp_path / "blogroll.md"
    path.write_text(text, encoding="utf-8")

    assert load_blogroll(path).title == "Friends' sites"
    assert parse_markdown_blogroll(text).title == "Friends' sites"


@pytest.mark.parametrize(
    ("item", "feed_url"),
    [
        ("- [Atom](https://atom.example/) - a blog called Atom\n", None),
        (
            "- [Atom](https://atom.example/) ([feed](https://atom.example/feed.xml)) - notes\n",
            "https://atom.example/feed.xml",
        ),
    ],
    ids=["alone", "with-feed-link"],
)
def test_a_blog_named_like_a_feed_link_is_still_the_blog(item: str, feed_url: str | None) -> None:
    (entry,) = parse_markdown_blogroll(item).entries

    assert entry.url == "https://atom.example/"
    assert entry.title == "Atom"
    assert entry.feed_url == feed_url


# -- the project's own example site ---------------------------------------------------


def test_default_site_blogroll_lists_seven_blogs_in_three_categories() -> None:
    blogroll = load_blogroll(REPO / "config" / "blogroll.md")

    assert len(blogroll.entries) == 7
    assert categories(blogroll) == {"permacomputing": 2, "ML": 3, "music": 2}
    assert all(entry.url.startswith("https://") for entry in blogroll.entries)
    assert all("x.com" not in entry.url for entry in blogroll.entries)


def test_default_site_blogroll_gives_feed_urls_where_written() -> None:
    feeds = {e.url: e.feed_url for e in load_blogroll(REPO / "config" / "blogroll.md").entries}

    assert feeds["https://sander.ai/"] == "https://sander.ai/feed.xml"
    assert feeds["https://100r.co/site/home.html"] == "https://100r.co/links/rss.xml"
    assert feeds["https://www.delayed.nyc/"] is None


# -- a real "blogs I like" page --------------------------------------------------------


def seed_blogroll() -> Blogroll:
    path = SEEDS / "003_85663dbc55c5be05.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return parse_markdown_blogroll(path.read_text(encoding="utf-8"))


def test_real_page_lists_seven_blogs_in_three_categories() -> None:
    blogroll = seed_blogroll()

    assert blogroll.title == "Blogs I like"
    assert len(blogroll.entries) == 7
    assert categories(blogroll) == {"permacomputing": 2, "ML": 3, "music": 2}


def test_real_page_does_not_follow_the_x_profile_link() -> None:
    blogroll = seed_blogroll()

    assert all("x.com" not in entry.url for entry in blogroll.entries)
    underground = by_url(blogroll)["https://optimisticunderground.com/"]
    assert "x.com/funkentechno" in underground.note


def test_real_page_keeps_the_three_recommended_posts_under_their_blog() -> None:
    blogroll = by_url(seed_blogroll())

    recommended = blogroll["https://sander.ai/"].recommended
    assert [post.url for post in recommended] == [
        "https://sander.ai/2025/04/15/latents.html",
        "https://sander.ai/2024/09/02/spectral-autoregression.html",
        "https://sander.ai/2024/06/14/noise-schedules.html",
    ]
    assert recommended[0].title == "Generative modelling in latent space"
    others = [entry for url, entry in blogroll.items() if url != "https://sander.ai/"]
    assert all(entry.recommended == () for entry in others)


# -- OPML ------------------------------------------------------------------------------

NESTED_OPML = opml(
    """
  <outline text="Gardening" title="Gardening">
    <outline type="rss" text="Soil Notes" title="Soil Notes"
             xmlUrl="https://soil.example.net/index.xml" htmlUrl="https://soil.example.net/"
             description="A weekly allotment diary."/>
    <outline text="Worms">
      <outline type="rss" text="Compost Corner" xmlUrl="https://compost.example.org/rss.xml"/>
    </outline>
  </outline>
  <outline text="Loose" type="rss" xmlUrl="https://loose.example/feed"/>
  <outline text="Radio">
    <outline type="rss" text="Night Radio" xmlUrl="https://nightradio.example.fm/feed/"
             htmlUrl="https://nightradio.example.fm/"/>
    <outline type="rss" text="Duplicate" xmlUrl="https://soil.example.net/index.xml"/>
  </outline>
"""
)


def test_opml_keeps_feed_site_title_and_description() -> None:
    blogroll = parse_opml(NESTED_OPML)
    soil = blogroll.entries[0]

    assert blogroll.title == "My subscriptions"
    assert soil == BlogrollEntry(
        url="https://soil.example.net/index.xml",
        feed_url="https://soil.example.net/index.xml",
        site_url="https://soil.example.net/",
        title="Soil Notes",
        category="Gardening",
        note="A weekly allotment diary.",
    )


def test_opml_enclosing_outlines_are_categories_innermost_wins() -> None:
    entries = parse_opml(NESTED_OPML).entries

    assert [(e.title, e.category) for e in entries] == [
        ("Soil Notes", "Gardening"),
        ("Compost Corner", "Worms"),
        ("Loose", ""),
        ("Night Radio", "Radio"),
    ]


def test_opml_outline_without_html_url_has_no_site_url() -> None:
    compost = parse_opml(NESTED_OPML).entries[1]

    assert compost.site_url is None
    assert compost.note == ""


def test_opml_feed_listed_twice_is_kept_once() -> None:
    feeds = [entry.feed_url for entry in parse_opml(NESTED_OPML).entries]

    assert feeds.count("https://soil.example.net/index.xml") == 1


def test_opml_without_a_head_title_is_called_blogroll() -> None:
    text = (
        '<opml version="1.0"><body><outline text="A" xmlUrl="https://a.example/f"/></body></opml>'
    )

    assert parse_opml(text).title == "Blogroll"


def test_build_opml_then_parse_opml_gives_the_same_blogs() -> None:
    original = Blogroll(
        title="Blogs I follow",
        entries=(
            BlogrollEntry(
                url="https://soil.example.net/index.xml",
                feed_url="https://soil.example.net/index.xml",
                site_url="https://soil.example.net/",
                title="Soil Notes",
                category="gardening",
                note="A weekly diary.\nSlugs & all <3",
            ),
            BlogrollEntry(
                url="https://compost.example.org/rss.xml",
                feed_url="https://compost.example.org/rss.xml",
                site_url="https://compost.example.org/",
                title="Compost Corner",
                category="gardening",
            ),
            BlogrollEntry(
                url="https://tapehiss.example.org/feed/",
                feed_url="https://tapehiss.example.org/feed/",
                site_url=None,
                title='Tape "Hiss" — cassettes',
                category="",
                note="Uncategorised.",
            ),
        ),
    )

    assert parse_opml(build_opml(original).decode("utf-8")) == original


def test_markdown_blogroll_survives_an_opml_export_by_feed_url() -> None:
    page = fixture_page()

    exported = parse_opml(build_opml(page).decode("utf-8"))

    def summary(blogroll: Blogroll) -> list[tuple[str, str | None, str | None, str, str]]:
        return [
            (e.feed_url or e.url, e.site_url, e.title, e.category, e.note) for e in blogroll.entries
        ]

    assert exported.title == page.title
    assert summary(exported) == summary(page)


def test_build_opml_is_a_utf8_opml_2_document() -> None:
    document = build_opml(fixture_page())

    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<opml version="2.0">' in document
    assert document.endswith(b"\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<opml><body><outline", "invalid OPML"),
        ("", "invalid OPML"),
        ("<rss version='2.0'><channel><title>x</title></channel></rss>", "not an OPML document"),
        ("<opml version='2.0'><head><title>x</title></head></opml>", "not an OPML document"),
    ],
    ids=["truncated-xml", "empty", "rss-not-opml", "opml-without-body"],
)
def test_unreadable_opml_raises_blogroll_error_naming_the_file(text: str, expected: str) -> None:
    with pytest.raises(BlogrollError) as caught:
        parse_opml(text, "subscriptions.opml")

    assert str(caught.value).startswith("subscriptions.opml: ")
    assert expected in str(caught.value)


# -- load_blogroll ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["blogs.opml", "blogs.OPML", "blogs.xml"])
def test_load_blogroll_reads_opml_by_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(NESTED_OPML, encoding="utf-8")

    assert len(load_blogroll(path).entries) == 4


def test_load_blogroll_reads_markdown_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "blogroll.md"
    path.write_text((DATA / "blogroll.md").read_text(encoding="utf-8"), encoding="utf-8")

    assert load_blogroll(path) == fixture_page()


def test_load_blogroll_names_a_bad_opml_file(tmp_path: Path) -> None:
    path = tmp_path / "blogs.opml"
    path.write_text("- [A](https://a.example/)\n", encoding="utf-8")

    with pytest.raises(BlogrollError, match="invalid OPML") as caught:
        load_blogroll(path)

    assert str(path) in str(caught.value)


def test_load_blogroll_reports_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.opml"

    with pytest.raises(BlogrollError) as caught:
        load_blogroll(path)

    assert str(caught.value) == f"{path}: blogroll file not found"


def test_load_blogroll_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "blogroll.md"
    path.write_bytes("- [Caf\xe9](https://cafe.example/)\n".encode("latin-1"))

    with pytest.raises(BlogrollError) as caught:
        load_blogroll(path)

    assert str(path) in str(caught.value)
