"""The river reads newest first on every page, a blog's extra posts fold into a line that
leads to the blog's own page; every month has its archive; days are the site's; a blog is
"broken" only after failing for a while."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from lxml import html

from tests.support.feeds import FeedItem, atom_feed, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

PAGES = 8


def configure(site: Site, output: str = "", site_keys: str = "") -> None:
    text = site.config.read_text()
    text = text.replace('[output]\ndir = "public"', f'[output]\ndir = "public"\n{output}')
    text = text.replace(
        'author_email = "owner@example.org"', f'author_email = "owner@example.org"\n{site_keys}'
    )
    site.config.write_text(text)


def page(site: Site, path: str) -> html.HtmlElement:
    return html.fromstring((site.output / path).read_bytes())


def river_paths(site: Site) -> list[str]:
    more = sorted((site.output / "page").glob("*/index.html"), key=lambda p: int(p.parent.name))
    return ["index.html", *(p.relative_to(site.output).as_posix() for p in more)]


def lines(document: html.HtmlElement) -> list[tuple[str, str | None]]:
    """Each line of a river page: its day, and its exact instant when it shows a time."""
    found = []
    for section in document.xpath('.//section[contains(@class, "day")]'):
        day_of = section.xpath(".//h2/time")[0].get("datetime")
        for li in section.xpath('.//ol[@class="river"]/li'):
            moment = li.xpath('.//p[@class="item-source"]/time')
            found.append((day_of, moment[0].get("datetime") if moment else None))
    return found


def busy_site(site: Site, feed_server: FeedServer) -> Site:
    """One blog posting six times a day, two calm ones, small pages, a share of two."""
    busy = [
        FeedItem(f"Busy {d}-{h}", f"https://busy.example/{d}/{h}", day(d) + timedelta(hours=h - 4))
        for d in range(10, 20)
        for h in range(6)
    ]
    calm = [FeedItem(f"Calm {d}", f"https://calm.example/{d}", day(d)) for d in range(10, 20, 2)]
    still = [FeedItem("Still here", "https://still.example/1", day(15))]
    site.write_blogroll(
        [
            feed_server.blog("Busy Bee", "https://busy.example/", "/busy.xml", rss2_feed, busy),
            feed_server.blog("Calm", "https://calm.example/", "/calm.xml", atom_feed, calm),
            feed_server.blog("Still", "https://still.example/", "/still.xml", rss2_feed, still),
        ]
    )
    configure(site, f"items = 5\npages = {PAGES}\nper_source = 2\nfeed_items = 3")
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0
    return site


def test_dates_never_increase_from_one_item_to_the_next_across_all_pages(
    site: Site, feed_server: FeedServer
) -> None:
    busy_site(site, feed_server)
    every = [line for path in river_paths(site) for line in lines(page(site, path))]

    assert len(river_paths(site)) > 2
    assert any(m is None for _, m in every if _ > "2026-03-09")  # fold lines are in play
    days = [d for d, _ in every]
    assert days == sorted(days, reverse=True)
    instants = [datetime.fromisoformat(m) for _, m in every if m]
    assert instants == sorted(instants, reverse=True)


def test_folded_items_are_on_the_page_the_more_from_line_links_to(
    site: Site, feed_server: FeedServer
) -> None:
    busy_site(site, feed_server)
    folds, shown = 0, set()
    for path in river_paths(site):
        document = page(site, path)
        shown |= {a.text for a in document.xpath('.//article[contains(@class, "item")]/h3/a')}
        for line in document.xpath('.//p[@class="more-from"]'):
            link = line.xpath(".//a")[0]
            assert re.fullmatch(r"and \d+ more from Busy Bee", line.text_content())
            folds += int(line.text_content().split()[1])
            target = (site.output / path).parent / link.get("href")
            assert target.resolve() == (site.output / "blogs/busy-bee/index.html").resolve()
    blog_page = page(site, "blogs/busy-bee/index.html")
    listed = {a.text for a in blog_page.xpath('.//ol[@class="blog-entries"]//h3/a')}
    on_river = {t for t in listed | shown if t.startswith("Busy ")}
    folded = on_river - shown
    assert folds == len(folded) > 0
    assert folded <= listed
    category = page(site, "category/friends/index.html")
    on_category = {a.text for a in category.xpath('.//article[contains(@class, "item")]/h3/a')}
    assert category.xpath('.//p[@class="more-from"]/a[@href="../../blogs/busy-bee/index.html"]')
    assert {f"Busy {d}-{h}" for d in (18, 19) for h in range(6)} - on_category <= listed


def test_a_blog_page_has_its_note_links_health_activity_and_is_linked_from_everywhere(
    site: Site, feed_server: FeedServer
) -> None:
    busy_site(site, feed_server)
    blog = page(site, "blogs/calm/index.html")

    assert blog.xpath(".//h1")[0].text == "Calm"
    assert "a note about Calm." in blog.text_content()
    assert blog.xpath('.//a[@href="https://calm.example/"]')
    svg = blog.xpath('.//svg[@class="activity"]')[0]
    assert svg.get("role") == "img" and "posts in the last 12 months" in svg.text_content()
    assert re.search(r"Quiet for \d+ (months|years)\.", blog.text_content())  # latest: March
    for path in ("index.html", "blogroll.html", "status.html"):
        assert page(site, path).xpath('.//a[@href="blogs/calm/index.html"]'), path
    assert len(page(site, "blogroll.html").xpath('.//span[@class="activity-small"]/svg')) == 3
    assert not list((site.output / "blogs").glob("*test-reading-room*"))


def test_every_month_with_items_has_an_archive_page_linked_to_its_neighbours(
    site: Site, feed_server: FeedServer
) -> None:
    months = [(2024, m) for m in (11, 12)] + [(2025, m) for m in range(1, 13) if m != 6]
    items = [
        FeedItem(f"Post {y}-{m}", f"https://years.example/{y}/{m}", day(3, m, y)) for y, m in months
    ]
    site.write_blogroll(
        [feed_server.blog("Years", "https://years.example/", "/y.xml", rss2_feed, items)]
    )
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    for year, month in months:
        document = page(site, f"archive/{year}/{month:02d}/index.html")
        assert f"Post {year}-{month}" in document.text_content()
    assert not (site.output / "archive/2025/06").exists()
    may = page(site, "archive/2025/05/index.html")
    assert may.xpath('.//a[@rel="prev"]')[0].get("href") == "../../../archive/2025/07/index.html"
    assert may.xpath('.//a[@rel="next"]')[0].get("href") == "../../../archive/2025/04/index.html"
    first = page(site, "archive/2024/11/index.html")
    assert not first.xpath('.//a[@rel="next"]')
    index = (site.output / "archive/index.html").read_text()
    assert all(f"archive/{y}/{m:02d}/index.html" in index for y, m in months)


def test_the_site_time_zone_puts_an_entry_on_its_own_day(
    site: Site, feed_server: FeedServer
) -> None:
    plus_one = timezone(timedelta(hours=1))
    items = [
        FeedItem(
            "Written on the 15th", "https://tz.example/1", datetime(2025, 4, 15, tzinfo=plus_one)
        ),
        FeedItem("Afternoon", "https://tz.example/2", datetime(2025, 4, 16, 14, 5, tzinfo=UTC)),
    ]
    site.write_blogroll(
        [feed_server.blog("Zone", "https://tz.example/", "/tz.xml", atom_feed, items)]
    )
    configure(site, site_keys='timezone = "Europe/London"')
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    river = (site.output / "index.html").read_text()
    day_15 = river.split('id="day-2025-04-15"')[1].split("</section>")[0]
    assert "Written on the 15th" in day_15
    assert "day-2025-04-14" not in river
    assert '<time datetime="2025-04-16T14:05:00+00:00">15:05</time>' in river
    assert ">00:00<" not in river


def test_a_blog_that_failed_once_is_not_broken_one_failing_for_a_day_is(
    site: Site, feed_server: FeedServer
) -> None:
    good = [FeedItem("Fine", "https://fine.example/1", day(1))]
    fine = feed_server.blog("Fine", "https://fine.example/", "/fine.xml", rss2_feed, good)
    site.write_blogroll([fine, ("Gone", "https://gone.example/", feed_server.url("/gone.xml"))])
    site.cli("refresh")
    site.cli("build")

    blogroll = (site.output / "blogroll.html").read_text()
    assert "health-broken" not in blogroll and "✗" not in blogroll
    assert "<strong>HTTP 404</strong>" in (site.output / "status.html").read_text()

    yesterday = datetime.now(UTC) - timedelta(days=1, minutes=5)
    site.query("UPDATE sources SET first_failure_at = :t WHERE url LIKE '%gone%'", t=yesterday)
    site.cli("build")

    blogroll = (site.output / "blogroll.html").read_text()
    assert blogroll.count("health-broken") == 1
    assert f'broken since <time datetime="{yesterday.isoformat()}">' in blogroll


def test_three_failures_in_a_row_are_broken(site: Site, feed_server: FeedServer) -> None:
    site.write_blogroll([("Gone", "https://gone.example/", feed_server.url("/gone.xml"))])
    for _ in range(3):
        site.cli("refresh", "--all")
    site.cli("build")

    assert "health-broken" in (site.output / "blogroll.html").read_text()


def test_own_posts_say_who_they_are_once_and_the_river_heading_is_not_the_site_title(
    site: Site, feed_server: FeedServer
) -> None:
    site.write_blogroll([])
    assert site.cli("build") == 0
    river = page(site, "index.html")

    own = river.xpath('.//article[contains(@class, "item-post")]')[0]
    assert own.xpath('.//span[@class="badge"]')[0].text == "own post"
    assert "Test Reading Room" not in own.text_content()
    assert "Test Owner" not in own.text_content()
    assert river.xpath(".//h1")[0].text_content() != "Test Reading Room"


def test_the_river_shows_full_sanitized_content_when_asked(
    site: Site, feed_server: FeedServer
) -> None:
    body = '<p>The <em>whole</em> post.</p><script>alert(1)</script><img src="https://x.example/a.png">'
    items = [FeedItem("Long read", "https://full.example/1", day(2), body)]
    site.write_blogroll(
        [feed_server.blog("Full", "https://full.example/", "/f.xml", atom_feed, items)]
    )
    configure(site, 'river = "full"')
    assert site.cli("refresh") == 0
    assert site.cli("build") == 0

    river = (site.output / "index.html").read_text()
    assert "The <em>whole</em> post." in river
    assert "<script" not in river
    assert 'loading="lazy"' in river and 'referrerpolicy="no-referrer"' in river


def test_status_page_is_cards_at_phone_width_with_breakable_urls(
    site: Site, feed_server: FeedServer
) -> None:
    site.write_blogroll(
        [("Gone", "https://gone.example/", feed_server.url("/a/very/long/feed-path.xml"))]
    )
    site.cli("refresh")
    site.cli("build")
    status = (site.output / "status.html").read_text()
    css = (site.output / "style.css").read_text()

    assert "/<wbr>a/<wbr>very/<wbr>long/<wbr>feed-path.<wbr>xml" in status
    assert 'data-label="Last fetched"' in status
    assert ".status-cards tr" in css and "time { white-space: nowrap; }" in css
