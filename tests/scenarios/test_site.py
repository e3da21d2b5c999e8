"""The published site: river pages, blogroll, categories, status, archives, tags and feeds."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import etree

from aggregator.models import Item, Source
from aggregator.publish.river import Fold, Row, river_pages
from aggregator.publish.timeline import group_by_day
from aggregator.publish.views import age, blog_health, months_between
from tests.support.feeds import FeedItem, atom_feed, day, rss2_feed
from tests.support.paths import DATA
from tests.support.server import FeedServer
from tests.support.site import Site

ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(DATA / "atom.rng")))
NS = {"a": "http://www.w3.org/2005/Atom"}


def item(n: int, source: int | None, when: datetime) -> Item:
    return Item(
        kind="entry" if source is not None else "post",
        id=f"urn:x:{n}",
        title=f"item {n}",
        url=f"https://x.example/{n}",
        local_url=None,
        source_title=f"blog {source}",
        source_url=None,
        source_feed_url=None,
        author=None,
        published=when,
        updated=when,
        summary="",
        content_html="",
        source_id=source,
    )


# -- pure: fair share, day grouping, ages, health ------------------------------------------


def ids(rows: list[Row]) -> list[str | list[str]]:
    """An item by its id, a folded line by the ids it holds."""
    return [[i.id for i in r.items] if isinstance(r, Fold) else r.id for r in rows]


def test_fair_share_folds_a_prolific_blogs_extra_items_of_a_day_where_they_stand() -> None:
    at = lambda hour: datetime(2026, 3, 2, hour, tzinfo=UTC)  # noqa: E731
    prolific = [item(n, 1, at(20 - n)) for n in range(6)]
    quiet = [item(100, 2, at(17)), item(101, 3, at(1))]
    timeline = sorted(prolific + quiet, key=lambda i: i.published, reverse=True)

    pages = river_pages(timeline, per_page=4, per_source=2, pages=5, tz=UTC)

    assert [ids(p) for p in pages] == [
        ["urn:x:0", "urn:x:1", ["urn:x:2", "urn:x:3", "urn:x:4", "urn:x:5"], "urn:x:100"],
        ["urn:x:101"],
    ]


def test_fair_share_never_folds_own_posts() -> None:
    own = [item(n, None, day(10)) for n in range(3)]

    assert len(river_pages(own, per_page=5, per_source=1, pages=1, tz=UTC)[0]) == 3


def test_fair_share_stops_at_the_last_page() -> None:
    items = [item(n, n, day(1)) for n in range(10)]

    pages = river_pages(items, per_page=3, per_source=1, pages=2, tz=UTC)

    assert [len(p) for p in pages] == [3, 3]


def test_items_are_grouped_by_their_utc_day_newest_first() -> None:
    items = [
        item(1, 1, datetime(2026, 3, 2, 23, 0, tzinfo=UTC)),
        item(2, 1, datetime(2026, 3, 2, 1, 0, tzinfo=UTC)),
        item(3, 2, datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
    ]

    assert [(d, [i.id for i in g]) for d, g in group_by_day(items)] == [
        (date(2026, 3, 2), ["urn:x:1", "urn:x:2"]),
        (date(2026, 3, 1), ["urn:x:3"]),
    ]


@pytest.mark.parametrize(
    ("then", "label"),
    [
        (datetime(2026, 3, 10, 1, tzinfo=UTC), "today"),
        (datetime(2026, 3, 9, tzinfo=UTC), "yesterday"),
        (datetime(2026, 3, 5, tzinfo=UTC), "5 days ago"),
        (datetime(2026, 2, 10, tzinfo=UTC), "4 weeks ago"),
        (datetime(2025, 11, 1, tzinfo=UTC), "4 months ago"),
        (datetime(2023, 1, 1, tzinfo=UTC), "3 years ago"),
    ],
)
def test_age_is_said_in_the_largest_whole_unit(then: datetime, label: str) -> None:
    assert age(then, datetime(2026, 3, 10, 12, tzinfo=UTC)) == label


def source(**changes: object) -> Source:
    base = Source(
        id=1, url="https://b.example/", feed_url=None, site_url=None, title="B", feed_title=None,
        category="", note="", recommended=(), position=0, active=True, etag=None,
        last_modified=None, last_fetched_at=datetime(2026, 3, 1, tzinfo=UTC), last_result="ok",
        last_http_status=200, last_error_kind=None, last_error=None, failure_count=0,
        next_check_at=None,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


NOW = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("blog", "latest", "kind", "label"),
    [
        (source(), datetime(2026, 3, 1, tzinfo=UTC), "ok", "ok"),
        (source(), datetime(2025, 6, 1, tzinfo=UTC), "quiet", "quiet for 9 months"),
        (source(), None, "quiet", "no posts yet"),
        (
            source(last_result="error", failure_count=3),
            datetime(2026, 3, 1, tzinfo=UTC),
            "broken",
            "broken since 2026-03-01",
        ),
        (
            source(last_result="error", failure_count=1, first_failure_at=NOW - timedelta(hours=2)),
            datetime(2026, 3, 1, tzinfo=UTC),
            "ok",
            "ok",
        ),
        (
            source(last_result="error", failure_count=2, first_failure_at=NOW - timedelta(days=1)),
            datetime(2026, 3, 1, tzinfo=UTC),
            "broken",
            "broken since 2026-03-09",
        ),
        (
            source(last_result="error", failure_count=1, first_failure_at=NOW),
            None,
            "new",
            "not fetched yet",
        ),
        (source(last_result=None, last_fetched_at=None), None, "new", "not fetched yet"),
    ],
    ids=[
        "ok",
        "quiet",
        "never-posted",
        "broken-three-times",
        "failed-once",
        "failing-for-a-day",
        "first-run-offline",
        "new",
    ],
)
def test_health_mark(blog: Source, latest: datetime | None, kind: str, label: str) -> None:
    health = blog_health(blog, latest, NOW, quiet_months=6)

    assert (health.kind, health.label) == (kind, label)


def test_months_between_counts_whole_months() -> None:
    assert months_between(date(2026, 1, 31), date(2026, 2, 28)) == 0
    assert months_between(date(2026, 1, 15), date(2026, 3, 15)) == 2


# -- a built site ---------------------------------------------------------------------------


def ago(days: int) -> datetime:
    """Noon UTC ``days`` days ago: the health marks and ages count from today."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days)


HOSTILE = '<p>Careful</p><script>alert("x")</script><img src="/p.png" onerror="alert(1)">'


@pytest.fixture
def built(site: Site, feed_server: FeedServer) -> Site:
    """Two categories; one prolific blog, one broken blog; small pages to force pagination."""
    prolific = [FeedItem(f"Busy {n}", f"https://busy.example/{n}", ago(1 + n)) for n in range(9)]
    calm = [FeedItem("Calm one", "https://calm.example/1", ago(5), HOSTILE, author="Cal")]
    old = [FeedItem("Long ago", "https://old.example/1", day(1, 1, 2025))]
    busy = feed_server.blog("Busy", "https://busy.example/", "/busy.xml", rss2_feed, prolific)
    calm_row = feed_server.blog("Calm", "https://calm.example/", "/calm.xml", atom_feed, calm)
    old_row = feed_server.blog("Old", "https://old.example/", "/old.xml", rss2_feed, old)
    broken = ("Broken", "https://broken.example/", feed_server.url("/missing.xml"))
    lines = ["# Blogs I like", "", "### Friends"]
    lines += [f"- [{t}]({s}) ([feed]({f})) - a note about {t}." for t, s, f in (busy, calm_row)]
    lines += ["  - [A favourite](https://calm.example/fav)", "", "### Far away"]
    lines += [f"- [{t}]({s}) ([feed]({f})) - far {t}." for t, s, f in (old_row, broken)]
    (site.root / "blogroll.md").write_text("\n".join(lines) + "\n")
    config = site.config.read_text().replace(
        'dir = "public"', 'dir = "public"\nitems = 4\npages = 3\nper_source = 2\nfeed_items = 6'
    )
    site.config.write_text(config)
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def text(site: Site, name: str) -> str:
    return (site.output / name).read_text(encoding="utf-8")


def test_river_is_grouped_by_day_with_machine_readable_times(built: Site) -> None:
    index = text(built, "index.html")

    days = re.findall(r'<h2 id="day-[\d-]+"><time datetime="([\d-]+)">', index)
    assert days == sorted(days, reverse=True) and len(days) >= 2
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT12:00:00\+00:00">', index)


def test_own_posts_are_marked_as_the_owners(built: Site) -> None:
    index = "".join(
        text(built, p) for p in ("index.html", "page/2/index.html", "page/3/index.html")
    )

    assert index.count('class="item item-post"') >= 1
    assert '<span class="badge">own post</span>' in index


def test_river_pages_run_strictly_newest_first_from_page_to_page(built: Site) -> None:
    pages = [text(built, "index.html")] + [text(built, f"page/{n}/index.html") for n in (2, 3)]
    days = [d for page in pages for d in re.findall(r'<h2 id="day-([\d-]+)">', page)]

    assert days == sorted(days, reverse=True)
    for page in pages:
        assert len(re.findall(r'<a href="https://busy\.example/\d+">', page)) <= 4


def test_river_pages_link_to_each_other_and_to_the_archive(built: Site) -> None:
    first, second = text(built, "index.html"), text(built, "page/2/index.html")

    assert 'href="page/2/index.html" rel="next"' in first
    assert 'href="../../index.html" rel="prev"' in second
    assert 'href="../../archive/index.html"' in text(built, "page/3/index.html")


def test_monthly_archives_list_every_item_of_the_month(built: Site) -> None:
    for n in range(9):
        when = ago(1 + n)
        month = text(built, f"archive/{when:%Y/%m}/index.html")
        assert f">Busy {n}</a>" in month
        assert f"archive/{when:%Y/%m}/index.html" in text(built, "archive/index.html")
    assert "Own post in Hugo format" in text(built, "archive/2026/03/index.html")
    # Every month with items has its page, however old.
    assert ">Long ago</a>" in text(built, "archive/2025/01/index.html")


def test_blogroll_page_shows_each_blog_with_note_links_latest_post_and_health(
    built: Site,
) -> None:
    page = text(built, "blogroll.html")

    assert '<h2 id="cat-friends">Friends</h2>' in page
    assert '<h2 id="cat-far-away">Far away</h2>' in page
    assert "a note about Calm." in page
    assert 'href="https://calm.example/">site</a>' in page
    assert f'href="{built_feed(built, "calm")}">feed</a>' in page
    assert 'Latest: <a href="https://calm.example/1">Calm one</a>' in page
    assert re.search(r'class="age">\(\d+ (days|weeks|months) ago\)', page)
    assert '<a href="https://calm.example/fav">A favourite</a>' in page
    assert "quiet for" in page and "years ago)" not in page
    # Failed once: nothing alarming here; the status page has the detail.
    assert "health-broken" not in page and "✗" not in page


def built_feed(site: Site, name: str) -> str:
    ((url,),) = site.query("SELECT feed_url FROM sources WHERE url LIKE :n", n=f"%{name}%")
    return str(url)


def test_each_category_has_a_river_and_feeds(built: Site) -> None:
    page = text(built, "category/far-away/index.html")

    assert "Long ago" in page
    assert "Busy 1" not in page
    assert 'href="../../category/far-away/feed.xml"' in page
    feed = etree.parse(str(built.output / "category" / "far-away" / "feed.xml"))
    assert [e.findtext("a:title", namespaces=NS) for e in feed.findall("a:entry", NS)] == [
        "Long ago"
    ]
    friends = json.loads(text(built, "category/friends/feed.json"))
    assert {i["title"] for i in friends["items"]} >= {"Calm one", "Busy 0"}


def test_status_page_says_when_each_blog_was_fetched_and_why_it_failed(built: Site) -> None:
    page = text(built, "status.html")

    assert page.count('<tr class="result-') == 4
    assert "<strong>HTTP 404</strong>" in page
    fetched = r'<td data-label="Last fetched"><time datetime="[^"]+">'
    assert re.search(fetched + r"\d{4}-\d\d-\d\d \d\d:\d\d</time></td>", page)


def test_own_post_pages_link_tags_and_neighbours(built: Site) -> None:
    newest = text(built, "posts/jekyll-style/index.html")
    middle = text(built, "posts/hello-hugo/index.html")

    assert '<a href="../../tags/feeds/index.html" rel="tag">feeds</a>' in newest
    assert 'href="../../posts/hello-hugo/" rel="prev"' in newest
    assert 'rel="next"' not in newest
    assert 'href="../../posts/jekyll-style/" rel="next"' in middle
    tag_page = text(built, "tags/feeds/index.html")
    assert "Own post in Jekyll format" in tag_page
    assert "Own post in Hugo format" not in tag_page


def test_every_page_links_its_feeds_the_blogroll_and_no_other_host(built: Site) -> None:
    for path in built.output.rglob("*.html"):
        if path.name == "widget.html":
            continue  # a fragment for other sites' pages (tests/scenarios/test_widget.py)
        page = path.read_text()
        assert 'rel="blogroll" type="text/x-opml"' in page, path
        assert 'type="application/atom+xml"' in page, path
        assert 'type="application/feed+json"' in page, path
        assert "blogroll.html" in page, path
        # Nothing the browser loads by itself comes from elsewhere: one local stylesheet.
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)[0].endswith("style.css")
        assert "<script" not in page and "<iframe" not in page and "@import" not in page


def test_every_published_atom_feed_is_valid(built: Site) -> None:
    feeds = sorted(built.output.rglob("*.xml"))
    assert len(feeds) == 4
    for path in feeds:
        document = etree.parse(str(path))
        assert ATOM_SCHEMA.validate(document), f"{path}: {ATOM_SCHEMA.error_log}"
        root = document.getroot()
        self_link = root.find("a:link[@rel='self']", NS)
        assert self_link is not None
        relative = path.relative_to(built.output).as_posix()
        assert self_link.get("href") == f"http://127.0.0.1:8080/{relative}"
        for entry in root.findall("a:entry", NS):
            assert re.match(r"^(https?|urn|tag):", entry.findtext("a:id", namespaces=NS) or "")
            content = entry.findtext("a:content", namespaces=NS) or ""
            assert not re.search(r'(href|src)="/', content), path


def test_feeds_hold_the_latest_n_items_with_updated_equal_to_the_newest(built: Site) -> None:
    feed = etree.parse(str(built.output / "feed.xml")).getroot()
    entries = feed.findall("a:entry", NS)

    assert len(entries) == 6
    newest = max(e.findtext("a:updated", namespaces=NS) or "" for e in entries)
    assert feed.findtext("a:updated", namespaces=NS) == newest


def test_blogroll_entries_carry_a_full_atom_source(built: Site) -> None:
    feed = etree.parse(str(built.output / "feed.xml"))
    sources = feed.findall(".//a:entry/a:source", NS)

    assert sources
    for element in sources:
        assert element.findtext("a:id", namespaces=NS)
        assert element.findtext("a:title", namespaces=NS)
        assert element.find("a:link[@rel='alternate']", NS) is not None
        assert re.match(r"\d{4}-\d\d-\d\dT", element.findtext("a:updated", namespaces=NS) or "")


@pytest.mark.parametrize("name", ["feed.json", "own.json", "category/friends/feed.json"])
def test_json_feeds_have_the_fields_json_feed_1_1_requires(built: Site, name: str) -> None:
    feed = json.loads(text(built, name))

    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"] == f"http://127.0.0.1:8080/{name}"
    assert feed["items"]
    for entry in feed["items"]:
        assert isinstance(entry["id"], str) and entry["id"]
        assert "content_html" in entry or "content_text" in entry
        assert datetime.fromisoformat(entry["date_published"]).tzinfo is not None
        assert "<script" not in entry.get("content_html", "")


def test_atom_and_json_twins_carry_the_same_items(built: Site) -> None:
    atom = etree.parse(str(built.output / "feed.xml"))
    ids = [e.findtext("a:id", namespaces=NS) for e in atom.findall("a:entry", NS)]

    assert [i["id"] for i in json.loads(text(built, "feed.json"))["items"]] == ids


def test_rebuild_with_nothing_changed_touches_no_file(built: Site) -> None:
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in built.output.rglob("*") if p.is_file()
    }

    assert built.cli("build") == 0

    after = {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in built.output.rglob("*") if p.is_file()
    }
    assert after == before


def test_pages_that_are_no_longer_built_are_removed(built: Site) -> None:
    built.config.write_text(built.config.read_text().replace("pages = 3", "pages = 1"))

    assert built.cli("build") == 0

    assert not (built.output / "page").exists()
    assert (built.output / "index.html").is_file()


# -- the owner's templates ------------------------------------------------------------------


def test_a_template_in_templates_dir_replaces_the_shipped_one(site: Site) -> None:
    own = site.root / "mytemplates"
    own.mkdir()
    (own / "status.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>all quiet here</p>{% endblock %}'
    )
    (own / "style.css").write_text("body { color: teal; }\n")
    config = site.config.read_text().replace(
        'dir = "public"', 'dir = "public"\ntemplates_dir = "mytemplates"'
    )
    site.config.write_text(config)

    assert site.cli("build") == 0

    assert "all quiet here" in text(site, "status.html")
    assert text(site, "style.css") == "body { color: teal; }\n"
    assert "<h1>Blogs I like</h1>" in text(site, "blogroll.html")  # the shipped one


def test_a_template_edited_between_two_builds_is_published_as_edited(site: Site) -> None:
    # Compiled templates are kept between builds: one kept must not outlive its text.
    own = site.root / "mytemplates"
    own.mkdir()
    status = own / "status.html"
    status.write_text(
        '{% extends "base.html" %}{% block content %}<p>first words</p>{% endblock %}'
    )
    config = site.config.read_text().replace(
        'dir = "public"', 'dir = "public"\ntemplates_dir = "mytemplates"'
    )
    site.config.write_text(config)
    assert site.cli("build") == 0
    assert "first words" in text(site, "status.html")

    status.write_text(
        '{% extends "base.html" %}{% block content %}<p>other words</p>{% endblock %}'
    )
    assert site.cli("build") == 0

    assert "other words" in text(site, "status.html")
    assert "first words" not in text(site, "status.html")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "templates folder not found"),
        ({"index.html": "{% extends 'base.html' %}{% block content %}{{ oops( }}{% endblock %}"},
         "mytemplates/index.html line 1"),
    ],
    ids=["missing-folder", "broken-template"],
)  # fmt: skip
def test_a_bad_templates_dir_is_one_clear_error_and_nothing_is_written(
    site: Site, capsys: pytest.CaptureFixture[str], files: dict[str, str], message: str
) -> None:
    folder = site.root / "mytemplates"
    if files:
        folder.mkdir()
        for name, body in files.items():
            (folder / name).write_text(body)
    config = site.config.read_text().replace(
        'dir = "public"', 'dir = "public"\ntemplates_dir = "mytemplates"'
    )
    site.config.write_text(config)

    assert site.cli("build") == 1

    assert message in capsys.readouterr().err
    assert not (site.output / "index.html").exists()


def test_an_archived_month_is_rendered_again_when_one_of_its_entries_changes(
    built: Site,
) -> None:
    when = ago(1)
    page = built.output / "archive" / f"{when:%Y}" / f"{when:%m}" / "index.html"
    assert ">Busy 0</a>" in page.read_text()
    built.query("UPDATE entries SET title = 'Busy zero, retitled' WHERE title = 'Busy 0'")
    # Counted as the store counts its own writes to the entries.
    built.query("UPDATE store_revision SET entries = entries + 1")

    assert built.cli("build") == 0

    assert ">Busy zero, retitled</a>" in page.read_text()
