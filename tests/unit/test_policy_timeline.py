"""Pure decisions: which entries to store, when to check a source again, what the river shows."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import ParsedEntry, Post, StoredEntry
from aggregator.publish.timeline import build_timeline, entry_id
from aggregator.settings import SiteSettings
from aggregator.update.policy import (
    Schedule,
    decide_entries,
    next_check_after_failure,
    next_check_after_success,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SITE = SiteSettings(title="Kim's reading room", url="https://kim.example.org/", author="Kim")

SCHEDULE = Schedule()


def day(n: int) -> datetime:
    """Noon on June ``n``, 2024."""
    return datetime(2024, 6, n, 12, 0, tzinfo=UTC)


def parsed(key: str, title: str = "A title", summary: str = "Summary.") -> ParsedEntry:
    return ParsedEntry(
        key=key,
        url=f"https://blog.example/{key}",
        title=title,
        author=None,
        published=day(1),
        updated=day(1),
        summary=summary,
        content_html=f"<p>{summary}</p>",
    )


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


class UpperBound(random.Random):
    """A random source that always picks the largest value, to see the bare delay."""

    def uniform(self, a: float, b: float) -> float:
        return b


# -- decide_entries -------------------------------------------------------------------------


def test_entries_not_stored_yet_are_new() -> None:
    decision = decide_entries([parsed("a"), parsed("b")], {})

    assert [e.key for e in decision.new] == ["a", "b"]
    assert decision.changed == ()


def test_entries_stored_with_the_same_hash_are_dropped() -> None:
    entry = parsed("a")

    decision = decide_entries([entry], {"a": entry.content_hash})

    assert decision.new == ()
    assert decision.changed == ()


def test_entries_stored_with_another_hash_are_changed() -> None:
    before = parsed("a", summary="First draft.")
    after = parsed("a", summary="Typo fixed.")

    decision = decide_entries([after], {"a": before.content_hash})

    assert decision.new == ()
    assert decision.changed == (after,)


def test_new_changed_and_unchanged_entries_in_one_feed() -> None:
    unchanged, changed, new = parsed("u"), parsed("c", title="Renamed"), parsed("n")
    stored_hashes = {"u": unchanged.content_hash, "c": parsed("c").content_hash, "gone": "x"}

    decision = decide_entries([new, changed, unchanged], stored_hashes)

    assert decision.new == (new,)
    assert decision.changed == (changed,)


def test_a_key_repeated_in_one_feed_keeps_the_first_occurrence() -> None:
    first = parsed("dup", title="Newest copy")
    second = parsed("dup", title="Older copy")

    decision = decide_entries([first, second, parsed("other")], {})

    assert [e.title for e in decision.new] == ["Newest copy", "A title"]


def test_a_repeated_key_that_is_stored_is_judged_by_its_first_occurrence() -> None:
    first = parsed("dup", title="Same as stored")
    second = parsed("dup", title="Different")

    decision = decide_entries([first, second], {"dup": first.content_hash})

    assert decision.new == ()
    assert decision.changed == ()


@pytest.mark.parametrize(
    "field",
    ["url", "title", "author", "summary", "content_html"],
)
def test_content_hash_changes_with_every_visible_field(field: str) -> None:
    entry = parsed("a")

    assert replace(entry, **{field: "something else"}).content_hash != entry.content_hash


def test_content_hash_ignores_dates() -> None:
    entry = parsed("a")
    moved = replace(entry, published=day(2), updated=day(3))

    assert moved.content_hash == entry.content_hash


# -- next check after success ------------------------------------------------------------------


@pytest.mark.parametrize("interval", [timedelta(minutes=5), HOUR, timedelta(hours=6)])
def test_next_check_after_success_is_one_interval_within_ten_percent(
    interval: timedelta,
) -> None:
    for seed in range(50):
        when = next_check_after_success(NOW, interval, None, random.Random(seed))

        assert NOW + interval * 0.9 <= when <= NOW + interval * 1.1, seed


def test_next_check_after_success_spreads_sources_apart() -> None:
    rng = random.Random(7)

    times = {next_check_after_success(NOW, HOUR, None, rng) for _ in range(50)}

    assert len(times) == 50


def test_next_check_after_success_is_reproducible_with_a_seed() -> None:
    first = next_check_after_success(NOW, HOUR, None, random.Random(42))
    again = next_check_after_success(NOW, HOUR, None, random.Random(42))

    assert first == again


# -- next check after failure ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (1, HOUR),
        (2, 2 * HOUR),
        (3, 4 * HOUR),
        (4, 8 * HOUR),
        (5, 16 * HOUR),
        (6, SCHEDULE.max_backoff),
        (30, SCHEDULE.max_backoff),
        (10_000, SCHEDULE.max_backoff),
    ],
)
def test_backoff_doubles_per_failure_up_to_one_day(failures: int, delay: timedelta) -> None:
    assert next_check_after_failure(NOW, HOUR, failures, UpperBound(), SCHEDULE) == NOW + delay


def test_zero_failures_waits_one_interval() -> None:
    assert next_check_after_failure(NOW, HOUR, 0, UpperBound(), SCHEDULE) == NOW + HOUR


def test_backoff_grows_with_each_failure_whatever_the_jitter() -> None:
    for seed in range(50):
        rng = random.Random(seed)

        delays = [next_check_after_failure(NOW, HOUR, n, rng, SCHEDULE) - NOW for n in range(1, 6)]

        assert delays == sorted(delays), seed
        assert len(set(delays)) == len(delays), seed
        assert delays[-1] > 8 * HOUR, seed


@pytest.mark.parametrize("failures", [1, 3, 5, 8, 20, 100])
@pytest.mark.parametrize("interval", [timedelta(minutes=10), HOUR, timedelta(days=3)])
def test_backoff_never_exceeds_one_day(failures: int, interval: timedelta) -> None:
    for seed in range(20):
        when = next_check_after_failure(NOW, interval, failures, random.Random(seed), SCHEDULE)

        assert NOW < when <= NOW + timedelta(days=1), seed


def test_backoff_jitter_only_shortens_the_delay_by_at_most_twenty_percent() -> None:
    for seed in range(50):
        when = next_check_after_failure(NOW, HOUR, 3, random.Random(seed), SCHEDULE)

        assert NOW + 4 * HOUR * 0.8 <= when <= NOW + 4 * HOUR, seed


def test_backoff_from_a_seeded_random_is_reproducible() -> None:
    first = next_check_after_failure(NOW, HOUR, 4, random.Random(3), SCHEDULE)
    again = next_check_after_failure(NOW, HOUR, 4, random.Random(3), SCHEDULE)

    assert first == again


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
