"""CPU per feed of each step of ``parse_feed`` on the refresh benchmark's generated feeds.

    python benchmarks/parse_steps.py [--n 60] [--root PATH]

Prints milliseconds of CPU (``time.process_time``, best of 5) per feed: the whole
``parse_feed``, feedparser's part, our post-processing (``parse_feed`` with
feedparser's result given), and the steps of that post-processing. ``--root`` runs
another checkout's ``aggregator`` (e.g. an older commit unpacked with ``git archive``)
for a before/after table. No network.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from checkout import checkout_arguments


def main() -> None:
    args = checkout_arguments(__doc__, 60)
    import feedparser
    from feedsite import build_feed

    import aggregator
    from aggregator.models import ParsedEntry
    from aggregator.parse import feedparser as adapter
    from aggregator.parse import parse_feed, sanitize
    from aggregator.settings import SUMMARY_STORED

    print(f"aggregator from {Path(aggregator.__file__).parent}")
    n = args.n
    feeds = [(build_feed(i, 1), f"http://127.0.0.{2 + i % 8}:8765/feeds/{i}.xml") for i in range(n)]

    def best(step: Callable[[], object]) -> float:
        times = []
        for _ in range(5):
            started = time.process_time()
            step()
            times.append(time.process_time() - started)
        return min(times) / n * 1000

    real_parse = feedparser.parse

    def feedparser_only() -> list[Any]:
        return [
            real_parse(
                body,
                response_headers={"content-location": url},
                sanitize_html=False,
                resolve_relative_uris=False,
            )
            for body, url in feeds
        ]

    parsed = {url: result for (_, url), result in zip(feeds, feedparser_only(), strict=True)}
    rows = {
        "parse_feed, whole": best(lambda: [parse_feed(b, u) for b, u in feeds]),
        "  feedparser.parse": best(feedparser_only),
    }
    adapter.feedparser.parse = lambda _content, response_headers, **_: parsed[  # type: ignore[assignment]
        response_headers["content-location"]
    ]
    rows["  our post-processing"] = best(lambda: [parse_feed(b, u) for b, u in feeds])
    items = []
    for _, url in feeds:
        for raw in parsed[url].entries:
            content, base = adapter._content(raw)
            items.append((raw, content, adapter._base(base, raw.get("link"), url)))
    entries = [e for b, u in feeds for e in parse_feed(b, u).entries]
    text = getattr(sanitize, "text_of_clean_html", sanitize.html_to_text)
    rows["    sanitize_html"] = best(lambda: [sanitize.sanitize_html(c, b) for _, c, b in items])
    # A summary that is the content itself is cut from the index text, for nothing.
    own_summaries = [s for r, c, _ in items if (s := r.get("summary")) and s != c]
    rows["    summary excerpt"] = best(
        lambda: [sanitize.excerpt_of_html(s, SUMMARY_STORED) for s in own_summaries]
    )
    rows["    titles"] = best(lambda: [adapter._title(r, "title") for r, _, _ in items])
    rows["    index text"] = best(lambda: [text(e.content_html) for e in entries])
    rows["    content hash"] = best(
        lambda: [ParsedEntry.content_hash.func(e) for e in entries]  # type: ignore[attr-defined]
    )
    for name, value in rows.items():
        print(f"{name:<28} {value:6.2f} ms/feed")


if __name__ == "__main__":
    main()
