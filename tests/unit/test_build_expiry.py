"""When time alone changes a published page: what a build's record is valid until."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aggregator.publish.fingerprint import valid_until
from aggregator.publish.views import BROKEN_AFTER, BROKEN_FAILURES, blog_health, health_changes_at
from tests.unit.test_decide import source

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def test_a_build_is_valid_until_the_next_local_midnight() -> None:
    assert valid_until(NOW, UTC, []) == datetime(2026, 3, 11, tzinfo=UTC)
    # 15:30 UTC is already the 11th in Auckland (UTC+13 in March): its midnight comes sooner.
    auckland = ZoneInfo("Pacific/Auckland")
    assert valid_until(NOW, auckland, []) == datetime(2026, 3, 12, tzinfo=auckland)


def test_an_earlier_change_shortens_it_and_past_or_missing_ones_do_not() -> None:
    soon = NOW + timedelta(hours=2)
    assert valid_until(NOW, UTC, [None, soon, NOW - timedelta(hours=1)]) == soon


def test_a_blog_failing_for_less_than_a_day_turns_broken_when_the_day_is_up() -> None:
    since = NOW - timedelta(hours=5)
    failing = source(last_result="error", failure_count=1, first_failure_at=since)

    assert health_changes_at(failing, NOW) == since + BROKEN_AFTER
    assert blog_health(failing, NOW, NOW, 6).kind != "broken"
    assert blog_health(failing, NOW, since + BROKEN_AFTER, 6).kind == "broken"


def test_blogs_already_broken_or_fine_do_not_change_by_themselves() -> None:
    long_ago = NOW - 2 * BROKEN_AFTER
    assert health_changes_at(source(last_result="ok", failure_count=0), NOW) is None
    broken = source(last_result="error", failure_count=1, first_failure_at=long_ago)
    assert health_changes_at(broken, NOW) is None
    many = source(last_result="error", failure_count=BROKEN_FAILURES, first_failure_at=NOW)
    assert health_changes_at(many, NOW) is None
