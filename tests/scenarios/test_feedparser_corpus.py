"""feedparser's own test corpus, served over HTTP and refreshed: every entry feedparser
finds is stored, except where this project's rules say otherwise.

``tests/data/feedparser-corpus.tar.xz`` holds the ``wellformed``, ``illformed`` and
``encoding`` samples of the feedparser repository (BSD licence, inside the archive).
The rules that may store fewer entries than feedparser finds:

- *empty*: an entry with nothing left to show once sanitized (no title, no http(s)
  link, no content): the ``sanitize/`` samples whose only content is a script or an
  empty element;
- *repeated*: an entry that is an earlier one of the same feed again (the same id and
  link; without an id, the same link; without that, the same title and date);
- *truncated*: in a document that is not well-formed, an entry not closed before the
  break.
"""

from __future__ import annotations

import tarfile
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import feedparser
import pytest

from aggregator.parse.feedparser import _ENTRY_END
from aggregator.parse.sanitize import clean_title, sanitize_html
from tests.support.paths import DATA
from tests.support.server import FeedServer
from tests.support.site import Site

CORPUS = DATA / "feedparser-corpus.tar.xz"


@dataclass(frozen=True)
class Sample:
    name: str
    body: bytes
    #: Entries feedparser finds with a title, a link or content.
    found: int
    #: Of those, the ones the rules leave out, by rule.
    left_out: Counter[str]


def _shows_something(entry: Any) -> bool:
    # Relative links are resolved against the feed's URL, http(s) here.
    link = urljoin("http://127.0.0.1/feed.xml", str(entry.get("link") or ""))
    contents = entry.get("content") or []
    text = "".join(str(c.get("value", "")) for c in contents) or str(entry.get("summary") or "")
    return bool(
        clean_title(str(entry.get("title") or ""))
        or (entry.get("link") and link.startswith(("http://", "https://")))
        or any(c.get("src") for c in contents)
        or sanitize_html(text).strip()
    )


def _identity(entry: Any) -> object:
    """What tells two entries of one feed apart: the id (with the link: an id repeated for
    different links is two entries), else the link, else the title and date."""
    if entry.get("id"):
        return (entry.get("id"), entry.get("link"))
    return entry.get("link") or (entry.get("title"), entry.get("published"))


def samples() -> list[Sample]:
    chosen = []
    with tarfile.open(CORPUS) as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None or not member.name.startswith("tests/"):
                continue
            body = handle.read()
            parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
            entries = [
                e
                for e in parsed.entries
                if e.get("title") or e.get("link") or e.get("content") or e.get("summary")
            ]
            if not entries:
                continue
            left_out: Counter[str] = Counter()
            if parsed.bozo and len(entries) > len(_ENTRY_END.findall(body)):
                left_out["truncated"] += len(entries) - len(_ENTRY_END.findall(body))
                entries = entries[: len(_ENTRY_END.findall(body))]
            seen: set[object] = set()
            for entry in entries:
                if not _shows_something(entry):
                    left_out["empty"] += 1
                elif _identity(entry) in seen:
                    left_out["repeated"] += 1
                seen.add(_identity(entry))
            chosen.append(Sample(member.name, body, len(entries) + left_out["truncated"], left_out))
    return chosen


@pytest.mark.skipif(not CORPUS.is_file(), reason="the corpus archive is not in this checkout")
def test_feedparser_corpus_entries_are_stored_as_feedparser_finds_them(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = samples()
    urls = {s.name: feed_server.serve(f"/{s.name}", s.body) for s in corpus}
    site.write_blogroll(
        [(s.name, f"http://127.0.0.1/site/{n}/", urls[s.name]) for n, s in enumerate(corpus)]
    )
    assert site.cli("refresh") == 0
    stored = dict(
        site.query(
            "SELECT s.feed_url, count(e.id) FROM sources s "
            "LEFT JOIN entries e ON e.source_id = s.id GROUP BY s.feed_url"
        )
    )

    unexplained = []
    rules: Counter[str] = Counter()
    touched: Counter[str] = Counter()
    for sample in corpus:
        expected = sample.found - sum(sample.left_out.values())
        if stored[urls[sample.name]] != expected:
            unexplained.append((sample.name, sample.found, expected, stored[urls[sample.name]]))
        rules.update(sample.left_out)
        touched.update(rule for rule, n in sample.left_out.items() if n)

    found = sum(s.found for s in corpus)
    total = sum(stored[urls[s.name]] for s in corpus)
    with capsys.disabled():
        print(
            f"\nfeedparser corpus: {len(corpus)} samples, feedparser finds {found} entries, "
            f"{total} stored; left out by rule: "
            + ", ".join(
                f"{rule} {rules[rule]} in {touched[rule]} samples" for rule in sorted(rules)
            )
        )
    assert unexplained == [], "\n".join(map(str, unexplained))
