"""The composition root: builds the store, the HTTP fetcher and the jobs from Settings.

Nothing else constructs these, so tests and the CLI get the same wiring.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aggregator.blogroll import load_blogroll
from aggregator.errors import AggregatorError, Stopping, StoreError
from aggregator.models import Blogroll, BlogrollWarning, RefreshOutcome
from aggregator.settings import Settings
from aggregator.store import Store, SyncOutcome
from aggregator.websub.publisher import HubPings

if TYPE_CHECKING:
    from aggregator.fetch.http import Fetcher
    from aggregator.metrics import Metrics
    from aggregator.publish.chrome import BuildOutcome, PageChrome
    from aggregator.update.pipeline import Clock
    from aggregator.update.worker import Worker
    from aggregator.websub.upkeep import SubscriptionUpkeep

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """One site: its settings, store and fetcher, and the refresh and build jobs."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock = utcnow,
        *,
        upgrade: bool = True,
        metrics: bool = True,
    ) -> None:
        """Without ``upgrade`` nothing connects yet: the service retries the database
        itself. Without ``metrics`` nothing is counted: a one-shot command ends before
        anything could read them, and need not load the metrics library."""
        self.settings = settings
        self.clock = clock
        self.store = Store.open(settings.database.url, upgrade=upgrade)
        self.metrics: Metrics | None = None
        if metrics:
            from aggregator.metrics import Metrics

            self.metrics = Metrics()
        self._fetcher: Fetcher | None = None
        self._fetcher_lock = threading.Lock()
        #: Pings owed to the ``[websub] hubs`` for feeds a build changed.
        self.hub_pings = HubPings(
            lambda hub, form: self.fetcher.post_form(hub, form),
            settings.websub.hubs,
            settings.site.url,
            clock,
            budget_seconds=settings.fetch.total_timeout,
        )
        #: When the last refresh (publisher: build) ended well; ``/readyz`` looks at it.
        self.last_cycle_at: datetime | None = None
        #: Set to make a running refresh stop after the source in hand.
        self.stop = threading.Event()
        self._busy = threading.Lock()
        self.last_cycle_error: str | None = None
        #: ``all`` refreshes and builds; ``publisher`` leaves fetching to ``aggregator worker``.
        self.role = "all"
        #: Consecutive cycles the database failed in; the scheduler retries sooner meanwhile.
        self.database_failures = 0
        #: ``[websub] subscribe``: subscriptions to the hubs the blogs' feeds name.
        self.subscriptions: SubscriptionUpkeep | None = None
        if settings.websub.subscribe:
            from aggregator.websub.upkeep import SubscriptionUpkeep

            self.subscriptions = SubscriptionUpkeep(
                self.store, self.fetcher, settings.websub, clock
            )
        #: Set when the subscription upkeep has something new to look at (a refresh cycle
        #: ended, a hub verified); the service's upkeep thread waits on it.
        self.upkeep_due = threading.Event()
        #: The posts the last build could not read (each message names the file).
        self.post_errors: tuple[str, ...] = ()
        #: What the last build's pages show around their content, for ``/search``.
        self.page_chrome: PageChrome | None = None

    @property
    def fetcher(self) -> Fetcher:
        """The one HTTP fetcher, made when first used: a build with no hubs to ping
        loads no HTTP client at all."""
        with self._fetcher_lock:
            if self._fetcher is None:
                settings = self.settings
                if self.metrics is None:
                    from aggregator.fetch.http import Fetcher

                    self._fetcher = Fetcher(settings.fetch, settings.site.url)
                else:
                    from aggregator.fetch.timed import TimedFetcher

                    self._fetcher = TimedFetcher(settings.fetch, settings.site.url, self.metrics)
            return self._fetcher

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
        self.store.close()

    def worker(self) -> Worker:
        """A worker leasing sources from this app's store, stopped by ``self.stop``."""
        from aggregator.update.worker import Worker

        return Worker(self.settings, self.store, self.fetcher, self.clock, stop=self.stop)

    def site_server(
        self,
        health: Callable[[], dict[str, Any]],
        ready: Callable[[], tuple[bool, dict[str, Any]]],
        metrics: Callable[[], bytes],
        pushed: Callable[[], None] | None = None,
    ) -> Any:
        """The HTTP server for the output folder and the health, readiness and metrics pages;
        with ``[websub] subscribe``, also the hubs' callback, which calls ``pushed`` after a
        push stored something."""
        from aggregator.server import SiteApp, make_server

        callback = None
        if self.subscriptions is not None:
            from aggregator.websub.callback import Callback

            callback = Callback(
                self.settings,
                self.store,
                self.clock,
                verified=self.upkeep_due.set,
                stored=pushed or (lambda: None),
            )
        search = None
        if self.settings.site.search:
            from aggregator.search.page import SearchPage

            search = SearchPage(
                self.settings, self.store.search, lambda: self.page_chrome, self.clock
            )
        site = SiteApp(self.settings.output.dir, health, ready, metrics, callback, search)
        server = self.settings.server
        return make_server(site, server.host, server.port, server.threads)

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def refresh(
        self, *, every: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> RefreshOutcome:
        """Fetch due sources (all with ``every``) and store what is new."""
        # Imported here: commands that only read the store need no parser or fetch pool.
        from aggregator.update.pipeline import refresh

        with self._turn(), refresh_lock(self.store):
            outcome = refresh(
                self.settings,
                self.store,
                self.fetcher,
                self.clock,
                every=every,
                stop=self.stop,
                progress=progress,
            )
            if self.metrics is not None:
                self.metrics.refreshed(outcome)
            self.prune()
            return outcome

    def prune(self) -> int:
        """Apply ``[retention]``; what the pages and feeds show is always kept."""
        keep_for = self.settings.retention
        if not keep_for.max_age_days and not keep_for.per_source:
            return 0
        # Imported here, as in build: the page windows belong to publishing.
        from aggregator.publish.inputs import PageWindows, shown_entry_ids

        shown = shown_entry_ids(self.store, PageWindows.from_settings(self.settings))
        pruned = self.store.prune(
            self.clock(),
            max_age=timedelta(days=keep_for.max_age_days) if keep_for.max_age_days else None,
            per_source=keep_for.per_source or None,
            keep=shown,
        )
        if pruned:
            log.info("retention pruned=%d", pruned)
        return pruned

    def sync_blogroll(self, *, allow_empty: bool = False) -> tuple[Blogroll, SyncOutcome]:
        """Load the blogroll into the store without fetching anything; a blogroll that
        suddenly lists no blogs is refused unless ``allow_empty``."""
        from aggregator.update.pipeline import sync_blogroll

        return sync_blogroll(self.settings, self.store, self.clock(), allow_empty=allow_empty)

    def blogroll_with_known_feeds(self) -> Blogroll:
        """The blogroll file, each blog given the feed URL the store knows for it (the
        feed that discovery found for a homepage), as exports should name it."""
        from dataclasses import replace

        blogroll = load_blogroll(self.settings.blogroll.file)
        known = {s.url: s.feed_url for s in self.store.list_sources(include_retired=True)}
        return replace(
            blogroll,
            entries=tuple(
                entry if entry.feed_url else replace(entry, feed_url=known.get(entry.url))
                for entry in blogroll.entries
            ),
        )

    def build(self, *, log_post_errors: bool = True) -> BuildOutcome:
        """Write the site; post files that cannot be read keep their last good version
        (see ``posts.kept``) and are logged once (the CLI prints them itself instead)."""
        from aggregator.publish.files import one_build_at_a_time
        from aggregator.publish.fingerprint import site_fingerprint, unchanged_outcome

        with self._turn(), one_build_at_a_time(self.settings.output.dir):
            now = self.clock()
            fingerprint = site_fingerprint(self.settings, self.store)
            outcome = unchanged_outcome(self.settings.output.dir, fingerprint, now)
            if outcome is None:
                # Imported here: templates, Markdown and feed writers are not needed to
                # refresh, nor to find that a build has nothing to do.
                from aggregator.publish.site import build_site

                outcome = build_site(self.settings, self.store, now, fingerprint)
        if self.metrics is not None:
            self.metrics.last_build.set_to_current_time()
        self.page_chrome = outcome.chrome
        # ``/healthz`` reports them until a build reads every post.
        self.post_errors = tuple(str(error) for error in outcome.post_errors)
        for error in outcome.post_errors if log_post_errors else ():
            log.error("%s", error)
        if self.hub_pings.hubs and outcome.feeds_written:
            self.hub_pings.published(outcome.feeds_written)
            self.hub_pings.send_due()
        return outcome

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """The one turn to write the store and the site. A stopping service gives no new
        turn: a scheduled job still waiting for one ends (``Stopping``) rather than block
        the shutdown, which holds the turn while it closes the store."""
        while not self._busy.acquire(timeout=0.2):
            if self.stop.is_set():
                raise Stopping("the service is stopping")
        try:
            yield
        finally:
            self._busy.release()

    def cycle(self) -> None:
        """Refresh then build, as the scheduler runs it; errors are logged, never raised."""
        self.last_cycle_error = None
        database_failed = False
        if self.stop.is_set():
            return
        try:
            if self.role == "publisher":
                blogroll, synced = self.sync_blogroll()
                self._log_blogroll_warnings(blogroll.warnings)
                log.info("blogroll added=%d retired=%d", synced.added, synced.retired)
                self.prune()
                # Workers fetch feeds; the one publisher looks for icons, so none is asked twice.
                from aggregator.update.pipeline import refresh_icons

                refresh_icons(
                    self.store, self.fetcher, self.clock, settings=self.settings, stop=self.stop
                )
            else:
                outcome = self.refresh()
                self._log_blogroll_warnings(outcome.blogroll_warnings)
                log.info("refresh %s", outcome.summary())
        except Stopping:
            return
        except AggregatorError as exc:
            self.last_cycle_error = str(exc)
            database_failed = isinstance(exc, StoreError)
            log.error("refresh failed: %s", exc)
        if not self.stop.is_set():
            try:
                built = self.build()
                log.info("build %s", built.summary())
                if self.last_cycle_error is None:
                    self.last_cycle_at = self.clock()
            except Stopping:
                return
            except AggregatorError as exc:
                self.last_cycle_error = str(exc)
                database_failed = database_failed or isinstance(exc, StoreError)
                log.error("build failed: %s", exc)
        self.database_failures = self.database_failures + 1 if database_failed else 0
        if self.subscriptions is not None:
            self.upkeep_due.set()

    def _log_blogroll_warnings(self, warnings: Sequence[BlogrollWarning]) -> None:
        path = self.settings.blogroll.file
        for warning in warnings:
            log.warning("blogroll=%s line=%d %s", path, warning.line, warning.message(str(path)))


def open_store(settings: Settings, *, upgrade: bool = True) -> Store:
    """The database alone, for the ``db`` commands."""
    return Store.open(settings.database.url, upgrade=upgrade)


def open_fetcher(settings: Settings) -> Fetcher:
    """A plain HTTP fetcher, for ``discover`` and ``blogroll check``."""
    from aggregator.fetch.http import Fetcher

    return Fetcher(settings.fetch, settings.site.url)


@contextmanager
def refresh_lock(store: Store) -> Iterator[None]:
    """One refresh at a time on a SQLite database, across processes.

    A second ``aggregator refresh`` (or the service's own) says so and stops
    instead of fetching everything twice. PostgreSQL needs no such lock:
    workers claim sources with leases.
    """
    database = store.engine.url.database
    if store.engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.refresh.lock")
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AggregatorError(
                f"a refresh is already running on {database} ({holder}); "
                "this one stopped without fetching"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
