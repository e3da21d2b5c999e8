"""Running the service: roles, health and readiness, the one database backoff, signals.

``run_service`` serves the site at once, connects to the database with a growing delay
(the last build stays online meanwhile), builds, then lets the scheduler run cycles
until SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aggregator.errors import AggregatorError

if TYPE_CHECKING:
    from aggregator.app import App

log = logging.getLogger("aggregator")

#: How long ``run`` waits for a refresh in flight before it exits anyway.
SHUTDOWN_GRACE_SECONDS = 3.0
#: A push is published this long after it arrived; the pushes meanwhile share the build.
PUSH_BUILD_DELAY = 1.0
#: The first retry of a subscription upkeep whose hub failed; it doubles up to the interval.
UPKEEP_RETRY_SECONDS = 30.0


class Backoff:
    """A delay that doubles from ``start`` up to ``cap`` on each failure and resets on success."""

    def __init__(self, start: float = 1.0, cap: float = 60.0) -> None:
        self.start = start
        self.cap = cap
        self.delay = start

    def failed(self) -> float:
        """The delay to wait now; the next one is twice as long, up to the cap."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return delay

    def succeeded(self) -> None:
        self.delay = self.start


class Debounce:
    """Runs ``action`` once, ``delay`` seconds after the first of any number of calls; a
    call while it runs leads to one more run."""

    def __init__(self, delay: float, action: Callable[[], None]) -> None:
        self.delay = delay
        self.action = action
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __call__(self) -> None:
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self._fire)
                self._timer.daemon = True
                self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        self.action()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


def run_upkeep(app: App, stopping: threading.Event) -> None:
    """The subscription upkeep thread: a run at start, after each refresh cycle and each
    verification (``app.upkeep_due``), and when a renewal is due. A run whose hub failed is
    retried with a ``Backoff``; nothing here ever stops the service."""
    upkeep = app.subscriptions
    if upkeep is None:
        return
    longest = app.settings.schedule.interval_minutes * 60.0
    backoff = Backoff(UPKEEP_RETRY_SECONDS, max(longest, UPKEEP_RETRY_SECONDS))
    while not stopping.is_set():
        app.upkeep_due.clear()
        delay = longest
        try:
            outcome = upkeep.run()
        except Exception as exc:  # a database error or a bug: logged, tried again later
            log.error(
                "websub upkeep failed: %s", exc, exc_info=not isinstance(exc, AggregatorError)
            )
            delay = backoff.failed()
        else:
            if outcome.failed:
                delay = backoff.failed()
            else:
                backoff.succeeded()
            if outcome.next_at is not None:
                until = (outcome.next_at - app.clock()).total_seconds()
                delay = min(delay, max(until, 0.0))
        app.upkeep_due.wait(delay)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_service(app: App) -> int:
    """Serve and refresh until a signal; returns the exit status (0)."""
    from aggregator.scheduler import start_scheduler
    from aggregator.server import Serving

    settings = app.settings
    stopping = threading.Event()
    database_error: list[str] = []
    max_age = timedelta(
        minutes=settings.server.ready_max_age_minutes or 3 * settings.schedule.interval_minutes
    )

    def health() -> dict[str, Any]:
        try:
            h = app.store.health()
        except AggregatorError as exc:
            return {"status": "degraded", "database": str(exc), "last_error": app.last_cycle_error}
        if app.metrics is not None:
            app.metrics.sources_failing.set(h.sources_failed)
        status = "starting" if database_error else "degraded" if app.post_errors else "ok"
        return {
            "status": status,
            "role": app.role,
            "last_refresh_at": _iso(h.last_refresh_at),
            "last_cycle_at": _iso(app.last_cycle_at),
            "sources_ok": h.sources_ok,
            "sources_failed": h.sources_failed,
            "sources_total": h.sources_total,
            "last_error": app.last_cycle_error,
            # Posts the last build could not read; each keeps its last good version online.
            "posts": list(app.post_errors),
        }

    def ready() -> tuple[bool, dict[str, Any]]:
        report = health()
        if "database" in report or database_error:
            return False, {"ready": False, "reason": "database unreachable", **report}
        last = app.last_cycle_at
        if last is None:
            return False, {"ready": False, "reason": "no refresh has finished yet", **report}
        if app.clock() - last > max_age:
            return False, {"ready": False, "reason": f"last refresh older than {max_age}", **report}
        return True, {"ready": True, **report}

    def metrics() -> bytes:
        health()  # refreshes the gauge of failing sources
        rendered: bytes = app.metrics.render() if app.metrics is not None else b""
        return rendered

    def build_after_push() -> None:
        try:
            built = app.build()
            log.info("build after=push %s", built.summary())
        except AggregatorError as exc:
            log.error("build failed: %s", exc)

    rebuild = Debounce(PUSH_BUILD_DELAY, build_after_push)
    try:
        server = app.site_server(health, ready, metrics, pushed=rebuild)
    except OSError as exc:
        app.close()
        raise AggregatorError(
            f"cannot listen on {settings.server.host}:{settings.server.port}: {exc.strerror}"
        ) from None

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal=%s stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serving = Serving(server).start()
    log.info(
        "serving url=http://%s:%d/ output=%s role=%s",
        settings.server.host,
        settings.server.port,
        settings.output.dir,
        app.role,
    )
    # Until the database answers, the last build stays online and /healthz says why.
    backoff = Backoff()
    while not stopping.is_set():
        try:
            app.store.upgrade()
            database_error.clear()
            break
        except AggregatorError as exc:
            database_error[:] = [str(exc)]
            delay = backoff.failed()
            log.error("database unreachable, retrying in %.0f s: %s", delay, exc)
            stopping.wait(delay)
    scheduler = None
    upkeep: threading.Thread | None = None
    if not stopping.is_set():
        # Publish what is already known before the first refresh, so the site is up at once.
        try:
            app.build()
        except AggregatorError as exc:
            log.error("build failed: %s", exc)
    # A signal during that first build stops the service before any refresh begins.
    if not stopping.is_set():
        scheduler = start_scheduler(app)
        if app.subscriptions is not None:
            upkeep = threading.Thread(
                target=run_upkeep, args=(app, stopping), name="websub-upkeep", daemon=True
            )
            upkeep.start()
    while not stopping.wait(0.5):
        pass

    app.stop.set()
    app.upkeep_due.set()
    rebuild.cancel()
    if upkeep is not None:
        # A request to a hub in flight ends within the fetch timeouts; not waited for longer.
        upkeep.join(timeout=1.0)
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    serving.close()
    # A refresh in flight finishes its current source, or is cut off after the grace period;
    # each source (or group of sources recorded together) is one transaction, so nothing
    # half-written is left either way.
    idle = app._busy.acquire(timeout=SHUTDOWN_GRACE_SECONDS)
    log.info("stopped")
    if not idle:
        logging.shutdown()
        os._exit(0)
    app.close()
    return 0
