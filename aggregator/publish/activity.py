"""Pure: a blog's posting activity over the last 12 months as a small inline SVG.

One bar per month, drawn in ``currentColor`` so it follows the page's colours
(dark mode included). Its ``<title>`` and ``<desc>`` say the same in words, for
screen readers. Nothing is loaded from anywhere.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from html import escape

from aggregator.publish.clock import local_day
from aggregator.publish.timeline import month_start

MONTHS = 12


@dataclass(frozen=True)
class MonthCount:
    month: date
    posts: int


def monthly_counts(
    dates: Iterable[datetime], now: datetime, tz: tzinfo = UTC, months: int = MONTHS
) -> tuple[MonthCount, ...]:
    """Posts per month for the ``months`` months ending with ``now``'s, oldest first."""
    this_month = month_start(local_day(now, tz))
    firsts = [month_start(this_month, back) for back in range(months - 1, -1, -1)]
    counted = Counter(month_start(local_day(d, tz)) for d in dates)
    return tuple(MonthCount(first, counted.get(first, 0)) for first in firsts)


def activity_summary(counts: tuple[MonthCount, ...]) -> str:
    """The chart in one sentence: "14 posts in the last 12 months"."""
    total = sum(c.posts for c in counts)
    posts = "1 post" if total == 1 else f"{total} posts"
    return f"{posts} in the last {len(counts)} months"


@functools.lru_cache(maxsize=64)
def _month_name(month: date) -> str:
    # The same twelve months for every blog of a build: a thousand blogs' charts named
    # them 26,000 times.
    return f"{month:%B %Y}"


def activity_svg(counts: tuple[MonthCount, ...], *, width: int = 120, height: int = 32) -> str:
    """An SVG bar chart of ``counts``; the tallest bar fills the height, an empty month
    shows as a thin baseline."""
    top = max((c.posts for c in counts), default=0) or 1
    step = width / max(len(counts), 1)
    bar = max(step - 2, 1)
    bars = []
    for n, count in enumerate(counts):
        tall = max(round(count.posts / top * (height - 2)), 1 if count.posts else 0)
        x = round(n * step + 1, 1)
        if count.posts:
            y = height - tall
            bars.append(f'<rect x="{x}" y="{y}" width="{bar:.1f}" height="{tall}" rx="1"/>')
        else:
            bars.append(
                f'<rect x="{x}" y="{height - 1}" width="{bar:.1f}" height="1" opacity="0.4"/>'
            )
    detail = ", ".join(f"{_month_name(c.month)}: {c.posts}" for c in counts)
    return (
        f'<svg class="activity" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" fill="currentColor">'
        f"<title>{escape(activity_summary(counts))}</title>"
        f"<desc>Posts per month: {escape(detail)}</desc>"
        f"{''.join(bars)}</svg>"
    )
