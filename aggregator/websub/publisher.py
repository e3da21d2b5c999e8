"""Publisher side of WebSub: ping each hub once per changed feed, retrying failures.

After a build, ``HubPings.published`` queues one ping per (hub, changed feed);
``send_due`` posts ``hub.mode=publish&hub.url=FEED`` (W3C WebSub §6, as hubs
commonly accept it) through the guarded ``Fetcher``. A failed ping stays queued
with a growing delay; the service calls ``send_due`` again on its own timer,
so a hub that is down never fails or holds up a build.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from aggregator.errors import FetchError

log = logging.getLogger(__name__)

#: ``Fetcher.post_form``: POST a form to a hub through the guarded fetcher, its status.
PostForm = Callable[[str, Mapping[str, str]], int]

#: Delay before the first retry of a failed ping; it doubles up to ``MAX_DELAY``.
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
#: A ping that failed this many times is dropped; the feed's next change pings again.
MAX_ATTEMPTS = 10


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure in a row (pure)."""
    delay: timedelta = min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return delay


@dataclass
class Ping:
    hub: str
    #: The public URL of the feed that changed.
    topic: str
    due_at: datetime
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class PingOutcome:
    sent: int
    failed: int
    pending: int


class HubPings:
    """The queue of pings owed to the hubs; safe to use from several threads."""

    def __init__(
        self,
        post_form: PostForm,
        hubs: Iterable[str],
        site_url: str,
        clock: Callable[[], datetime],
        budget_seconds: float,
    ) -> None:
        self.post_form = post_form
        self.hubs = tuple(hubs)
        self.site_url = site_url
        self.clock = clock
        #: ``send_due`` stops after this long; what is left waits for the next call.
        self.budget_seconds = budget_seconds
        self._pending: dict[tuple[str, str], Ping] = {}
        self._lock = threading.Lock()
        self._sending = threading.Lock()

    def published(self, feed_files: Iterable[str]) -> int:
        """Queue a ping to every hub for each changed feed file (relative to the site)."""
        now = self.clock()
        queued = 0
        with self._lock:
            for name in feed_files:
                topic = urljoin(self.site_url, name)
                for hub in self.hubs:
                    # A feed that changed again while its ping waits needs one ping, now.
                    self._pending[(hub, topic)] = Ping(hub, topic, due_at=now)
                    queued += 1
        return queued

    def pending(self) -> list[Ping]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda p: (p.due_at, p.hub, p.topic))

    def send_due(self) -> PingOutcome:
        """Send every ping that is due; failures are logged and rescheduled, never raised."""
        if not self._sending.acquire(blocking=False):
            return PingOutcome(0, 0, len(self._pending))  # another thread is sending them
        try:
            return self._send_due()
        finally:
            self._sending.release()

    def _send_due(self) -> PingOutcome:
        started = time.monotonic()
        now = self.clock()
        with self._lock:
            due = [p for p in self._pending.values() if p.due_at <= now]
        due.sort(key=lambda p: (p.due_at, p.hub, p.topic))
        sent = failed = 0
        for ping in due:
            if time.monotonic() - started > self.budget_seconds:
                break
            try:
                self.post_form(ping.hub, {"hub.mode": "publish", "hub.url": ping.topic})
            except FetchError as exc:
                failed += 1
                self._failed(ping, str(exc))
                continue
            sent += 1
            log.info("websub ping hub=%s topic=%s", ping.hub, ping.topic)
            with self._lock:
                if self._pending.get((ping.hub, ping.topic)) is ping:
                    del self._pending[(ping.hub, ping.topic)]
        with self._lock:
            return PingOutcome(sent, failed, len(self._pending))

    def _failed(self, ping: Ping, error: str) -> None:
        attempts = ping.attempts + 1
        with self._lock:
            if self._pending.get((ping.hub, ping.topic)) is not ping:
                return  # queued afresh meanwhile
            if attempts >= MAX_ATTEMPTS:
                del self._pending[(ping.hub, ping.topic)]
                log.error(
                    "websub ping dropped hub=%s topic=%s attempts=%d error=%s",
                    ping.hub,
                    ping.topic,
                    attempts,
                    error,
                )
                return
            delay = retry_delay(attempts)
            ping.attempts, ping.last_error = attempts, error
            ping.due_at = self.clock() + delay
        log.warning(
            "websub ping failed hub=%s topic=%s attempt=%d retry_in=%ds error=%s",
            ping.hub,
            ping.topic,
            attempts,
            delay.total_seconds(),
            error,
        )
