"""Build speed with a large store: 100,000 entries across 1,000 blogs.

Fills a SQLite store with generated, deterministic data (no network), then
runs ``aggregator build`` as separate processes and prints the wall time of
the full build (empty output folder), of the rebuild with nothing changed, of
the build after one new entry (as after a refresh that found one new post),
and the peak resident memory; once for the whole command and once
for ``App.build`` alone (without interpreter start, imports and migrations).
Targets: build ≤ 3 s, rebuild ≤ 1 s, ≤ 250 MB (none for the build after one new entry).

A build keeps its compiled templates in the temporary folder for the next one;
the builds here get a temporary folder of their own, and the very first one,
which compiles them, is timed and printed apart.

    .venv/bin/python benchmarks/build.py [--entries 100000] [--sources 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from aggregator.store import Store
from aggregator.store.schema import ENTRIES, SOURCES

sys.path.insert(0, str(Path(__file__).parent))
import machine
from installed import compiled_env
from tree_memory import TreeMemory

CONFIG = """\
[site]
title = "Benchmark reading room"
url = "http://127.0.0.1:8080/"
author = "Bench Owner"

[database]
url = "sqlite:///{db}"

[output]
dir = "public"
"""
WORDS = (
    "garden", "notes", "compost", "radio", "tape", "signal", "model", "noise", "latent",
    "field", "river", "stone", "paper", "kettle", "lamp", "window", "letter", "harbour",
    "engine", "lattice", "orbit", "meadow", "ember", "quiet", "bright",
)  # fmt: skip
NEWEST = datetime(2026, 3, 1, 12, tzinfo=UTC)
CATEGORIES = ("friends", "machines", "music", "science", "making", "elsewhere")


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def fill(root: Path, sources: int, entries: int) -> Path:
    """A site folder with a store holding ``entries`` entries spread over ``sources`` blogs."""
    rng = random.Random(20260301)
    db = root / "bench.sqlite3"
    (root / "posts").mkdir()
    for n in range(20):
        date = (NEWEST - timedelta(days=9 * n)).date()
        text = f"---\ntitle: Own post {n}\ndate: {date}\ntags: [bench, t{n % 4}]\n---\n\n"
        (root / "posts" / f"post-{n}.md").write_text(text + sentence(rng, 80) + ".\n")
    (root / "blogroll.md").write_text("# Blogs\n")
    (root / "aggregator.toml").write_text(CONFIG.format(db=db))
    store = Store.open(f"sqlite:///{db}")
    created = NEWEST - timedelta(days=3 * 365)
    with store.engine.begin() as connection:
        connection.execute(
            insert(SOURCES),
            [
                {
                    "id": s + 1,
                    "url": f"https://blog{s}.example/",
                    "feed_url": f"https://blog{s}.example/feed.xml",
                    "site_url": f"https://blog{s}.example/",
                    "title": f"Blog {s} " + sentence(rng, 2),
                    "category": CATEGORIES[s % len(CATEGORIES)],
                    "note": sentence(rng, 14) + ".",
                    "recommended": [],
                    "position": s,
                    "active": True,
                    "last_fetched_at": NEWEST,
                    "last_result": "error" if s % 50 == 0 else "ok",
                    "last_http_status": 500 if s % 50 == 0 else 200,
                    "failure_count": 2 if s % 50 == 0 else 0,
                    "next_check_at": NEWEST + timedelta(hours=1),
                    "created_at": created,
                }
                for s in range(sources)
            ],
        )
        batch = []
        for n in range(entries):
            source = rng.randrange(sources) + 1
            # Three years, denser towards the present, as a living blogroll is.
            when = NEWEST - timedelta(seconds=int(3 * 365 * 86400 * rng.random() ** 1.5))
            body = " ".join(f"<p>{sentence(rng, 25)}.</p>" for _ in range(4))
            batch.append(
                {
                    "source_id": source,
                    "key": f"https://blog{source - 1}.example/posts/{n}",
                    "url": f"https://blog{source - 1}.example/posts/{n}",
                    "title": sentence(rng, 6),
                    "author": None,
                    "published_at": when,
                    "updated_at": when,
                    "first_seen_at": when,
                    "sort_at": when,
                    "summary": sentence(rng, 30) + ".",
                    "content_html": body,
                    "content_hash": f"{n:064x}",
                }
            )
            if len(batch) == 5000:
                connection.execute(insert(ENTRIES), batch)
                batch = []
        if batch:
            connection.execute(insert(ENTRIES), batch)
    store.close()
    return root / "aggregator.toml"


def add_entry(db: Path, n: int) -> None:
    """One new entry of the first blog, newer than any other, counted as the store counts
    its own writes (which is what tells a build that something is new)."""
    when = NEWEST + timedelta(hours=1 + n)
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO entries (source_id, key, url, title, published_at, updated_at,"
            " first_seen_at, sort_at, summary, content_html, content_hash)"
            " VALUES (1, ?, ?, 'A new one', ?, ?, ?, ?, 'Just in.', '<p>Just in.</p>', ?)",
            (
                f"new-{n}",
                f"https://blog0.example/new/{n}",
                *[when.strftime("%Y-%m-%d %H:%M:%S.%f")] * 4,
                f"{n:064x}",
            ),
        )
        connection.execute("UPDATE store_revision SET entries = entries + 1")


CHILD = """
import sys, time
from datetime import UTC, datetime
from aggregator.app import App
from aggregator.settings import load_settings
with App(load_settings(sys.argv[1])) as app:
    started = time.perf_counter()
    outcome = app.build()
    print(f"{time.perf_counter() - started:.3f} {outcome.summary()}")
"""


def timed_build(config: Path, *, cli: bool, tmp: Path) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB, all its processes together) of one build in a fresh
    process.

    ``cli``: the whole ``aggregator build`` command, interpreter start, imports
    and migration check included; otherwise the time ``App.build`` itself takes.
    """
    if cli:
        command = [sys.executable, "-m", "aggregator", "--config", str(config), "build"]
    else:
        command = [sys.executable, "-c", CHILD, str(config)]
    # The store just filled and the folders just set aside are still being written
    # back: flush them first, so that their disk traffic is not timed as the build's.
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**compiled_env(), "TMPDIR": str(tmp)},
    )
    with TreeMemory(process.pid) as memory:
        output = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"build failed:\n{output}")
    last = output.strip().splitlines()[-1]
    if not cli:
        seconds, last = last.split(" ", 1)
        elapsed = float(seconds)
    # All processes together (a large build renders its archive in a second one).
    return elapsed, max(memory.peak / 2**20, usage.ru_maxrss / 1024), last


def _set_aside(output: Path) -> None:
    """Empty the output folder by moving it aside, to be deleted after the timings:
    deleting tens of megabytes just before a build makes the filesystem's journal
    slow down the build's own file creation by seconds, which a first build on a
    real site never sees."""
    if output.exists():
        output.rename(output.with_name(f"public.old-{time.monotonic_ns()}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=1_000)
    parser.add_argument("--keep", metavar="DIR", help="build here and keep it")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="aggregator-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        machine.report("before")
        started = time.perf_counter()
        config = fill(root, args.sources, args.entries)
        print(f"store: {args.entries} entries, {args.sources} sources, "
              f"filled in {time.perf_counter() - started:.1f} s")  # fmt: skip
        tmp = root / "tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        first, first_rss, _ = timed_build(config, cli=True, tmp=tmp)
        print(f"  the first build, compiling the templates: {first:.2f} s, {first_rss:.0f} MB")
        rows = []
        for label, cli in (("aggregator build (whole command)", True), ("App.build only", False)):
            _set_aside(root / "public")
            full, full_rss, summary = timed_build(config, cli=cli, tmp=tmp)
            # Every output file exists and is right now: this is the rebuild with nothing new.
            again, again_rss, again_summary = timed_build(config, cli=cli, tmp=tmp)
            add_entry(root / "bench.sqlite3", len(rows))
            one, one_rss, one_summary = timed_build(config, cli=cli, tmp=tmp)
            if cli:
                print(f"  first build: {summary}")
                print(f"  rebuild:     {again_summary}")
                print(f"  one new:     {one_summary}")
            rows.append((label, full, again, one, max(full_rss, again_rss, one_rss)))
        print(f"{'':34} {'build':>8} {'rebuild':>8} {'one new':>8} {'peak RSS':>9}")
        for label, full, again, one, rss in rows:
            print(f"{label:34} {full:7.2f}s {again:7.2f}s {one:7.2f}s {rss:6.0f} MB")
        _, full, again, _, rss = rows[0]
        ok = full <= 3 and again <= 1 and rss <= 250
        print("targets for the whole command (build ≤ 3 s, rebuild ≤ 1 s, ≤ 250 MB):",
              "met" if ok else "NOT met")  # fmt: skip
        machine.report("after")
    finally:
        for old in root.glob("public.old-*"):
            shutil.rmtree(old, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
