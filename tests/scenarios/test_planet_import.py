"""`aggregator blogroll import planet.ini`: a Planet Venus config merged into the blogroll."""

from __future__ import annotations

import shutil

import pytest

from aggregator.blogroll import load_blogroll
from tests.support.paths import DATA
from tests.support.site import Site


def test_import_planet_config(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.write_blogroll([("Wheels", "https://wheels.example/", "https://wheels.example/feed.xml")])
    planet = site.root / "planet.ini"
    shutil.copy(DATA / "planet" / "planet.ini", planet)
    assert site.cli("blogroll", "import", str(planet)) == 0
    out = capsys.readouterr().out
    assert "3 blogs added, 1 already listed" in out
    assert 'url = "https://planet.spokes.example/"' in out
    assert 'author = "Morgan Tally"' in out
    assert "face of Wheel Truing Diaries: https://wheels.example/me.jpg" in out
    assert "note: planet.ini: [Planet] output_theme ignored" in out
    blogroll = load_blogroll(site.root / "blogroll.md")
    titles = {e.feed_url: e.title for e in blogroll.entries}
    assert titles == {
        "https://wheels.example/feed.xml": "Wheels",
        "https://sourdough.example/atom.xml": "Starter Culture",
        "http://cranks.example/rss": "The Crank Set",
        "https://loaves.example/index.xml": "loaves.example",
    }
    # Importing again adds nothing.
    assert site.cli("blogroll", "import", str(planet)) == 0
    assert "0 blogs added, 4 already listed" in capsys.readouterr().out


def test_planet_content_detected_without_ini_suffix(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site.root / "planet-config.txt"
    config.write_text("[Planet]\nname = Small\n\n[https://one.example/feed]\nname = One\n")
    assert site.cli("blogroll", "import", str(config)) == 0
    assert "1 blogs added" in capsys.readouterr().out
    assert [e.title for e in load_blogroll(site.root / "blogroll.md").entries] == ["One"]
