"""The pure decisions of update/decide.py: entries to store, when to check a source again."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import EntryIdentity, ParsedEntry, Source
from aggregator.settings import SiteSettings
from aggregator.update.decide import (
    FailureUpdate,
    Known,
    Schedule,
    clamp_future,
    decide_entries,
    decide_feed_entries,
    entry_intents,
    failure_update,
    is_gone,
    needs_rediscovery,
    next_check_after_failure,
    next_check_after_success,
    publisher_interval,
    retry_after,
    same_body,
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


# -- the decisions, case by case ---------------------------------------------------------------


def known(entry: ParsedEntry, previous: str | None = None) -> Known:
    return Known(entry.key, entry.url, entry.content_hash, previous)


A, B = parsed("a"), parsed("b")
A2 = parsed("a", summary="Edited.")
A_NEW_GUID = replace(A, key="urn:new-a")


@pytest.mark.parametrize(
    ("incoming", "by_key", "by_url", "new", "changed"),
    [
        pytest.param([A, B], {}, {}, ["a", "b"], [], id="new feed: inserts"),
        pytest.param([A, B], {"a": known(A), "b": known(B)}, {}, [], [], id="same: nothing"),
        pytest.param([A2], {"a": known(A)}, {}, [], ["a"], id="changed content: update"),
        pytest.param(
            [A], {"a": known(A2, previous=A.content_hash)}, {}, [], [], id="flip back: no write"
        ),
        pytest.param(
            [replace(A_NEW_GUID, summary="Edited.")],
            {},
            {A.url or "": known(A)},
            [],
            ["a"],
            id="new guid, same link: update not insert",
        ),
        pytest.param([A_NEW_GUID], {}, {A.url or "": known(A)}, [], [], id="new guid: same"),
    ],
)
def test_entry_decisions(
    incoming: list[ParsedEntry],
    by_key: dict[str, Known],
    by_url: dict[str, Known],
    new: list[str],
    changed: list[str],
) -> None:
    decision = decide_feed_entries(incoming, by_key, by_url)
    assert [e.key for e in decision.new] == new
    assert [e.key for e in decision.changed] == changed


def source(**fields: object) -> Source:
    values: dict[str, object] = {
        "id": 1,
        "url": "https://blog.example/",
        "feed_url": "https://blog.example/feed.xml",
        "site_url": None,
        "title": None,
        "feed_title": None,
        "category": "",
        "note": "",
        "recommended": (),
        "position": 0,
        "active": True,
        "etag": None,
        "last_modified": None,
        "last_fetched_at": None,
        "last_result": None,
        "last_http_status": None,
        "last_error_kind": None,
        "last_error": None,
        "failure_count": 0,
        "next_check_at": None,
    }
    values.update(fields)
    return Source(**values)  # type: ignore[arg-type]


DAY = timedelta(days=1)
FAILING_3_DAYS = source(first_failure_at=NOW - 3 * DAY)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        pytest.param(clamp_future(NOW + DAY, NOW), NOW, id="future date clamped"),
        pytest.param(clamp_future(NOW - DAY, NOW), NOW - DAY, id="past date kept"),
        pytest.param(same_body("h1", "h1"), True, id="same body hash: not modified"),
        pytest.param(same_body(None, "h1"), False, id="no stored body hash: parse"),
        pytest.param(is_gone(410), True, id="410: gone"),
        pytest.param(is_gone(404), False, id="404: not gone"),
        pytest.param(retry_after("120", NOW), NOW + timedelta(seconds=120), id="429 Retry-After"),
        pytest.param(
            next_check_after_success(NOW, HOUR, None, UpperBound()),
            NOW + HOUR * 1.1,
            id="not modified: next check one interval on",
        ),
        pytest.param(
            [
                next_check_after_failure(NOW, HOUR, n, UpperBound(), SCHEDULE) - NOW
                for n in (1, 2, 3, 6, 20)
            ],
            [HOUR, 2 * HOUR, 4 * HOUR, DAY, DAY],
            id="repeated failures: growing capped backoff",
        ),
        pytest.param(
            next_check_after_failure(NOW, HOUR, 1, UpperBound(), SCHEDULE, NOW + 2 * DAY),
            NOW + 2 * DAY,
            id="Retry-After beats the backoff",
        ),
        pytest.param(publisher_interval(30 * DAY, None), 7 * DAY, id="publisher capped at a week"),
        pytest.param(publisher_interval(None, None), None, id="no publisher hint"),
        pytest.param(needs_rediscovery(FAILING_3_DAYS, NOW), True, id="discovered, 3 days: look"),
        pytest.param(
            needs_rediscovery(FAILING_3_DAYS, NOW - HOUR), False, id="discovered, <3 days: wait"
        ),
        pytest.param(
            needs_rediscovery(FAILING_3_DAYS, NOW + 30 * DAY, explicit=True),
            False,
            id="explicit feed: never",
        ),
        pytest.param(
            needs_rediscovery(
                source(feed_url="https://blog.example/", first_failure_at=NOW - 9 * DAY), NOW
            ),
            False,
            id="the URL is the feed: nothing to discover",
        ),
    ],
)
def test_source_decisions(actual: object, expected: object) -> None:
    assert actual == expected


def identity(entry: ParsedEntry, first_seen: datetime, entry_id: int = 7) -> EntryIdentity:
    return EntryIdentity(entry_id, entry.key, entry.url, entry.content_hash, None, first_seen)


def test_intents_carry_final_dates_and_the_hash_they_replace() -> None:
    future = replace(parsed("f"), published=NOW + DAY, updated=None)
    intents = entry_intents([future, A2], {"a": identity(A, NOW - DAY)}, {}, NOW)
    (insert,) = intents.inserts
    assert (insert.entry.key, insert.published, insert.sort_at) == ("f", NOW, NOW)
    (update,) = intents.updates
    assert (update.id, update.previous_content_hash) == (7, A.content_hash)
    assert update.published == NOW - DAY, "a date after first seen becomes the first-seen time"
    assert update.sort_at == NOW - DAY


def test_intents_keep_future_dates_without_clamping() -> None:
    future = replace(parsed("f"), published=NOW + DAY, updated=None)
    (insert,) = entry_intents([future], {}, {}, NOW, clamp=False).inserts
    assert insert.published == insert.sort_at == NOW + DAY


SECOND = timedelta(seconds=1)


def undated(key: str) -> ParsedEntry:
    return replace(parsed(key), published=None, updated=None)


def dated(key: str, when: datetime) -> ParsedEntry:
    return replace(parsed(key), published=when, updated=when)


@pytest.mark.parametrize(
    ("feed", "feed_date", "expected"),
    [
        pytest.param(
            [undated("faq"), undated("about"), dated("p", day(1) - DAY)],
            None,
            {"faq": day(1) - DAY - SECOND, "about": day(1) - DAY - 2 * SECOND, "p": day(1) - DAY},
            id="below the source's oldest dated entry",
        ),
        pytest.param(
            [undated("faq"), dated("p", day(1) - DAY)],
            day(1) - 2 * DAY,
            {"faq": day(1) - 2 * DAY, "p": day(1) - DAY},
            id="at the feed's own date",
        ),
        pytest.param(
            [undated("faq")],
            NOW + DAY,
            {"faq": NOW},
            id="a feed date in the future is now",
        ),
        pytest.param(
            [undated("faq"), undated("about")],
            None,
            {"faq": datetime(1990, 1, 1, 0, 0, 2, tzinfo=UTC),
             "about": datetime(1990, 1, 1, 0, 0, 1, tzinfo=UTC)},
            id="no date anywhere: below every dated entry",
        ),
    ],
)  # fmt: skip
def test_a_new_sources_undated_backlog_never_takes_the_top(
    feed: list[ParsedEntry], feed_date: datetime | None, expected: dict[str, datetime]
) -> None:
    intents = entry_intents(feed, {}, {}, NOW, first_fetch=True, feed_date=feed_date)
    assert {i.entry.key: i.sort_at for i in intents.inserts} == expected
    assert all(i.published is None for i in intents.inserts if i.entry.key in ("faq", "about"))


def test_an_undated_entry_in_a_later_fetch_is_new_and_sorts_as_now() -> None:
    (insert,) = entry_intents([undated("late")], {}, {}, NOW, first_fetch=False).inserts
    assert insert.sort_at == NOW


@pytest.mark.parametrize(
    ("failing", "status", "header", "expected"),
    [
        pytest.param(0, 500, None, FailureUpdate(1, NOW + HOUR, None, False), id="first failure"),
        pytest.param(3, 500, None, FailureUpdate(4, NOW + 8 * HOUR, None, False), id="4th: 8 h"),
        pytest.param(30, None, None, FailureUpdate(31, NOW + DAY, None, False), id="capped"),
        pytest.param(0, 410, None, FailureUpdate(1, NOW + HOUR, None, True), id="410: gone"),
        pytest.param(
            0,
            429,
            "7200",
            FailureUpdate(1, NOW + 2 * HOUR, NOW + 2 * HOUR, False),
            id="429 Retry-After",
        ),
    ],
)
def test_failure_updates(
    failing: int, status: int | None, header: str | None, expected: FailureUpdate
) -> None:
    failed = source(failure_count=failing, interval=HOUR)
    assert failure_update(failed, status, header, NOW, SCHEDULE, UpperBound()) == expected
