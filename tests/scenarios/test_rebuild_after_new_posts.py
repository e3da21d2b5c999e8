"""A build after a refresh that found new posts rewrites the pages that show them and leaves
every other blog's page and every other month's archive as it is on disk.

A page left as it is keeps the footer time of the build that last changed it;
the river, the feeds and the category pages say when the site last changed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import aggregator
from tests.support.feeds import FeedItem, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime.now(UTC)
#: Always in an earlier month than today.
EARLIER = (NOW - timedelta(days=45)).replace(microsecond=0)


def pear_items(*fresh: FeedItem) -> list[FeedItem]:
    return [
        *fresh,
        FeedItem("Pear ripening", "https://pear.example/1", NOW - timedelta(hours=5)),
        FeedItem("Pear blossom", "https://pear.example/0", EARLIER),
    ]


@pytest.fixture
def built(site: Site, feed_server: FeedServer) -> Site:
    pear = feed_server.blog("Pear", "https://pear.example/", "/pear.xml", rss2_feed, pear_items())
    quince = [FeedItem("Quince jelly", "https://quince.example/0", EARLIER - timedelta(days=1))]
    site.write_blogroll(
        [pear, feed_server.blog("Quince", "https://quince.example/", "/q.xml", rss2_feed, quince)]
    )
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def page(site: Site, relative: str) -> Path:
    return site.output / relative


def test_a_new_post_rewrites_its_blogs_page_and_no_other_blogs_page(
    built: Site, feed_server: FeedServer
) -> None:
    quince = snapshot(page(built, "blogs/quince/index.html"))
    fresh = FeedItem("Pear tart", "https://pear.example/2", NOW - timedelta(minutes=5))
    feed_server.serve("/pear.xml", rss2_feed("Pear", "https://pear.example/", pear_items(fresh)))
    assert built.cli("refresh", "--all") == 0

    assert built.cli("build") == 0

    assert "Pear tart" in page(built, "blogs/pear/index.html").read_text()
    assert "Pear tart" in page(built, "index.html").read_text()
    assert snapshot(page(built, "blogs/quince/index.html")) == quince


def test_a_new_post_leaves_the_archives_of_earlier_months_as_they_are(
    built: Site, feed_server: FeedServer
) -> None:
    earlier = page(built, f"archive/{EARLIER:%Y}/{EARLIER:%m}/index.html")
    before = snapshot(earlier)
    fresh = FeedItem("Pear tart", "https://pear.example/2", NOW - timedelta(minutes=5))
    feed_server.serve("/pear.xml", rss2_feed("Pear", "https://pear.example/", pear_items(fresh)))
    assert built.cli("refresh", "--all") == 0

    assert built.cli("build") == 0

    assert "Pear blossom" in earlier.read_text()
    assert snapshot(earlier) == before
    current = page(built, f"archive/{NOW:%Y}/{NOW:%m}/index.html")
    assert "Pear tart" in current.read_text()


def test_a_post_changed_in_place_rewrites_its_blogs_page(
    built: Site, feed_server: FeedServer
) -> None:
    items = pear_items()
    items[1] = replace(items[1], title="Pear ripening, corrected")
    feed_server.serve("/pear.xml", rss2_feed("Pear", "https://pear.example/", items))
    assert built.cli("refresh", "--all") == 0

    assert built.cli("build") == 0

    assert "Pear ripening, corrected" in page(built, "blogs/pear/index.html").read_text()


def test_a_new_note_on_the_blogroll_rewrites_that_blogs_page_only(
    built: Site, feed_server: FeedServer
) -> None:
    pear = snapshot(page(built, "blogs/pear/index.html"))
    blogroll = built.root / "blogroll.md"
    blogroll.write_text(
        blogroll.read_text().replace("a note about Quince", "jelly from the old tree")
    )
    assert built.cli("refresh", "--all") == 0

    assert built.cli("build") == 0

    assert "jelly from the old tree" in page(built, "blogs/quince/index.html").read_text()
    assert snapshot(page(built, "blogs/pear/index.html")) == pear


def test_a_blog_page_lost_from_the_output_is_written_again(built: Site) -> None:
    lost = page(built, "blogs/quince/index.html")
    lost.unlink()
    (built.output / ".build.json").unlink()  # as if the output had been copied without it

    assert built.cli("build") == 0

    assert "Quince jelly" in lost.read_text()


def test_a_blog_page_of_the_owners_template_without_the_inputs_mark_still_shows_new_posts(
    built: Site, feed_server: FeedServer
) -> None:
    own = built.root / "mytemplates"
    own.mkdir()
    (own / "blog.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        "{% for item in items %}<p>{{ item.title }}</p>{% endfor %}{% endblock %}"
    )
    config = built.config.read_text()
    built.config.write_text(
        config.replace('dir = "public"', 'dir = "public"\ntemplates_dir = "mytemplates"')
    )
    assert built.cli("build") == 0
    fresh = FeedItem("Pear tart", "https://pear.example/2", NOW - timedelta(minutes=5))
    feed_server.serve("/pear.xml", rss2_feed("Pear", "https://pear.example/", pear_items(fresh)))
    assert built.cli("refresh", "--all") == 0

    assert built.cli("build") == 0

    assert "<p>Pear tart</p>" in page(built, "blogs/pear/index.html").read_text()


def inputs_mark(path: Path) -> str:
    found = re.search(r'<meta name="aggregator-inputs" content="([0-9a-f]+)">', path.read_text())
    assert found, path
    return found.group(1)


def test_an_upgrade_renders_every_kept_page_again(
    built: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = [
        page(built, "blogs/quince/index.html"),
        page(built, f"archive/{EARLIER:%Y}/{EARLIER:%m}/index.html"),
    ]
    before = [inputs_mark(p) for p in kept]
    # Code that renders differently may print the same inputs differently.
    monkeypatch.setattr(aggregator, "__version__", "99.0")
    (built.output / ".build.json").unlink()  # an upgrade changes the files it lists

    assert built.cli("build") == 0

    assert all(a != b for a, b in zip([inputs_mark(p) for p in kept], before, strict=True))
