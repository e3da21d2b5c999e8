"""A large build renders its pages in two processes: the site is the same, byte for byte,
as one process makes it (whether the second starts with the archives, before the rest is
planned, or not); a broken template is named from either; and if the second process
dies, this one renders what it held."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import PublishError
from aggregator.publish import second_process
from aggregator.publish.site import build_site
from aggregator.settings import Settings, load_settings
from aggregator.store import Store
from tests.support.feeds import FeedItem, atom_feed, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime(2026, 3, 21, 12, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="a second process is started only with two CPUs"
)


def filled_site(site: Site, feed_server: FeedServer) -> Settings:
    """Three blogs, a month and a half of posts: blog pages and monthly archives to render."""
    items = {
        name: [
            FeedItem(
                f"{name} {d}",
                f"https://{name}.example/{d}",
                day(d % 28 + 1).replace(month=3 - d // 28),
            )
            for d in range(0, 40, step)
        ]
        for name, step in (("alpha", 1), ("beta", 2), ("gamma", 5))
    }
    site.write_blogroll(
        [
            feed_server.blog(
                "Alpha", "https://alpha.example/", "/alpha.xml", atom_feed, items["alpha"]
            ),
            feed_server.blog(
                "Beta", "https://beta.example/", "/beta.xml", rss2_feed, items["beta"]
            ),
            feed_server.blog(
                "Gamma", "https://gamma.example/", "/gamma.xml", atom_feed, items["gamma"]
            ),
        ]
    )
    assert site.cli("refresh") == 0
    return load_settings(site.config)


def build_into(settings: Settings, folder: Path) -> None:
    settings = replace(settings, output=replace(settings.output, dir=folder))
    store = Store.open(settings.database.url)
    try:
        build_site(settings, store, NOW)
    finally:
        store.close()


def published(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".build.json"
    }


def in_two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(second_process, "SECOND_PROCESS_ROWS", 1)


@pytest.mark.parametrize(
    "archives_first",
    [True, False],
    # Without archives to start with: as when every month's page is right already and
    # only the other pages changed; the second process takes its share later.
    ids=["archives-while-planning", "nothing-before-rendering"],
)
def test_two_processes_publish_the_same_bytes_as_one(
    site: Site,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    archives_first: bool,
) -> None:
    settings = filled_site(site, feed_server)
    build_into(settings, site.root / "one")
    in_two_processes(monkeypatch)
    if not archives_first:
        monkeypatch.setattr(second_process.RenderPool, "begin", lambda *_: None)

    with caplog.at_level(logging.DEBUG, logger=second_process.__name__):
        build_into(settings, site.root / "two")

    assert any("a second process rendered" in r.getMessage() for r in caplog.records)
    one, two = published(site.root / "one"), published(site.root / "two")
    assert any(name.startswith("archive/2026/02/") for name in one)
    assert any(name.startswith("blogs/") for name in one)
    assert sorted(two) == sorted(one)
    assert [name for name in one if one[name] != two[name]] == []


def test_a_broken_template_is_named_when_the_second_process_renders_it(
    site: Site, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = filled_site(site, feed_server)
    build_into(settings, site.output)
    before = published(site.output)
    templates = site.root / "templates"
    templates.mkdir()
    # The archives are at the far end of the plan: the second process takes them first.
    (templates / "archive_month.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n{{ month.no_such_thing.here }}\n'
        "{% endblock %}\n"
    )
    settings = replace(settings, output=replace(settings.output, templates_dir=templates))
    with pytest.raises(PublishError) as in_one:
        build_into(settings, site.output)
    in_two_processes(monkeypatch)

    with pytest.raises(PublishError) as in_two:
        build_into(settings, site.output)

    assert "template archive_month.html" in str(in_one.value)
    assert "no_such_thing" in str(in_one.value)
    assert str(in_two.value) == str(in_one.value)
    assert published(site.output) == before


def test_when_the_second_process_dies_this_one_renders_its_pages(
    site: Site,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = filled_site(site, feed_server)
    build_into(settings, site.root / "one")
    in_two_processes(monkeypatch)
    started = second_process._SecondProcess.__init__

    def start_then_die(self: second_process._SecondProcess) -> None:
        started(self)
        self._process.kill()
        self._process.wait()

    monkeypatch.setattr(second_process._SecondProcess, "__init__", start_then_die)
    with caplog.at_level(logging.WARNING, logger=second_process.__name__):
        build_into(settings, site.root / "two")

    assert any("second render process stopped" in r.getMessage() for r in caplog.records)
    assert published(site.root / "two") == published(site.root / "one")
