"""The embeddable widget: widget.html, widget.css and widget.json written by build."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest

from tests.support.feeds import FeedItem, atom_feed, day, rss2_feed
from tests.support.paths import DATA
from tests.support.server import FeedServer
from tests.support.site import Site

GOLDEN = DATA / "widget"


def faced_feed(title: str, link: str, icon: str, items: list[FeedItem]) -> bytes:
    """An Atom feed that names an icon."""
    body = atom_feed(title, link, items).decode()
    return body.replace("<author>", f"<icon>{escape(icon)}</icon><author>", 1).encode()


@pytest.fixture
def built(site: Site, feed_server: FeedServer) -> Site:
    rows = [
        feed_server.blog(
            "Quiet Garden",
            "https://garden.example/",
            "/garden.xml",
            rss2_feed,
            [FeedItem("Pruning roses", "https://garden.example/roses", day(2))],
        ),
        (
            "Pinecone Notes",
            "https://pinecone.example/",
            feed_server.serve(
                "/pinecone.xml",
                faced_feed(
                    "Pinecone Notes",
                    "https://pinecone.example/",
                    "https://pinecone.example/face.png",
                    [
                        FeedItem(
                            "Tea & <tables>",
                            "https://pinecone.example/tea",
                            day(9),
                            "<p>Steeping <b>green</b> tea for three minutes, no longer.</p>",
                        ),
                        FeedItem("Older note", "https://pinecone.example/old", day(3)),
                    ],
                ),
            ),
        ),
        (
            "Harbour Log",
            "https://harbour.example/",
            feed_server.serve(
                "/harbour.xml",
                faced_feed(
                    "Harbour Log",
                    "https://harbour.example/",
                    "https://cdn.elsewhere.example/harbour.png",
                    [FeedItem("Boats at dawn", "https://harbour.example/boats", day(8))],
                ),
            ),
        ),
        feed_server.blog(
            "Tinker's Bench",
            "https://bench.example/",
            "/bench.xml",
            rss2_feed,
            [FeedItem("A new vise", "javascript:alert(1)", day(7))],
        ),
    ]
    site.write_blogroll(rows)
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def _compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("AGGREGATOR_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_widget_html_matches_golden(built: Site) -> None:
    _compare("widget.html", (built.output / "widget.html").read_text(encoding="utf-8"))


def test_widget_json_matches_golden(built: Site) -> None:
    _compare("widget.json", (built.output / "widget.json").read_text(encoding="utf-8"))
    data = json.loads((built.output / "widget.json").read_text(encoding="utf-8"))
    assert [d["blog"] for d in data] == ["Pinecone Notes", "Harbour Log", "Tinker's Bench"]


def test_fragment_is_safe_to_embed(built: Site) -> None:
    html = (built.output / "widget.html").read_text(encoding="utf-8")
    assert "<html" not in html and "<script" not in html.lower() and "<style" not in html
    assert not re.search(r"\son\w+\s*=", html)
    assert "<tables>" not in html and "Tea &amp; &lt;tables&gt;" in html
    own_hosts = {"garden.example", "pinecone.example", "harbour.example", "bench.example"}
    urls = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert urls
    for url in urls:
        assert urlsplit(url).scheme in ("http", "https"), url
        assert urlsplit(url).hostname in own_hosts, url
    # A face on another host is not shown: the blog gets a letter tile instead.
    assert "cdn.elsewhere.example" not in html
    assert '<span class="aggregator-widget-letter" aria-hidden="true">H</span>' in html
    assert 'src="https://pinecone.example/face.png"' in html
    assert (built.output / "widget.css").read_text().startswith("/*")


def test_count_and_category(built: Site) -> None:
    text = built.config.read_text() + '\n[widget]\ncount = 1\ncategory = "Friends"\n'
    built.config.write_text(text)
    assert built.cli("build") == 0
    data = json.loads((built.output / "widget.json").read_text(encoding="utf-8"))
    assert [d["title"] for d in data] == ["Tea & <tables>"]
    built.config.write_text(text.replace('"Friends"', '"Nobody"'))
    assert built.cli("build") == 0
    assert json.loads((built.output / "widget.json").read_text(encoding="utf-8")) == []
