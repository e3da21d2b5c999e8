"""The owner's posts: Markdown files with Hugo/Jekyll front matter, or none at all."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aggregator.errors import PostError
from aggregator.models import Post
from aggregator.posts import load_posts, parse_post, post_url
from tests.support.paths import SHARED

SITE = "https://kim.example.org/"
SEEDS = SHARED / "seeds"
#: 2024-06-01 12:00:00 UTC, used as the file modification time.
MTIME = 1717243200.0


def yaml_post(front: str, body: str = "Some body text.\n") -> str:
    return f"---\n{front.strip()}\n---\n{body}"


def parse(text: str, name: str = "a-post.md", mtime: float | None = MTIME) -> Post:
    return parse_post(text, Path(name), SITE, mtime=mtime)


def post_error(text: str, name: str = "a-post.md") -> str:
    with pytest.raises(PostError) as caught:
        parse(text, name)
    return str(caught.value)


def write_post(folder: Path, name: str, text: str, mtime: float = MTIME) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- front matter formats ------------------------------------------------------------


def test_hugo_yaml_front_matter() -> None:
    post = parse(
        yaml_post(
            """
title: "Reading feeds on a train"
date: 2024-02-03T10:00:00+01:00
draft: false
tags: ["feeds", "travel"]
categories: [notes]
""",
            "Offline reading works better than expected.\n\nMore later.\n",
        ),
        name="reading-on-a-train.md",
    )

    assert post.title == "Reading feeds on a train"
    assert post.published == utc(2024, 2, 3, 9, 0)
    assert post.draft is False
    assert post.tags == ("feeds", "travel")
    assert post.categories == ("notes",)
    assert post.slug == "reading-on-a-train"
    assert post.updated is None
    assert post.content_html == (
        "<p>Offline reading works better than expected.</p>\n<p>More later.</p>\n"
    )


def test_jekyll_front_matter_excerpt_is_the_summary_and_header_is_kept() -> None:
    post = parse(
        yaml_post(
            """
title: "Notes from a workshop"
date: 2024-10-04
tags: [tools, craft]
excerpt: "What I learned in two days."
header:
  teaser: /images/bench.jpg
  overlay_filter: 0.4
""",
            "The first day was all about sharpening.\n",
        )
    )

    assert post.summary == "What I learned in two days."
    assert post.metadata["header"] == {"teaser": "/images/bench.jpg", "overlay_filter": 0.4}
    assert post.metadata["excerpt"] == "What I learned in two days."
    assert "title" not in post.metadata
    assert post.published == utc(2024, 10, 4)


def test_jekyll_file_name_gives_date_and_slug_when_front_matter_has_no_date() -> None:
    post = parse(yaml_post("title: Undated"), name="2024-03-05-my-slug.md")

    assert post.published == utc(2024, 3, 5)
    assert post.slug == "my-slug"


def test_front_matter_date_wins_over_the_jekyll_file_name() -> None:
    post = parse(yaml_post("title: Dated\ndate: 2023-12-24"), name="2024-03-05-my-slug.md")

    assert post.published == utc(2023, 12, 24)
    assert post.slug == "my-slug"


def test_slug_from_front_matter_is_slugified() -> None:
    post = parse(yaml_post("title: t\ndate: 2024-01-01\nslug: Custom Slug, Again!"), "x.md")

    assert post.slug == "custom-slug-again"


def test_toml_front_matter() -> None:
    post = parse(
        '+++\ntitle = "Bread, week three"\ndate = 2023-01-02\ntags = ["baking"]\n+++\n'
        "The crumb is *finally* open.\n"
    )

    assert post.title == "Bread, week three"
    assert post.published == utc(2023, 1, 2)
    assert post.tags == ("baking",)
    assert post.content_html == "<p>The crumb is <em>finally</em> open.</p>\n"


def test_json_front_matter() -> None:
    post = parse(
        '{\n  "title": "A JSON header",\n  "date": "2022-05-06T08:30:00Z",\n'
        '  "tags": ["meta"]\n}\nBody after the object.\n'
    )

    assert post.title == "A JSON header"
    assert post.published == utc(2022, 5, 6, 8, 30)
    assert post.tags == ("meta",)
    assert post.content_html == "<p>Body after the object.</p>\n"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-03-05", utc(2024, 3, 5)),
        ("2024-03-05T10:00:00-05:00", utc(2024, 3, 5, 15, 0)),
        ("2024-03-05 10:00:00 +0200", utc(2024, 3, 5, 8, 0)),
        ("'2024-03-05T10:00:00Z'", utc(2024, 3, 5, 10, 0)),
        ("Tue, 05 Mar 2024 10:00:00 GMT", utc(2024, 3, 5, 10, 0)),
        ("2024-03-05T10:00:00", utc(2024, 3, 5, 10, 0)),
    ],
    ids=["date", "iso-offset", "jekyll-style", "quoted-iso-z", "rfc-822", "naive-is-utc"],
)
def test_dates_in_front_matter_are_read_as_aware_utc(written: str, expected: datetime) -> None:
    published = parse(yaml_post(f"title: t\ndate: {written}")).published

    assert published == expected
    assert published.tzinfo == UTC


def test_lastmod_is_the_updated_date() -> None:
    post = parse(yaml_post("title: t\ndate: 2024-01-01\nlastmod: 2024-02-01"))

    assert post.updated == utc(2024, 2, 1)


def test_crlf_line_endings_and_byte_order_mark_are_accepted() -> None:
    post = parse("\ufeff---\r\ntitle: Windows\r\ndate: 2020-01-01\r\n---\r\nBody.\r\n")

    assert post.title == "Windows"
    assert post.content_html == "<p>Body.</p>\n"


# -- no front matter ---------------------------------------------------------------------


def test_without_front_matter_the_first_line_is_the_title_and_mtime_the_date() -> None:
    post = parse("a plain first line\nThe rest of the note.\n", name="plain.md")

    assert post.title == "a plain first line"
    assert post.published == utc(2024, 6, 1, 12, 0)
    assert post.content_html == "<p>The rest of the note.</p>\n"


def test_without_front_matter_the_first_heading_is_the_title_and_is_not_repeated() -> None:
    post = parse("\n# What a *feed* is for\n\nA short answer.\n", name="feeds.md")

    assert post.title == "What a feed is for"
    assert "What a" not in post.content_html
    assert "<h1" not in post.content_html
    assert post.content_html == "<p>A short answer.</p>\n"


def test_without_any_date_and_no_mtime_the_post_is_an_error() -> None:
    with pytest.raises(PostError, match="no date"):
        parse("Title\nbody\n", name="undated.md", mtime=None)


def test_empty_post_has_no_title() -> None:
    message = post_error(yaml_post("draft: false", "\n\n"), name="empty.md")

    assert message.startswith("empty.md: ")
    assert "no title" in message


# -- summaries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "body", "summary"),
    [
        (
            "",
            "Above the fold.\n\n<!--more-->\n\nBelow the fold.\n",
            "Above the fold.",
        ),
        (
            "summary: From the field",
            "Intro.\n<!-- more -->\nRest.\n",
            "Intro.",
        ),
        (
            "description: Described in front matter",
            "Opening paragraph.\n",
            "Described in front matter",
        ),
        (
            "",
            "Opening **paragraph** here.\n\nSecond paragraph.\n",
            "Opening paragraph here.",
        ),
        (
            "",
            "## A heading first\n\nThen the paragraph.\n",
            "Then the paragraph.",
        ),
    ],
    ids=["more-marker", "more-wins-over-field", "description", "first-paragraph", "skip-heading"],
)
def test_summary(front: str, body: str, summary: str) -> None:
    post = parse(yaml_post(f"title: t\ndate: 2024-01-01\n{front}", body))

    assert post.summary == summary


def test_more_marker_is_not_visible_in_the_content() -> None:
    post = parse(yaml_post("title: t\ndate: 2024-01-01", "One.\n\n<!--more-->\n\nTwo.\n"))

    assert "more" not in post.content_html
    assert "<p>One.</p>" in post.content_html
    assert "<p>Two.</p>" in post.content_html


def test_long_summary_is_cut_with_an_ellipsis() -> None:
    post = parse(yaml_post("title: t\ndate: 2024-01-01", "word " * 200))

    assert len(post.summary) <= 280
    assert post.summary.endswith("word…")


# -- mojibake ---------------------------------------------------------------------------

MOJIBAKE_TITLE = "🛣️ Road — notes".encode().decode("mac_roman")


def test_title_read_through_the_wrong_encoding_is_repaired() -> None:
    post = parse(yaml_post(f'title: "{MOJIBAKE_TITLE}"\ndate: 2025-01-01', "Plain body.\n"))

    assert post.title == "🛣️ Road — notes"


def test_whole_post_read_through_the_wrong_encoding_is_repaired() -> None:
    body = "A dash — and a quote’s end.\n".encode().decode("mac_roman")
    post = parse(yaml_post(f'title: "{MOJIBAKE_TITLE}"\ndate: 2025-01-01', body))

    assert post.title == "🛣️ Road — notes"
    assert post.content_html == "<p>A dash — and a quote’s end.</p>\n"


def test_mojibake_title_is_repaired_when_the_body_is_correct_utf8() -> None:
    post = parse(yaml_post(f'title: "{MOJIBAKE_TITLE}"\ndate: 2025-01-01', "Café — open.\n"))

    assert post.title == "🛣️ Road — notes"


def test_text_that_cannot_be_repaired_is_left_as_it_is_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A space crept into the mis-decoded bytes of a quote mark: ftfy cannot undo that.
    broken = "A quote â€ œ split by a space"

    with caplog.at_level("WARNING", logger="aggregator.posts"):
        post = parse(yaml_post("title: Broken\ndate: 2025-01-01", f"{broken}\n"), "lost.md")

    assert f"<p>{broken}</p>" in post.content_html
    (record,) = [r for r in caplog.records if "mojibake" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "lost.md" in record.getMessage()


def test_repairable_text_gives_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="aggregator.posts"):
        parse(yaml_post(f'title: "{MOJIBAKE_TITLE}"\ndate: 2025-01-01', "Plain body.\n"))

    assert not [r for r in caplog.records if "mojibake" in r.getMessage()]


def test_correct_non_ascii_text_is_left_alone() -> None:
    post = parse(yaml_post('title: "Crème brûlée — 🍮"\ndate: 2025-01-01', "Ça va ‽\n"))

    assert post.title == "Crème brûlée — 🍮"
    assert post.content_html == "<p>Ça va ‽</p>\n"


# -- broken files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: ok\ndate: 2024-01-01\nsummary: one: two\n---\nbody\n", 4),
        ("---\ntitle: ok\n  indented: wrongly\n---\nbody\n", 3),
    ],
    ids=["colon-in-value", "bad-indentation"],
)
def test_broken_yaml_front_matter_names_the_file_and_line(text: str, line: int) -> None:
    message = post_error(text, name="posts/broken.md")

    assert message.startswith("posts/broken.md: invalid YAML front matter")
    assert f"line {line}" in message


def test_broken_toml_front_matter_names_the_file_and_line() -> None:
    message = post_error('+++\ntitle = "ok"\ndate = 2024-01-01\nbad =\n+++\nbody\n', "t.md")

    assert message.startswith("t.md: invalid TOML front matter")
    assert "line 4" in message


def test_broken_json_front_matter_names_the_file_and_line() -> None:
    message = post_error('{"title": "ok",\n "date": "2024-01-01",\n}\nbody\n', "j.md")

    assert message.startswith("j.md: invalid JSON front matter")
    assert "line 3" in message


@pytest.mark.parametrize("fence", ["---", "+++"])
def test_unclosed_front_matter_fence_is_an_error_naming_the_file(fence: str) -> None:
    message = post_error(f"{fence}\ntitle: never closed\n\nBody text.\n", name="open.md")

    assert message.startswith("open.md: ")
    assert "never closed" in message


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("- a\n- b", "must be a mapping"),
        ("title: t\ndate: next tuesday", "'date'"),
        ("title: t\ndate: 2024-01-01\nlastmod: soon", "'lastmod'"),
    ],
    ids=["list-not-mapping", "unreadable-date", "unreadable-lastmod"],
)
def test_unusable_front_matter_values_are_errors(front: str, expected: str) -> None:
    message = post_error(yaml_post(front), name="odd.md")

    assert message.startswith("odd.md: ")
    assert expected in message


# -- Markdown rendering -----------------------------------------------------------------------


def render(body: str, name: str = "render-me.md") -> str:
    return parse(yaml_post("title: t\ndate: 2024-01-01", body), name=name).content_html


def test_tables_render() -> None:
    html = render("| fruit | count |\n|---|---:|\n| fig | 3 |\n")

    assert "<table>" in html
    assert "<th>fruit</th>" in html
    assert "<td>fig</td>" in html


def test_strikethrough_renders() -> None:
    assert render("~~old~~ new\n") == "<p><s>old</s> new</p>\n"


def test_footnotes_render() -> None:
    html = render("A claim.[^src]\n\n[^src]: The source.\n")

    assert '<sup class="footnote-ref"><a href="#fn1"' in html
    assert "The source." in html


def test_footnote_links_have_targets() -> None:
    html = render("A claim.[^src]\n\n[^src]: The source.\n")

    for target in re.findall(r'href="#([^"]+)"', html):
        assert f'id="{target}"' in html


def test_headings_get_ids_and_a_link_to_themselves() -> None:
    html = render("## Getting started\n\n### Getting started\n\n#### Ünïcode & more\n")

    assert (
        '<h2 id="getting-started">Getting started <a class="header-anchor" href="#getting-started"'
        in html
    )
    assert '<h3 id="getting-started-1">Getting started <a class="header-anchor"' in html
    assert '<h4 id="ünïcode--more">' in html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[next door](../other-post/)", 'href="https://kim.example.org/posts/other-post/"'),
        ("[sibling](notes.html)", 'href="https://kim.example.org/posts/render-me/notes.html"'),
        ("![a fig](fig.png)", 'src="https://kim.example.org/posts/render-me/fig.png"'),
        ("![root](/images/fig.png)", 'src="https://kim.example.org/images/fig.png"'),
        ("[away](https://elsewhere.example/)", 'href="https://elsewhere.example/"'),
        ("[jump](#section)", 'href="#section"'),
    ],
    ids=["parent", "sibling", "image", "root-relative-image", "absolute", "fragment"],
)
def test_relative_links_resolve_against_the_post_permalink(markdown: str, expected: str) -> None:
    assert expected in render(f"{markdown}\n")


@pytest.mark.parametrize(
    ("pattern", "url"),
    [
        ("/posts/{slug}/", "https://kim.example.org/posts/fig-notes/"),
        ("/{year}/{month}/{day}/{slug}/", "https://kim.example.org/2024/03/05/fig-notes/"),
        ("/writing/{slug}/", "https://kim.example.org/writing/fig-notes/"),
    ],
    ids=["default", "dated", "other-folder"],
)
def test_permalink_pattern_gives_the_page_and_the_base_for_relative_links(
    pattern: str, url: str
) -> None:
    post = parse_post(
        yaml_post("title: Figs\ndate: 2024-03-05", "![a fig](fig.png)\n"),
        Path("fig-notes.md"),
        SITE,
        permalink=pattern,
    )

    assert SITE + post.local_path == url
    assert f'src="{url}fig.png"' in post.content_html
    assert post_url(SITE, "fig-notes", post.published, pattern) == url


def test_front_matter_id_is_kept_as_the_atom_id_and_not_as_metadata() -> None:
    post = parse(yaml_post("title: t\ndate: 2024-01-01\nid: urn:uuid:8c1e-post"))

    assert post.atom_id == "urn:uuid:8c1e-post"
    assert "id" not in post.metadata


def test_updated_is_read_like_lastmod() -> None:
    post = parse(yaml_post("title: t\ndate: 2024-01-01\nupdated: 2024-03-01T10:00:00Z"))

    assert post.updated == utc(2024, 3, 1, 10, 0)


def test_summary_length_is_configurable() -> None:
    post = parse_post(
        yaml_post("title: t\ndate: 2024-01-01", "word " * 100),
        Path("long.md"),
        SITE,
        summary_length=50,
    )

    assert len(post.summary) <= 50
    assert post.summary.endswith("word…")


def test_permalink_is_site_posts_slug() -> None:
    assert post_url(SITE, "my-slug") == "https://kim.example.org/posts/my-slug/"
    assert post_url("https://example.org/~kim/", "x") == "https://example.org/~kim/posts/x/"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('owned')</script>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">click</a>',
        '<iframe src="https://evil.example/"></iframe>',
    ],
)
def test_raw_html_in_a_post_is_sanitized(hostile: str) -> None:
    html = render(f"Before.\n\n{hostile}\n\nAfter.\n").lower()

    assert "<script" not in html
    assert "alert" not in html
    assert "onerror" not in html
    assert "<iframe" not in html
    assert "<p>before.</p>" in html
    assert "<p>after.</p>" in html


# -- load_posts ---------------------------------------------------------------------------------


def test_load_posts_returns_posts_newest_first_and_leaves_out_drafts(tmp_path: Path) -> None:
    write_post(tmp_path, "older.md", yaml_post("title: Older\ndate: 2023-01-01"))
    write_post(tmp_path, "newer.md", yaml_post("title: Newer\ndate: 2024-01-01"))
    write_post(tmp_path, "draft.md", yaml_post("title: Draft\ndate: 2025-01-01\ndraft: true"))
    write_post(tmp_path, "quoted.md", yaml_post('title: Draft 2\ndate: 2025-01-01\ndraft: "yes"'))
    write_post(tmp_path, "nested/deeper.md", yaml_post("title: Deeper\ndate: 2023-06-01"))
    write_post(tmp_path, "notes.txt", "Not a post\n")

    loaded = load_posts(tmp_path, SITE)

    assert [post.title for post in loaded.posts] == ["Newer", "Deeper", "Older"]
    assert loaded.errors == ()


def test_a_broken_post_is_reported_and_the_others_are_still_returned(tmp_path: Path) -> None:
    write_post(tmp_path, "good.md", yaml_post("title: Good\ndate: 2024-01-01"))
    broken = write_post(
        tmp_path, "broken.md", "---\ntitle: Broken\ndate: 2024-01-02\nsummary: a: b\n---\nx\n"
    )

    loaded = load_posts(tmp_path, SITE)

    assert [post.title for post in loaded.posts] == ["Good"]
    (error,) = loaded.errors
    assert str(broken) in str(error)
    assert "line 4" in str(error)


def test_a_post_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    write_post(tmp_path, "good.md", yaml_post("title: Good\ndate: 2024-01-01"))
    latin = tmp_path / "latin.md"
    latin.write_bytes(yaml_post("title: Caf\xe9\ndate: 2024-01-01").encode("latin-1"))

    loaded = load_posts(tmp_path, SITE)

    assert [post.title for post in loaded.posts] == ["Good"]
    (error,) = loaded.errors
    assert str(latin) in str(error)
    assert "UTF-8" in str(error)


def test_two_posts_on_one_page_keep_the_newer(tmp_path: Path) -> None:
    write_post(tmp_path, "a.md", yaml_post("title: First\ndate: 2020-01-01\nslug: same-day"))
    write_post(tmp_path, "b.md", yaml_post("title: Second\ndate: 2021-01-01\nslug: Same Day"))

    loaded = load_posts(tmp_path, SITE, permalink="/{year}/{slug}/")

    assert [post.title for post in loaded.posts] == ["Second"]
    (error,) = loaded.errors
    assert "a.md" in str(error)


def test_two_posts_with_the_same_slug_keep_the_newer(tmp_path: Path) -> None:
    write_post(tmp_path, "2020-01-01-same.md", yaml_post("title: First"))
    write_post(tmp_path, "2021-01-01-same.md", yaml_post("title: Second"))

    loaded = load_posts(tmp_path, SITE)

    assert [post.title for post in loaded.posts] == ["Second"]
    (error,) = loaded.errors
    assert "'same'" in str(error)


def test_post_without_date_uses_the_file_modification_time(tmp_path: Path) -> None:
    write_post(tmp_path, "undated.md", "Undated thoughts\nA body.\n", mtime=MTIME)

    (post,) = load_posts(tmp_path, SITE).posts

    assert post.published == utc(2024, 6, 1, 12, 0)


# -- real posts -----------------------------------------------------------------------------

SEED_POSTS = ("000", "001", "002", "004")
FRONT_MATTER_WORDS = ("draft:", "overlay_image", "showToc", "featureAlt", "use_math", "title:")


@pytest.fixture
def seed_posts(tmp_path: Path) -> dict[str, Post]:
    sources = {prefix: sorted(SEEDS.glob(f"{prefix}_*.txt")) for prefix in SEED_POSTS}
    if not all(sources.values()):
        pytest.skip(f"seed posts are not available in {SEEDS}")
    for prefix, (source,) in sources.items():
        target = tmp_path / f"{prefix}.md"
        shutil.copyfile(source, target)
        os.utime(target, (MTIME, MTIME))
    loaded = load_posts(tmp_path, SITE)
    assert loaded.errors == ()
    return {Path(post.path).stem: post for post in loaded.posts}


def test_real_posts_all_load(seed_posts: dict[str, Post]) -> None:
    assert sorted(seed_posts) == list(SEED_POSTS)


@pytest.mark.parametrize(
    ("prefix", "title_start", "day"),
    [
        ("000", "Why I start to write", date(2024, 12, 13)),
        ("001", "why the posts?", date(2024, 6, 1)),
        ("002", "🛣️ Blog manifesto", date(2025, 7, 12)),
        ("004", "Why did I start writing on my page", date(2024, 10, 4)),
    ],
)
def test_real_posts_have_the_right_titles_and_dates(
    seed_posts: dict[str, Post], prefix: str, title_start: str, day: date
) -> None:
    post = seed_posts[prefix]

    assert post.title.startswith(title_start)
    assert post.published.date() == day


def test_real_post_without_front_matter_does_not_repeat_its_title(
    seed_posts: dict[str, Post],
) -> None:
    post = seed_posts["001"]

    assert post.title == "why the posts?"
    assert "why the posts?" not in post.content_html


def test_real_posts_show_no_front_matter_in_their_content(seed_posts: dict[str, Post]) -> None:
    for post in seed_posts.values():
        for word in FRONT_MATTER_WORDS:
            assert word not in post.content_html, (post.path, word)


def test_real_jekyll_post_keeps_excerpt_and_header(seed_posts: dict[str, Post]) -> None:
    post = seed_posts["004"]

    assert post.summary == "Taking one more task..."
    assert post.tags == ("nlp", "llm", "llm-router")
    assert isinstance(post.metadata["header"], dict)
    assert 'src="https://kim.example.org/images/caos.png"' in post.content_html


def test_real_mojibake_post_is_repaired_throughout(seed_posts: dict[str, Post]) -> None:
    post = seed_posts["002"]

    assert "—" in post.content_html
    assert "‚Äî" not in post.content_html
    assert post.summary.startswith("My first post in the blog")
