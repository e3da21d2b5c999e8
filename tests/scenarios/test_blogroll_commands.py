"""`aggregator blogroll import|export|check` and `aggregator discover`, against 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aggregator.blogroll import (
    load_blogroll,
    merge_into_markdown,
    parse_markdown_blogroll,
    parse_opml,
    render_markdown_blogroll,
)
from aggregator.errors import NetworkError
from aggregator.fetch.discovery import best_feed, discover
from aggregator.fetch.http import Fetcher
from aggregator.models import Blogroll, BlogrollEntry, FetchResult, Recommended
from aggregator.settings import FetchSettings
from tests.support.feeds import FeedItem, atom_feed, day, rss2_feed
from tests.support.paths import SHARED
from tests.support.server import FeedServer
from tests.support.site import Site

CORPUS = SHARED / "corpus" / "blogroll"

SUBSCRIPTIONS = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Exported from a reader</title></head><body>
  <outline text="Friends">
    <outline type="rss" text="Kettle Log" title="Kettle Log" xmlUrl="https://kettle.example/feed.xml"
             htmlUrl="https://kettle.example/" description="Tea, weighed and timed."/>
  </outline>
  <outline text="Radio" title="Radio">
    <outline type="rss" text="Static Hour" xmlUrl="https://static.example/rss"
             htmlUrl="https://static.example/"/>
  </outline>
  <outline type="rss" text="Loose Leaf" xmlUrl="https://loose.example/atom.xml"/>
</body></opml>
"""


def comparable(blogroll: Blogroll) -> list[tuple[str | None, ...]]:
    """What a blogroll says about each blog, in title order, whatever URL identifies it.

    A blog known only by its feed has that feed as its link on a Markdown page.
    """
    facts = []
    for e in blogroll.entries:
        feed = e.feed_url or e.url
        facts.append(
            (e.title, None if e.site_url == feed else e.site_url, feed, e.category, e.note)
        )
    return sorted(facts, key=str)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- import into a Markdown blogroll -------------------------------------------------------


def test_import_appends_new_blogs_under_their_category_headings(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = site.root / "blogroll.md"
    write(
        page,
        "# Blogs I like\n\nA few words about this list.\n\n### Friends\n"
        "- [Pen Pal](https://penpal.example/) - letters, mostly.\n\n### Later\n"
        "- [Late Blog](https://late.example/)\n",
    )

    assert site.cli("blogroll", "import", str(write(tmp_path / "in.opml", SUBSCRIPTIONS))) == 0

    text = page.read_text()
    assert text.startswith("# Blogs I like\n\nA few words about this list.\n")
    assert "- [Pen Pal](https://penpal.example/) - letters, mostly." in text
    assert text.index("Kettle Log") < text.index("### Later")
    assert text.index("### Radio") > text.index("Late Blog")
    blogroll = load_blogroll(page)
    assert [(e.title, e.category) for e in blogroll.entries] == [
        ("Loose Leaf", ""),
        ("Pen Pal", "Friends"),
        ("Kettle Log", "Friends"),
        ("Late Blog", "Later"),
        ("Static Hour", "Radio"),
    ]
    kettle = blogroll.entries[2]
    assert kettle.site_url == "https://kettle.example/"
    assert kettle.feed_url == "https://kettle.example/feed.xml"
    assert kettle.note == "Tea, weighed and timed."
    assert "3 blogs added, 0 already listed" in capsys.readouterr().out


def test_importing_twice_adds_nothing_the_second_time(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = write(tmp_path / "in.opml", SUBSCRIPTIONS)
    assert site.cli("blogroll", "import", str(opml)) == 0
    before = (site.root / "blogroll.md").read_text()

    assert site.cli("blogroll", "import", str(opml)) == 0

    assert (site.root / "blogroll.md").read_text() == before
    assert "0 blogs added, 3 already listed" in capsys.readouterr().out


def test_a_blog_already_listed_by_its_homepage_is_not_added_again(
    site: Site, tmp_path: Path
) -> None:
    write(site.root / "blogroll.md", "### Friends\n- [Kettle](https://kettle.example/)\n")

    assert site.cli("blogroll", "import", str(write(tmp_path / "in.opml", SUBSCRIPTIONS))) == 0

    urls = [e.site_url for e in load_blogroll(site.root / "blogroll.md").entries]
    assert urls.count("https://kettle.example/") == 1


def test_import_into_an_opml_blogroll_writes_opml(site: Site, tmp_path: Path) -> None:
    site.config.write_text(site.config.read_text().replace("blogroll.md", "blogroll.opml"))

    assert site.cli("blogroll", "import", str(write(tmp_path / "in.opml", SUBSCRIPTIONS))) == 0

    assert comparable(load_blogroll(site.root / "blogroll.opml")) == comparable(
        parse_opml(SUBSCRIPTIONS)
    )


def test_a_broken_opml_file_is_named_and_the_blogroll_is_untouched(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (site.root / "blogroll.md").read_text()
    broken = write(tmp_path / "broken.opml", "<opml><body><outline text='x'></body>")

    assert site.cli("blogroll", "import", str(broken)) == 1

    assert str(broken) in capsys.readouterr().err
    assert (site.root / "blogroll.md").read_text() == before


# -- export and the round trip ---------------------------------------------------------------


def test_opml_round_trip_import_export_import_gives_the_same_blogroll(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.cli("blogroll", "import", str(write(tmp_path / "in.opml", SUBSCRIPTIONS))) == 0
    first = load_blogroll(site.root / "blogroll.md")
    exported = tmp_path / "out.opml"
    assert site.cli("blogroll", "export", "--format", "opml", "--output", str(exported)) == 0

    write(site.root / "blogroll.md", "# Blogs I like\n")
    assert site.cli("blogroll", "import", str(exported)) == 0

    assert comparable(load_blogroll(site.root / "blogroll.md")) == comparable(first)
    assert comparable(parse_opml(exported.read_text())) == comparable(parse_opml(SUBSCRIPTIONS))


def test_export_as_markdown_prints_a_page_that_reads_back_the_same(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        site.root / "blogroll.md",
        "# Blogs I like\n\n### Friends\n"
        "- [Pen Pal](https://penpal.example/) ([feed](https://penpal.example/f.xml)) - letters.\n"
        "  - [The long one](https://penpal.example/long)\n",
    )
    capsys.readouterr()

    assert site.cli("blogroll", "export", "--format", "md") == 0

    out = capsys.readouterr().out
    assert parse_markdown_blogroll(out) == load_blogroll(site.root / "blogroll.md")


def test_markdown_rendering_keeps_titles_notes_and_recommended_posts() -> None:
    blogroll = Blogroll(
        title="Blogs I like",
        entries=(
            BlogrollEntry(
                url="https://a.example/",
                feed_url="https://a.example/feed.xml",
                site_url="https://a.example/",
                title="A [bracketed] name",
                category="Friends",
                note="First line.\nSecond line with [a link](https://b.example/).",
                recommended=(Recommended("A post", "https://a.example/post"),),
            ),
            BlogrollEntry(url="https://c.example/", site_url="https://c.example/", title="C"),
        ),
    )

    assert parse_markdown_blogroll(render_markdown_blogroll(blogroll)) == Blogroll(
        title="Blogs I like",
        entries=(blogroll.entries[1], blogroll.entries[0]),
        heading="Blogs I like",
    )


def test_merge_after_a_paragraph_starts_the_list_after_a_blank_line() -> None:
    entry = BlogrollEntry(
        url="https://n.example/", site_url="https://n.example/", title="N", category="Friends"
    )

    merged = merge_into_markdown("# Blogs\n\n### Friends\nIntro paragraph.\n", [entry])

    assert "Intro paragraph.\n\n- [N](https://n.example/)" in merged
    assert parse_markdown_blogroll(merged).entries[0].category == "Friends"


# -- discovery -----------------------------------------------------------------------------


def loopback_only(fetcher: Fetcher) -> object:
    """Fetch through ``fetcher``, refusing every host but 127.0.0.1 even if the code is wrong."""

    def fetch(url: str) -> FetchResult:
        if urlsplit(url).hostname != "127.0.0.1":
            raise NetworkError(f"{url}: not fetched in tests")
        return fetcher.fetch(url)

    return fetch


@pytest.fixture
def fetcher() -> object:
    settings = FetchSettings(
        connect_timeout=2, read_timeout=2, total_timeout=5, allow_networks=("127.0.0.1/32",)
    )
    real = Fetcher(settings, "http://t/")
    yield loopback_only(real)
    real.close()


HOMEPAGES = [
    ("xxiivv", "https://wiki.xxiivv.com", "/links/rss.xml"),
    ("sander", "https://sander.ai", "/feed.xml"),
    ("lilianweng", "https://lilianweng.github.io", "/index.xml"),
    ("colah", "https://colah.github.io", "/rss.xml"),
]


@pytest.mark.parametrize(("name", "origin", "feed_path"), HOMEPAGES, ids=[h[0] for h in HOMEPAGES])
def test_discovery_finds_the_feed_of_each_real_homepage(
    feed_server: FeedServer, fetcher: object, name: str, origin: str, feed_path: str
) -> None:
    page, feed = CORPUS / f"{name}.html", CORPUS / f"{name}.xml"
    if not (page.is_file() and feed.is_file()):
        pytest.skip(f"{CORPUS} is not available")
    base = feed_server.url("")
    # The page is served as if it lived on 127.0.0.1, absolute links included.
    html = page.read_bytes().replace(origin.encode(), base.encode())
    feed_server.serve("/", html, content_type="text/html; charset=utf-8")
    feed_server.serve(feed_path, feed.read_bytes())

    candidates = discover(fetcher, feed_server.url("/"))  # type: ignore[arg-type]

    assert best_feed(candidates) == feed_server.url(feed_path)


def test_discovery_of_a_feed_url_is_that_feed(feed_server: FeedServer, fetcher: object) -> None:
    url = feed_server.serve("/feed.xml", rss2_feed("T", "https://t.example/", []))

    (candidate,) = discover(fetcher, url)  # type: ignore[arg-type]

    assert candidate.is_feed
    assert candidate.origin == "given"


def test_discover_prints_each_candidate_and_which_answer(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    html = '<html><head><link rel="alternate" type="application/rss+xml" href="/gone.xml">'
    html += '</head><body><a href="/atom.xml">Atom</a></body></html>'
    feed_server.serve("/", html.encode(), content_type="text/html")
    feed_server.serve("/atom.xml", atom_feed("Found Blog", "https://f.example/", []))

    assert site.cli("discover", feed_server.url("/")) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"no   link  {feed_server.url('/gone.xml')}")
    assert "HTTP 404" in lines[0]
    assert lines[1].startswith(f"feed link  {feed_server.url('/atom.xml')}")
    assert "Found Blog" in lines[1]
    assert any(line.startswith(f"no   path  {feed_server.url('/feed.xml')}") for line in lines)


def test_discover_names_a_page_that_cannot_be_fetched(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.cli("discover", feed_server.url("/nowhere")) == 1

    out = capsys.readouterr().out
    assert "HTTP 404" in out
    assert f"no feed found for {feed_server.url('/nowhere')}" in out


# -- check -----------------------------------------------------------------------------------


def test_blogroll_check_reports_each_blog_its_feed_and_last_post(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [
        FeedItem("Older", "https://ok.example/1", day(2)),
        FeedItem("Newest", "https://ok.example/2", day(9)),
    ]
    ok = feed_server.blog("Alive", "https://ok.example/", "/ok.xml", rss2_feed, items)
    gone = ("Gone", "https://gone.example/", feed_server.url("/gone.xml"))
    site.write_blogroll([ok, gone])

    assert site.cli("blogroll", "check") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"ok     https://ok.example/ feed={ok[2]}")
    assert "last_post=2026-03-09T12:00:00+00:00 entries=2" in lines[0]
    assert lines[1].startswith(f"failed https://gone.example/ feed={gone[2]}")
    assert "HTTP 404" in lines[1]
    assert lines[-1] == "blogs: 1 answer, 1 failed"


def test_blogroll_check_finds_the_feed_of_a_homepage(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.serve("/home/", b"<html><body><a href='rss.xml'>RSS</a></body></html>",
                      content_type="text/html")  # fmt: skip
    feed_server.serve("/home/rss.xml", rss2_feed("Home", "https://h.example/", []))
    (site.root / "blogroll.md").write_text(f"- [Home]({feed_server.url('/home/')})\n")

    assert site.cli("blogroll", "check", "--json") == 0

    assert f'"feed_url": "{feed_server.url("/home/rss.xml")}"' in capsys.readouterr().out
