"""The service's Debounce: many pushes in a moment lead to one build, none is lost."""

from __future__ import annotations

import threading
import time

from aggregator.service import Debounce


def test_calls_within_the_delay_share_one_run() -> None:
    runs: list[float] = []
    done = threading.Event()

    def build() -> None:
        runs.append(time.monotonic())
        done.set()

    debounce = Debounce(0.05, build)
    started = time.monotonic()
    for _ in range(20):
        debounce()
    assert done.wait(2)
    time.sleep(0.1)
    assert len(runs) == 1
    assert runs[0] - started >= 0.05


def test_a_call_while_it_runs_leads_to_one_more_run() -> None:
    entered, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def build() -> None:
        runs.append(1)
        entered.set()
        release.wait(2)

    debounce = Debounce(0.01, build)
    debounce()
    assert entered.wait(2)
    debounce()
    debounce()
    release.set()
    deadline = time.monotonic() + 2
    while len(runs) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert len(runs) == 2


def test_a_cancelled_run_does_not_happen() -> None:
    runs: list[int] = []
    debounce = Debounce(0.05, lambda: runs.append(1))
    debounce()
    debounce.cancel()
    time.sleep(0.1)
    assert runs == []
