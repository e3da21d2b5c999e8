"""How fast this machine runs Python right now, to read the other figures against.

A shared virtual machine's speed drifts, by a third within minutes on some: the same
benchmark then gives different seconds. The benchmarks print the time of a fixed
pure-Python loop before and after their runs; figures taken at different loop times
compare only after scaling by them (the speed-up over a peer, measured in the same
run, needs no scaling).
"""

from __future__ import annotations

import time


def reference_seconds(runs: int = 3) -> list[float]:
    """Seconds this process takes, each time, for 10⁷ additions in a pure-Python loop."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        total = 0
        for n in range(10_000_000):
            total += n
        times.append(time.perf_counter() - started)
    return times


def report(when: str) -> None:
    times = reference_seconds()
    print(f"reference loop {when}: {min(times):.2f}–{max(times):.2f} s (10⁷ additions, 3 runs)")
