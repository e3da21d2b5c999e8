"""CPU per feed of recording fetched feeds in the store, in one thread, with no fetching.

    python benchmarks/record.py [--n 200] [--root PATH] [--together K]

Parses N of the refresh benchmark's generated feeds twice (as first served, then with
one new entry each), then times on a fresh SQLite store, in milliseconds of CPU
(``time.process_time``) per feed: the first store of every feed (all entries new) and
the store of the changed feeds (matched against the stored entries, one new). This is
the work of the thread that records a refresh, the one lane every feed goes through.
``--together K`` records K feeds per transaction, as a refresh does with the feeds that
finish fetching together (``Store.transaction``; 1 by default). ``--root`` runs another
checkout's ``aggregator`` for a before/after table. No network.
"""

from __future__ import annotations

import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from checkout import checkout_arguments


def main() -> None:
    args = checkout_arguments(__doc__, 200, together=1)
    from feedsite import build_feed, feed_path, host_of

    import aggregator
    from aggregator.models import BlogrollEntry, Fetched, ParsedFeed
    from aggregator.parse import parse_feed
    from aggregator.store import Store
    from aggregator.update.record import store_fetched_feed

    print(f"aggregator from {Path(aggregator.__file__).parent}")
    urls = [f"http://{host_of(i, 8)}:8765{feed_path(i)}" for i in range(args.n)]

    def served(version: int) -> list[tuple[Fetched, ParsedFeed]]:
        return [
            (
                Fetched(url, 200, b"", {}, f'"{version}"', None),
                parse_feed(build_feed(i, 1, version), url, "application/xml"),
            )
            for i, url in enumerate(urls)
        ]

    first, changed = served(0), served(1)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="aggregator-record-") as folder:
        store = Store.open(f"sqlite:///{folder}/store.sqlite3")
        store.sync_blogroll([BlogrollEntry(url, feed_url=url) for url in urls], now)
        ids = {source.feed_url: source.id for source in store.list_sources()}

        def record(feeds: list[tuple[Fetched, ParsedFeed]], has_entries: bool) -> float:
            started = time.process_time()
            k = args.together
            for group in (feeds[at : at + k] for at in range(0, len(feeds), k)):
                with store.transaction() if k > 1 else nullcontext():
                    for fetched, feed in group:
                        store_fetched_feed(
                            store,
                            ids[fetched.url],
                            fetched,
                            feed,
                            now,
                            now + timedelta(hours=1),
                            timedelta(hours=1),
                            has_entries=has_entries,
                        )
            return (time.process_time() - started) / len(feeds) * 1000

        print(f"first store (all entries new)  {record(first, False):6.2f} ms/feed")
        print(f"changed feed (one entry new)   {record(changed, True):6.2f} ms/feed")
        store.close()


if __name__ == "__main__":
    main()
