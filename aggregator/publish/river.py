"""Pure: the river's pages, strictly newest first, with fair share that folds.

Fair share never reorders time: on one page, a blog's items of one day beyond
``per_source`` fold into one line, "and 3 more from BLOG", that stands where
the first of them would have been and links to the blog's page, which lists
them. The owner's own posts never fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from aggregator.models import Item
from aggregator.publish.clock import local_day
from aggregator.publish.timeline import group_by


@dataclass(frozen=True)
class Fold:
    """A blog's items beyond its fair share on one day of a page, shown as one line."""

    source_id: int
    source_title: str
    #: Newest first; the first is where the line stands.
    items: tuple[Item, ...]
    kind: Literal["more"] = "more"

    @property
    def published(self) -> datetime:
        return self.items[0].published


#: One line of a river page.
Row = Item | Fold


def river_pages(
    items: Sequence[Item], per_page: int, per_source: int, pages: int, tz: ZoneInfo
) -> list[list[Row]]:
    """Cut newest-first ``items`` into at most ``pages`` pages of ``per_page`` lines.

    Pages are consecutive runs of the timeline, so every item on a page is
    newer than every item on the next. A folded item takes no line of its own.
    """
    result: list[list[Row]] = []
    index = 0
    while index < len(items) and len(result) < pages:
        rows: list[Row] = []
        shown: dict[tuple[date, int], int] = {}
        folds: dict[tuple[date, int], int] = {}
        while index < len(items):
            item = items[index]
            key = (local_day(item.published, tz), item.source_id or 0)
            if item.kind == "entry" and item.source_id is not None:
                if shown.get(key, 0) >= per_source:
                    at = folds.get(key)
                    if at is None:
                        if len(rows) == per_page:
                            break
                        folds[key] = len(rows)
                        rows.append(Fold(item.source_id, item.source_title, (item,)))
                    else:
                        fold = rows[at]
                        assert isinstance(fold, Fold)
                        rows[at] = Fold(fold.source_id, fold.source_title, (*fold.items, item))
                    index += 1
                    continue
                shown[key] = shown.get(key, 0) + 1
            if len(rows) == per_page:
                break
            rows.append(item)
            index += 1
        result.append(rows)
    return result


def group_rows_by_day(rows: Sequence[Row], tz: ZoneInfo) -> list[tuple[date, list[Row]]]:
    """Newest-first rows under the day they fall on in ``tz``."""
    return group_by(rows, lambda r: local_day(r.published, tz))
