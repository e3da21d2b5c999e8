"""Never lose the owner's work: a typo in a post, a missing posts folder, an emptied or
partly unreadable blogroll, and a blog taken off the blogroll, each through the real CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.paths import REPO
from tests.support.server import FeedServer
from tests.support.site import Site

GOOD_POST = "---\ntitle: Notes on compost\ndate: 2026-03-05\n---\nTurn the heap weekly.\n"
#: The same post after a bad save: the title's quote is never closed (line 2).
BROKEN_POST = '---\ntitle: "Notes on compost\ndate: 2026-03-05\n---\nTurn the heap weekly.\n'


def read(site: Site, name: str) -> str:
    return (site.output / name).read_text(encoding="utf-8")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of a folder: its bytes' digest and modification time."""
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def errors_in(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err.splitlines()
    return [line for line in err if line.startswith("aggregator: error:")]


def warnings_in(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err.splitlines()
    return [line for line in err if line.startswith("aggregator: ") and "error:" not in line]


# -- a post that cannot be read ---------------------------------------------------------------


def test_a_post_broken_by_a_typo_keeps_its_page_its_feed_entry_and_its_place(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site.write_post("compost.md", GOOD_POST)
    assert site.cli("build") == 0
    page = read(site, "posts/compost/index.html")
    capsys.readouterr()

    site.write_post("compost.md", BROKEN_POST)
    assert site.cli("build") == 1

    (error,) = errors_in(capsys)  # named once, not twice
    assert error.startswith(f"aggregator: error: {path}: invalid YAML front matter at line ")
    assert "last good version stays published" in error
    assert read(site, "posts/compost/index.html") == page
    assert "Notes on compost" in read(site, "own.xml")
    assert "Notes on compost" in read(site, "own.json")
    assert "Notes on compost" in read(site, "index.html")
    # The other posts are written as usual.
    assert (site.output / "posts" / "hello-hugo" / "index.html").is_file()


def test_the_build_process_names_a_broken_post_once_and_exits_1(site: Site) -> None:
    path = site.write_post("compost.md", BROKEN_POST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGGREGATOR_")}

    done = subprocess.run(
        [sys.executable, "-m", "aggregator", "--config", str(site.config), "build"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1, done.stderr
    assert done.stderr.count(str(path)) == 1, done.stderr
    assert f"{path}: invalid YAML front matter at line " in done.stderr
    assert (site.output / "posts" / "hello-hugo" / "index.html").is_file()


def test_a_broken_post_comes_back_as_fixed_and_goes_when_deleted(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site.write_post("compost.md", GOOD_POST)
    assert site.cli("build") == 0
    site.write_post("compost.md", BROKEN_POST)
    assert site.cli("build") == 1

    site.write_post("compost.md", GOOD_POST.replace("weekly", "every Sunday"))
    assert site.cli("build") == 0
    assert "every Sunday" in read(site, "posts/compost/index.html")

    site.write_post("compost.md", BROKEN_POST)
    assert site.cli("build") == 1
    assert "every Sunday" in read(site, "posts/compost/index.html")

    path.unlink()
    assert site.cli("build") == 0
    assert not (site.output / "posts" / "compost").exists()
    assert "Notes on compost" not in read(site, "own.xml")


def test_a_bad_date_is_named_with_its_line(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    path = site.write_post(
        "dated.md", "---\ntitle: Dated\ntags: [x]\ndate: the day after\n---\nBody.\n"
    )

    assert site.cli("build") == 1

    (error,) = errors_in(capsys)
    assert error.startswith(f"aggregator: error: {path}: line 4: front matter 'date'")


def test_a_missing_posts_folder_stops_the_build_and_leaves_the_site_byte_identical(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.cli("build") == 0
    before = snapshot(site.output)
    site.posts.rename(site.root / "posts-unmounted")
    capsys.readouterr()

    assert site.cli("build") == 1

    (error,) = errors_in(capsys)
    assert f"{site.posts}: posts folder not found" in error
    assert snapshot(site.output) == before


def test_an_empty_posts_folder_is_fine(site: Site) -> None:
    for post in site.posts.iterdir():
        post.unlink()

    assert site.cli("build") == 0
    assert (site.output / "index.html").is_file()


# -- the blogroll -----------------------------------------------------------------------------


def two_blogs(feed_server: FeedServer) -> list[tuple[str, str, str]]:
    soil = [FeedItem("Soil in March", "https://soil.example.net/march", day(3))]
    tape = [FeedItem("A tape from 1983", "https://tape.example.org/1983", day(4))]
    return [
        feed_server.blog("Soil Notes", "https://soil.example.net/", "/soil.xml", rss2_feed, soil),
        feed_server.blog("Tape Hiss", "https://tape.example.org/", "/tape.xml", rss2_feed, tape),
    ]


def active_sources(site: Site) -> list[object]:
    return [row[0] for row in site.query("SELECT url FROM sources WHERE active ORDER BY url")]


def test_an_emptied_blogroll_is_refused_and_retires_nothing(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.write_blogroll(two_blogs(feed_server))
    assert site.cli("refresh") == 0
    followed = active_sources(site)
    capsys.readouterr()

    (site.root / "blogroll.md").write_text("# Blogs I like\n\n### Friends\n")
    assert site.cli("blogroll", "sync") == 1
    assert site.cli("refresh") == 1

    errors = errors_in(capsys)
    assert len(errors) == 2
    assert "lists no blogs while 2 are followed: refused, nothing was retired" in errors[0]
    assert active_sources(site) == followed


def test_removing_blogs_one_at_a_time_still_retires_them(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    blogs = two_blogs(feed_server)
    site.write_blogroll(blogs)
    assert site.cli("blogroll", "sync") == 0

    site.write_blogroll(blogs[:1])
    assert site.cli("blogroll", "sync") == 0
    assert "1 retired" in capsys.readouterr().out

    # Meaning it: the last one goes with --allow-empty.
    site.write_blogroll([])
    assert site.cli("blogroll", "sync") == 1
    assert site.cli("blogroll", "sync", "--allow-empty") == 0
    assert active_sources(site) == []


def test_a_blog_taken_off_the_blogroll_leaves_the_river_and_the_feeds_and_can_come_back(
    site: Site, feed_server: FeedServer
) -> None:
    blogs = two_blogs(feed_server)
    site.write_blogroll(blogs)
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    published = ("index.html", "feed.xml", "feed.json", "category/friends/index.html")
    for name in (*published, "category/friends/feed.xml"):
        assert "A tape from 1983" in read(site, name), name

    site.write_blogroll(blogs[:1])
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    for name in (*published, "category/friends/feed.xml", "blogroll.html"):
        assert "A tape from 1983" not in read(site, name), name
        assert "Tape Hiss" not in read(site, name), name
    assert "Soil in March" in read(site, "index.html")
    # Still stored: putting the blog back restores it without a fetch.
    assert site.query("SELECT count(*) FROM entries WHERE title = 'A tape from 1983'") == [(1,)]

    site.write_blogroll(blogs)
    assert site.cli("blogroll", "sync") == 0
    assert site.cli("build") == 0
    assert "A tape from 1983" in read(site, "index.html")
    assert "A tape from 1983" in read(site, "feed.xml")


UNREADABLE = """\
# Blogs I like

### Friends
- [Typo](htp:/oops.example)
- [Soil Notes](https://soil.example.net/) ([feed]({feed}))
- http://exa mple.com/
- http://[::1/
- a friend whose address I forgot
"""
#: (line, what the warning must say) of each unreadable line above.
EXPECTED = [
    (4, '"htp:/oops.example" is not a web address'),
    (6, '"http://exa mple.com/" has a space inside the address'),
    (7, '"http://[::1/" cannot be parsed'),
    (8, "a list item with no link"),
]


def write_unreadable(site: Site, feed_server: FeedServer, extra: str = "") -> None:
    feed = feed_server.serve("/soil.xml", rss2_feed("Soil", "https://soil.example.net/", []))
    (site.root / "blogroll.md").write_text(UNREADABLE.format(feed=feed) + extra)


def assert_each_line_reported(lines: list[str], site: Site) -> None:
    warnings = [line for line in lines if ": warning: " in line]
    assert len(warnings) == len(EXPECTED), lines
    for warning, (number, reason) in zip(warnings, EXPECTED, strict=True):
        assert warning.startswith(f"aggregator: {site.root / 'blogroll.md'}:{number}: warning: ")
        assert reason in warning


@pytest.mark.parametrize("command", [("blogroll", "sync"), ("refresh",), ("blogroll", "check")])
def test_each_unreadable_blogroll_line_is_reported_with_its_number(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str], command: tuple[str]
) -> None:
    write_unreadable(site, feed_server)

    assert site.cli(*command) == 0

    assert_each_line_reported(capsys.readouterr().err.splitlines(), site)


def test_an_address_that_cannot_be_read_is_never_stored_and_www_gets_https(
    site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    write_unreadable(site, feed_server, "- [No scheme](www.example.org)\n")

    assert site.cli("blogroll", "sync") == 0

    err = capsys.readouterr().err
    note = f"{site.root / 'blogroll.md'}:9: note: "
    assert note + '"www.example.org" has no scheme: read as https://www.example.org/' in err
    assert active_sources(site) == ["https://soil.example.net/", "https://www.example.org/"]
