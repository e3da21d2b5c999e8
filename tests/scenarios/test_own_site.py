"""Own posts on the published site: permalink patterns, the owner's own blog feed, real posts."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.paths import SHARED
from tests.support.server import FeedServer
from tests.support.site import Site

SITE_URL = "http://127.0.0.1:8080/"


def configure(site: Site, own: str = "", extra: str = "") -> None:
    text = site.config.read_text(encoding="utf-8")
    text = text.replace('posts_dir = "posts"\n', f'posts_dir = "posts"\n{own}\n')
    site.config.write_text(text + extra, encoding="utf-8")


# -- permalink pattern ----------------------------------------------------------------


def test_a_dated_permalink_pattern_places_pages_and_links(site: Site) -> None:
    configure(site, 'permalink = "/{year}/{month}/{slug}/"')

    assert site.cli("build") == 0

    page = site.output / "2026" / "03" / "hello-hugo" / "index.html"
    html = page.read_text()
    assert 'href="../../../style.css"' in html
    assert '<link rel="canonical" href="http://127.0.0.1:8080/2026/03/hello-hugo/">' in html
    # Only the list of posts is left in posts/.
    assert [p.name for p in (site.output / "posts").iterdir()] == ["index.html"]
    index = (site.output / "index.html").read_text()
    assert 'href="2026/03/hello-hugo/"' in index
    own = feedparser.parse((site.output / "own.xml").read_bytes())
    links = {e.title: e.link for e in own.entries}
    assert links["Own post in Hugo format"] == "http://127.0.0.1:8080/2026/03/hello-hugo/"


def test_atom_ids_survive_a_new_title_and_a_new_permalink_pattern(site: Site) -> None:
    assert site.cli("build") == 0
    before = feedparser.parse((site.output / "own.xml").read_bytes())
    hugo = site.posts / "hello-hugo.md"
    hugo.write_text(hugo.read_text().replace("Own post in Hugo format", "A new title"))
    configure(site, 'permalink = "/writing/{slug}/"')

    assert site.cli("build") == 0

    after = feedparser.parse((site.output / "own.xml").read_bytes())
    assert sorted(e.id for e in after.entries) == sorted(e.id for e in before.entries)
    assert "A new title" in {e.title for e in after.entries}


def test_a_deleted_post_page_is_removed_under_a_dated_pattern(site: Site) -> None:
    configure(site, 'permalink = "/{year}/{month}/{slug}/"')
    assert site.cli("build") == 0
    (site.posts / "hello-hugo.md").unlink()

    assert site.cli("build") == 0

    assert not (site.output / "2026" / "03" / "hello-hugo").exists()
    assert (site.output / "2026" / "03" / "jekyll-style" / "index.html").is_file()
    assert (site.output / "index.html").is_file()


# -- the owner's own blog feed ------------------------------------------------------------


def test_the_owners_blog_feed_is_merged_as_own_posts(site: Site, feed_server: FeedServer) -> None:
    older = [
        FeedItem("From my old blog", "https://old.example/2019/first/", day(1, 1), author=None),
        # The same article as an own post file: the file wins.
        FeedItem("Hugo copy", "http://127.0.0.1:8080/posts/hello-hugo/", day(4)),
    ]
    feed_url = feed_server.serve(
        "/own.xml", rss2_feed("My old blog", "https://old.example/", older)
    )
    blog = [FeedItem("Friend's post", "https://friend.example/1", day(2))]
    site.write_blogroll(
        [feed_server.blog("Friend", "https://friend.example/", "/f.xml", rss2_feed, blog)]
    )
    configure(site, f'feed_url = "{feed_url}"')

    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    own = feedparser.parse((site.output / "own.xml").read_bytes())
    titles = [e.title for e in own.entries]
    assert "From my old blog" in titles
    assert "Hugo copy" not in titles
    assert "Own post in Hugo format" in titles
    assert "Friend's post" not in titles
    old = next(e for e in own.entries if e.title == "From my old blog")
    assert old.link == "https://old.example/2019/first/"
    assert old.author == "Test Owner"
    assert "source" not in old
    index = (site.output / "index.html").read_text()
    river_item = index[index.index("From my old blog") - 400 : index.index("From my old blog")]
    assert "item-post" in river_item
    assert "Hugo copy" not in index
    blogroll = (site.output / "blogroll.html").read_text()
    assert "My old blog" not in blogroll
    assert feed_url not in (site.output / "blogroll.opml").read_text()


# -- the real seed posts, published through `aggregator build` -----------------------------

SEED_POSTS = ("000", "001", "002", "004")
SEEDS = SHARED / "seeds"
#: Words that only appear in the seed posts' front matter.
FRONT_MATTER_WORDS = ("draft:", "overlay_image", "showToc", "featureAlt", "use_math", "title:")


@pytest.fixture
def seed_site(site: Site) -> Site:
    sources = {prefix: sorted(SEEDS.glob(f"{prefix}_*.txt")) for prefix in SEED_POSTS}
    if not all(sources.values()):
        pytest.skip(f"seed posts are not available in {SEEDS}")
    shutil.rmtree(site.posts)
    site.posts.mkdir()
    for prefix, (source,) in sources.items():
        target = site.posts / f"{prefix}.md"
        shutil.copyfile(source, target)
        # 2024-06-01 12:00 UTC: the date of a post that has none.
        os.utime(target, (1717243200.0, 1717243200.0))
    assert site.cli("build") == 0
    return site


def page_text(path: Path) -> str:
    root = etree.HTML(path.read_bytes())
    return " ".join(" ".join(root.itertext()).split())


@pytest.mark.parametrize(
    ("title_start", "day_written"),
    [
        ("Why I start to write", "2024-12-13"),
        ("why the posts?", "2024-06-01"),
        ("🛣️ Blog manifesto", "2025-07-12"),
        ("Why did I start writing on my page", "2024-10-04"),
    ],
)
def test_seed_posts_are_published_with_their_titles_and_dates(
    seed_site: Site, title_start: str, day_written: str
) -> None:
    own = feedparser.parse((seed_site.output / "own.xml").read_bytes())
    (entry,) = [e for e in own.entries if e.title.startswith(title_start)]
    assert entry.published.startswith(day_written)
    index = (seed_site.output / "index.html").read_text()
    assert title_start in index


def test_seed_post_pages_show_no_front_matter_and_no_mojibake(seed_site: Site) -> None:
    pages = sorted(seed_site.output.glob("posts/*/index.html"))
    assert len(pages) == 4
    for page in pages:
        text = page_text(page)
        for word in FRONT_MATTER_WORDS:
            assert word not in text, (page, word)
        assert not re.search(r"^\s*(---|\+\+\+)", text)
        for mojibake in ("‚Äî", "üõ£", "Ô∏è", "â€"):
            assert mojibake not in text, (page, mojibake)
    everything = "".join(page_text(p) for p in pages)
    assert "🛣️" in everything
    assert "—" in everything
    feed = (seed_site.output / "own.xml").read_text()
    assert "‚Äî" not in feed
    assert "showToc" not in feed
