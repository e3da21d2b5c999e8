"""Feeds that finish fetching together are recorded in one transaction; one that cannot be
stored does not keep the others from being stored."""

from __future__ import annotations

import logging

import pytest

from tests.support.db import refuse_entries_titled
from tests.support.feeds import FeedItem, atom_feed, day
from tests.support.server import FeedServer
from tests.support.site import Site

BLOGS = 8


def many_blogs(site: Site, feed_server: FeedServer) -> None:
    blogs = []
    for n in range(BLOGS):
        title = "Refused post" if n == 3 else f"Post of blog {n}"
        items = [FeedItem(title, f"https://b{n}.example/1", day(10 + n))]
        blogs.append(
            feed_server.blog(f"Blog {n}", f"https://b{n}.example/", f"/b{n}.xml", atom_feed, items)
        )
    site.write_blogroll(blogs)


def stored_titles(site: Site) -> list[str]:
    return sorted(str(title) for (title,) in site.query("SELECT title FROM entries"))


def test_every_feed_that_can_be_stored_is_stored_when_one_cannot(
    site: Site, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    many_blogs(site, feed_server)
    assert site.cli("blogroll", "sync") == 0
    refuse_entries_titled(site.database_url, "Refused post")

    with caplog.at_level(logging.ERROR):
        site.cli("worker", "--once")

    assert stored_titles(site) == sorted(f"Post of blog {n}" for n in range(BLOGS) if n != 3)
    refused = [r.getMessage() for r in caplog.records if "b3.example" in r.getMessage()]
    assert refused and "not stored" in refused[0] and "entry refused" in refused[0]
    assert site.status()[feed_server.url("/b3.xml")]["last_fetched_at"] is None
