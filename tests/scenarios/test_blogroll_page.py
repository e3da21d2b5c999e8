"""The blogroll page in the owner's words: the Markdown page's heading, introduction and
category introductions are published; export and import keep them; OPML keeps the lead."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from aggregator.blogroll import parse_markdown_blogroll
from tests.support.paths import DATA, SHARED
from tests.support.site import Site

SEED = SHARED / "seeds" / "003_85663dbc55c5be05.txt"
GENERIC_LEAD = "The blogs this site follows."


def built_page(site: Site, blogroll: Path, name: str = "blogroll.md") -> str:
    """blogroll.html after `blogroll sync` (nothing fetched) and `build` with this file."""
    shutil.copyfile(blogroll, site.root / name)
    if name != "blogroll.md":
        site.config.write_text(
            site.config.read_text().replace('file = "blogroll.md"', f'file = "{name}"')
        )
    assert site.cli("blogroll", "sync") == 0
    assert site.cli("build") == 0
    return (site.output / "blogroll.html").read_text(encoding="utf-8")


def words(html: str) -> str:
    """The page's text, tags left out and white space made single."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, category: str) -> str:
    match = re.search(rf'<h2 id="cat-[^"]+">{re.escape(category)}</h2>(.*?)</section>', html, re.S)
    assert match, category
    return match.group(1)


def test_the_seed_blogroll_is_published_with_its_heading_and_its_owner_s_words(
    site: Site,
) -> None:
    if not SEED.is_file():
        pytest.skip(f"{SEED} is not available")

    html = built_page(site, SEED)

    assert "<h1>Blogs I like</h1>" in html
    assert GENERIC_LEAD not in html
    intro = words(html.split("<h1>Blogs I like</h1>", 1)[1].split('<section class="category"')[0])
    assert "I like personal blogs specifically because they're less 'designed by commitee'" in intro
    assert "I'm updating the list every now and then." in intro
    ml = words(section(html, "ML"))
    assert "I like following people who work at the pioneering companies" in ml
    assert "Here are some of these that get regularly updated." in ml
    assert ml.index("regularly updated") < ml.index("Sander Dieleman")
    assert '<div class="intro">' not in section(html, "music")
    assert "<title>Blogs I like · " in html


def test_the_project_fixture_says_its_own_things_the_same_way(site: Site) -> None:
    html = built_page(site, DATA / "blogroll.md")

    assert "<h1>Blogs I follow</h1>" in html
    assert GENERIC_LEAD not in html
    assert "<p>A short list of people whose writing I read as soon as it arrives." in html
    assert (
        "<p>Nothing here is sponsored; a site leaves the list when I stop reading it.</p>" in html
    )
    computers = section(html, "old computers")
    intro = '<div class="intro"><p>Two people who repair machines and write up every step.</p>'
    assert intro in computers
    assert computers.index(intro) < computers.index("Mira")
    category_page = (site.output / "category" / "old-computers" / "index.html").read_text()
    assert "Two people who repair machines" in category_page


def test_prose_is_markdown_with_working_links_and_sanitized(site: Site, tmp_path: Path) -> None:
    page = tmp_path / "blogroll.md"
    page.write_text(
        "# Reading list\n\nSee [my notes](/posts/notes/) and *these* <script>alert(1)</script>.\n"
        '\n<img src=x onerror="alert(1)">\n\n### Friends\n'
        "- [A](https://a.example/)\n"
    )

    html = built_page(site, page)

    assert '<a href="http://127.0.0.1:8080/posts/notes/"' in html
    assert "<em>these</em>" in html
    assert "<script>alert" not in html
    assert "onerror" not in html


def test_an_opml_blogroll_keeps_the_generic_lead(site: Site, tmp_path: Path) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Subs</title></head><body>'
        '<outline text="A" xmlUrl="https://a.example/feed"/></body></opml>'
    )

    html = built_page(site, opml, "blogroll.opml")

    assert "<h1>Blogroll</h1>" in html
    assert GENERIC_LEAD in html


def test_export_as_markdown_keeps_the_prose(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(DATA / "blogroll.md", site.root / "blogroll.md")
    capsys.readouterr()

    assert site.cli("blogroll", "export", "--format", "md") == 0

    exported = parse_markdown_blogroll(capsys.readouterr().out)
    original = parse_markdown_blogroll((DATA / "blogroll.md").read_text())
    assert exported == original
    assert exported.intro and exported.category_intros


def test_import_into_a_new_page_keeps_the_prose_and_a_new_category_brings_its_own(
    site: Site, tmp_path: Path
) -> None:
    (site.root / "blogroll.md").unlink()
    assert site.cli("blogroll", "import", str(DATA / "blogroll.md")) == 0
    assert parse_markdown_blogroll((site.root / "blogroll.md").read_text()) == (
        parse_markdown_blogroll((DATA / "blogroll.md").read_text())
    )

    incoming = tmp_path / "more.md"
    incoming.write_text(
        "# More\n\n### radio\nStations I leave on all day.\n\n- [Wave](https://wave.example/)\n"
    )
    assert site.cli("blogroll", "import", str(incoming)) == 0

    merged = parse_markdown_blogroll((site.root / "blogroll.md").read_text())
    assert merged.intro.startswith("A short list of people")
    assert merged.category_intro("old computers").startswith("Two people who repair")
    assert merged.category_intro("radio") == "Stations I leave on all day."
