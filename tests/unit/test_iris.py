"""Links as outgoing feeds and pages carry them: valid IRIs, whatever the incoming feed held."""

from __future__ import annotations

import random
import re
from urllib.parse import quote

import pytest

from aggregator.publish.iris import iri


@pytest.mark.parametrize(
    ("given", "published"),
    [
        ("https://blog.example/2026/03/a-post?x=1&y=2#part", "https://blog.example/2026/03/a-post?x=1&y=2#part"),
        ("https://blog.example/a%20b", "https://blog.example/a%20b"),
        ("https://blog.example/a b", "https://blog.example/a%20b"),
        ("https://blog.example/100%", "https://blog.example/100%25"),
        ("https://blog.example/{id}", "https://blog.example/%7Bid%7D"),
        ("https://blog.example/café", "https://blog.example/caf%C3%A9"),
        ("  https://blog.example/a b ", "https://blog.example/a%20b"),
    ],
)  # fmt: skip
def test_a_link_is_percent_encoded_where_an_iri_cannot_hold_it(given: str, published: str) -> None:
    assert iri(given) == published


def _reference(url: str) -> str:
    """What ``iri`` does, written the plain way."""
    stray = re.compile(r"%(?![0-9A-Fa-f]{2})")
    if url.isascii() and url.isprintable() and not any(c in url for c in ' "<>\\^`{|}'):
        return stray.sub("%25", url)
    return quote(stray.sub("%25", url.strip()), safe="!#$&'()*+,-./:;=?@[]_~%")


@pytest.mark.parametrize("seed", range(10))
def test_any_link_comes_out_as_the_plain_rule_says(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "ab/:?#=&%2F~-_." + ' "<>\\^`{|}' + "é€\t\n\x00\x7f"
    for _ in range(500):
        url = "https://x.example/" + "".join(
            rng.choice(alphabet) for _ in range(rng.randrange(0, 20))
        )

        assert iri(url) == _reference(url), repr(url)
