"""Suggestions from the blogrolls of the blogs you follow: links, URL matching, ranking."""

from __future__ import annotations

from aggregator.blogroll.suggest import blogroll_links, normalise, rank
from aggregator.models import Blogroll, BlogrollEntry


def entry(title: str, site: str, feed: str) -> BlogrollEntry:
    return BlogrollEntry(url=feed, feed_url=feed, site_url=site, title=title)


def test_blogroll_links_from_link_rels_else_well_known() -> None:
    html = (
        '<head><base href="https://a.example/blog/">'
        '<link rel="Blogroll" type="text/x-opml" href="links.opml">'
        '<link rel="recommendations" href="https://a.example/recs.opml">'
        '<link rel="blogroll" href="javascript:alert(1)">'
        '<link rel="alternate" href="/feed.xml"></head>'
    )
    assert blogroll_links(html, "https://a.example/") == [
        "https://a.example/blog/links.opml",
        "https://a.example/recs.opml",
    ]
    assert blogroll_links("<p>no links</p>", "https://b.example/x/") == [
        "https://b.example/.well-known/recommendations.opml"
    ]


def test_normalise_ignores_scheme_www_default_port_and_trailing_slash() -> None:
    same = {
        normalise(u)
        for u in (
            "https://www.Lantern.example/",
            "http://lantern.example",
            "https://lantern.example:443/",
        )
    }
    assert same == {"lantern.example"}
    assert normalise("http://lantern.example:8080/x/") == "lantern.example:8080/x"
    assert normalise("https://lantern.example/?p=1") != normalise("https://lantern.example/")


def test_rank_by_recommenders_then_title_and_never_a_followed_blog() -> None:
    followed = [entry("Mine", "https://mine.example/", "https://mine.example/feed")]
    shared = entry("Beta", "https://beta.example/", "https://beta.example/feed")
    found = rank(
        followed,
        {
            "One": Blogroll(
                "x", (shared, entry("zeta", "https://z.example/", "https://z.example/f"))
            ),
            "Two": Blogroll(
                "x",
                (
                    entry("Beta again", "http://www.beta.example", "https://beta.example/other"),
                    entry("Alpha", "https://alpha.example/", "https://alpha.example/f"),
                    entry("Me", "http://mine.example", "https://elsewhere.example/f"),
                    entry("Known", "https://known.example/", "https://known.example/f"),
                ),
            ),
        },
        extra_known=["https://known.example/f"],
    )
    assert [(s.title, s.recommended_by) for s in found] == [
        ("Beta", ("One", "Two")),
        ("Alpha", ("Two",)),
        ("zeta", ("One",)),
    ]
