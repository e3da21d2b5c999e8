"""Planet Venus / Planet 2.0 configuration files read as a blogroll."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.blogroll.planet import (
    PlanetFeed,
    is_planet_config,
    parse_planet_config,
    planet_report,
)
from aggregator.errors import BlogrollError
from tests.support.paths import DATA

PLANET_INI = (DATA / "planet" / "planet.ini").read_text(encoding="utf-8")


def test_each_url_section_is_a_feed_with_its_name_and_face() -> None:
    config = parse_planet_config(PLANET_INI)
    assert config.feeds == (
        PlanetFeed(
            "https://wheels.example/feed.xml",
            "Wheel Truing Diaries",
            "https://wheels.example/me.jpg",
        ),
        PlanetFeed("https://sourdough.example/atom.xml", "Starter Culture", "faces/starter.png"),
        PlanetFeed("http://cranks.example/rss", "The Crank Set", None),
        PlanetFeed("https://loaves.example/index.xml", None, None),
    )
    blogroll = config.blogroll()
    assert blogroll.title == "Planet Spokes & Crumbs"
    assert [(e.url, e.feed_url, e.title) for e in blogroll.entries][2] == (
        "http://cranks.example/rss",
        "http://cranks.example/rss",
        "The Crank Set",
    )


def test_planet_section_suggests_site_settings() -> None:
    assert parse_planet_config(PLANET_INI).site == {
        "title": "Planet Spokes & Crumbs",
        "url": "https://planet.spokes.example/",
        "author": "Morgan Tally",
        "author_email": "morgan@spokes.example",
    }


def test_other_keys_are_noted_once_each() -> None:
    notes = parse_planet_config(PLANET_INI, "planet.ini").notes
    assert "planet.ini: [Planet] filters ignored" in notes
    assert "planet.ini: [Planet] cache_directory ignored" in notes
    assert "planet.ini: section [excerpt.py] ignored" in notes
    assert "planet.ini: section [DEFAULT] ignored" in notes
    # Two feeds have filters: one note for the key, not one per feed.
    assert [n for n in notes if "feed key filters" in n] == [
        "planet.ini: feed key filters ignored (in 2 feed sections)"
    ]
    assert "planet.ini: feed key ignore_in_feed ignored (in 1 feed section)" in notes
    assert len(notes) == len(set(notes))
    assert not any(" name " in n or " face " in n for n in notes)


def test_report_prints_site_settings_faces_and_notes() -> None:
    lines = planet_report(parse_planet_config(PLANET_INI))
    assert "[site]" in lines
    assert 'title = "Planet Spokes & Crumbs"' in lines
    assert 'author_email = "morgan@spokes.example"' in lines
    assert "face of Starter Culture: faces/starter.png" in lines


def test_detection_by_suffix_or_planet_section() -> None:
    assert is_planet_config(Path("planet.ini"), "")
    assert is_planet_config(Path("config.txt"), PLANET_INI)
    assert not is_planet_config(Path("blogroll.md"), "# Blogs\n\n- [A](https://a.example/)\n")


def test_a_file_without_planet_section_is_refused() -> None:
    with pytest.raises(BlogrollError, match="no \\[Planet\\] section"):
        parse_planet_config("[https://a.example/feed]\nname = A\n", "x.ini")
    with pytest.raises(BlogrollError, match="not a Planet configuration"):
        parse_planet_config("name = no section header\n", "x.ini")
