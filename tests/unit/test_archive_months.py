"""Which months have an archive page, and their links to each other (pure)."""

from __future__ import annotations

from datetime import UTC, date

from aggregator.publish.archive import plan_months
from aggregator.publish.inputs import MonthInputs, archive_window, month_bounds


def month(first: date, count: int) -> MonthInputs:
    start, end = month_bounds(first)
    return MonthInputs(start, end, count, f"digest {first} {count}")


def test_by_default_the_window_reaches_back_to_the_oldest_entry() -> None:
    window = archive_window(date(2026, 3, 9), 0, oldest=date(2024, 11, 30))

    assert window[0] == date(2026, 3, 1) and window[-1] == date(2024, 11, 1)
    assert len(window) == 17


def test_a_bound_keeps_only_that_many_months() -> None:
    assert archive_window(date(2026, 3, 9), 2, oldest=date(2020, 1, 1)) == [
        date(2026, 3, 1),
        date(2026, 2, 1),
    ]


def test_every_month_with_items_has_a_page_linked_to_its_neighbours() -> None:
    stored = [month(date(2026, 3, 1), 4), month(date(2026, 2, 1), 0), month(date(2026, 1, 1), 2)]
    stored += [month(date(2025, 12, 1), 1)]

    planned = plan_months(stored, [], "shared", UTC)

    assert [m.month for m in planned] == [date(2026, 3, 1), date(2026, 1, 1), date(2025, 12, 1)]
    assert [(m.newer, m.older) for m in planned] == [
        (None, date(2026, 1, 1)),
        (date(2026, 3, 1), date(2025, 12, 1)),
        (date(2026, 1, 1), None),
    ]
    assert planned[1].path == "archive/2026/01/index.html"


def test_a_new_neighbour_renders_a_month_again() -> None:
    old = plan_months([month(date(2026, 1, 1), 2)], [], "shared", UTC)
    new = plan_months([month(date(2026, 3, 1), 1), month(date(2026, 1, 1), 2)], [], "shared", UTC)

    assert old[0].inputs != new[1].inputs
