"""What the river shows: posts and entries merged into one timeline (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import Post, StoredEntry
from aggregator.publish.timeline import build_timeline, entry_id
from aggregator.settings import SiteSettings

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SITE = SiteSettings(title="Kim's reading room", url="https://kim.example.org/", author="Kim")


def day(n: int) -> datetime:
    """Noon on June ``n``, 2024."""
    return datetime(2024, 6, n, 12, 0, tzinfo=UTC)


def stored(
    key: str,
    published: datetime,
    *,
    url: str | None = "",
    updated: datetime | None = None,
    title: str | None = None,
    source_feed_url: str = "https://blog.example/feed.xml",
) -> StoredEntry:
    return StoredEntry(
        id=sum(map(ord, key)),
        key=key,
        url=f"https://blog.example/{key}" if url == "" else url,
        title=title or f"Entry {key}",
        author="Ada",
        published=published,
        updated=updated or published,
        summary="",
        content_html="",
        source_id=1,
        source_title="Blog",
        source_url="https://blog.example/",
        source_feed_url=source_feed_url,
    )


def post(slug: str, published: datetime, title: str | None = None) -> Post:
    return Post(
        path=f"posts/{slug}.md",
        slug=slug,
        title=title or f"Post {slug}",
        published=published,
        updated=None,
        draft=False,
        tags=("notes",),
        categories=(),
        summary="",
        content_html="<p>Mine.</p>",
    )


# -- build_timeline --------------------------------------------------------------------------------


def test_timeline_merges_posts_and_entries_newest_first() -> None:
    posts = [post("mine-old", day(2)), post("mine-new", day(5))]
    entries = [stored("e4", day(4)), stored("e1", day(1)), stored("e3", day(3))]

    items = build_timeline(posts, entries, SITE, limit=10)

    assert [item.title for item in items] == [
        "Post mine-new",
        "Entry e4",
        "Entry e3",
        "Post mine-old",
        "Entry e1",
    ]
    assert [item.kind for item in items] == ["post", "entry", "entry", "post", "entry"]


@pytest.mark.parametrize("limit", [0, 1, 3, 5, 50])
def test_timeline_respects_the_limit_keeping_the_newest(limit: int) -> None:
    entries = [stored(f"e{n}", day(n)) for n in range(1, 6)]

    items = build_timeline([], entries, SITE, limit=limit)

    assert [item.published for item in items] == [day(n) for n in range(5, 0, -1)][:limit]


def test_post_item_points_to_its_permalink_and_the_site() -> None:
    (item,) = build_timeline([post("hello", day(3))], [], SITE, limit=5)

    assert item.id == "tag:kim.example.org,2024:post:hello"
    assert item.url == "https://kim.example.org/posts/hello/"
    assert item.local_url == "posts/hello/"
    assert item.source_title == "Kim's reading room"
    assert item.author == "Kim"
    assert item.updated == day(3)
    assert item.tags == ("notes",)


def test_post_id_does_not_change_with_the_title_or_the_permalink_pattern() -> None:
    before = build_timeline([post("hello", day(3), title="Hello")], [], SITE, limit=5)
    renamed = post("hello", day(3), title="Hello, renamed")
    moved = replace(renamed, local_path="2024/03/hello/")

    after = build_timeline([moved], [], SITE, limit=5)

    assert before[0].id == after[0].id
    assert after[0].url == "https://kim.example.org/2024/03/hello/"


def test_post_id_from_front_matter_wins() -> None:
    (item,) = build_timeline([replace(post("x", day(1)), atom_id="urn:uuid:1")], [], SITE, 5)

    assert item.id == "urn:uuid:1"


def test_entry_item_keeps_its_link_and_source() -> None:
    (item,) = build_timeline([], [stored("e1", day(1))], SITE, limit=5)

    assert item.url == "https://blog.example/e1"
    assert item.local_url is None
    assert item.source_title == "Blog"
    assert item.source_feed_url == "https://blog.example/feed.xml"


def test_entry_without_a_link_points_to_its_source() -> None:
    (item,) = build_timeline([], [stored("e1", day(1), url=None)], SITE, limit=5)

    assert item.url == "https://blog.example/"


def test_entry_updated_before_published_shows_the_published_date_as_updated() -> None:
    (item,) = build_timeline([], [stored("e1", day(5), updated=day(2))], SITE, limit=5)

    assert item.updated == day(5)


def test_own_post_that_also_comes_through_a_feed_is_shown_once_as_the_post() -> None:
    own = post("hello", day(3), title="Hello from me")
    echo = stored("echo", day(4), url="https://kim.example.org/posts/hello/", title="Echo")

    items = build_timeline([own], [echo, stored("other", day(2))], SITE, limit=10)

    assert [(item.kind, item.title) for item in items] == [
        ("post", "Hello from me"),
        ("entry", "Entry other"),
    ]


def test_the_same_link_from_two_sources_is_shown_once() -> None:
    first = stored("a", day(3), url="https://shared.example/article")
    second = replace(
        stored("b", day(2), url="https://shared.example/article", source_feed_url="https://x/f"),
        source_id=2,
    )

    items = build_timeline([], [first, second], SITE, limit=10)

    assert [item.title for item in items] == ["Entry a"]


@pytest.mark.parametrize(
    "echo_url",
    [
        "https://kim.example.org/posts/hello/",
        "http://kim.example.org/posts/hello",
        "https://www.kim.example.org/posts/hello/#comments",
        "https://kim.example.org/posts/hello/?utm_source=rss&utm_medium=feed",
    ],
    ids=["same", "http-no-slash", "www-fragment", "tracking-query"],
)
def test_the_same_article_under_a_slightly_different_url_is_shown_once(echo_url: str) -> None:
    own = post("hello", day(3), title="Mine")
    echo = stored("echo", day(4), url=echo_url)

    items = build_timeline([own], [echo], SITE, limit=10)

    assert [item.title for item in items] == ["Mine"]


def test_a_different_query_is_a_different_article() -> None:
    first = stored("a", day(3), url="https://shared.example/?p=1")
    second = stored("b", day(2), url="https://shared.example/?p=2")

    assert len(build_timeline([], [first, second], SITE, limit=10)) == 2


def test_entries_of_the_own_feed_are_own_posts_and_win_over_other_sources() -> None:
    cross = stored("c", day(5), url="https://kim.example.org/2019/old-post/")
    mine = replace(
        stored("m", day(4), url="https://kim.example.org/2019/old-post/", title="Old post"),
        source_is_own=True,
        source_id=2,
        author=None,
    )

    (item,) = build_timeline([], [cross, mine], SITE, limit=10)

    assert item.kind == "post"
    assert item.title == "Old post"
    assert item.local_url is None
    assert item.source_title == "Kim's reading room"
    assert item.author == "Kim"


def test_summaries_are_cut_to_the_configured_length() -> None:
    long_entry = replace(stored("e", day(1)), summary="word " * 100)

    (item,) = build_timeline([], [long_entry], SITE, limit=5, summary_length=60)

    assert len(item.summary) <= 60
    assert item.summary.endswith("…")


def test_entries_without_links_from_one_source_are_all_kept() -> None:
    entries = [stored("a", day(3), url=None), stored("b", day(2), url=None)]

    assert len(build_timeline([], entries, SITE, limit=10)) == 2


def test_items_published_at_the_same_moment_have_a_stable_order() -> None:
    entries = [stored("b", day(1)), stored("a", day(1)), stored("c", day(1))]

    first = build_timeline([], entries, SITE, limit=10)
    again = build_timeline([], list(reversed(entries)), SITE, limit=10)

    assert [item.id for item in first] == [item.id for item in again]


# -- entry_id ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "https://blog.example/2024/post/",
        "http://blog.example/?p=12",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "tag:blog.example,2024:post-12",
    ],
)
def test_entry_id_keeps_keys_that_are_uris(key: str) -> None:
    assert entry_id(stored(key, day(1)), SITE) == key


@pytest.mark.parametrize(
    "key",
    [
        "IV602",
        "north_pacific_logbook",
        "soil-2024-week-12",
        "sha256:2056029f1d763885278e1c563e5bb8d03cc848e9c1b2b336f6940cdecab0f0da",
        "post:42",
    ],
)
def test_entry_id_makes_a_tag_uri_for_other_keys(key: str) -> None:
    made = entry_id(stored(key, day(1)), SITE)

    assert made.startswith("tag:kim.example.org,2024:entry:")
    assert key not in made


def test_entry_id_is_stable_across_calls() -> None:
    entry = stored("IV602", day(1))

    assert entry_id(entry, SITE) == entry_id(entry, SITE)
    assert entry_id(entry, SITE) == entry_id(stored("IV602", day(9), title="Renamed"), SITE)


def test_entry_id_differs_between_sources_with_the_same_key() -> None:
    one = stored("IV602", day(1), source_feed_url="https://one.example/feed.xml")
    two = stored("IV602", day(1), source_feed_url="https://two.example/feed.xml")

    assert entry_id(one, SITE) != entry_id(two, SITE)


def test_entry_ids_in_the_timeline_are_unique() -> None:
    entries = [stored(key, day(n)) for n, key in enumerate(["IV1", "IV2", "IV3"], start=1)]

    items = build_timeline([post("p", day(4))], entries, SITE, limit=10)

    assert len({item.id for item in items}) == 4


def test_websub_ping_retry_delay_doubles_up_to_an_hour() -> None:
    from aggregator.websub.publisher import retry_delay

    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(20) == timedelta(hours=1)
