"""The ``blogroll`` and ``discover`` commands: parse their arguments, call the app, print."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aggregator.errors import AggregatorError
from aggregator.models import BlogrollWarning
from aggregator.settings import Settings


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def print_warnings(settings: Settings, warnings: Sequence[BlogrollWarning]) -> None:
    """One line on standard error per blogroll line that could not be read."""
    for warning in warnings:
        print(f"aggregator: {warning.message(str(settings.blogroll.file))}", file=sys.stderr)


def add_blogroll_commands(commands: Any) -> None:
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
    sync.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a blogroll that lists no blogs, retiring every blog followed",
    )
    sync.set_defaults(handler=cmd_blogroll_sync)

    discover = commands.add_parser("discover", help="list the feeds a homepage offers")
    discover.add_argument("url", metavar="URL")
    discover.set_defaults(handler=cmd_discover)


def cmd_blogroll_import(settings: Settings, args: argparse.Namespace) -> int:
    from dataclasses import replace
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
    for warning in incoming.warnings:
        print(f"aggregator: {warning.message(args.file)}", file=sys.stderr)
    target = settings.blogroll.file
    is_opml = target.suffix.lower() in (".opml", ".xml")
    if target.exists():
        current = load_blogroll(target)
    else:
        current = Blogroll(title=incoming.title, entries=())
    added = new_entries(current, incoming)
    intros = {c.category: c.text for c in incoming.category_intros}
    if is_opml:
        data = build_opml(Blogroll(current.title, (*current.entries, *added)))
    elif target.exists():
        # The owner's page stays as written; a category new to it brings its introduction.
        text = target.read_text(encoding="utf-8-sig")
        data = merge_into_markdown(text, added, intros).encode("utf-8")
    else:
        # A new page takes the imported page's heading and prose with its blogs.
        page = replace(incoming, entries=tuple(added), warnings=())
        data = render_markdown_blogroll(page).encode("utf-8")
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
    from aggregator.app import App
    from aggregator.fetch.recommendations import site_suggestions

    with App(settings, metrics=False) as app:
        found = site_suggestions(settings, app.store, app.clock(), app.fetcher.fetch)
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

    from aggregator.app import App
    from aggregator.blogroll import build_opml, load_blogroll, render_markdown_blogroll

    if args.format == "opml":
        # OPML names feeds: the ones discovery found for homepages too.
        with App(settings, metrics=False) as app:
            data = build_opml(app.blogroll_with_known_feeds())
    else:
        blogroll = load_blogroll(settings.blogroll.file)
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
    print_warnings(settings, blogroll.warnings)
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

    # People type a host name; a web address without a scheme is taken as https.
    url = args.url if "://" in args.url else f"https://{args.url}"
    fetcher = open_fetcher(settings)
    try:
        candidates = discover(fetcher.fetch, url)
    finally:
        fetcher.close()
    for candidate in candidates:
        mark = "feed" if candidate.is_feed else "no"
        print(f"{mark:4} {candidate.origin:5} {candidate.url}  {candidate.detail}")
    if not any(c.is_feed for c in candidates):
        print(f"no feed found for {url}")
        return 1
    return 0


def cmd_blogroll_sync(settings: Settings, args: argparse.Namespace) -> int:
    from aggregator.app import App

    with App(settings, metrics=False) as app:
        blogroll, outcome = app.sync_blogroll(allow_empty=args.allow_empty)
    print_warnings(settings, blogroll.warnings)
    print(f"blogroll: {outcome.added} added, {outcome.retired} retired, {outcome.kept} kept")
    return 0
