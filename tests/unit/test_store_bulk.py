"""The entry rows store.bulk hands the DBAPI are what SQLAlchemy's column types bind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine

from aggregator.store.bulk import date_reader, sqlite_datetime
from aggregator.store.schema import UTCDateTime

DATES = [
    datetime(2026, 2, 25, 9, 0, tzinfo=UTC),
    datetime(2026, 2, 25, 9, 0, 0, 123456, tzinfo=UTC),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 1, 1, 0, 15, 7, 1, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 6, 1, tzinfo=UTC),
    None,
]


@pytest.mark.parametrize("value", DATES)
def test_sqlite_datetime_binds_as_utcdatetime_does(value: datetime | None) -> None:
    dialect = create_engine("sqlite://").dialect
    process = UTCDateTime()._cached_bind_processor(dialect)
    assert process is not None
    assert sqlite_datetime(value) == process(value)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_datetime(datetime(2026, 1, 1))


@pytest.mark.parametrize("value", DATES)
def test_a_raw_sqlite_date_reads_back_as_utcdatetime_gives_it(value: datetime | None) -> None:
    dialect = create_engine("sqlite://").dialect
    stored = sqlite_datetime(value)
    process = UTCDateTime()._cached_result_processor(dialect, None)
    assert process is not None
    read = date_reader(dialect)(stored)
    assert read == process(stored)
    assert read is None or read.tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["2026-02-25 09:00:00", "2026-02-25 09:00:00.5", "2026-02-25T10:00:00+01:00"]
)
def test_other_date_text_reads_as_the_same_utc_time(text: str) -> None:
    read = date_reader(create_engine("sqlite://").dialect)(text)
    assert read == datetime(2026, 2, 25, 9, 0, 0, 500000 if ".5" in text else 0, tzinfo=UTC)
