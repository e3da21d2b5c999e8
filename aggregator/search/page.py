"""``/search?q=…&page=N``: the results page, rendered like the built pages.

The same Jinja environment and ``base.html`` as ``publish.pages``; what the built
pages share (feeds in the head, category links in the footer) comes from the last
build (``publish.chrome.PageChrome``). Everything the visitor typed is autoescaped
where it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urljoin, urlsplit

from jinja2 import Environment
from markupsafe import Markup

from aggregator.errors import StoreError
from aggregator.publish.chrome import PageChrome
from aggregator.publish.pages import make_environment, render_page
from aggregator.search.excerpt import highlight
from aggregator.search.query import parse_query
from aggregator.settings import Settings
from aggregator.store.search import SearchHit, SearchResults

#: Results on each page.
PER_PAGE = 20
#: Pages beyond this are not offered: ranking that deep says little.
MAX_PAGE = 50


@dataclass(frozen=True)
class ResultView:
    """One result as the template shows it."""

    title: str
    href: str | None
    source_title: str
    is_post: bool
    published: datetime
    excerpt: Markup


Search = Callable[..., SearchResults]


class SearchPage:
    """Renders the results page for a query string; ``search`` is ``Store.search``."""

    def __init__(
        self,
        settings: Settings,
        search: Search,
        chrome: Callable[[], PageChrome | None],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.search = search
        self.chrome = chrome
        self.clock = clock
        self._env: Environment | None = None
        #: Links from /search start at the site's root path, as on the 404 page.
        self.root = urlsplit(settings.site.url).path or "/"

    @property
    def env(self) -> Environment:
        """Made at the first search: a missing ``templates_dir`` then fails the search page
        alone (a PublishError), as it fails builds, and the service still starts."""
        if self._env is None:
            self._env = make_environment(self.settings.output.templates_dir)
        return self._env

    def render(self, params: Mapping[str, str]) -> tuple[str, bytes]:
        """The status line and the page for the query parameters ``q`` and ``page``; raises
        PublishError when a template cannot be rendered."""
        typed = params.get("q", "")
        query = parse_query(typed)
        page = _page_number(params.get("page", ""))
        status, results, unavailable = "200 OK", SearchResults((), 0), False
        if not query.empty:
            try:
                results = self.search(query, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
                if not results.hits and page > 1:
                    # Past the end: how many there are, for the way back.
                    results = SearchResults((), self.search(query, offset=0, limit=1).total)
            except StoreError:
                status, unavailable = "503 Service Unavailable", True
        words = query.words
        views = [self._view(hit, words) for hit in results.hits]
        last = min(MAX_PAGE, -(-results.total // PER_PAGE))
        site = self.settings.site
        chrome = self.chrome()
        title = f"Search: {query.text} · {site.title}" if query.text else f"Search · {site.title}"
        body = render_page(
            self.env,
            "search.html",
            site=site,
            generated_at=chrome.updated if chrome else self.clock(),
            page_title=title,
            feeds=list(chrome.feeds) if chrome else [],
            category_links=list(chrome.category_links) if chrome else [],
            page_url=urljoin(site.url, "search"),
            root=self.root,
            active="search",
            search_query=typed,
            query=query.text,
            searched=not query.empty,
            unavailable=unavailable,
            results=views,
            total=results.total,
            page=page,
            first=(page - 1) * PER_PAGE + 1,
            # Past the last page, "previous" leads back to the last one.
            prev_href=self._href(query.text, min(page - 1, max(last, 1))) if page > 1 else None,
            next_href=self._href(query.text, page + 1) if page < last else None,
        )
        return status, body

    def _view(self, hit: SearchHit, words: frozenset[str]) -> ResultView:
        href = hit.url
        if hit.kind == "post":
            href = self.root + (hit.url or "")
        return ResultView(
            title=hit.title,
            href=href,
            source_title=hit.source_title,
            is_post=hit.kind == "post",
            published=hit.published,
            excerpt=highlight(hit.text, words),
        )

    def _href(self, query: str, page: int) -> str:
        params = {"q": query} if page == 1 else {"q": query, "page": str(page)}
        return f"{self.root}search?{urlencode(params)}"


def _page_number(value: str) -> int:
    """``page`` as a number from 1 to ``MAX_PAGE``; anything else is page 1."""
    if not (value.isascii() and value.isdigit()) or len(value) > 4:
        return 1
    return min(max(int(value), 1), MAX_PAGE)
