"""How sources are fetched: each HTTP behaviour against a real server on 127.0.0.1.

Tests that depend on time drive an App with an explicit clock.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from aggregator.app import App
from aggregator.errors import AddressRefused, RedirectError
from aggregator.fetch.http import Fetcher
from aggregator.fetch.ssrf import AddressPolicy
from aggregator.metrics import Metrics
from aggregator.models import Fetched, FetchResult, NotModified, Source
from aggregator.settings import FetchSettings, load_settings
from aggregator.update.pipeline import refresh
from tests.support.feeds import FeedItem, day, rss2_feed
from tests.support.server import FeedServer
from tests.support.site import Site

NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def blog_feed(title: str = "Blog", n: int = 2, extra: str = "") -> bytes:
    items = [
        FeedItem(f"{title} post {i}", f"https://blog.example/{i}", day(1 + i)) for i in range(n)
    ]
    feed = rss2_feed(title, "https://blog.example/", items)
    return feed.replace(
        b"<description>A test blog</description>",
        extra.encode() + b"<description>A test blog</description>",
        1,
    )


def only_source(app: App) -> Source:
    (source,) = app.store.list_sources()
    return source


def entry_count(app: App) -> int:
    return sum(s.entry_count for s in app.store.list_sources(include_retired=True))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def app_for(site: Site, clock: Clock) -> App:
    return App(load_settings(site.config), clock=clock)


# -- conditional GET and unchanged bodies ---------------------------------------------------


def test_a_200_with_the_same_body_counts_as_not_modified(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.serve("/feed.xml", blog_feed(), conditional=False)
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    with app_for(site, clock) as app:
        assert app.refresh().count("ok") == 1
        stored = only_source(app)
        second = app.refresh(every=True)
        assert second.count("not_modified") == 1
        assert second.new == second.updated == 0
        assert only_source(app).body_hash == stored.body_hash
    assert len(feed_server.requests_to("/feed.xml")) == 2


def test_both_validators_are_sent_when_both_are_known(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.serve("/feed.xml", blog_feed())
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        app.refresh(every=True)
    second = feed_server.requests_to("/feed.xml")[1]
    assert second.headers["If-None-Match"] == feed_server.routes["/feed.xml"].etag
    assert second.headers["If-Modified-Since"] == "Sun, 01 Mar 2026 00:00:00 GMT"
    assert second.status == 304


def test_a_feed_is_fetched_without_the_cookies_a_server_set(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.serve(
        "/feed.xml", blog_feed(), headers={"Set-Cookie": "visitor=1; Path=/"}, conditional=False
    )
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        app.refresh(every=True)
    assert [r.headers.get("Cookie") for r in feed_server.requests_to("/feed.xml")] == [None, None]


# -- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_moves_the_source_and_keeps_the_old_url(
    site: Site, feed_server: FeedServer, clock: Clock, status: int
) -> None:
    new = feed_server.serve("/new.xml", blog_feed())
    old = feed_server.serve("/old.xml", b"", status=status, headers={"Location": "/new.xml"})
    site.write_blogroll([("Blog", "https://blog.example/", old)])
    with app_for(site, clock) as app:
        app.refresh()
        source = only_source(app)
        assert source.feed_url == new
        assert source.aliases == (old,)
        assert source.state(clock()) == "moved"
        assert source.entry_count == 2
        # The owner updates the blogroll to the new URL: still one source, no duplicates.
        site.write_blogroll([("Blog", "https://blog.example/", new)])
        app.refresh(every=True)
        assert len(app.store.list_sources(include_retired=True)) == 1
        assert entry_count(app) == 2
    assert len(feed_server.requests_to("/old.xml")) == 1
    assert len(feed_server.requests_to("/new.xml")) == 2


@pytest.mark.parametrize("status", [302, 307])
def test_a_temporary_redirect_is_followed_without_moving_the_source(
    site: Site, feed_server: FeedServer, clock: Clock, status: int
) -> None:
    feed_server.serve("/today.xml", blog_feed())
    old = feed_server.serve("/feed.xml", b"", status=status, headers={"Location": "/today.xml"})
    site.write_blogroll([("Blog", "https://blog.example/", old)])
    with app_for(site, clock) as app:
        app.refresh()
        app.refresh(every=True)
        source = only_source(app)
        assert source.feed_url == old
        assert source.aliases == ()
        assert source.entry_count == 2
    assert len(feed_server.requests_to("/feed.xml")) == 2


def test_a_permanent_redirect_after_a_temporary_one_does_not_move_the_source(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    feed_server.serve("/final.xml", blog_feed())
    feed_server.serve("/hop.xml", b"", status=301, headers={"Location": "/final.xml"})
    first = feed_server.serve("/feed.xml", b"", status=302, headers={"Location": "/hop.xml"})
    site.write_blogroll([("Blog", "https://blog.example/", first)])
    with app_for(site, clock) as app:
        app.refresh()
        assert only_source(app).feed_url == first


def test_redirect_loops_and_long_chains_are_errors(feed_server: FeedServer) -> None:
    feed_server.serve("/a", b"", status=301, headers={"Location": "/b"})
    feed_server.serve("/b", b"", status=302, headers={"Location": "/a"})
    for i in range(7):
        feed_server.serve(f"/hop{i}", b"", status=302, headers={"Location": f"/hop{i + 1}"})
    feed_server.serve("/hop7", blog_feed())
    fetcher = loopback_fetcher()
    with pytest.raises(RedirectError, match="redirect loop"):
        fetcher.fetch(feed_server.url("/a"))
    with pytest.raises(RedirectError, match="more than 5 redirects"):
        fetcher.fetch(feed_server.url("/hop0"))
    assert len(feed_server.requests_to("/hop5")) == 1
    assert feed_server.requests_to("/hop6") == []
    # Exactly five hops is fine.
    assert isinstance(fetcher.fetch(feed_server.url("/hop2")), Fetched)


def test_a_redirect_to_another_scheme_is_refused(feed_server: FeedServer) -> None:
    feed_server.serve("/feed.xml", b"", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(RedirectError, match="only http and https"):
        loopback_fetcher().fetch(feed_server.url("/feed.xml"))


# -- 410 Gone ---------------------------------------------------------------------------------


def test_a_gone_feed_is_no_longer_fetched_until_retried(
    site: Site, feed_server: FeedServer, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    url = feed_server.serve("/feed.xml", blog_feed())
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        feed_server.serve("/feed.xml", b"gone", status=410)
        assert app.refresh(every=True).count("gone") == 1
        assert only_source(app).state(clock()) == "gone"
        clock.advance(timedelta(days=30))
        assert app.refresh(every=True).sources == ()
        assert only_source(app).entry_count == 2
    assert len(feed_server.requests_to("/feed.xml")) == 2

    capsys.readouterr()
    site.cli("status")
    status_line = capsys.readouterr().out
    assert "state=gone" in status_line
    assert "next=never (gone)" in status_line

    feed_server.serve("/feed.xml", blog_feed())
    assert site.cli("sources", "retry", url) == 0
    assert "will be fetched" in capsys.readouterr().out
    site.cli("refresh")
    assert len(feed_server.requests_to("/feed.xml")) == 3
    capsys.readouterr()
    site.cli("status", "--json")
    (status,) = json.loads(capsys.readouterr().out)
    assert status["state"] == "not_modified"  # back, with the same feed as before
    assert status["gone_at"] is None


def test_retrying_an_unknown_source_is_a_clear_error(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.cli("sources", "retry", "https://nowhere.example/feed") == 1
    assert "no such source" in capsys.readouterr().err


# -- errors and backoff -----------------------------------------------------------------------


def test_failures_back_off_exponentially_up_to_a_cap_and_recover(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.serve("/feed.xml", b"down", status=500)
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    delays = []
    with app_for(site, clock) as app:
        first_failure = clock()
        for _ in range(9):
            app.refresh()
            source = only_source(app)
            assert source.next_check_at is not None
            delays.append(source.next_check_at - clock())
            clock.now = source.next_check_at
        assert source.failure_count == 9
        assert source.first_failure_at == first_failure
        assert source.last_failure_at is not None and source.last_failure_at > first_failure
        assert source.state(clock()) == "failing"
        assert source.last_error_kind == "http"

        base = timedelta(minutes=30)  # the shortest interval: nothing is known about the source yet
        for n, delay in enumerate(delays[:5]):
            assert base * 2**n * 0.8 <= delay <= base * 2**n
        assert all(delay <= timedelta(days=1) for delay in delays)
        assert delays[-1] >= timedelta(days=1) * 0.8

        feed_server.serve("/feed.xml", blog_feed())
        app.refresh()
        source = only_source(app)
        assert source.failure_count == 0
        assert source.first_failure_at is None
        assert source.state(clock()) == "ok"
    assert len(feed_server.requests_to("/feed.xml")) == 10


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_holds_back_only_that_source(
    site: Site, feed_server: FeedServer, clock: Clock, status: int, form: str
) -> None:
    wait = timedelta(hours=3)
    value = "10800" if form == "seconds" else format_datetime(clock() + wait, usegmt=True)
    limited = feed_server.serve(
        "/busy.xml", b"slow down", status=status, headers={"Retry-After": value}
    )
    other = feed_server.serve("/other.xml", blog_feed("Other"))
    site.write_blogroll(
        [("Busy", "https://busy.example/", limited), ("Other", "https://other.example/", other)]
    )
    with app_for(site, clock) as app:
        app.refresh()
        busy = app.store.find_source(limited)
        assert busy is not None and busy.state(clock()) == "rate_limited"
        assert busy.retry_after == clock() + wait
        clock.advance(wait - timedelta(minutes=1))
        app.refresh(every=True)  # even --all does not go before Retry-After
        assert len(feed_server.requests_to("/busy.xml")) == 1
        assert len(feed_server.requests_to("/other.xml")) == 2
        clock.advance(timedelta(minutes=2))
        app.refresh(every=True)
    assert len(feed_server.requests_to("/busy.xml")) == 2


# -- freshness and adaptive intervals ---------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "headers", "at_least"),
    [
        ("<ttl>600</ttl>", {}, timedelta(minutes=600)),
        (
            '<sy:updatePeriod xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">daily'
            "</sy:updatePeriod>",
            {},
            timedelta(days=1),
        ),
        ("", {"Cache-Control": "public, max-age=43200"}, timedelta(hours=12)),
        (
            "",
            {"Expires": format_datetime(NOW + timedelta(hours=20), usegmt=True)},
            timedelta(hours=20),
        ),
    ],
    ids=["rss-ttl", "sy-update-period", "cache-control", "expires"],
)
def test_the_publisher_s_interval_is_never_undercut(
    site: Site,
    feed_server: FeedServer,
    clock: Clock,
    extra: str,
    headers: dict[str, str],
    at_least: timedelta,
) -> None:
    # Many recent entries would otherwise call for the shortest interval.
    items = [
        FeedItem(f"Post {i}", f"https://busy.example/{i}", NOW - timedelta(hours=i))
        for i in range(50)
    ]
    body = rss2_feed("Busy", "https://busy.example/", items).replace(
        b"<description>A test blog</description>",
        extra.encode() + b"<description>x</description>",
        1,
    )
    url = feed_server.serve("/feed.xml", body, headers=headers)
    site.write_blogroll([("Busy", "https://busy.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        source = only_source(app)
    assert source.next_check_at is not None
    assert source.next_check_at - clock() >= at_least


@pytest.mark.parametrize(
    ("entries_last_week", "expected"),
    [(0, timedelta(days=1)), (14, timedelta(hours=12)), (500, timedelta(minutes=30))],
)
def test_the_next_check_follows_the_posting_frequency(
    site: Site, feed_server: FeedServer, clock: Clock, entries_last_week: int, expected: timedelta
) -> None:
    recent = [
        FeedItem(f"New {i}", f"https://b.example/n{i}", NOW - timedelta(minutes=10 + i))
        for i in range(entries_last_week)
    ]
    old = [FeedItem("Old", "https://b.example/old", NOW - timedelta(days=40))]
    url = feed_server.serve("/feed.xml", rss2_feed("B", "https://b.example/", recent + old))
    site.write_blogroll([("B", "https://b.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        source = only_source(app)
    assert source.next_check_at is not None
    assert expected * 0.9 <= source.next_check_at - clock() <= expected * 1.1
    assert source.interval == expected


def test_a_scheduled_refresh_fetches_only_due_sources(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.serve("/feed.xml", blog_feed())
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        next_check = only_source(app).next_check_at
        assert next_check is not None
        clock.now = next_check - timedelta(seconds=1)
        assert app.refresh().sources == ()
        clock.now = next_check
        assert len(app.refresh().sources) == 1


# -- limits ----------------------------------------------------------------------------------


def test_gzip_and_deflate_bodies_are_decoded(feed_server: FeedServer) -> None:
    body = blog_feed()
    feed_server.serve("/gz", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    feed_server.serve("/deflate", zlib.compress(body), headers={"Content-Encoding": "deflate"})
    for path in ("/gz", "/deflate"):
        result = loopback_fetcher().fetch(feed_server.url(path))
        assert isinstance(result, Fetched)
        assert result.content == body


def test_a_gzip_bomb_is_cut_off_and_nothing_is_stored(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * (3 * 1024 * 1024))
    assert len(bomb) < 10_000
    url = feed_server.serve("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    site.write_blogroll([("Bomb", "https://bomb.example/", url)])
    site.set_fetch(max_bytes=1024 * 1024)
    with app_for(site, clock) as app:
        app.refresh()
        source = only_source(app)
    assert source.last_error_kind == "too_large"
    assert "limit of 1048576 bytes" in (source.last_error or "")
    assert source.entry_count == 0


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    feed_server: FeedServer,
) -> None:
    feed_server.serve("/big.xml", b"x" * 5000)
    fetcher = loopback_fetcher(max_bytes=1000)
    with pytest.raises(Exception, match="over the limit of 1000"):
        fetcher.fetch(feed_server.url("/big.xml"))


def test_a_slow_drip_hits_the_total_deadline(feed_server: FeedServer) -> None:
    feed_server.serve("/drip.xml", blog_feed(n=20), chunk_delay=0.3)
    fetcher = loopback_fetcher(read_timeout=1.0, total_timeout=0.8)
    with pytest.raises(Exception, match=r"longer than 0\.8 s in total"):
        fetcher.fetch(feed_server.url("/drip.xml"))


def test_requests_to_one_host_are_limited_but_other_hosts_proceed(
    site: Site, feed_server: FeedServer, other_host_server: FeedServer, clock: Clock
) -> None:
    blogs = []
    for i in range(6):
        feed_server.serve(f"/f{i}.xml", blog_feed(f"A{i}"), delay=0.3)
        other_host_server.serve(f"/f{i}.xml", blog_feed(f"B{i}"), delay=0.3)
        blogs.append((f"A{i}", f"https://a{i}.example/", feed_server.url(f"/f{i}.xml")))
        blogs.append((f"B{i}", f"https://b{i}.example/", other_host_server.url(f"/f{i}.xml")))
    site.write_blogroll(blogs)
    site.set_fetch(workers=12, per_host=2)
    with app_for(site, clock) as app:
        assert app.refresh().count("ok") == 12
    assert feed_server.max_in_flight == 2
    assert other_host_server.max_in_flight == 2


def test_feeds_on_one_host_share_connections_that_are_closed_after_the_refresh(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    blogs = []
    for i in range(8):
        feed_server.serve(f"/f{i}.xml", blog_feed(f"A{i}"))
        blogs.append((f"A{i}", f"https://a{i}.example/", feed_server.url(f"/f{i}.xml")))
    site.write_blogroll(blogs)
    site.set_fetch(workers=4, per_host=2)
    with app_for(site, clock) as app:
        assert app.refresh().count("ok") == 8
        # Both answers, bodies and 304s, leave their connection for the next request.
        clock.advance(timedelta(days=2))
        assert app.refresh(every=True).count("not_modified") == 8
        assert feed_server.connections <= 4
        # None is kept open from one refresh to the next, where it may have gone stale.
        deadline = time.monotonic() + 5
        while feed_server.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert feed_server.open_connections == 0


# -- the SSRF guard ---------------------------------------------------------------------------


def loopback_fetcher(**settings: object) -> Fetcher:
    values: dict[str, object] = {"allow_networks": ("127.0.0.0/8",), "read_timeout": 2.0}
    values.update(settings)
    return Fetcher(FetchSettings(**values), "http://127.0.0.1:8080/")  # type: ignore[arg-type]


def test_by_default_a_name_resolving_to_loopback_is_refused_before_connecting(
    feed_server: FeedServer,
) -> None:
    feed_server.serve("/feed.xml", blog_feed())
    port = feed_server.httpd.server_address[1]
    fetcher = Fetcher(FetchSettings(), "http://127.0.0.1:8080/")
    with pytest.raises(AddressRefused) as refused:
        fetcher.fetch(f"http://localhost:{port}/feed.xml")
    message = str(refused.value)
    assert "a loopback address" in message
    assert "allow_networks" in message
    assert feed_server.seen == []


def test_a_redirect_to_a_loopback_address_that_is_not_allowed_is_refused(
    feed_server: FeedServer, other_host_server: FeedServer
) -> None:
    target = other_host_server.serve("/internal", blog_feed())
    feed_server.serve("/feed.xml", b"", status=302, headers={"Location": target})
    fetcher = Fetcher(FetchSettings(allow_networks=("127.0.0.1/32",)), "http://127.0.0.1:8080/")
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.2, a loopback address"):
        fetcher.fetch(feed_server.url("/feed.xml"))
    assert len(feed_server.requests_to("/feed.xml")) == 1
    assert other_host_server.seen == []


def test_the_refusal_is_recorded_on_the_source(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.serve("/feed.xml", blog_feed())
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    site.set_fetch(allow_networks=[])
    with app_for(site, clock) as app:
        app.refresh()
        source = only_source(app)
    assert source.last_error_kind == "refused"
    assert "allow_networks" in (source.last_error or "")
    assert feed_server.seen == []


@pytest.mark.parametrize(
    ("address", "allowed", "reason"),
    [
        ("10.1.2.3", (), "private"),
        ("10.1.2.3", ("127.0.0.0/8",), "private"),
        ("192.168.0.10", (), "private"),
        ("172.16.5.4", (), "private"),
        ("169.254.169.254", (), "link-local"),
        ("127.0.0.2", ("127.0.0.1/32",), "loopback"),
        ("127.0.0.2", ("127.0.0.0/8",), None),
        ("::1", (), "loopback"),
        ("::ffff:10.0.0.1", (), "private"),
        ("fe80::1", (), "link-local"),
        ("224.0.0.1", (), "multicast"),
        ("0.0.0.0", (), "unspecified"),
        ("93.184.215.14", (), None),
        ("2606:4700::1111", (), None),
    ],
)
def test_the_address_policy(address: str, allowed: tuple[str, ...], reason: str | None) -> None:
    policy = AddressPolicy.from_strings(allowed)
    refusal = policy.refusal(ipaddress.ip_address(address))
    if reason is None:
        assert refusal is None
    else:
        assert refusal is not None and reason in refusal


def test_only_http_and_https_are_fetched() -> None:
    fetcher = loopback_fetcher()
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://127.0.0.1/"):
        with pytest.raises(RedirectError, match="only http and https"):
            fetcher.fetch(url)


def test_the_fetcher_reports_not_modified_with_the_new_validators(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", blog_feed())
    fetcher = loopback_fetcher()
    first = fetcher.fetch(url)
    assert isinstance(first, Fetched)
    second = fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert isinstance(second, NotModified)
    assert second.etag == first.etag


def test_a_corrupt_compressed_body_is_a_clear_error(feed_server: FeedServer) -> None:
    feed_server.serve("/bad.gz", b"this is not gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(Exception, match="cannot decode the compressed body"):
        loopback_fetcher().fetch(feed_server.url("/bad.gz"))


# -- a discovered feed that moved without a redirect ------------------------------------------


def homepage(feed_path: str) -> bytes:
    return (
        b'<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="'
        + feed_path.encode()
        + b'"></head><body>A blog</body></html>'
    )


def test_a_discovered_feed_failing_for_days_is_looked_for_again_on_the_homepage(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    feed_server.serve("/old.xml", blog_feed("Old"))
    home = feed_server.serve("/", homepage("/old.xml"), content_type="text/html")
    (site.root / "blogroll.md").write_text(f"### Friends\n- [Moving blog]({home}) - it moves\n")
    with app_for(site, clock) as app:
        app.refresh()
        assert only_source(app).feed_url == feed_server.url("/old.xml")

        # The blog moves its feed without a redirect; the old one now answers 404.
        feed_server.serve("/old.xml", b"gone", status=404)
        feed_server.serve("/new.xml", blog_feed("New", n=3))
        feed_server.serve("/", homepage("/new.xml"), content_type="text/html")
        first_failure = clock()
        app.refresh(every=True)
        clock.advance(timedelta(days=1))
        app.refresh(every=True)
        assert only_source(app).state(clock()) == "failing"
        assert feed_server.requests_to("/new.xml") == []  # not looked for yet

        clock.now = first_failure + timedelta(days=3)
        app.refresh(every=True)
        source = only_source(app)
    assert source.feed_url == feed_server.url("/new.xml")
    assert source.state(clock()) == "ok"
    assert source.entry_count == 3  # posts 0 and 1 keep their links: updated, not added
    assert len(feed_server.requests_to("/new.xml")) == 1


def test_a_feed_the_owner_gave_is_not_replaced_by_discovery(
    site: Site, feed_server: FeedServer, clock: Clock
) -> None:
    feed = feed_server.serve("/given.xml", b"down", status=500)
    feed_server.serve("/other.xml", blog_feed("Other"))
    home = feed_server.serve("/", homepage("/other.xml"), content_type="text/html")
    site.write_blogroll([("Blog", home, feed)])
    with app_for(site, clock) as app:
        app.refresh()
        clock.advance(timedelta(days=5))
        app.refresh(every=True)
        assert only_source(app).feed_url == feed
    assert feed_server.requests_to("/") == []


# -- a bug here is not the source's fault ----------------------------------------------------


class BuggyFetcher(Fetcher):
    """A fetcher with a fault of ours in it: it raises something no source can cause."""

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        raise KeyError("a bug")


def test_a_bug_is_logged_with_its_traceback_and_not_recorded_on_the_source(
    site: Site, feed_server: FeedServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    url = feed_server.serve("/feed.xml", b"down", status=500)
    site.write_blogroll([("Blog", "https://blog.example/", url)])
    with app_for(site, clock) as app:
        app.refresh()
        before = only_source(app)
        assert before.failure_count == 1
        clock.advance(timedelta(hours=1))
        buggy = BuggyFetcher(app.settings.fetch, app.settings.site.url)
        outcome = refresh(app.settings, app.store, buggy, clock, every=True)
        after = only_source(app)
    assert [(s.result, s.error) for s in outcome.sources] == [("bug", "KeyError: 'a bug'")]
    assert after == before, "the source keeps its state and is tried again next time"
    (record,) = [r for r in caplog.records if "bug" in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    metrics = Metrics()
    metrics.refreshed(outcome)
    assert b"aggregator_pipeline_bugs_total 1.0" in metrics.render()
