"""A build with nothing new writes nothing and reads no entry; anything new builds again.

The build records its inputs' fingerprint beside the site (``.build.json``);
each case below changes one input the pages are made from and checks that
the next build publishes it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.publish.fingerprint import (
    RECORD_FILE,
    read_record,
    site_fingerprint,
    unchanged_outcome,
)
from aggregator.settings import load_settings
from aggregator.store import Store
from tests.support.feeds import FeedItem, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime.now(UTC)


def ago(days: int) -> datetime:
    return (NOW - timedelta(days=days)).replace(microsecond=0)


@pytest.fixture
def built(site: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> Site:
    items = [FeedItem(f"Pear {n}", f"https://pear.example/{n}", ago(1 + n)) for n in range(3)]
    blog = feed_server.blog("Pear", "https://pear.example/", "/pear.xml", rss2_feed, items)
    site.write_blogroll([blog])
    site.write_post("orchard.md", "---\ntitle: Orchard notes\ndate: 2026-01-05\n---\n\nPruning.\n")
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    capsys.readouterr()
    return site


def build_summary(site: Site, capsys: pytest.CaptureFixture[str]) -> str:
    assert site.cli("build") == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_a_build_with_nothing_new_writes_nothing(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.stat().st_mtime_ns for p in built.output.rglob("*") if p.is_file()}

    summary = build_summary(built, capsys)

    assert summary.startswith("site: 0 files written,")
    assert "own posts, 0 posts with errors" in summary
    after = {p: p.stat().st_mtime_ns for p in built.output.rglob("*") if p.is_file()}
    assert after == before


def test_a_new_entry_is_published_by_the_next_build(
    built: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [FeedItem(f"Pear {n}", f"https://pear.example/{n}", ago(1 + n)) for n in range(3)]
    items.insert(0, FeedItem("Fresh pear", "https://pear.example/fresh", ago(0)))
    feed_server.serve("/pear.xml", rss2_feed("Pear", "https://pear.example/", items))
    assert built.cli("refresh", "--all") == 0

    assert "0 files written" not in build_summary(built, capsys)
    assert "Fresh pear" in (built.output / "index.html").read_text()


def test_an_entry_changed_in_place_is_published_by_the_next_build(
    built: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [FeedItem(f"Pear {n}", f"https://pear.example/{n}", ago(1 + n)) for n in range(3)]
    items[0] = FeedItem("Pear 0, corrected", "https://pear.example/0", ago(1))
    feed_server.serve("/pear.xml", rss2_feed("Pear", "https://pear.example/", items))
    assert built.cli("refresh", "--all") == 0

    build_summary(built, capsys)

    assert "Pear 0, corrected" in (built.output / "index.html").read_text()


def test_a_failing_feed_shows_on_the_status_page_at_the_next_build(
    built: Site, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.serve("/pear.xml", b"gone", status=500)
    built.cli("refresh", "--all")
    capsys.readouterr()

    build_summary(built, capsys)

    assert "HTTP 500" in (built.output / "status.html").read_text()


def test_an_edited_post_is_published_by_the_next_build(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    path = built.write_post(
        "orchard.md", "---\ntitle: Orchard notes, revised\ndate: 2026-01-05\n---\n\nGrafting.\n"
    )
    # Same size and time as before would hide nothing: the time moves with any save.
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))

    build_summary(built, capsys)

    assert "Orchard notes, revised" in (built.output / "index.html").read_text()


def test_a_changed_setting_builds_again(built: Site, capsys: pytest.CaptureFixture[str]) -> None:
    built.config.write_text(
        built.config.read_text().replace('title = "', 'title = "Renamed ', 1), encoding="utf-8"
    )

    build_summary(built, capsys)

    assert "Renamed " in (built.output / "index.html").read_text()


def test_an_own_template_change_builds_again(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = built.root / "mytemplates"
    templates.mkdir()
    built.config.write_text(
        built.config.read_text().replace(
            'dir = "public"', 'dir = "public"\ntemplates_dir = "mytemplates"'
        ),
        encoding="utf-8",
    )
    build_summary(built, capsys)
    (templates / "_face.html").write_text(
        '{% macro face(f, root) %}<span class="my-face"></span>{% endmacro %}\n'
    )

    build_summary(built, capsys)

    assert 'class="my-face"' in (built.output / "index.html").read_text()


def test_a_removed_or_altered_output_file_is_written_again(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    (built.output / "blogroll.html").unlink()
    (built.output / "feed.xml").write_text("<feed/>")

    summary = build_summary(built, capsys)

    assert summary.startswith("site: 2 files written,")
    assert (built.output / "blogroll.html").is_file()
    assert "Pear 0" in (built.output / "feed.xml").read_text()


def test_a_post_that_cannot_be_read_is_reported_by_every_build(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    built.write_post("broken.md", "---\ntitle: [unclosed\n---\n\nText.\n")

    for _ in range(2):
        assert built.cli("build") == 1
        assert "broken.md" in capsys.readouterr().err
    assert not (built.output / RECORD_FILE).exists()


def test_time_alone_ends_the_record_at_the_next_local_midnight(built: Site) -> None:
    settings = load_settings(built.config)
    store = Store.open(built.database_url)
    try:
        fingerprint = site_fingerprint(settings, store)
    finally:
        store.close()
    record = read_record(settings.output.dir)
    assert record is not None and record.fingerprint == fingerprint
    assert record.valid_until - NOW <= timedelta(days=1)

    assert unchanged_outcome(settings.output.dir, fingerprint, NOW) is not None
    assert unchanged_outcome(settings.output.dir, fingerprint, record.valid_until) is None
    assert unchanged_outcome(settings.output.dir, "another", NOW) is None


def test_a_damaged_record_means_a_full_build(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    (built.output / RECORD_FILE).write_text("{not json")
    (built.output / "index.html").write_text("stale")

    build_summary(built, capsys)

    assert "Pear 0" in (built.output / "index.html").read_text()
    assert read_record(Path(built.output)) is not None
