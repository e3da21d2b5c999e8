"""Refresh throughput: `aggregator refresh --all` on N generated feeds served on loopback.

    python benchmarks/refresh.py --n 1000 [--peer reader] [--seed 1] [--hosts 8]
    python benchmarks/refresh.py --n 1000 --workers 4 [--database-url postgresql://…]

Runs three workloads on a fresh SQLite database: cold (every entry new), warm
(every feed answers 304) and 10 % changed; prints wall time, CPU time, peak
RSS of all processes together, and feeds per second. With ``--peer reader``
the same workloads run with lemon24/reader (PyPI ``reader``) against the same
server, and the ratio is printed. With ``--workers K`` a cold fetch of every feed
is instead shared by 1, 2, … K ``aggregator worker --once`` processes, each time
on a fresh store (a fresh schema of ``--database-url``'s PostgreSQL, else SQLite).
Only 127.0.0.0/8 is contacted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).parent))
import machine
from feedsite import FeedSite
from installed import compiled_env
from tree_memory import TreeMemory

WORKLOADS = ("cold (all new)", "warm (all 304)", "10 % changed")


@dataclass(frozen=True)
class Figures:
    wall: float
    cpu: float
    peak_rss_mb: float
    feeds: int
    output: str
    #: CPU seconds of the command's own process (fetching and recording), as sampled.
    main_cpu: float = 0.0

    @property
    def feeds_per_second(self) -> float:
        return self.feeds / self.wall if self.wall else 0.0


def measure(command: list[str], feeds: int) -> Figures:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=compiled_env()
    )
    with TreeMemory(process.pid) as memory:
        output, _ = process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed:\n{output.decode()[-2000:]}")
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The larger of the two: sampling misses the last 20 ms, rusage misses fork-server workers.
    cpu = max(reaped, memory.cpu_seconds)
    main = memory.cpu_ticks.get(process.pid, 0) / os.sysconf("SC_CLK_TCK")
    return Figures(wall, cpu, memory.peak / 2**20, feeds, output.decode().strip(), main)


def write_site(folder: Path, site: FeedSite) -> Path:
    outlines = "\n".join(
        f'<outline type="rss" text="Blog {i}" xmlUrl={quoteattr(url)}/>'
        for i, url in enumerate(site.urls())
    )
    (folder / "blogroll.opml").write_text(
        f'<?xml version="1.0"?>\n<opml version="2.0"><head><title>Bench</title></head>'
        f"<body>\n{outlines}\n</body></opml>\n"
    )
    (folder / "posts").mkdir(exist_ok=True)
    config = folder / "aggregator.toml"
    config.write_text(
        '[site]\ntitle = "Benchmark"\nurl = "http://127.0.0.1:8080/"\nauthor = "Bench"\n'
        '[blogroll]\nfile = "blogroll.opml"\n'
        # No icons: the blogs' homepages are on made-up hosts, whose names would be looked up
        # (outside 127.0.0.0/8) and wait out the icon budget; reader fetches none either.
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\nicons = false\n'
    )
    return config


READER_SCRIPT = """
import sys, logging
from reader import make_reader
reader = make_reader(sys.argv[1])
if sys.argv[2] == "add":
    with open(sys.argv[3]) as urls:
        for url in urls.read().split():
            reader.add_feed(url, exist_ok=True)
else:
    reader.update_feeds(workers=int(sys.argv[3]), scheduled=False)
    counts = reader.get_entry_counts()
    print(f"entries={counts.total}")
"""


def run_aggregator(site: FeedSite, folder: Path, cold_only: bool = False) -> list[Figures]:
    config = write_site(folder, site)
    command = [sys.executable, "-m", "aggregator", "--config", str(config), "refresh", "--all"]
    if cold_only:
        return [measure(command, site.n)]
    results = [measure(command, site.n), measure(command, site.n)]
    site.change(10)
    results.append(measure(command, site.n))
    return results


def run_reader(site: FeedSite, folder: Path, workers: int) -> list[Figures]:
    database = str(folder / "reader.sqlite")
    urls = folder / "urls.txt"
    urls.write_text("\n".join(site.urls()))
    added = subprocess.run(
        [sys.executable, "-c", READER_SCRIPT, database, "add", str(urls)],
        capture_output=True,
        text=True,
    )
    if added.returncode != 0:
        raise SystemExit(f"reader could not be set up:\n{added.stderr[-2000:]}")
    command = [sys.executable, "-c", READER_SCRIPT, database, "update", str(workers)]
    results = [measure(command, site.n), measure(command, site.n)]
    site.change(10)
    results.append(measure(command, site.n))
    return results


def run_workers(site: FeedSite, folder: Path, k: int, database_url: str | None) -> Figures:
    """A cold fetch of every feed by ``k`` worker processes sharing one fresh store."""
    from contextlib import ExitStack

    config = write_site(folder, site)
    with ExitStack() as stack:
        url = stack.enter_context(_fresh_schema(database_url)) if database_url else None
        url = url or f"sqlite:///{folder / f'workers-{k}.sqlite3'}"
        config.write_text(config.read_text() + f"[database]\nurl = {url!r}\n".replace("'", '"'))
        base = [sys.executable, "-m", "aggregator", "--config", str(config)]
        subprocess.run([*base, "blogroll", "sync"], check=True, capture_output=True)
        script = "; ".join(
            [
                "import subprocess, sys",
                "ps = [subprocess.Popen(sys.argv[2:]) for _ in range(int(sys.argv[1]))]",
                "sys.exit(max(p.wait() for p in ps))",
            ]
        )
        return measure([sys.executable, "-c", script, str(k), *base, "worker", "--once"], site.n)


def _fresh_schema(database_url: str) -> Any:
    """A fresh PostgreSQL schema for one run, dropped afterwards."""
    from contextlib import contextmanager

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    @contextmanager
    def schema() -> Any:
        name = f"bench_{os.getpid()}_{time.monotonic_ns()}"
        url = make_url(database_url).set(drivername="postgresql+psycopg")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {name}"))
        try:
            yield url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
                hide_password=False
            )
        finally:
            with engine.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
            engine.dispose()

    return schema()


def main_workers(args: argparse.Namespace) -> None:
    print(f"generating and serving {args.n} feeds on {args.hosts} loopback addresses…", flush=True)
    rows = []
    for k in range(1, args.workers + 1):
        with (
            FeedSite(args.n, args.seed, args.hosts, args.port) as site,
            tempfile.TemporaryDirectory(prefix="aggregator-bench-") as tmp,
        ):
            rows.append((k, run_workers(site, Path(tmp), k, args.database_url)))
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nN = {args.n} feeds, cold, {store}, {os.cpu_count()} CPUs")
    print(f"{'workers':>7} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'feeds/s':>8}")
    for k, f in rows:
        print(
            f"{k:>7} {f.wall:>7.2f} {f.cpu:>7.2f} {f.peak_rss_mb:>8.0f} {f.feeds_per_second:>8.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of feeds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hosts", type=int, default=8, help="loopback addresses to spread over")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--peer", choices=["reader"], help="also run this peer and compare")
    parser.add_argument("--reader-workers", type=int, default=16)
    parser.add_argument(
        "--cold-only", action="store_true", help="only the cold run (for large N: memory)"
    )
    parser.add_argument("--workers", type=int, help="compare 1…K worker processes instead")
    parser.add_argument("--database-url", help="PostgreSQL for --workers (default: SQLite)")
    args = parser.parse_args()
    if args.workers:
        main_workers(args)
        return

    machine.report("before")
    print(f"generating and serving {args.n} feeds on {args.hosts} loopback addresses…", flush=True)
    started = time.perf_counter()
    with FeedSite(args.n, args.seed, args.hosts, args.port) as site:
        print(f"server ready in {time.perf_counter() - started:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="aggregator-bench-") as tmp:
            ours = run_aggregator(site, Path(tmp), args.cold_only)
        for figures in ours:
            print("  aggregator:", figures.output.splitlines()[-1])
            print(f"    CPU: {figures.main_cpu:.2f} s in its own process (fetching, recording),"
                  f" {figures.cpu - figures.main_cpu:.2f} s in parse processes")  # fmt: skip
    peer: list[Figures] | None = None
    if args.peer == "reader":
        with (
            FeedSite(args.n, args.seed, args.hosts, args.port) as site,
            tempfile.TemporaryDirectory(prefix="reader-bench-") as tmp,
        ):
            peer = run_reader(site, Path(tmp), args.reader_workers)
        for figures in peer:
            print("  reader:", figures.output.splitlines()[-1] if figures.output else "")

    print()
    print(f"N = {args.n} feeds, {os.cpu_count()} CPUs")
    header = f"{'workload':<16} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'feeds/s':>8}"
    if peer:
        header += f" | {'reader wall s':>13} {'cpu s':>7} {'peak MB':>8} | {'speed-up':>8}"
    print(header)
    for index, name in enumerate(WORKLOADS[: len(ours)]):
        ours_f = ours[index]
        line = (
            f"{name:<16} {ours_f.wall:>7.2f} {ours_f.cpu:>7.2f} {ours_f.peak_rss_mb:>8.0f} "
            f"{ours_f.feeds_per_second:>8.0f}"
        )
        if peer:
            theirs = peer[index]
            line += (
                f" | {theirs.wall:>13.2f} {theirs.cpu:>7.2f} {theirs.peak_rss_mb:>8.0f} |"
                f" {theirs.wall / ours_f.wall:>7.1f}×"
            )
        print(line)
    machine.report("after")


if __name__ == "__main__":
    main()
