"""Days and times in the site's time zone; instants stay exact (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from aggregator.errors import ConfigError
from aggregator.publish.clock import clock, local_day, local_text, zone
from aggregator.publish.views import age
from aggregator.settings import load_settings

LONDON = zone("Europe/London")
NEW_YORK = zone("America/New_York")
PLUS_ONE = timezone(timedelta(hours=1))


def test_a_post_dated_15_april_at_plus_one_hour_is_on_15_april_in_london() -> None:
    moment = datetime(2025, 4, 15, 0, 0, tzinfo=PLUS_ONE)  # 14 April, 23:00 UTC

    assert local_day(moment, UTC) == date(2025, 4, 14)
    assert local_day(moment, LONDON) == date(2025, 4, 15)
    assert clock(moment, LONDON) == ""  # midnight where it was written: a date, not a time


def test_an_entry_dated_by_day_only_shows_no_clock_time_and_keeps_its_day() -> None:
    day_only = datetime(2025, 4, 15, tzinfo=UTC)

    assert clock(day_only, UTC) == ""
    assert clock(day_only, LONDON) == ""
    assert local_day(day_only, NEW_YORK) == date(2025, 4, 15)


def test_times_are_said_in_the_site_zone() -> None:
    moment = datetime(2025, 7, 1, 12, 30, tzinfo=UTC)

    assert clock(moment, UTC) == "12:30"
    assert clock(moment, LONDON) == "13:30"
    assert clock(moment, NEW_YORK) == "08:30"


def test_ages_count_days_of_the_site_zone() -> None:
    then = datetime(2025, 7, 1, 23, 30, tzinfo=UTC)  # 2 July in London
    now = datetime(2025, 7, 2, 9, 0, tzinfo=UTC)

    assert age(then, now, UTC) == "yesterday"
    assert age(then, now, LONDON) == "today"


def test_an_unknown_time_zone_is_a_settings_error_naming_the_file_and_the_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "aggregator.toml"
    path.write_text(
        '[site]\ntitle = "T"\nurl = "https://t.example/"\nauthor = "A"\ntimezone = "Mars/Olympus"\n'
    )

    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})

    message = str(caught.value)
    assert str(path) in message and "[site] timezone" in message and "Mars/Olympus" in message


def test_the_time_zone_defaults_to_utc_and_the_river_to_excerpts(tmp_path: Path) -> None:
    path = tmp_path / "aggregator.toml"
    path.write_text('[site]\ntitle = "T"\nurl = "https://t.example/"\nauthor = "A"\n')

    settings = load_settings(path, environ={})

    assert settings.site.timezone == "UTC"
    assert settings.output.river == "excerpts"
    assert settings.output.archive_months == 0


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 4, 15, 0, 0, tzinfo=PLUS_ONE),
        datetime(2025, 4, 15, tzinfo=UTC),
        datetime(2025, 7, 1, 12, 30, tzinfo=UTC),
        datetime(2025, 7, 1, 23, 30, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
    ],
)
@pytest.mark.parametrize("tz", [UTC, LONDON, NEW_YORK], ids=["utc", "london", "new-york"])
def test_the_listed_time_is_the_local_day_and_clock_time_together(
    moment: datetime, tz: timezone
) -> None:
    expected = f"{local_day(moment, tz):%Y-%m-%d} {clock(moment, tz)}".strip()

    assert local_text(moment, tz) == expected
