"""A fetch worker: claims due sources with a lease, fetches and stores them, gives them back.

Several workers (on one machine or many) share one database; ``Store.claim_due``
makes sure no two hold the same source, and a lease that expires frees the
sources of a worker that died. Fetching, re-discovery, parsing and recording
are the refresh pipeline's own (``pipeline.run_batch``).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from datetime import timedelta

from aggregator.blogroll import load_blogroll
from aggregator.errors import BlogrollError, StoreError
from aggregator.fetch.http import Fetcher
from aggregator.models import RefreshOutcome, Source
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.update.attempt import parser_for
from aggregator.update.pipeline import Clock, explicit_feed_urls, run_batch

log = logging.getLogger(__name__)


def worker_id() -> str:
    """Who holds a lease: host and process, so an operator can tell workers apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Claims, fetches and records due sources until there are none (``tick``) or forever."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        clock: Clock,
        *,
        owner: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.clock = clock
        self.owner = owner or worker_id()
        #: Set to stop claiming; fetches in flight finish up to ``shutdown_seconds``.
        self.stop = stop or threading.Event()
        self._rng = random.Random()

    def tick(self) -> RefreshOutcome:
        """Work until no source is due (or ``stop``); returns what was fetched."""
        lease = timedelta(seconds=self.settings.worker.lease_seconds)
        limit = self.settings.worker.batch

        def claim(n: int) -> list[Source]:
            claimed = self.store.claim_due(self.owner, self.clock(), lease, min(limit, n))
            if claimed:
                log.debug("worker=%s claimed=%d", self.owner, len(claimed))
            return claimed

        with parser_for(self.settings, limit) as parse:
            batch = run_batch(
                claim,
                settings=self.settings,
                store=self.store,
                fetcher=self.fetcher,
                clock=self.clock,
                explicit_feed_urls=self._explicit_feed_urls(),
                stop=self.stop,
                rng=self._rng,
                parse=parse,
                grace_seconds=self.settings.worker.shutdown_seconds,
                tolerate_store_errors=True,
            )
        if batch.unfinished:
            released = self.store.release_leases(self.owner, [s.id for s in batch.unfinished])
            log.info("worker=%s released=%d unfinished", self.owner, released)
        return RefreshOutcome(tuple(batch.outcomes))

    def _explicit_feed_urls(self) -> frozenset[str] | None:
        """The blogs whose feed the owner gave; ``None`` (re-discover nothing) when the
        blogroll cannot be read here."""
        try:
            return explicit_feed_urls(load_blogroll(self.settings.blogroll.file).entries)
        except BlogrollError as exc:
            log.warning("worker=%s blogroll not read, no rediscovery: %s", self.owner, exc)
            return None

    def run(self) -> None:
        """Tick every ``tick_seconds`` until ``stop``; a database error waits and retries."""
        from aggregator.service import Backoff

        backoff = Backoff()
        while not self.stop.is_set():
            try:
                outcome = self.tick()
                if outcome.sources:
                    log.info("worker=%s %s", self.owner, outcome.summary())
                backoff.succeeded()
                pause: float = self.settings.worker.tick_seconds
            except StoreError as exc:
                pause = backoff.failed()
                log.error(
                    "worker=%s database error, retrying in %.0f s: %s", self.owner, pause, exc
                )
            self.stop.wait(pause)
        # Nothing is in flight here; any lease left (a crash in a tick) is given back.
        try:
            self.store.release_leases(self.owner)
        except StoreError as exc:
            log.error("worker=%s could not release its leases: %s", self.owner, exc)
