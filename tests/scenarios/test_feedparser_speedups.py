"""feedparser with the project's memoized URL joins, cheap copies and direct key lookups gives
exactly what plain feedparser gives, on feedparser's own corpus and on the benchmark's feeds."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import Any

import feedparser
import feedparser.mixin
import feedparser.urls
import pytest
from feedparser.util import FeedParserDict

from aggregator.parse import feedparser_speedups
from tests.scenarios.test_stored_equality import feedsite
from tests.support.paths import DATA

CORPUS = DATA / "feedparser-corpus.tar.xz"
BASE = "http://127.0.0.1/blog/feed.xml"


def corpus() -> Iterator[tuple[str, bytes]]:
    with tarfile.open(CORPUS) as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.startswith("tests/"):
                yield member.name, handle.read()


def documents() -> list[tuple[str, bytes]]:
    generated = [(f"bench/{i}", feedsite().build_feed(i, 1)) for i in range(12)]
    return [*(corpus() if CORPUS.is_file() else []), *generated]


def parsed(body: bytes) -> Any:
    result = feedparser.parse(
        body,
        response_headers={"content-location": BASE},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    # An exception compares by identity; its type and message are what matter.
    exception = result.pop("bozo_exception", None)
    return result, repr(exception)


@pytest.fixture
def plain_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    """feedparser's own helpers back in place for the duration of a test."""
    join = feedparser.urls._urljoin
    safe = feedparser.mixin.make_safe_absolute_uri
    monkeypatch.setattr(feedparser.urls, "_urljoin", join.__wrapped__)
    monkeypatch.setattr(feedparser.mixin, "_urljoin", join.__wrapped__)
    monkeypatch.setattr(feedparser.mixin, "make_safe_absolute_uri", safe.__wrapped__)
    monkeypatch.delattr(FeedParserDict, "__deepcopy__")
    monkeypatch.setattr(FeedParserDict, "__getitem__", FeedParserDict.__getitem__.__wrapped__)


def test_the_speedups_are_installed_once_the_parser_is_imported() -> None:
    import aggregator.parse.feedparser  # noqa: F401

    assert hasattr(feedparser.urls._urljoin, "__wrapped__")
    assert "__deepcopy__" in vars(FeedParserDict)
    assert hasattr(FeedParserDict.__getitem__, "__wrapped__")
    feedparser_speedups.install()  # again: nothing is wrapped twice
    assert not hasattr(feedparser.urls._urljoin.__wrapped__, "__wrapped__")


def test_feedparser_gives_the_same_result_with_and_without_the_speedups(
    request: pytest.FixtureRequest,
) -> None:
    chosen = documents()
    fast = [parsed(body) for _, body in chosen]
    request.getfixturevalue("plain_feedparser")
    assert not hasattr(feedparser.urls._urljoin, "__wrapped__")
    assert not hasattr(FeedParserDict.__getitem__, "__wrapped__")
    for (name, body), expected in zip(chosen, fast, strict=True):
        assert parsed(body) == expected, name


def test_a_copied_dict_is_a_deep_copy_whatever_it_holds() -> None:
    import copy

    feedparser_speedups.install()
    inner = FeedParserDict(term="x")
    original = FeedParserDict(type="text/html", base=BASE, tags=[inner], count=3)
    copied = copy.deepcopy(original)
    assert copied == original and type(copied) is FeedParserDict
    assert copied["tags"][0] is not inner and copied["tags"][0] == inner


def test_aliases_and_computed_keys_are_still_looked_up_as_feedparser_does() -> None:
    feedparser_speedups.install()
    entry = FeedParserDict(
        summary="Text",
        tags=[FeedParserDict(term="garden")],
        links=[FeedParserDict(rel="enclosure", href="http://127.0.0.1/a.mp3", type="audio/mpeg")],
        published="2026-03-01",
    )
    assert entry["description"] == entry.description == "Text"
    assert entry["category"] == "garden"
    assert entry["enclosures"] == [{"href": "http://127.0.0.1/a.mp3", "type": "audio/mpeg"}]
    assert "title" not in entry and entry.get("title") is None
    with pytest.raises(KeyError):
        entry["title"]
    with pytest.warns(DeprecationWarning):
        assert entry["updated"] == "2026-03-01"
