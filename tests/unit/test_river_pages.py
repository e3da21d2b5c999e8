"""The river's pages: strictly newest first, a blog's extra items of a day folded (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from aggregator.models import Item
from aggregator.publish.river import Fold, Row, group_rows_by_day, river_pages

START = datetime(2026, 3, 20, 23, 0, tzinfo=UTC)


def item(n: int, source: int | None, when: datetime) -> Item:
    return Item(
        kind="entry" if source is not None else "post",
        id=f"urn:x:{n}",
        title=f"item {n}",
        url=f"https://x.example/{n}",
        local_url=None,
        source_title=f"blog {source}",
        source_url=None,
        source_feed_url=None,
        author=None,
        published=when,
        updated=when,
        summary="",
        content_html="",
        source_id=source,
    )


def busy_timeline(seed: int) -> list[Item]:
    """A few hundred items, one blog posting a dozen times a day, newest first."""
    rng = random.Random(seed)
    items = []
    for n in range(300):
        source = 1 if rng.random() < 0.6 else rng.choice([2, 3, 4, None])
        items.append(item(n, source, START - timedelta(minutes=rng.randrange(60 * 24 * 20))))
    return sorted(items, key=lambda i: (i.published, i.id), reverse=True)


def flatten(pages: list[list[Row]]) -> list[Item]:
    return [
        i for page in pages for row in page for i in (row.items if isinstance(row, Fold) else [row])
    ]


def test_dates_never_increase_from_one_line_to_the_next_across_all_pages() -> None:
    for seed in range(5):
        pages = river_pages(busy_timeline(seed), per_page=20, per_source=2, pages=50, tz=UTC)
        lines = [row.published for page in pages for row in page]

        assert any(isinstance(row, Fold) for page in pages for row in page)
        assert all(a >= b for a, b in pairwise(lines))
        # Every item of a page is newer than (or as new as) every item of the next.
        for newer, older in pairwise(pages):
            assert min(i.published for i in flatten([newer])) >= max(
                i.published for i in flatten([older])
            )


def test_every_item_is_shown_or_folded_once_and_nothing_is_lost_before_the_last_page() -> None:
    timeline = busy_timeline(7)

    pages = river_pages(timeline, per_page=20, per_source=2, pages=50, tz=UTC)

    shown = [i.id for i in flatten(pages)]
    assert sorted(shown) == sorted(i.id for i in timeline) and len(set(shown)) == len(shown)


def test_no_blog_shows_more_than_its_share_of_a_day_on_a_page() -> None:
    pages = river_pages(busy_timeline(3), per_page=20, per_source=2, pages=50, tz=UTC)

    for page in pages:
        for _, rows in group_rows_by_day(page, UTC):
            shown = [r.source_id for r in rows if isinstance(r, Item) and r.kind == "entry"]
            assert all(shown.count(s) <= 2 for s in set(shown))
            folds = [r.source_id for r in rows if isinstance(r, Fold)]
            assert len(folds) == len(set(folds))


def test_a_fold_takes_one_line_and_the_next_day_starts_a_new_share() -> None:
    day1 = [item(n, 1, START - timedelta(hours=n)) for n in range(5)]
    day2 = [item(10 + n, 1, START - timedelta(days=1, hours=n)) for n in range(2)]

    (page,) = river_pages(day1 + day2, per_page=10, per_source=2, pages=1, tz=UTC)

    assert [r.id if isinstance(r, Item) else len(r.items) for r in page] == [
        "urn:x:0", "urn:x:1", 3, "urn:x:10", "urn:x:11",
    ]  # fmt: skip


def test_own_posts_never_fold() -> None:
    own = [item(n, None, START - timedelta(minutes=n)) for n in range(4)]

    (page,) = river_pages(own, per_page=10, per_source=1, pages=1, tz=UTC)

    assert all(isinstance(r, Item) for r in page) and len(page) == 4
