"""A Fetcher that records how long each fetch takes, in the service's metrics."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aggregator.fetch.http import Fetcher
from aggregator.models import FetchResult
from aggregator.settings import FetchSettings

if TYPE_CHECKING:
    from aggregator.metrics import Metrics


class TimedFetcher(Fetcher):
    """A Fetcher that records how long each fetch takes."""

    def __init__(self, settings: FetchSettings, site_url: str, metrics: Metrics) -> None:
        super().__init__(settings, site_url)
        self.metrics = metrics

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        started = time.perf_counter()
        try:
            return super().fetch(
                url, etag=etag, last_modified=last_modified, max_bytes=max_bytes, accept=accept
            )
        finally:
            self.metrics.fetch_seconds.observe(time.perf_counter() - started)
