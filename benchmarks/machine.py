"""How fast this machine runs Python right now, to read the other figures against.

A shared virtual machine's speed drifts, by a third within minutes on some: the same
benchmark then gives different seconds. The benchmarks print the time of a fixed
pure-Python loop before and after their runs; figures taken at different loop times
compare only after scaling by them (the speed-up over a peer, measured in the same
run, needs no scaling).
"""

from __future__ import annotations

import time


def reference_seconds() -> float:
    """Seconds this process takes for 10⁷ additions in a pure-Python loop (best of 3)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(10_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best


def report(when: str) -> None:
    print(f"reference loop {when}: {reference_seconds():.2f} s (10⁷ additions, best of 3)")
