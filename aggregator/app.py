"""The composition root: builds the store, the HTTP fetcher and the jobs from Settings.

Nothing else constructs these, so tests and the CLI get the same wiring.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aggregator.errors import AggregatorError
from aggregator.fetch import Fetcher
from aggregator.models import RefreshOutcome
from aggregator.refresh import Clock, refresh
from aggregator.settings import Settings
from aggregator.store import Store

if TYPE_CHECKING:
    from aggregator.publish import BuildOutcome

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """One site: its settings, store and fetcher, and the refresh and build jobs."""

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.store = Store.open(settings.database.url)
        self.fetcher = Fetcher(settings.fetch, settings.site.url)
        #: Set to make a running refresh stop after the source in hand.
        self.stop = threading.Event()
        self._busy = threading.Lock()
        self.last_cycle_error: str | None = None

    def close(self) -> None:
        self.fetcher.close()
        self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def refresh(self, *, every: bool = False) -> RefreshOutcome:
        """Fetch due sources (all with ``every``) and store what is new."""
        with self._busy:
            return refresh(
                self.settings, self.store, self.fetcher, self.clock, every=every, stop=self.stop
            )

    def build(self) -> BuildOutcome:
        """Write the site; post files that cannot be read are logged and skipped."""
        # Imported here: templates, Markdown and feed writers are not needed to refresh.
        from aggregator.publish import build_site

        with self._busy:
            outcome = build_site(self.settings, self.store, self.clock())
        for error in outcome.post_errors:
            log.error("%s", error)
        return outcome

    def cycle(self) -> None:
        """Refresh then build, as the scheduler runs it; errors are logged, never raised."""
        try:
            outcome = self.refresh()
            log.info("refresh %s", outcome.summary())
        except AggregatorError as exc:
            self.last_cycle_error = str(exc)
            log.error("refresh failed: %s", exc)
        if self.stop.is_set():
            return
        try:
            built = self.build()
            log.info("build %s", built.summary())
            self.last_cycle_error = None
        except AggregatorError as exc:
            self.last_cycle_error = str(exc)
            log.error("build failed: %s", exc)
