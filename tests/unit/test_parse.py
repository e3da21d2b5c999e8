"""Feed parsing: response bytes and a URL become a ParsedFeed of clean entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from aggregator.errors import ParseError
from aggregator.models import ParsedEntry, ParsedFeed
from aggregator.parse import finish, looks_like_html, parse_feed
from tests.support.paths import DATA, SHARED

FEEDS = DATA / "feeds"
CORPUS = SHARED / "corpus" / "blogroll"
FEED_URL = "https://garden.example/feed.xml"


def load(name: str, url: str) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), url)


def rss_item(
    *,
    title: str | None = None,
    link: str | None = None,
    guid: str | None = None,
    date: str | None = None,
    description: str | None = None,
) -> str:
    parts = [
        f"<title>{title}</title>" if title is not None else "",
        f"<link>{link}</link>" if link is not None else "",
        f"<guid>{guid}</guid>" if guid is not None else "",
        f"<pubDate>{date}</pubDate>" if date is not None else "",
        f"<description>{description}</description>" if description is not None else "",
    ]
    return "<item>" + "".join(parts) + "</item>"


def rss_feed(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>Garden log</title><link>https://garden.example/</link>"
        "<description>Small notes</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def only_entry(*items: str) -> ParsedEntry:
    (entry,) = parse_feed(rss_feed(*items), FEED_URL).entries
    return entry


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- RSS 2.0 ---------------------------------------------------------------------------


def test_rss2_feed_title_and_site() -> None:
    feed = load("rss2.xml", "https://soil.example.net/index.xml")

    assert feed.title == "Soil Notes"
    assert feed.site_url == "https://soil.example.net/"
    assert len(feed.entries) == 2


def test_rss2_entry_fields() -> None:
    entry = load("rss2.xml", "https://soil.example.net/index.xml").entries[0]

    assert entry.key == "soil-2024-week-12"
    assert entry.url == "https://soil.example.net/2024/week-12/"
    assert entry.title == "Week 12 — the beans are up"
    assert entry.author == "Ada Gardener"
    assert entry.published == utc(2024, 3, 24, 17, 30)
    assert entry.updated == entry.published
    assert entry.summary == "The broad beans finally came up. See last week for the sowing."


def test_rss2_description_html_is_kept_and_relative_links_made_absolute() -> None:
    entry = load("rss2.xml", "https://soil.example.net/index.xml").entries[0]

    assert entry.content_html == (
        "<p>The <em>broad beans</em> finally came up. See "
        '<a href="https://soil.example.net/2024/week-11/" rel="noopener noreferrer">'
        "last week</a> for the sowing.</p>"
    )


def test_rss2_permalink_guid_is_the_key() -> None:
    entry = load("rss2.xml", "https://soil.example.net/index.xml").entries[1]

    assert entry.key == "https://soil.example.net/2024/week-11/"
    assert entry.published == utc(2024, 3, 17, 9, 0)


# -- Atom 1.0 ----------------------------------------------------------------------------


def test_atom_feed_title_and_site() -> None:
    feed = load("atom.xml", "https://mira.example.com/feed.xml")

    assert feed.title == "Mira's workbench"
    assert feed.site_url == "https://mira.example.com/"


def test_atom_entry_fields() -> None:
    entry = load("atom.xml", "https://mira.example.com/feed.xml").entries[0]

    assert entry.key == "tag:mira.example.com,2024:recap"
    assert entry.url == "https://mira.example.com/2024/02/recap.html"
    assert entry.title == "Recapping a VT220 monitor"
    assert entry.author == "Mira Tinker"
    assert entry.published == utc(2024, 2, 10, 8, 15)
    assert entry.updated == utc(2024, 2, 11, 9, 0)
    assert entry.summary == "Eleven capacitors and one stubborn screw."


def test_atom_html_content_resolves_against_xml_base() -> None:
    entry = load("atom.xml", "https://mira.example.com/feed.xml").entries[0]

    assert 'src="https://mira.example.com/2024/02/images/before.jpg"' in entry.content_html
    assert 'href="https://mira.example.com/parts.html"' in entry.content_html
    assert 'alt="dusty board"' in entry.content_html


def test_atom_xhtml_content_and_updated_only_date() -> None:
    entry = load("atom.xml", "https://mira.example.com/feed.xml").entries[1]

    assert entry.content_html == "<p>Switches from a <strong>broken</strong> board.</p>"
    assert entry.published == utc(2024, 1, 20, 8, 0)
    assert entry.updated == utc(2024, 1, 20, 8, 0)


def test_atom_entry_without_author_inherits_the_feed_author() -> None:
    # RFC 4287 §4.2.1: the feed's atom:author applies to entries that have none.
    entry = load("atom.xml", "https://mira.example.com/feed.xml").entries[1]

    assert entry.author == "Mira Tinker"


# -- RSS 1.0 / RDF ---------------------------------------------------------------------------


def test_rdf_feed_with_dublin_core_dates() -> None:
    feed = load("rdf.xml", "https://nightradio.example.fm/index.rdf")

    assert feed.title == "Night Radio"
    assert [entry.title for entry in feed.entries] == ["Mix 41: fog", "Mix 40: rain"]
    first, second = feed.entries
    assert first.key == "https://nightradio.example.fm/mix/41"
    assert first.published == utc(2023, 11, 6, 4, 0)
    assert first.author == "DJ Lowlight"
    assert second.published == utc(2023, 10, 29)
    assert second.author is None
    assert second.summary == "Field recordings from a porch."


# -- keys ------------------------------------------------------------------------------------


def test_item_without_guid_is_keyed_by_its_link() -> None:
    entry = only_entry(rss_item(title="Pruning", link="https://garden.example/pruning"))

    assert entry.key == "https://garden.example/pruning"


def test_item_without_guid_or_link_is_keyed_by_a_stable_hash_of_title_and_date() -> None:
    item = rss_item(title="Frost", date="Mon, 01 Apr 2024 06:00:00 GMT", description="Cold.")

    first = only_entry(item)
    again = only_entry(item)
    other_title = only_entry(item.replace("Frost", "Thaw"))
    other_date = only_entry(item.replace("06:00", "07:00"))

    assert first.url is None
    assert first.key.startswith("sha256:")
    assert first.key == again.key
    assert len({first.key, other_title.key, other_date.key}) == 3


def test_non_http_link_is_not_kept_as_the_url() -> None:
    entry = only_entry(rss_item(title="Old mirror", link="ftp://garden.example/old"))

    assert entry.url is None
    assert entry.key.startswith("sha256:")


def test_cdata_link_and_title_are_read() -> None:
    entry = only_entry(
        rss_item(
            title="<![CDATA[Beans & <i>peas</i>]]>",
            link="<![CDATA[https://garden.example/beans]]>",
        )
    )

    assert entry.title == "Beans & peas"
    assert entry.url == "https://garden.example/beans"


# -- titles -----------------------------------------------------------------------------------


def test_item_without_title_takes_one_from_its_content() -> None:
    text = (
        "&lt;p&gt;Short note about &lt;b&gt;bees&lt;/b&gt; in the orchard, which were busy "
        "all day long and very loud indeed.&lt;/p&gt;"
    )

    entry = only_entry(rss_item(link="https://garden.example/bees", description=text))

    assert entry.title.startswith("Short note about bees in the orchard")
    assert entry.title.endswith("…")
    assert len(entry.title) <= 60


def test_empty_item_is_skipped() -> None:
    feed = parse_feed(rss_feed("<item></item>", rss_item(title="Kept")), FEED_URL)

    assert [entry.title for entry in feed.entries] == ["Kept"]


def test_html_in_a_title_becomes_plain_text() -> None:
    entry = only_entry(rss_item(title="Tomatoes &amp;amp; &lt;em&gt;basil&lt;/em&gt;"))

    assert entry.title == "Tomatoes & basil"


def atom_entry_title(title_element: str) -> str:
    document = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f'<entry>{title_element}<id>urn:uuid:1</id><link href="https://garden.example/1"/>'
        "</entry></feed>"
    ).encode()
    return parse_feed(document, FEED_URL).entries[0].title


def test_atom_html_title_becomes_plain_text() -> None:
    title = atom_entry_title('<title type="html">Soil &amp;amp; &lt;em&gt;roots&lt;/em&gt;</title>')

    assert title == "Soil & roots"


@pytest.mark.parametrize(
    "feed_kind",
    ["atom-type-text", "rss-plain"],
)
def test_plain_text_title_keeps_angle_brackets(feed_kind: str) -> None:
    # RFC 4287 §3.1.1.1: type="text" content is text, not markup.
    escaped = "Understanding &lt;div&gt; vs &lt;span&gt;"
    if feed_kind == "atom-type-text":
        title = atom_entry_title(f'<title type="text">{escaped}</title>')
    else:
        title = only_entry(rss_item(title=escaped, link="https://garden.example/1")).title

    assert title == "Understanding <div> vs <span>"


# -- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Sun, 24 Mar 2024 18:30:00 +0100", utc(2024, 3, 24, 17, 30)),
        ("Sun, 24 Mar 2024 18:30:00 GMT", utc(2024, 3, 24, 18, 30)),
        ("Sun, 24 Mar 2024 13:30:00 EST", utc(2024, 3, 24, 18, 30)),
        ("2024-03-24T18:30:00Z", utc(2024, 3, 24, 18, 30)),
        ("Thurs, 30 May 2019 00:00:00 UTC", utc(2019, 5, 30)),
        ("Mon, 03 September 2022 00:00:00 GMT", utc(2022, 9, 3)),
        ("Mon, 01 Jan 0001 00:00:00 +0000", None),
        ("sometime last week", None),
        (None, None),
    ],
    ids=[
        "rfc822-offset",
        "rfc822-gmt",
        "rfc822-zone-name",
        "iso8601",
        "four-letter-day-name",
        "full-month-name",
        "hugo-zero-date",
        "unreadable",
        "missing",
    ],
)
def test_publication_date(written: str | None, expected: datetime | None) -> None:
    entry = only_entry(rss_item(title="Dated", link="https://garden.example/d", date=written))

    assert entry.published == expected
    assert entry.updated == expected
    if entry.published is not None:
        assert entry.published.tzinfo == UTC


# -- HTML in entries --------------------------------------------------------------------------


def test_entity_escaped_html_in_a_description_is_html() -> None:
    entry = only_entry(
        rss_item(
            title="Photo",
            link="https://garden.example/photo",
            description=(
                "\n  &lt;img src=&quot;https://garden.example/p.jpg&quot;/&gt;\n  &lt;br/&gt;\n"
                "  The shed, &amp;amp; its new roof.\n"
            ),
        )
    )

    assert '<img src="https://garden.example/p.jpg" alt=""' in entry.content_html
    assert "<br>" in entry.content_html
    assert "&amp;lt;" not in entry.content_html
    assert entry.summary == "The shed, & its new roof."


def test_content_encoded_is_the_content_and_description_the_summary() -> None:
    item = (
        '<item xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<title>Full</title><link>https://garden.example/full</link>"
        "<description>The short version.</description>"
        "<content:encoded>&lt;p&gt;The &lt;b&gt;long&lt;/b&gt; version.&lt;/p&gt;"
        "</content:encoded></item>"
    )

    entry = only_entry(item)

    assert entry.content_html == "<p>The <b>long</b> version.</p>"
    assert entry.summary == "The short version."


def test_a_description_that_is_the_content_gives_the_summary_from_its_clean_text() -> None:
    long = " ".join(f"word{n}" for n in range(200))
    entry = only_entry(
        rss_item(
            title="Long",
            link="https://garden.example/long",
            description=(
                f"&lt;p&gt;First &lt;em&gt;para&lt;/em&gt;graph.&lt;/p&gt;&lt;p&gt;{long}&lt;/p&gt;"
            ),
        )
    )

    # The text the search index takes, read once, and the summary cut from it.
    assert entry.content_text.startswith("First paragraph. word0 word1")
    assert entry.summary.startswith("First paragraph. word0")
    assert entry.summary.endswith("…")
    assert entry.content_text.startswith(entry.summary[:-1])


@pytest.mark.parametrize(
    ("hostile", "forbidden"),
    [
        ("&lt;script&gt;alert(1)&lt;/script&gt;", ["<script", "alert"]),
        ('&lt;img src="https://garden.example/i.png" onerror="alert(2)"&gt;', ["onerror"]),
        ('&lt;a href="javascript:alert(3)"&gt;click&lt;/a&gt;', ["javascript:"]),
        ('&lt;a href="JaVaScRiPt:alert(4)"&gt;click&lt;/a&gt;', ["javascript:"]),
        ('&lt;iframe src="https://evil.example/"&gt;&lt;/iframe&gt;', ["<iframe"]),
        ("&lt;style&gt;body{display:none}&lt;/style&gt;", ["<style", "display:none"]),
    ],
    ids=["script", "onerror", "javascript-link", "mixed-case-javascript", "iframe", "style"],
)
def test_dangerous_html_in_content_is_removed(hostile: str, forbidden: list[str]) -> None:
    entry = only_entry(
        rss_item(
            title="Hostile",
            link="https://garden.example/h",
            description=f"&lt;p&gt;Kept text.&lt;/p&gt;{hostile}",
        )
    )

    assert "<p>Kept text.</p>" in entry.content_html
    for word in forbidden:
        assert word not in entry.content_html.lower()
        assert word not in entry.summary.lower()


def test_javascript_link_keeps_its_text_but_loses_its_href() -> None:
    entry = only_entry(
        rss_item(
            title="Link",
            link="https://garden.example/l",
            description='&lt;a href="javascript:alert(3)"&gt;click here&lt;/a&gt;',
        )
    )

    assert entry.content_html == '<a rel="noopener noreferrer">click here</a>'


# -- not a feed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02garbage\xff\xfe",
        b"",
        b"not xml at all",
        b'{"version": "https://jsonfeed.org/version/1.1"}',
        b"<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>",
    ],
    ids=["binary", "empty", "text", "json", "html-page"],
)
def test_content_that_is_not_a_feed_raises_parse_error_naming_the_url(content: bytes) -> None:
    url = "https://broken.example/feed.xml"

    with pytest.raises(ParseError) as caught:
        parse_feed(content, url)

    assert str(caught.value).startswith(url + ": ")
    assert "\n" not in str(caught.value)
    assert caught.value.kind == "parse"


# -- looks_like_html --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<!DOCTYPE html>\n<html lang='en'><head></head></html>", True),
        (b"<!doctype html><title>x</title>", True),
        (b"\n\n   <html><body>hi</body></html>", True),
        (b"<HTML><BODY>SHOUTING</BODY></HTML>", True),
        (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n'
         b'<html xmlns="http://www.w3.org/1999/xhtml"><head></head></html>', True),
        (b"<!-- generated -->\n<!DOCTYPE HTML>\n<HTML>", True),
        (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', False),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', False),
        (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"></rdf:RDF>', False),
        (b"", False),
    ],
    ids=[
        "doctype",
        "lowercase-doctype",
        "leading-whitespace",
        "uppercase-html",
        "xhtml-with-xml-declaration",
        "comment-first",
        "rss",
        "atom",
        "rdf",
        "empty",
    ],
)  # fmt: skip
def test_looks_like_html(content: bytes, expected: bool) -> None:
    assert looks_like_html(content) is expected


def test_feed_with_html_inside_cdata_does_not_look_like_html() -> None:
    feed = rss_feed(
        rss_item(title="Pasted", description="<![CDATA[<html><body>whole page</body></html>]]>")
    )

    assert looks_like_html(feed) is False


# -- real feeds -------------------------------------------------------------------------------

CORPUS_FEEDS = {
    "xxiivv": ("https://wiki.xxiivv.com/links/rss.xml", 60),
    "100r-log": ("https://100r.co/links/log.xml", 1),
    "sander": ("https://sander.ai/feed.xml", 10),
    "lilianweng": ("https://lilianweng.github.io/index.xml", 53),
    "colah": ("http://colah.github.io/rss.xml", 6),
}


def corpus_feed(name: str) -> ParsedFeed:
    path = CORPUS / f"{name}.xml"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    url, _ = CORPUS_FEEDS[name]
    return parse_feed(path.read_bytes(), url)


@pytest.mark.parametrize("name", sorted(CORPUS_FEEDS))
def test_real_feed_entry_count(name: str) -> None:
    _, expected = CORPUS_FEEDS[name]

    assert len(corpus_feed(name).entries) == expected


@pytest.mark.parametrize("name", sorted(CORPUS_FEEDS))
def test_real_feed_entries_are_clean(name: str) -> None:
    feed = corpus_feed(name)
    now = datetime.now(UTC)

    assert feed.title
    assert len({entry.key for entry in feed.entries}) == len(feed.entries)
    for entry in feed.entries:
        assert entry.title.strip(), entry.key
        assert entry.url is not None and entry.url.startswith("http"), entry.key
        for moment in (entry.published, entry.updated):
            if moment is not None:
                assert moment.tzinfo == UTC, entry.key
                assert moment <= now, entry.key
        lowered = entry.content_html.lower()
        assert "<script" not in lowered
        assert "javascript:" not in lowered


def test_real_feed_quirks() -> None:
    xxiivv = corpus_feed("xxiivv")
    colah = corpus_feed("colah")
    lilianweng = corpus_feed("lilianweng")
    hundred = corpus_feed("100r-log")

    assert xxiivv.entries[0].title == "Minamiise — Shannon Entropy"
    assert xxiivv.entries[0].content_html.startswith("<img src=")
    assert colah.entries[0].published == utc(2019, 5, 30)
    assert lilianweng.entries[-1].title == "FAQ"
    assert lilianweng.entries[-1].published is None
    assert all(entry.published is not None for entry in lilianweng.entries[:-1])
    assert hundred.site_url == "https://100r.co/"


def test_json_feed_ids_are_disambiguated_like_xml_ones() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "1", "url": "https://j.example/a", "title": "A"},
                {"id": "1", "url": "https://j.example/b", "title": "B"},
                {"id": "2", "url": "https://j.example/c", "title": "C"},
            ],
        }
    ).encode()
    parsed = parse_feed(body, "https://j.example/feed.json")
    assert [e.key for e in parsed.entries] == [
        "1 https://j.example/a",
        "1 https://j.example/b",
        "2",
    ]
    assert all("content_hash" in vars(e) for e in parsed.entries)


def test_the_shared_pass_is_the_same_for_json_and_xml() -> None:
    entries = (
        ParsedEntry("1", "https://x.example/a", "A", None, None, None, "", "<p>a</p>"),
        ParsedEntry("1", "https://x.example/b", "B", None, None, None, "", "<p>b</p>"),
    )
    finished = finish(ParsedFeed(title=None, site_url=None, entries=entries))
    assert [e.key for e in finished.entries] == ["1 https://x.example/a", "1 https://x.example/b"]
