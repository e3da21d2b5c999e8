"""The ``aggregator`` command: parse arguments, call the app, print results.

Exit status: 0 when the command ran (even if some sources failed), 1 when it
could not run (configuration, database, output folder), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aggregator import __version__
from aggregator.errors import AggregatorError
from aggregator.models import Source
from aggregator.service import Backoff
from aggregator.settings import Settings, load_settings

log = logging.getLogger("aggregator")

#: How long ``run`` waits for a refresh in flight before it exits anyway.
SHUTDOWN_GRACE_SECONDS = 3.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # refresh prints its failures itself; the service logs everything it does.
    default = {"run": logging.INFO, "worker": logging.INFO, "refresh": logging.ERROR}.get(
        args.command, logging.WARNING
    )
    _setup_logging(args.verbose, default=default, log_format=args.log_format)
    try:
        settings = load_settings(args.config)
        result: int = args.handler(settings, args)
        return result
    except AggregatorError as exc:
        print(f"aggregator: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aggregator",
        description="Follow a blogroll and publish it together with your own posts.",
    )
    parser.add_argument("--version", action="version", version=f"aggregator {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $AGGREGATOR_CONFIG, else config/aggregator.toml)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--log-format",
        choices=("human", "json"),
        default="human",
        help="log lines as text (default) or one JSON object per line",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    refresh = commands.add_parser("refresh", help="fetch due sources and store new entries")
    refresh.add_argument("--all", action="store_true", help="fetch every source, due or not")
    refresh.set_defaults(handler=cmd_refresh)

    build = commands.add_parser("build", help="write the site into the output folder")
    build.set_defaults(handler=cmd_build)

    run = commands.add_parser("run", help="run the service: scheduler and web server")
    run.add_argument(
        "--role",
        choices=("all", "publisher"),
        default="all",
        help="all: fetch, build and serve (default); publisher: build and serve, "
        "leaving fetching to `aggregator worker` processes",
    )
    run.set_defaults(handler=cmd_run)

    worker = commands.add_parser(
        "worker", help="claim due sources from the shared database, fetch and store them"
    )
    worker.add_argument("--once", action="store_true", help="work until nothing is due, then exit")
    worker.set_defaults(handler=cmd_worker)

    status = commands.add_parser("status", help="show each source's fetch state")
    status.add_argument("--json", action="store_true", help="JSON instead of text")
    status.set_defaults(handler=cmd_status)

    sources = commands.add_parser("sources", help="manage sources")
    sources_commands = sources.add_subparsers(
        dest="sources_command", required=True, metavar="COMMAND"
    )
    retry = sources_commands.add_parser(
        "retry", help="fetch a gone, rate-limited or failing source again at the next refresh"
    )
    retry.add_argument("url", help="the source's blogroll URL, feed URL or a former feed URL")
    retry.set_defaults(handler=cmd_sources_retry)
    _add_blogroll_commands(commands)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(
        handler=cmd_db_upgrade
    )
    db_commands.add_parser("current", help="show the schema revision").set_defaults(
        handler=cmd_db_current
    )
    return parser


def _setup_logging(verbose: int, default: int, log_format: str = "human") -> None:
    from aggregator.logs import formatter

    level = default if not verbose else (logging.INFO if verbose == 1 else logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    # Third-party chatter is only useful when asked for.
    for noisy in ("apscheduler", "waitress", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)


def _app(settings: Settings, *, upgrade: bool = True) -> Any:
    from aggregator.app import App

    return App(settings, upgrade=upgrade)


def cmd_refresh(settings: Settings, args: argparse.Namespace) -> int:
    bar = ProgressBar("refresh", sys.stderr) if sys.stderr.isatty() else None
    with _app(settings) as app:
        outcome = app.refresh(every=args.all, progress=bar.update if bar else None)
    if bar:
        bar.close()
    for source in outcome.sources:
        if source.result == "error":
            print(f"failed: {source.error}")
    print(outcome.summary())
    return 0


class ProgressBar:
    """A one-line bar on a terminal: ``refresh [#####·····] 512/1000``."""

    WIDTH = 30

    def __init__(self, label: str, stream: Any) -> None:
        self.label, self.stream = label, stream
        self.shown = False

    def update(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "·" * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    app = _app(settings)
    worker = app.worker()
    if args.once:
        try:
            print(worker.tick().summary())
        finally:
            app.close()
        return 0

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal=%s stopping: no more claims", signal.Signals(signum).name)
        app.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("worker=%s started", worker.owner)
    worker.run()
    log.info("worker=%s stopped", worker.owner)
    if threading.active_count() > 1:
        # A fetch that outlived the deadline: its lease is released, nothing waits for it.
        logging.shutdown()
        os._exit(0)
    app.close()
    return 0


def cmd_blogroll_sync(settings: Settings, args: argparse.Namespace) -> int:
    with _app(settings) as app:
        outcome = app.sync_blogroll()
    print(f"blogroll: {outcome.added} added, {outcome.retired} retired, {outcome.kept} kept")
    return 0


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    with _app(settings) as app:
        outcome = app.build()
    for error in outcome.post_errors:
        print(f"aggregator: error: {error}", file=sys.stderr)
    print(f"{outcome.summary()} in {settings.output.dir}")
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    with _app(settings) as app:
        sources = app.store.list_sources()
        now = app.clock()
    if args.json:
        print(json.dumps([_status_record(s, now) for s in sources], indent=2))
        return 0
    if not sources:
        print("no sources: refresh reads them from the blogroll")
    for source in sources:
        print(_status_line(source, now))
    return 0


def _status_record(source: Source, now: datetime) -> dict[str, Any]:
    return {
        "url": source.url,
        "feed_url": source.feed_url,
        "aliases": list(source.aliases),
        "title": source.display_title,
        "category": source.category,
        "state": source.state(now),
        "last_fetched_at": _iso(source.last_fetched_at),
        "result": source.last_result or "never fetched",
        "error_kind": source.last_error_kind,
        "http_status": source.last_http_status,
        "entries": source.entry_count,
        "failure_count": source.failure_count,
        "first_failure_at": _iso(source.first_failure_at),
        "last_failure_at": _iso(source.last_failure_at),
        "last_error": source.last_error,
        "retry_after": _iso(source.retry_after),
        "gone_at": _iso(source.gone_at),
        "moved_at": _iso(source.moved_at),
        "next_check_at": None if source.gone_at else _iso(source.next_check_at),
    }


def _status_line(source: Source, now: datetime) -> str:
    state = source.state(now)
    result = source.last_result or "new"
    if result == "error":
        result = f"error:{source.last_error_kind}"
    next_check = "never (gone)" if source.gone_at else _iso(source.next_check_at) or "now"
    parts = [
        f"{source.feed_url or source.url}",
        f"state={state}",
        f"result={result}",
        f"http={source.last_http_status or '-'}",
        f"entries={source.entry_count}",
        f"fetched={_iso(source.last_fetched_at) or 'never'}",
        f"next={next_check}",
    ]
    if source.failure_count:
        parts.append(f"failures={source.failure_count}")
        parts.append(f"failing_since={_iso(source.first_failure_at)}")
    if state == "rate_limited":
        parts.append(f"retry_after={_iso(source.retry_after)}")
    if source.aliases:
        parts.append(f"moved_from={','.join(source.aliases)}")
    if source.last_error:
        parts.append(f"error={json.dumps(source.last_error)}")
    return " ".join(parts)


def cmd_sources_retry(settings: Settings, args: argparse.Namespace) -> int:
    with _app(settings) as app:
        source = app.store.find_source(args.url)
        if source is None:
            raise AggregatorError(f"{args.url}: no such source (see `aggregator status`)")
        app.store.revive(source.id)
    print(f"{source.feed_url or source.url}: will be fetched at the next refresh")
    return 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from aggregator.app import open_store

    store = open_store(settings)
    print(f"database {store.display_url} at revision {store.current_revision()}")
    store.close()
    return 0


def cmd_db_current(settings: Settings, args: argparse.Namespace) -> int:
    from aggregator.app import open_store

    store = open_store(settings, upgrade=False)
    current, head = store.current_revision(), store.head_revision()
    state = "up to date" if current == head else f"behind head {head}"
    print(f"database {store.display_url} at revision {current or 'none'} ({state})")
    store.close()
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from aggregator.scheduler import start_scheduler
    from aggregator.server import Serving

    # The database is connected below, with retries: the site is served meanwhile.
    app = _app(settings, upgrade=False)
    app.role = args.role
    stopping = threading.Event()
    database_error: list[str] = []
    max_age = timedelta(
        minutes=settings.server.ready_max_age_minutes or 3 * settings.schedule.interval_minutes
    )

    def health() -> dict[str, Any]:
        try:
            h = app.store.health()
        except AggregatorError as exc:
            return {"status": "degraded", "database": str(exc), "last_error": app.last_cycle_error}
        app.metrics.sources_failing.set(h.sources_failed)
        return {
            "status": "ok" if not database_error else "starting",
            "role": app.role,
            "last_refresh_at": _iso(h.last_refresh_at),
            "last_cycle_at": _iso(app.last_cycle_at),
            "sources_ok": h.sources_ok,
            "sources_failed": h.sources_failed,
            "sources_total": h.sources_total,
            "last_error": app.last_cycle_error,
        }

    def ready() -> tuple[bool, dict[str, Any]]:
        report = health()
        if report["status"] == "degraded" or database_error:
            return False, {"ready": False, "reason": "database unreachable", **report}
        last = app.last_cycle_at
        if last is None:
            return False, {"ready": False, "reason": "no refresh has finished yet", **report}
        if app.clock() - last > max_age:
            return False, {"ready": False, "reason": f"last refresh older than {max_age}", **report}
        return True, {"ready": True, **report}

    def metrics() -> bytes:
        health()  # refreshes the gauge of failing sources
        rendered: bytes = app.metrics.render()
        return rendered

    try:
        server = app.site_server(health, ready, metrics)
    except OSError as exc:
        app.close()
        raise AggregatorError(
            f"cannot listen on {settings.server.host}:{settings.server.port}: {exc.strerror}"
        ) from None

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal=%s stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serving = Serving(server).start()
    log.info(
        "serving url=http://%s:%d/ output=%s role=%s",
        settings.server.host,
        settings.server.port,
        settings.output.dir,
        app.role,
    )
    # Until the database answers, the last build stays online and /healthz says why.
    backoff = Backoff()
    while not stopping.is_set():
        try:
            app.store.upgrade()
            database_error.clear()
            break
        except AggregatorError as exc:
            database_error[:] = [str(exc)]
            delay = backoff.failed()
            log.error("database unreachable, retrying in %.0f s: %s", delay, exc)
            stopping.wait(delay)
    scheduler = None
    if not stopping.is_set():
        # Publish what is already known before the first refresh, so the site is up at once.
        try:
            app.build()
        except AggregatorError as exc:
            log.error("build failed: %s", exc)
        scheduler = start_scheduler(app)
    while not stopping.wait(0.5):
        pass

    app.stop.set()
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    serving.close()
    # A refresh in flight finishes its current source, or is cut off after the grace period;
    # each source is its own transaction, so nothing half-written is left either way.
    idle = app._busy.acquire(timeout=SHUTDOWN_GRACE_SECONDS)
    log.info("stopped")
    if not idle:
        logging.shutdown()
        os._exit(0)
    app.close()
    return 0


# -- blogroll and discovery -----------------------------------------------------------


def _add_blogroll_commands(commands: Any) -> None:
    blogroll = commands.add_parser("blogroll", help="import, export and check the blogroll")
    sub = blogroll.add_subparsers(dest="blogroll_command", required=True, metavar="COMMAND")
    importing = sub.add_parser(
        "import", help="merge an OPML, Markdown or Planet (.ini) blogroll into yours"
    )
    importing.add_argument("file", metavar="FILE", help="the blogroll to merge in")
    importing.set_defaults(handler=cmd_blogroll_import)
    export = sub.add_parser("export", help="print the blogroll as OPML or Markdown")
    export.add_argument("--format", choices=("opml", "md"), default="opml")
    export.add_argument("--output", metavar="PATH", help="write here instead of standard output")
    export.set_defaults(handler=cmd_blogroll_export)
    check = sub.add_parser("check", help="fetch each blog's feed and report its last post")
    check.add_argument("--json", action="store_true", help="JSON instead of text")
    check.set_defaults(handler=cmd_blogroll_check)
    suggest = sub.add_parser("suggest", help="blogs the blogs you follow recommend")
    suggest.add_argument("--json", action="store_true", help="JSON instead of text")
    suggest.add_argument("--limit", type=int, default=20, metavar="N", help="at most N blogs")
    suggest.set_defaults(handler=cmd_blogroll_suggest)
    sync = sub.add_parser("sync", help="load the blogroll into the database without fetching")
    sync.set_defaults(handler=cmd_blogroll_sync)

    discover = commands.add_parser("discover", help="list the feeds a homepage offers")
    discover.add_argument("url", metavar="URL")
    discover.set_defaults(handler=cmd_discover)


def cmd_blogroll_import(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from aggregator.blogroll import (
        build_opml,
        load_blogroll,
        merge_into_markdown,
        new_entries,
        render_markdown_blogroll,
    )
    from aggregator.blogroll.planet import planet_report, read_planet_config
    from aggregator.errors import BlogrollError
    from aggregator.models import Blogroll
    from aggregator.publish.files import write_atomic

    planet = read_planet_config(Path(args.file))
    incoming = planet.blogroll() if planet else load_blogroll(Path(args.file))
    target = settings.blogroll.file
    is_opml = target.suffix.lower() in (".opml", ".xml")
    if target.exists():
        current = load_blogroll(target)
    else:
        current = Blogroll(title=incoming.title, entries=())
    added = new_entries(current, incoming)
    if is_opml:
        data = build_opml(Blogroll(current.title, (*current.entries, *added)))
    elif target.exists():
        text = target.read_text(encoding="utf-8-sig")
        data = merge_into_markdown(text, added).encode("utf-8")
    else:
        data = render_markdown_blogroll(Blogroll(current.title, tuple(added))).encode("utf-8")
    try:
        write_atomic(target, data)
    except AggregatorError as exc:
        raise BlogrollError(str(exc)) from None
    skipped = len(incoming.entries) - len(added)
    print(f"{target}: {len(added)} blogs added, {skipped} already listed")
    for line in planet_report(planet) if planet else ():
        print(line)
    return 0


def cmd_blogroll_suggest(settings: Settings, args: argparse.Namespace) -> int:
    from aggregator.fetch.recommendations import site_suggestions

    app = _app(settings)
    try:
        found = site_suggestions(settings, app.store, app.clock(), app.fetcher.fetch)
    finally:
        app.close()
    chosen = found[: max(args.limit, 0)]
    if args.json:
        print(json.dumps([s.as_json() for s in chosen], indent=2))
        return 0
    for s in chosen:
        print(f"{len(s.recommended_by)} {s.title} {s.site_url or '-'} feed={s.feed_url or '-'}")
        print(f"  recommended by {', '.join(s.recommended_by)}")
    print(f"suggestions: {len(chosen)} of {len(found)}")
    return 0


def cmd_blogroll_export(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from aggregator.blogroll import build_opml, load_blogroll, render_markdown_blogroll

    blogroll = load_blogroll(settings.blogroll.file)
    if args.format == "opml":
        data = build_opml(blogroll)
    else:
        data = render_markdown_blogroll(blogroll).encode("utf-8")
    if args.output:
        try:
            Path(args.output).write_bytes(data)
        except OSError as exc:
            raise AggregatorError(f"{args.output}: cannot write: {exc.strerror}") from None
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_blogroll_check(settings: Settings, args: argparse.Namespace) -> int:
    from aggregator.app import open_fetcher
    from aggregator.blogroll import load_blogroll
    from aggregator.fetch.discovery import check_blogroll

    blogroll = load_blogroll(settings.blogroll.file)
    fetcher = open_fetcher(settings)
    try:
        checks = check_blogroll(fetcher.fetch, blogroll.entries, settings.fetch.workers)
    finally:
        fetcher.close()
    records = [
        {
            "blog": check.entry.site_url or check.entry.url,
            "title": check.entry.title,
            "feed_url": check.feed_url,
            "answers": check.answers,
            "last_post": _iso(check.last_post),
            "entries": check.entries,
            "error": check.error,
        }
        for check in checks
    ]
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    for record in records:
        state = "ok" if record["answers"] else "failed"
        line = f"{state:6} {record['blog']} feed={record['feed_url'] or '-'}"
        line += f" last_post={record['last_post'] or '-'} entries={record['entries']}"
        if record["error"]:
            line += f" error={json.dumps(record['error'])}"
        print(line)
    failed = sum(1 for r in records if not r["answers"])
    print(f"blogs: {len(records) - failed} answer, {failed} failed")
    return 0


def cmd_discover(settings: Settings, args: argparse.Namespace) -> int:
    from aggregator.app import open_fetcher
    from aggregator.fetch.discovery import discover

    fetcher = open_fetcher(settings)
    try:
        candidates = discover(fetcher.fetch, args.url)
    finally:
        fetcher.close()
    for candidate in candidates:
        mark = "feed" if candidate.is_feed else "no"
        print(f"{mark:4} {candidate.origin:5} {candidate.url}  {candidate.detail}")
    if not any(c.is_feed for c in candidates):
        print(f"no feed found for {args.url}")
    return 0
