"""The summed memory and CPU time of a process and all its descendants, read from /proc."""

from __future__ import annotations

import os
import threading


class TreeMemory:
    """Samples the summed RSS of a process and all its descendants, and their CPU time.

    CPU time is read from /proc because pool workers started through a fork
    server are not our children, so resource.getrusage would not see them.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.cpu_ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, ticks = _tree_usage(self.pid)
            self.peak = max(self.peak, rss)
            for pid, value in ticks.items():
                self.cpu_ticks[pid] = max(self.cpu_ticks.get(pid, 0), value)
            self._stop.wait(0.02)


def _tree_usage(root: int) -> tuple[int, dict[int, int]]:
    """(summed RSS in bytes, CPU ticks by pid) of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
            used = int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
        ticks[int(entry)] = used
    total, stack, seen = 0, [root], {}
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        seen[pid] = ticks.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total, seen
