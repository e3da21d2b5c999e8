"""A URL a feed gives is taken as ``urljoin`` and ``urlsplit`` would take it, whichever way
it goes."""

from __future__ import annotations

import random
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import pytest

from aggregator.parse.urls import http_url

BASES = ("https://blog.example/feed.xml", "http://blog.example/a/b/feed", "https://x.example")


def the_long_way(value: object, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    url = urljoin(base, value.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def outcome(take: Callable[[object, str], str | None], value: object, base: str) -> object:
    """What ``take`` gives for ``value``, or the ValueError it raises."""
    try:
        return take(value, base)
    except ValueError:
        return ValueError


CASES = [
    "https://blog.example/2026/03/post/", "http://blog.example/p?id=3", "https://a.example/x#top",
    "http://a.example/x;params", "https://a.example/x?", "https://a.example/x#", "https://a.example",
    "https://a.example:8443/p", "https://user@a.example/p", "http:///nohost", "https://",
    "http:/one-slash", "HTTPS://UPPER.example/", "https://a.example/../up", "https://a.example/./",
    "https://a.example/a b", " https://a.example/padded ", "https://a.example/tab\there",
    "https://a.example/new\nline", "https://[::1]/v6", "https://[broken/", "https://a.example\\x",
    "https://münchen.example/", "https://a.example/%7Euser", "/root-relative", "relative/path",
    "../up", "//other.example/p", "?q=1", "#frag", "mailto:a@b.example", "javascript:alert(1)",
    "ftp://files.example/", "data:text/plain,hi", "", "   ", None, 42, "https://a.example/\x01",
]  # fmt: skip


@pytest.mark.parametrize("value", CASES)
@pytest.mark.parametrize("base", BASES)
def test_a_url_is_taken_as_the_standard_library_takes_it(value: object, base: str) -> None:
    assert outcome(http_url, value, base) == outcome(the_long_way, value, base)


def test_random_urls_are_taken_as_the_standard_library_takes_them() -> None:
    rng = random.Random(4287)
    alphabet = "ab/:.?#;[]%@ \t\\-_~" + "é"
    for _ in range(20_000):
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        value = rng.choice(("https://", "http://", "http:", "https:/", "")) + tail
        assert outcome(http_url, value, BASES[0]) == outcome(the_long_way, value, BASES[0]), value
