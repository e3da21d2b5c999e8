"""The ``aggregator`` command: parse arguments, call the app, print results.

Exit status: 0 when the command ran (even if some sources failed), 1 when it
could not run (configuration, database, output folder), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from aggregator import __version__
from aggregator.cli_blogroll import add_blogroll_commands, print_warnings
from aggregator.errors import AggregatorError
from aggregator.models import Source, Subscription
from aggregator.settings import Settings, load_settings

log = logging.getLogger("aggregator")

#: How long ``run`` waits for a refresh in flight before it exits anyway.
SHUTDOWN_GRACE_SECONDS = 3.0


def run() -> NoReturn:
    """The ``aggregator`` command, and ``python -m aggregator``: ``main``, then exit."""
    exit_without_teardown(main())


def exit_without_teardown(status: int) -> NoReturn:
    """Exit with ``status`` once the exit handlers have run, skipping the interpreter's
    teardown: freeing every module and object one by one takes a tenth of a second, a
    tenth of a refresh with nothing new, and nobody sees it. A command that leaves a
    thread or a child process running exits the usual way, which waits for them, and so
    does a command run under a profiler or a tracer, which reports after it returns."""
    multiprocessing = sys.modules.get("multiprocessing")
    if (
        threading.active_count() > 1
        or (multiprocessing and multiprocessing.active_children())
        or sys.getprofile() is not None
        or sys.gettrace() is not None
    ):
        raise SystemExit(status)
    # Logging's flush, temporary folders' removal, the parse pool's fork server's stop.
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass  # the reader went away (`status --json | head -1`): nothing left to tell it
    os._exit(status)


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
    except BrokenPipeError:
        # The reader went away (`status --json | head -1`): stop quietly, and keep the
        # interpreter from complaining while it flushes stdout on exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aggregator",
        description="Follow a blogroll and publish it together with your own posts.",
    )
    parser.add_argument("--version", action="version", version=f"aggregator {__version__}")
    _add_common_options(parser, argparse.SUPPRESS)
    parser.set_defaults(config=None, verbose=0, log_format="human")
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
    add_blogroll_commands(commands)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(
        handler=cmd_db_upgrade
    )
    db_commands.add_parser("current", help="show the schema revision").set_defaults(
        handler=cmd_db_current
    )
    for sub in _subparsers(parser):
        _add_common_options(sub, argparse.SUPPRESS)
    return parser


def _add_common_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """--config, -v and --log-format, accepted before or after the command.

    Every parser gets them with a suppressed default, so a value given on either side
    survives and the defaults are set once, on the top parser.
    """
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="config file (default: $AGGREGATOR_CONFIG, else ./aggregator.toml when it "
        "exists, else config/aggregator.toml)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=default, help="more log output")
    parser.add_argument(
        "--log-format",
        choices=("human", "json"),
        default=default,
        help="log lines as text (default) or one JSON object per line",
    )


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser, nested ones included."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found.append(sub)
                found.extend(_subparsers(sub))
    return found


def _setup_logging(verbose: int, default: int, log_format: str = "human") -> None:
    from aggregator.logs import formatter

    level = default if not verbose else (logging.INFO if verbose == 1 else logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    # Third-party chatter is only useful when asked for.
    for noisy in ("apscheduler", "waitress", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)


def _app(settings: Settings, *, upgrade: bool = True, metrics: bool = False) -> Any:
    """The app of one command; only a command that serves ``/metrics`` counts anything."""
    from aggregator.app import App

    return App(settings, upgrade=upgrade, metrics=metrics)


def cmd_refresh(settings: Settings, args: argparse.Namespace) -> int:
    bar = ProgressBar("refresh", sys.stderr) if sys.stderr.isatty() else None
    with _app(settings) as app:
        outcome = app.refresh(every=args.all, progress=bar.update if bar else None)
    if bar:
        bar.close()
    print_warnings(settings, outcome.blogroll_warnings)
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


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    with _app(settings) as app:
        outcome = app.build(log_post_errors=False)
    for error in outcome.post_errors:
        print(f"aggregator: error: {error}", file=sys.stderr)
    print(f"{outcome.summary()} in {settings.output.dir}")
    # The rest of the site is written, but a script must notice a post it could not read.
    return 1 if outcome.post_errors else 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    with _app(settings) as app:
        sources = app.store.list_sources()
        subscriptions: dict[int, list[Subscription]] = {}
        for sub in app.store.list_subscriptions():
            subscriptions.setdefault(sub.source_id, []).append(sub)
        now = app.clock()
    if args.json:
        records = [_status_record(s, now, subscriptions.get(s.id, [])) for s in sources]
        print(json.dumps(records, indent=2))
        return 0
    if not sources:
        print("no sources: refresh reads them from the blogroll")
    for source in sources:
        print(_status_line(source, now, subscriptions.get(source.id, [])))
    return 0


def _subscription_record(sub: Subscription) -> dict[str, Any]:
    return {
        "hub": sub.hub,
        "topic": sub.topic,
        "state": sub.state,
        "lease_until": _iso(sub.lease_until),
        "last_error": sub.last_error,
    }


def _status_record(
    source: Source, now: datetime, subscriptions: Sequence[Subscription] = ()
) -> dict[str, Any]:
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
        "warning": _warning_record(source),
        "retry_after": _iso(source.retry_after),
        "gone_at": _iso(source.gone_at),
        "moved_at": _iso(source.moved_at),
        "next_check_at": None if source.gone_at else _iso(source.next_check_at),
        "websub": [_subscription_record(sub) for sub in subscriptions],
    }


def _warning_record(source: Source) -> dict[str, Any] | None:
    warning = source.last_warning
    if warning is None:
        return None
    return {"kind": warning.kind, "message": warning.message, "line": warning.line}


def _status_line(source: Source, now: datetime, subscriptions: Sequence[Subscription] = ()) -> str:
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
    for sub in subscriptions:
        parts.append(f"websub={sub.state} hub={sub.hub}")
        if sub.lease_until:
            parts.append(f"lease_until={_iso(sub.lease_until)}")
    if source.last_error:
        parts.append(f"error={json.dumps(source.last_error)}")
    if source.last_warning and source.last_result != "error":
        parts.append(f"warning={json.dumps(str(source.last_warning))}")
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
    from aggregator.service import run_service

    # The database is connected by the service, with retries: the site is served meanwhile.
    app = _app(settings, upgrade=False, metrics=True)
    app.role = args.role
    return run_service(app)
