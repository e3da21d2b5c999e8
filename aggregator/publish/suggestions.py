"""``[output] suggestions``: the most recommended blogs on the blogroll page."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from aggregator.fetch.recommendations import published_suggestions
from aggregator.publish.plan import PageSpec, SitePlan
from aggregator.settings import Settings
from aggregator.store import Store


def with_suggestions(plan: SitePlan, settings: Settings, store: Store, now: datetime) -> SitePlan:
    """The plan with the cached suggestions given to ``blogroll.html`` (when there are any)."""
    found = published_suggestions(settings, store, now)
    if not found:
        return plan
    outputs = tuple(
        replace(o, context={**o.context, "suggestions": found})
        if isinstance(o, PageSpec) and o.template == "blogroll.html"
        else o
        for o in plan.outputs
    )
    return replace(plan, outputs=outputs)
