"""The search index: entries and own posts, SQLite FTS5 or PostgreSQL full-text search.

Two tables, created by migration 0008: ``entry_search`` (one row per entry, the
entry's id as its rowid or ``entry_id``) and ``post_search`` (the own posts, written
again by every build: they live in files, not in the store). Both hold plain text:
HTML is turned into text here, so that ``<table>`` does not match "table". The
store writes ``entry_search`` in the same transaction as the entries themselves
(``store_feed``, ``prune``); on PostgreSQL a generated ``tsvector`` column with a
GIN index follows each row, on SQLite the FTS5 table is the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.types import Integer, String

from aggregator.search.query import SearchQuery
from aggregator.store.bulk import mark, raw_cursor
from aggregator.store.rows import StoreBase
from aggregator.store.schema import UTCDateTime

#: Text of one document beyond this is not indexed: PostgreSQL caps a tsvector at 1 MB.
MAX_INDEXED_CHARS = 100_000
#: How much more a word in the title counts than one in the summary, and in the content.
_SQLITE_WEIGHTS = "10.0, 2.0, 1.0"


@dataclass(frozen=True)
class PostDocument:
    """An own post as the index holds it."""

    #: The post's page relative to the site root (``posts/SLUG/``).
    path: str
    title: str
    summary: str
    content_html: str
    published: datetime


@dataclass(frozen=True)
class SearchHit:
    kind: Literal["entry", "post"]
    title: str
    #: An entry's own link (None when it has none); a post's page relative to the site root.
    url: str | None
    #: The blog's name; empty for an own post.
    source_title: str
    published: datetime
    #: The plain text the excerpt is taken from: the content, else the summary.
    text: str


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    #: How many documents match, on every page together.
    total: int


def entry_document(id: int, title: str, summary: str, content_text: str) -> dict[str, Any]:
    """The row of ``entry_search`` for one entry; ``content_text`` is its content as plain
    text (``ParsedEntry.content_text``)."""
    return {
        "id": id,
        "title": title,
        "summary": summary[:MAX_INDEXED_CHARS],
        "content": content_text[:MAX_INDEXED_CHARS],
    }


def write_entry_documents(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Index (again) the entries of ``rows`` (``entry_document``), replacing their old rows."""
    if not rows:
        return
    delete_entry_documents(connection, [r["id"] for r in rows])
    # Through the DBAPI cursor: plain text and integers bind as they are, and SQLAlchemy's
    # per-row parameter building cost more than the insert (once per changed feed).
    m = mark(connection)
    with raw_cursor(connection) as cursor:
        cursor.executemany(
            f"INSERT INTO entry_search ({_id_column(connection)}, title, summary, content) "
            f"VALUES ({m}, {m}, {m}, {m})",
            [(r["id"], r["title"], r["summary"], r["content"]) for r in rows],
        )


def delete_entry_documents(connection: Connection, ids: Sequence[int]) -> None:
    """Remove entries from the index (PostgreSQL also cascades; FTS5 has no foreign keys)."""
    if not ids:
        return
    with raw_cursor(connection) as cursor:
        # One executemany by id: as cheap as an IN list for the database, and without
        # SQLAlchemy expanding and caching a statement per number of ids.
        cursor.executemany(
            f"DELETE FROM entry_search WHERE {_id_column(connection)} = {mark(connection)}",
            [(id,) for id in ids],
        )


def _id_column(connection: Connection) -> str:
    return "rowid" if connection.dialect.name == "sqlite" else "entry_id"


_SQLITE_SEARCH = f"""
WITH hits AS (
  SELECT 'entry' AS kind, e.id AS ref, e.title AS title, e.url AS url,
         coalesce(s.title, s.feed_title, s.site_url, s.url) AS source_title,
         e.sort_at AS published, coalesce(nullif(d.content, ''), d.summary) AS body,
         bm25(entry_search, {_SQLITE_WEIGHTS}) AS rank
  FROM entry_search AS d
  JOIN entries AS e ON e.id = d.rowid
  JOIN sources AS s ON s.id = e.source_id
  WHERE entry_search MATCH :query AND s.active
  UNION ALL
  SELECT 'post', p.rowid, p.title, p.path, '', p.published,
         coalesce(nullif(p.content, ''), p.summary), bm25(post_search, {_SQLITE_WEIGHTS})
  FROM post_search AS p
  WHERE post_search MATCH :query
)
SELECT kind, title, url, source_title, published, body, count(*) OVER () AS total
FROM hits ORDER BY rank, published DESC, ref DESC
LIMIT :limit OFFSET :offset
"""

_POSTGRES_SEARCH = """
WITH q AS (SELECT websearch_to_tsquery('simple', :query) AS query),
hits AS (
  SELECT 'entry' AS kind, e.id AS ref, e.title AS title, e.url AS url,
         coalesce(s.title, s.feed_title, s.site_url, s.url) AS source_title,
         e.sort_at AS published, coalesce(nullif(d.content, ''), d.summary) AS body,
         ts_rank(d.document, q.query) AS rank
  FROM entry_search AS d
  JOIN entries AS e ON e.id = d.entry_id
  JOIN sources AS s ON s.id = e.source_id
  CROSS JOIN q
  WHERE d.document @@ q.query AND s.active
  UNION ALL
  SELECT 'post', p.id, p.title, p.path, '', p.published,
         coalesce(nullif(p.content, ''), p.summary), ts_rank(p.document, q.query)
  FROM post_search AS p CROSS JOIN q
  WHERE p.document @@ q.query
)
SELECT kind, title, url, source_title, published, body, count(*) OVER () AS total
FROM hits ORDER BY rank DESC, published DESC, ref DESC
LIMIT :limit OFFSET :offset
"""


class SearchMixin(StoreBase):
    def search(self, query: SearchQuery, *, offset: int, limit: int) -> SearchResults:
        """The documents matching ``query``, best first, the newest first among equals;
        entries of blogs no longer on the blogroll are left out."""
        if query.empty:
            return SearchResults((), 0)
        sqlite = self.engine.dialect.name == "sqlite"
        statement = text(_SQLITE_SEARCH if sqlite else _POSTGRES_SEARCH).columns(
            kind=String(),
            title=String(),
            url=String(),
            source_title=String(),
            published=UTCDateTime(),
            body=String(),
            total=Integer(),
        )
        params = {
            "query": query.fts5() if sqlite else query.websearch(),
            "limit": limit,
            "offset": offset,
        }
        with self._connection() as connection:
            rows = connection.execute(statement, params).all()
        hits = tuple(
            SearchHit(r.kind, r.title, r.url, r.source_title, r.published, r.body or "")
            for r in rows
        )
        return SearchResults(hits, rows[0].total if rows else 0)

    def replace_post_documents(self, posts: Sequence[PostDocument]) -> None:
        """Make ``post_search`` hold exactly ``posts`` (one transaction)."""
        # Here, not at the top: only a build needs the HTML parser in the store.
        from aggregator.parse.sanitize import html_to_text

        rows = [
            {
                "path": p.path,
                "title": p.title,
                "summary": p.summary[:MAX_INDEXED_CHARS],
                "content": html_to_text(p.content_html)[:MAX_INDEXED_CHARS],
                "published": p.published,
            }
            for p in posts
        ]
        insert = text(
            "INSERT INTO post_search (path, title, summary, content, published) "
            "VALUES (:path, :title, :summary, :content, :published)"
        ).bindparams(bindparam("published", type_=UTCDateTime()))
        with self._connection() as connection:
            connection = connection
            connection.execute(text("DELETE FROM post_search"))
            if rows:
                connection.execute(insert, rows)
