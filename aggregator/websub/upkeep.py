"""Subscriber side of WebSub, the requests: one upkeep run asks the hubs for what
``subscriber.decide_upkeep`` decided, through the one guarded ``Fetcher``.

A subscription is stored before its hub is asked, so that a hub verifying at once (during
our POST) finds it. A hub that fails is recorded on the subscription and asked again at a
later run; the service spaces those runs with its ``Backoff``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aggregator.errors import FetchError
from aggregator.fetch.http import Fetcher
from aggregator.models import Subscription
from aggregator.settings import WebSubSettings
from aggregator.store import Store
from aggregator.websub.subscriber import (
    Subscribe,
    Unsubscribe,
    callback_url,
    decide_upkeep,
    wanted_subscriptions,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpkeepOutcome:
    """What one upkeep run did; ``failed`` requests are asked again later."""

    sent: int
    failed: int
    forgotten: int
    #: When the next run has something to do (a renewal, a request to ask again).
    next_at: datetime | None


class SubscriptionUpkeep:
    """Subscribes the sources whose feeds name a hub, renews, and unsubscribes."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        settings: WebSubSettings,
        clock: Callable[[], datetime],
    ) -> None:
        if settings.callback_url is None:
            raise ValueError("subscribing needs [websub] callback_url")
        self.store = store
        self.fetcher = fetcher
        self.callback_base = settings.callback_url
        self.lease_seconds = settings.lease_seconds
        self.clock = clock
        self._running = threading.Lock()

    def run(self) -> UpkeepOutcome:
        """One upkeep run: every request due is sent; failures are recorded, never raised
        (a database error is)."""
        with self._running:
            now = self.clock()
            wanted = wanted_subscriptions(self.store.list_sources(include_retired=True))
            upkeep = decide_upkeep(wanted, self.store.list_subscriptions(), now)
            sent = failed = 0
            for subscribe in upkeep.subscribe:
                ok = self._subscribe(subscribe)
                sent, failed = sent + ok, failed + (not ok)
            for unsubscribe in upkeep.unsubscribe:
                ok = self._unsubscribe(unsubscribe)
                sent, failed = sent + ok, failed + (not ok)
            for sub in upkeep.forget:
                self.store.forget_subscription(sub.id)
                log.info("websub forgotten hub=%s topic=%s state=%s", sub.hub, sub.topic, sub.state)
            return UpkeepOutcome(sent, failed, len(upkeep.forget), upkeep.next_at)

    def _subscribe(self, intent: Subscribe) -> bool:
        now = self.clock()
        sub = intent.existing
        if sub is None:
            # The callback names the subscription; the secret signs what the hub pushes.
            sub = self.store.add_subscription(
                intent.wanted.source_id,
                intent.wanted.hub,
                intent.wanted.topic,
                token=secrets.token_urlsafe(24),
                secret=secrets.token_urlsafe(32),
                lease_seconds=self.lease_seconds,
                now=now,
            )
        elif sub.state == "denied" or intent.lapsed:
            # Until the hub verifies again, the blog is polled as usual.
            self.store.subscription_state(sub.id, "requested", now)
        renewing = sub.state == "active" and not intent.lapsed
        form = {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.callback": callback_url(self.callback_base, sub.token),
            "hub.secret": sub.secret,
            "hub.lease_seconds": str(self.lease_seconds),
        }
        return self._ask(sub, form, "renew" if renewing else "subscribe")

    def _unsubscribe(self, intent: Unsubscribe) -> bool:
        sub = intent.subscription
        if sub.state != "unsubscribing":
            self.store.subscription_state(sub.id, "unsubscribing", self.clock())
        form = {
            "hub.mode": "unsubscribe",
            "hub.topic": sub.topic,
            "hub.callback": callback_url(self.callback_base, sub.token),
        }
        return self._ask(sub, form, "unsubscribe")

    def _ask(self, sub: Subscription, form: dict[str, str], what: str) -> bool:
        try:
            status = self.fetcher.post_form(sub.hub, form)
        except FetchError as exc:
            self.store.subscription_failed(sub.id, str(exc), self.clock())
            log.warning(
                "websub %s failed hub=%s topic=%s failures=%d error=%s",
                what,
                sub.hub,
                sub.topic,
                sub.failures + 1,
                exc,
            )
            return False
        self.store.subscription_asked(sub.id, self.clock())
        log.info("websub %s hub=%s topic=%s status=%d", what, sub.hub, sub.topic, status)
        return True
