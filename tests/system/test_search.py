"""`/search` served by `aggregator run`: entries and own posts found by their words, ranked,
paged, marked, escaped, and without a line of JavaScript; on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.feeds import FeedItem, atom_feed, day
from tests.support.server import FeedServer
from tests.support.service import Service, free_port, get, wait_for
from tests.support.site import make_site

#: Filler that pushes a word past the 1000 characters of the stored excerpt.
LONG_INTRO = "<p>" + "An ordinary opening sentence about nothing much. " * 30 + "</p>"
MARMALADE_POST = FeedItem(
    "Breakfast notes",
    "https://jam.example/breakfast",
    day(12),
    html=LONG_INTRO + "<p>Then the <strong>marmalade</strong>, bitter and bright.</p>",
)
#: 25 entries holding one word: two pages of results.
HARBOUR_POSTS = [
    FeedItem(
        f"Harbour walk {n}", f"https://jam.example/harbour-{n}", day(n), html="<p>Harbour.</p>"
    )
    for n in range(1, 26)
]
OWN_POST = """---
title: "Letters from Zanzibar"
date: 2026-03-08
---

The spice markets of **zanzibar** smell of cloves.
"""


@pytest.fixture
def served(
    tmp_path: Path, feed_server: FeedServer, request: pytest.FixtureRequest
) -> Iterator[Service]:
    database_url = request.getfixturevalue(request.param)
    port = free_port()
    site = make_site(tmp_path / "site", database_url, port=port)
    site.write_post("zanzibar.md", OWN_POST)
    feed = feed_server.serve(
        "/feed.xml",
        atom_feed("Jam Journal", "https://jam.example/", [MARMALADE_POST, *HARBOUR_POSTS]),
    )
    site.write_blogroll([("Jam Journal", "https://jam.example/", feed)])
    service = Service(site, port)
    wait_for(service.url("/"), b"Harbour walk 25")
    yield service
    if service.process.poll() is None:
        service.process.kill()
        service.process.wait()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'aggregator.sqlite3'}"


def search(service: Service, query: str, page: int = 1) -> tuple[int, str]:
    status, body = get(service.url(f"/search?q={quote(query)}&page={page}"))
    return status, body.decode()


def result_titles(page: str) -> list[str]:
    return re.findall(r'<li class="search-result[^"]*">\s*<h2>(?:<a [^>]*>)?([^<]*)', page)


def check_search(service: Service) -> None:
    # An entry, by a word that only its content holds, past the stored excerpt.
    status, page = search(service, "Marmalade")
    assert status == 200
    assert result_titles(page) == ["Breakfast notes"]
    assert '<a href="https://jam.example/breakfast">' in page
    assert "<mark>marmalade</mark>, bitter and bright" in page

    # An own post, by a word of its body, linked to its page on the site.
    status, page = search(service, "zanzibar")
    assert result_titles(page) == ["Letters from Zanzibar"]
    assert '<a href="/posts/zanzibar/">' in page
    assert "<mark>zanzibar</mark> smell of cloves" in page

    # The title counts more than the body; among equals, the newest first; 20 a page.
    status, page = search(service, "harbour")
    assert result_titles(page) == [f"Harbour walk {n}" for n in range(25, 5, -1)]
    assert "25 results" in page
    assert 'href="/search?q=harbour&amp;page=2" rel="next"' in page
    status, page = search(service, "harbour", page=2)
    assert result_titles(page) == [f"Harbour walk {n}" for n in range(5, 0, -1)]
    assert 'href="/search?q=harbour" rel="prev"' in page
    assert 'rel="next"' not in page
    status, page = search(service, "harbour", page=9)
    assert status == 200 and "No more results." in page
    assert 'href="/search?q=harbour&amp;page=2" rel="prev"' in page

    # What the visitor typed is shown escaped, and no page of results holds a script.
    status, page = search(service, '<script>alert("x")</script>')
    assert status == 200
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page

    # What the index's own syntax cannot read is read as plain words.
    for typed in ('"unbalanced', "AND", "NOT", "marmalade OR", "*", "NEAR(a b", "-", "'"):
        status, page = search(service, typed)
        assert status == 200, typed
        assert "<script" not in page.lower()
    assert result_titles(search(service, '"marmalade')[1]) == ["Breakfast notes"]
    assert result_titles(search(service, "marmalade -bitter")[1]) == []

    # No words: the form alone; every page has the box.
    status, page = search(service, "")
    assert status == 200 and 'name="q"' in page and "result" not in page.split("</form>")[1]
    assert b'action="search"' in get(service.url("/"))[1]


@pytest.mark.parametrize("served", ["sqlite_url"], indirect=True)
def test_search_finds_entries_and_own_posts_on_sqlite(served: Service) -> None:
    check_search(served)


@pytest.mark.postgres
@pytest.mark.parametrize("served", ["postgres_url"], indirect=True)
def test_search_finds_entries_and_own_posts_on_postgresql(served: Service) -> None:
    check_search(served)
