"""Own posts published like a blog: `aggregator build` on the fixture post that uses every
feature, the list of posts, metadata on every page, copied files, and the seed posts.

The post page and its alias page are golden files beside the fixture; after a
deliberate change rewrite them with ``python -m tests.scenarios.test_post_publishing``
and review the diff.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from lxml import etree

from tests.support.paths import DATA, REPO, SHARED
from tests.support.site import Site, make_site

FIXTURE = DATA / "posts" / "site"
GOLDEN_PAGE = DATA / "posts" / "kitchen-sink.page.html"
GOLDEN_ALIAS = DATA / "posts" / "kitchen-sink.alias.html"
SEEDS = SHARED / "seeds"


def with_fixture_posts(site: Site) -> Site:
    """The site with the fixture's posts and its static folder (the default ``static``)."""
    shutil.rmtree(site.posts)
    shutil.copytree(FIXTURE / "posts", site.posts)
    shutil.copytree(FIXTURE / "static", site.root / "static")
    return site


def warnings_of_build(site: Site, caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert site.cli("build") == 0
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def page_without_footer(path: Path) -> str:
    """A page up to its footer, which carries the build's time."""
    return path.read_text(encoding="utf-8").split('  <footer class="site-footer">')[0]


@pytest.fixture
def built(site: Site, caplog: pytest.LogCaptureFixture) -> Site:
    with_fixture_posts(site)
    (warning,) = warnings_of_build(site, caplog)
    # The one formula the fixture breaks on purpose, named with its post.
    assert "kitchen-sink/index.md" in warning and "math=unconverted" in warning
    return site


# -- the golden post -----------------------------------------------------------------------


def test_the_post_page_is_its_golden_page(built: Site) -> None:
    page = built.output / "posts" / "kitchen-sink" / "index.html"

    assert page_without_footer(page) == GOLDEN_PAGE.read_text(encoding="utf-8")


def test_each_alias_is_a_small_page_pointing_to_the_post(built: Site) -> None:
    folder_alias = built.output / "old" / "kitchen-sink" / "index.html"
    file_alias = built.output / "2026" / "everything.html"

    assert folder_alias.read_text(encoding="utf-8") == GOLDEN_ALIAS.read_text(encoding="utf-8")
    html = file_alias.read_text(encoding="utf-8")
    assert '<link rel="canonical" href="http://127.0.0.1:8080/posts/kitchen-sink/">' in html
    assert '<meta http-equiv="refresh" content="0; url=../posts/kitchen-sink/">' in html


def test_the_golden_page_shows_cover_reading_time_contents_and_metadata() -> None:
    html = GOLDEN_PAGE.read_text(encoding="utf-8")
    head, body = html.split("</head>")

    assert (
        '<figure class="cover"><img src="http://127.0.0.1:8080/posts/kitchen-sink/cover.png"'
        in body
    )
    assert body.index('class="cover"') < body.index("<h1>")
    assert '<span class="reading-time">1 min read</span>' in body
    # TocOpen: false: collapsed, and above the text.
    assert '<nav class="toc" aria-labelledby="toc-title">\n<details>' in body
    assert body.index('class="toc"') < body.index('<div class="content">')
    assert (
        '<meta property="og:image" content="http://127.0.0.1:8080/posts/kitchen-sink/cover.png">'
        in head
    )
    assert '<meta property="og:type" content="article">' in head
    assert '<meta property="og:title" content="Everything a post can hold">' in head
    assert '<meta property="article:published_time" content="2026-02-10T09:30:00+00:00">' in head
    assert '<link rel="canonical" href="http://127.0.0.1:8080/posts/kitchen-sink/">' in head
    assert 'name="description" content="One post with code, a table, formulas' in head
    assert "style=" not in html


def test_bundle_and_static_files_are_copied_as_they_are(built: Site) -> None:
    for source, published in [
        (FIXTURE / "posts" / "kitchen-sink" / "diagram.png", "posts/kitchen-sink/diagram.png"),
        (FIXTURE / "posts" / "kitchen-sink" / "cover.png", "posts/kitchen-sink/cover.png"),
        (FIXTURE / "static" / "images" / "logo.png", "images/logo.png"),
        (FIXTURE / "static" / "files" / "notes.txt", "files/notes.txt"),
    ]:
        assert (built.output / published).read_bytes() == source.read_bytes(), published
    assert not (built.output / "posts" / "kitchen-sink" / "index.md").exists()


def test_a_second_build_rewrites_no_copied_file(
    built: Site, caplog: pytest.LogCaptureFixture
) -> None:
    copied = built.output / "images" / "logo.png"
    before = copied.stat().st_mtime_ns, copied.stat().st_ino

    warnings_of_build(built, caplog)

    assert (copied.stat().st_mtime_ns, copied.stat().st_ino) == before


def test_a_changed_static_file_is_replaced_and_a_removed_bundle_file_goes(
    built: Site, caplog: pytest.LogCaptureFixture
) -> None:
    (built.root / "static" / "files" / "notes.txt").write_text("Second edition.\n")
    (built.posts / "kitchen-sink" / "diagram.png").unlink()

    warnings = warnings_of_build(built, caplog)

    assert (built.output / "files" / "notes.txt").read_text() == "Second edition.\n"
    assert not (built.output / "posts" / "kitchen-sink" / "diagram.png").exists()
    assert any("missing=/posts/kitchen-sink/diagram.png" in w and "index.md" in w for w in warnings)
    leftovers = [p.name for p in built.output.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_copy_that_cannot_be_made_leaves_the_site_as_it_was(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    index = (built.output / "posts" / "kitchen-sink" / "index.html").read_bytes()
    (built.root / "static" / "images" / "logo.png").write_bytes(b"a new logo")
    (built.root / "static" / "files" / "notes.txt").write_text("New notes.\n")
    post = built.posts / "kitchen-sink" / "index.md"
    post.write_text(post.read_text().replace("Everything a post can hold", "A new title"))
    # The notes are staged first; where the logo goes, a file stands instead of a folder.
    shutil.rmtree(built.output / "images")
    (built.output / "images").write_text("in the way")

    assert built.cli("build") == 1

    assert "cannot copy images/logo.png" in capsys.readouterr().err
    assert (built.output / "files" / "notes.txt").read_text() != "New notes.\n"
    assert (built.output / "posts" / "kitchen-sink" / "index.html").read_bytes() == index
    assert [p for p in built.output.rglob("*") if p.name.endswith(".tmp")] == []


def test_a_missing_local_file_is_named_with_its_post(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.write_post(
        "pictures.md",
        "---\ntitle: Pictures\ndate: 2026-01-05\n---\n\n![gone](/images/nowhere.png)\n\n"
        "[a page](/blogroll.html), [a feed](/own.xml), [elsewhere](https://other.example/x.png)\n",
    )

    warnings = warnings_of_build(site, caplog)

    (missing,) = [w for w in warnings if "missing=" in w]
    assert "pictures.md" in missing and "missing=/images/nowhere.png" in missing


def test_a_static_dir_that_was_named_but_is_missing_is_reported(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    text = site.config.read_text(encoding="utf-8")
    site.config.write_text(
        text.replace('posts_dir = "posts"\n', 'posts_dir = "posts"\nstatic_dir = "assets"\n')
    )

    warnings = warnings_of_build(site, caplog)

    assert any("static_dir=" in w and "assets" in w for w in warnings), warnings


def test_an_alias_never_replaces_another_page(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site.write_post(
        "greedy.md",
        "---\ntitle: Greedy\ndate: 2026-01-02\naliases: [/blogroll.html, /gone/]\n---\n\nHi.\n",
    )

    warnings = warnings_of_build(site, caplog)

    assert (
        "Greedy"
        not in (site.output / "blogroll.html").read_text(encoding="utf-8").split("<main")[0]
    )
    assert any("greedy.md" in w and "/blogroll.html" in w for w in warnings), warnings
    assert (site.output / "gone" / "index.html").is_file()


# -- the list of posts, the river, metadata on every page -------------------------------------


def test_the_list_of_posts_is_newest_first_by_year(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.write_post(
        "old-times.md", "---\ntitle: From last year\ndate: 2025-12-30\ntags: [past]\n---\n\nOld.\n"
    )
    warnings_of_build(site, caplog)

    root = etree.HTML((site.output / "posts" / "index.html").read_bytes())
    years = [h.text for h in root.iterfind(".//main//h2")]
    rows = [
        " ".join(" ".join(li.itertext()).split())
        for li in root.iterfind(".//ol[@class='post-list']/li")
    ]

    assert years == ["2026", "2025"]
    assert rows[0].startswith("2026-03-06 Own post in Jekyll format 1 min read")
    assert rows[-1] == "2025-12-30 From last year 1 min read past"
    assert "Secret draft post" not in " ".join(rows)


def test_the_own_posts_link_opens_the_list(site: Site) -> None:
    assert site.cli("build") == 0

    for page, link in [
        ("index.html", "posts/index.html"),
        ("posts/hello-hugo/index.html", "../../posts/index.html"),
    ]:
        html = (site.output / page).read_text(encoding="utf-8")
        assert f'<a href="{link}"' in html and ">Own posts</a>" in html


def test_own_posts_on_the_river_show_their_reading_time(site: Site) -> None:
    assert site.cli("build") == 0

    index = (site.output / "index.html").read_text(encoding="utf-8")

    assert index.count('<span class="reading-time">1 min read</span>') == 3


def test_every_page_has_a_description_opengraph_and_a_canonical_link(site: Site) -> None:
    assert site.cli("build") == 0

    pages = sorted(site.output.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        if page.name == "widget.html":
            continue  # a fragment to embed in other sites, not a page
        head = page.read_text(encoding="utf-8").split("</head>")[0]
        for needle in (
            '<meta name="description" content="',
            '<link rel="canonical" href="http://127.0.0.1:8080/',
            '<meta property="og:title" content="',
            '<meta property="og:type" content="',
            '<meta property="og:url" content="http://127.0.0.1:8080/',
            '<meta property="og:description" content="',
        ):
            assert needle in head, (page, needle)
    blogroll = (site.output / "blogroll.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="http://127.0.0.1:8080/blogroll.html">' in blogroll
    assert '<meta property="og:type" content="website">' in blogroll


# -- the seed posts ---------------------------------------------------------------------------

SEED_POSTS = ("000", "001", "002", "004")


def seed_site(site: Site) -> Site:
    sources = {prefix: sorted(SEEDS.glob(f"{prefix}_*.txt")) for prefix in SEED_POSTS}
    if not all(sources.values()):
        pytest.skip(f"seed posts are not available in {SEEDS}")
    shutil.rmtree(site.posts)
    site.posts.mkdir()
    for prefix, (source,) in sources.items():
        shutil.copyfile(source, site.posts / f"{prefix}.md")
        os.utime(site.posts / f"{prefix}.md", (1717243200.0, 1717243200.0))
    return site


def test_the_seed_posts_build_with_no_warning_but_the_missing_picture(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    seed_site(site)

    warnings = warnings_of_build(site, caplog)

    (missing,) = warnings
    assert "004.md" in missing and "missing=/images/caos.png" in missing


def test_the_seed_posts_build_with_no_warning_once_the_picture_is_there(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    seed_site(site)
    (site.root / "static" / "images").mkdir(parents=True)
    shutil.copyfile(
        FIXTURE / "static" / "images" / "logo.png", site.root / "static" / "images" / "caos.png"
    )

    assert warnings_of_build(site, caplog) == []
    assert (site.output / "images" / "caos.png").is_file()
    page = (site.output / "posts" / "004" / "index.html").read_text()
    # Jekyll's header.overlay_image is the cover, an absolute URL kept as it is.
    assert re.search(
        r'<meta property="og:image" content="https://wallpapers\.com/[^"]+\.webp">', page
    )


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = with_fixture_posts(make_site(Path(folder) / "site"))
        assert site.cli("build") == 0
        page = site.output / "posts" / "kitchen-sink" / "index.html"
        GOLDEN_PAGE.write_text(page_without_footer(page), encoding="utf-8")
        alias = site.output / "old" / "kitchen-sink" / "index.html"
        GOLDEN_ALIAS.write_text(alias.read_text(encoding="utf-8"), encoding="utf-8")


if __name__ == "__main__":
    regenerate()


def test_the_example_site_builds_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The example config writes to ../public: a copy keeps the checkout clean.
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config, ignore=shutil.ignore_patterns("*.sqlite3*"))
    from aggregator.cli import main

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(["--config", str(config / "aggregator.toml"), "build"]) == 0

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    public = tmp_path / "public"
    assert (public / "images" / "sketch.png").is_file()
    assert (public / "posts" / "counting-minutes" / "words.png").is_file()
    page = (public / "posts" / "counting-minutes" / "index.html").read_text(encoding="utf-8")
    for feature in (
        '<pre class="highlight">',
        'class="footnote-ref"',
        "<math ",
        '<nav class="toc"',
    ):
        assert feature in page, feature
