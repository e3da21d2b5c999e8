"""Feeds as the wild writes them: odd ids, links with spaces, shared guids, undated
backlogs, MathML, content by reference. Each is well-formed XML; what is odd is its values."""

from __future__ import annotations

from xml.sax.saxutils import escape

from tests.support.server import FeedServer

MATHML = (
    '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow><msup><mi>a</mi><mn>2</mn>'
    "</msup><mo>+</mo><msup><mi>b</mi><mn>2</mn></msup><mo>=</mo><msup><mi>c</mi><mn>2</mn>"
    "</msup></mrow></math>"
)
ENCLOSURE = '<enclosure url="http://127.0.0.1/media/ep 1.mp3" type="mp3" length="12"/>'
SHARED_ID = "urn:uuid:6b0a3f52-4d7c-4c59-9c43-2b4f0f3f1e11"


def rss(title: str, link: str, items: str, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link>{extra}{items}"
        "</channel></rss>\n"
    ).encode()


def item(
    title: str, link: str | None, guid: str, date: str | None, body: str = "", extra: str = ""
) -> str:
    parts = [f"<title>{escape(title)}</title>"]
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    parts.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    if body:
        parts.append(f"<description>{escape(body)}</description>")
    return "<item>" + "".join(parts) + extra + "</item>"


def wiki_feed(base: str, pages: int = 3, count: int = 12) -> bytes:
    """A wiki-style log: every entry its own guid, many of them linking to one page."""
    items = "".join(
        item(f"IV{600 + n}", f"{base}/page{n % pages}", f"wiki-{n}",
             f"Mon, {1 + n:02d} Jun 2026 08:00:00 +0000", f"Log entry {n}.")
        for n in range(count)
    )  # fmt: skip
    return rss("Wiki log", f"{base}/", items)


def backlog_feed(base: str, with_feed_date: bool) -> bytes:
    """A new blog's feed: two dated posts and undated pages (one with Hugo's 0001 date)."""
    items = (
        item("FAQ", f"{base}/faq/", "faq", None, "Questions.")
        + item("About", f"{base}/about/", "about", "Mon, 01 Jan 0001 00:00:00 +0000", "Me.")
        + item("Dated newer", f"{base}/2", "d2", "Tue, 02 Jun 2026 08:00:00 +0000", "Two.")
        + item("Dated older", f"{base}/1", "d1", "Mon, 01 Jun 2026 08:00:00 +0000", "One.")
    )
    extra = (
        "<lastBuildDate>Wed, 03 Jun 2026 08:00:00 +0000</lastBuildDate>" if with_feed_date else ""
    )
    return rss("Backlog blog", f"{base}/", items, extra)


def w3c_odd_feed(base: str) -> bytes:
    """Values taken from the kinds of mistakes the W3C validator's own test cases show."""
    items = (
        item("Link with spaces", f"{base}/a page with spaces.html", "id with spaces",
             "Mon, 01 Jun 2026 08:00:00 +0000", "Spaces.")
        + item("Broken uuid", f"{base}/uuid", "urn:uuid:not-a-uuid",
               "Mon, 01 Jun 2026 09:00:00 +0000", "Uuid.")
        + item("Episode", f"{base}/episode", "episode-1", "Mon, 01 Jun 2026 10:00:00 +0000",
               "Listen.", ENCLOSURE)
        + item("Title only", f"{base}/title-only", "title-only", "Mon, 01 Jun 2026 11:00:00 +0000")
        + item("Pythagoras", f"{base}/math", "math", "Mon, 01 Jun 2026 12:00:00 +0000",
               f"<p>It says {MATHML}.</p>")
        + item("Shared id here", f"{base}/shared", SHARED_ID, "Mon, 01 Jun 2026 13:00:00 +0000",
               "From the odd blog.")
    )  # fmt: skip
    return rss("Odd values", f"{base}/", items)


def copycat_feed(base: str) -> bytes:
    """Another blog whose template copied the odd blog's id."""
    items = item("Shared id there", f"{base}/shared", SHARED_ID,
                 "Mon, 01 Jun 2026 14:00:00 +0000", "From the copycat blog.")  # fmt: skip
    return rss("Copycat", f"{base}/", items)


def by_reference_feed(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>By reference</title><id>{base}/</id><link href="{base}/"/>'
        "<updated>2026-06-01T08:00:00Z</updated>"
        "<entry><title>Elsewhere</title><id>urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e</id>"
        "<updated>2026-06-01T08:00:00Z</updated><author><name>Ref</name></author>"
        f'<content type="text/html" src="{base}/elsewhere.html"/></entry></feed>\n'
    ).encode()


def serve_odd_world(server: FeedServer) -> list[tuple[str, str, str]]:
    """Serve every odd feed; (title, site, feed URL) for a blogroll."""
    base = server.url("").rstrip("/")
    feeds = {
        "wiki": wiki_feed(f"{base}/wiki"),
        "backlog": backlog_feed(f"{base}/backlog", with_feed_date=False),
        "odd": w3c_odd_feed(f"{base}/odd"),
        "copycat": copycat_feed(f"{base}/copycat"),
        "ref": by_reference_feed(f"{base}/ref"),
    }
    return [
        (name.title(), f"{base}/{name}/", server.serve(f"/{name}.xml", body))
        for name, body in feeds.items()
    ]
