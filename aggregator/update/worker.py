"""A fetch worker: claims due sources with a lease, fetches and stores them, gives them back.

Several workers (on one machine or many) share one database; ``Store.claim_due``
makes sure no two hold the same source, and a lease that expires frees the
sources of a worker that died. Fetching and recording are the refresh
pipeline's own (``refresh.fetch_source`` and ``refresh.Recorder``).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from aggregator.errors import StoreError
from aggregator.fetch.http import Fetcher
from aggregator.models import RefreshOutcome, Source, SourceOutcome
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.update.pipeline import Attempt, Clock, Recorder, fetch_source, schedule_of

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
        recorder = Recorder(
            self.store,
            schedule_of(self.settings),
            self._rng,
            self.settings.content.clamp_future_dates,
        )
        outcomes: list[SourceOutcome] = []
        threads = self.settings.fetch.workers
        pool = ThreadPoolExecutor(threads, thread_name_prefix="fetch")
        in_flight: dict[Future[Attempt], Source] = {}
        try:
            while not self.stop.is_set():
                # Keep the pool busy: claim more as soon as there is room.
                if len(in_flight) < threads:
                    room = min(self.settings.worker.batch, 2 * threads - len(in_flight))
                    claimed = self.store.claim_due(self.owner, self.clock(), lease, room)
                    for source in claimed:
                        in_flight[pool.submit(fetch_source, self.fetcher, source)] = source
                    if claimed:
                        log.debug("worker=%s claimed=%d", self.owner, len(claimed))
                if not in_flight:
                    break
                done, _ = wait(in_flight, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    self._record(in_flight.pop(future), future.result(), recorder, outcomes)
            self._finish(in_flight, recorder, outcomes)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return RefreshOutcome(tuple(outcomes))

    def _record(
        self, source: Source, attempt: Attempt, recorder: Recorder, outcomes: list[SourceOutcome]
    ) -> None:
        try:
            outcome = recorder.record(source, attempt, self.clock())
        except StoreError as exc:
            # The lease runs out and another worker (or this one) fetches it again.
            log.error("worker=%s source=%s not stored: %s", self.owner, source.url, exc)
            return
        outcomes.append(outcome)

    def _finish(
        self,
        in_flight: dict[Future[Attempt], Source],
        recorder: Recorder,
        outcomes: list[SourceOutcome],
    ) -> None:
        """Stopping: record what finishes before the deadline, give the rest back."""
        deadline = time.monotonic() + self.settings.worker.shutdown_seconds
        while in_flight and time.monotonic() < deadline:
            done, _ = wait(
                in_flight, timeout=deadline - time.monotonic(), return_when=FIRST_COMPLETED
            )
            for future in done:
                self._record(in_flight.pop(future), future.result(), recorder, outcomes)
        try:
            recorder.flush()
        except StoreError as exc:
            log.error("worker=%s not-modified marks not stored: %s", self.owner, exc)
        if in_flight:
            released = self.store.release_leases(self.owner, [s.id for s in in_flight.values()])
            log.info("worker=%s released=%d unfinished", self.owner, released)

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
