"""Prometheus metrics of one process: fetches, entries stored, failing sources, builds."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from aggregator.models import RefreshOutcome

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The service's metrics in a registry of their own (so tests can make many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.fetches = Counter(
            "aggregator_fetches",
            "Source fetches by result (ok, not_modified, error, gone, bug)",
            ["result"],
            registry=self.registry,
        )
        self.pipeline_bugs = Counter(
            "aggregator_pipeline_bugs",
            "Sources whose fetch or parse raised an unexpected exception (a bug, not recorded)",
            registry=self.registry,
        )
        self.fetch_seconds = Histogram(
            "aggregator_fetch_duration_seconds",
            "Time of one HTTP fetch, body included",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.entries = Counter(
            "aggregator_entries_stored", "New entries stored", registry=self.registry
        )
        self.sources_failing = Gauge(
            "aggregator_sources_failing",
            "Active sources whose last fetch failed",
            registry=self.registry,
        )
        self.last_build = Gauge(
            "aggregator_last_build_timestamp_seconds",
            "When the site was last built (Unix time)",
            registry=self.registry,
        )
        self.last_refresh = Gauge(
            "aggregator_last_refresh_timestamp_seconds",
            "When the last refresh ended (Unix time)",
            registry=self.registry,
        )

    def refreshed(self, outcome: RefreshOutcome) -> None:
        for source in outcome.sources:
            self.fetches.labels(source.result).inc()
            self.entries.inc(source.new)
            if source.result == "bug":
                self.pipeline_bugs.inc()
        self.last_refresh.set_to_current_time()

    def render(self) -> bytes:
        return generate_latest(self.registry)
