"""A blog's page: its slug, its activity chart, the entries it lists and when it is stale; the
status page's words for a fetch error (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from aggregator.models import Source, StoredEntry
from aggregator.publish.activity import activity_svg, monthly_counts
from aggregator.publish.blog_pages import (
    BlogPage,
    BlogPageSpec,
    blog_inputs,
    blog_path,
    blog_slugs,
)
from aggregator.publish.faces import FaceView
from aggregator.publish.views import BlogView, Health, error_words

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def source(id: int, title: str) -> Source:
    base = Source(
        id=1, url="https://b.example/", feed_url=None, site_url=None, title="B", feed_title=None,
        category="", note="", recommended=(), position=0, active=True, etag=None,
        last_modified=None, last_fetched_at=None, last_result=None, last_http_status=None,
        last_error_kind=None, last_error=None, failure_count=0, next_check_at=None,
    )  # fmt: skip
    return replace(base, id=id, title=title, url=f"https://{id}.example/")


def test_slugs_come_from_the_name_and_clashes_are_told_apart_by_id() -> None:
    blogs = [source(7, "Ton's Blog"), source(3, "Tons blog"), source(5, "XXIIVV")]

    assert blog_slugs(blogs) == {3: "tons-blog", 7: "tons-blog-7", 5: "xxiivv"}
    assert blog_path("xxiivv") == "blogs/xxiivv/index.html"


def test_a_slug_does_not_change_when_the_blogroll_is_reordered_or_grows() -> None:
    blogs = [source(3, "Tons blog"), source(7, "Ton's Blog")]
    before = blog_slugs(blogs)

    after = blog_slugs([source(9, "Tons  blog!"), *reversed(blogs)])

    assert {k: after[k] for k in before} == before
    assert after[9] == "tons-blog-9"


def test_activity_counts_the_last_twelve_months_oldest_first() -> None:
    dates = [
        datetime(2026, 3, 1, 5, tzinfo=UTC),
        datetime(2026, 3, 9, tzinfo=UTC),
        datetime(2025, 4, 30, tzinfo=UTC),
        datetime(2025, 3, 31, tzinfo=UTC),  # thirteen months back: not counted
    ]

    counts = monthly_counts(dates, NOW)

    assert len(counts) == 12
    assert (counts[0].month, counts[0].posts) == (date(2025, 4, 1), 1)
    assert (counts[-1].month, counts[-1].posts) == (date(2026, 3, 1), 2)
    assert sum(c.posts for c in counts) == 3


def test_the_activity_chart_is_self_contained_svg_that_says_itself_in_words() -> None:
    counts = monthly_counts([datetime(2026, 3, 1, tzinfo=UTC)] * 4, NOW)

    svg = etree.fromstring(activity_svg(counts, width=60, height=16))

    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == "4 posts in the last 12 months"
    assert "March 2026: 4" in (svg.findtext(f"{SVG}desc") or "")
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 12
    assert bars[-1].get("height") == "14" and bars[0].get("height") == "1"
    text = etree.tostring(svg).decode()
    assert "href" not in text and "url(" not in text and "<script" not in text


def test_a_blog_that_never_posted_has_a_flat_chart() -> None:
    svg = etree.fromstring(activity_svg(monthly_counts([], NOW)))

    assert svg.findtext(f"{SVG}title") == "0 posts in the last 12 months"
    assert {r.get("height") for r in svg.findall(f"{SVG}rect")} == {"1"}


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("http", 404, "HTTP 404"),
        ("http", 503, "HTTP 503"),
        ("http", None, "HTTP error"),
        ("timeout", None, "timed out"),
        ("network", None, "could not connect"),
        ("parse", 200, "not a feed"),
        ("redirect", None, "too many redirects"),
        ("refused", None, "address refused"),
        ("too_large", 200, "too large"),
        ("some_new_kind", None, "some new kind"),
        (None, None, "failed"),
    ],
)
def test_error_kinds_read_as_words(kind: str | None, status: int | None, words: str) -> None:
    assert error_words(kind, status) == words


# -- what a blog's page is rendered from -----------------------------------------------------


def stored(n: int, **changes: object) -> StoredEntry:
    entry = StoredEntry(
        id=n, key=f"k{n}", url=f"https://b.example/{n}", title=f"Post {n}", author=None,
        published=NOW, updated=NOW, summary="A summary.", content_html="<p>Body.</p>",
        source_id=1, source_title="B", source_url="https://b.example/", source_feed_url=None,
    )  # fmt: skip
    return replace(entry, **changes)


def spec(*entries: StoredEntry, note: str = "") -> BlogPageSpec:
    view = BlogView(
        title="B", site_url="https://b.example/", feed_url=None, note_html=note,
        recommended=(), latest=None, latest_age=None, health=Health("ok", "fetched"),
        last_error=None, source_id=1,
    )  # fmt: skip
    page = BlogPage("blogs/b/index.html", "<svg/>", "<svg/>", "No posts in the last year")
    return BlogPageSpec("B · Site", view, page, tuple(entries))


def inputs(blog: BlogPageSpec, *, face: FaceView | None = None, full: bool = False) -> str:
    return blog_inputs("shared", blog, face, 280, full)


@pytest.mark.parametrize(
    "changed",
    [
        {"title": "Post 1, retitled"},
        {"url": "https://b.example/moved"},
        {"author": "Ann"},
        {"summary": "Another summary."},
        {"published": datetime(2026, 3, 9, tzinfo=UTC)},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_blog_page_is_stale_when_anything_it_lists_changes(changed: dict[str, object]) -> None:
    assert inputs(spec(stored(1, **changed))) != inputs(spec(stored(1)))


def test_a_blog_page_is_stale_when_the_blog_its_face_or_its_entries_change() -> None:
    same = inputs(spec(stored(1), stored(2)))

    assert inputs(spec(stored(1), stored(2))) == same
    assert inputs(spec(stored(1))) != same
    assert inputs(spec(stored(1), stored(2), note="<p>New note</p>")) != same
    icon = FaceView("image", "B", src="icons/b.png")
    assert inputs(spec(stored(1), stored(2)), face=icon) != same
    assert blog_inputs("other shared", spec(stored(1), stored(2)), None, 280, False) != same


def test_content_counts_only_on_a_page_that_shows_it_in_full() -> None:
    edited = stored(1, content_html="<p>Edited body.</p>")

    assert inputs(spec(edited)) == inputs(spec(stored(1)))
    assert inputs(spec(edited), full=True) != inputs(spec(stored(1)), full=True)
