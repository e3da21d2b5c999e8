"""Each planned output turned into the files it publishes.

The same code runs in the build's process and in its second one
(``second_process``): what a page is rendered with besides its own context
is a ``RenderShared``, which crosses to the other process once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from jinja2 import Environment

from aggregator.blogroll import build_opml
from aggregator.models import Source
from aggregator.publish.archive import ArchiveMonth, BlogLinks, month_rows
from aggregator.publish.atom import FeedInfo, build_atom
from aggregator.publish.blog_pages import BlogPage, BlogPageOutput
from aggregator.publish.chrome import AltFeed
from aggregator.publish.faces import Faces
from aggregator.publish.frame import SiteFrame
from aggregator.publish.json_feed import build_json_feed
from aggregator.publish.pages import make_environment, page_url, render_page
from aggregator.publish.plan import (
    FeedSpec,
    OpmlSpec,
    Output,
    PageSpec,
    archive_page,
    blog_page,
)
from aggregator.settings import Settings
from aggregator.store import Store

#: One published file: its path in the output folder and its bytes.
File = tuple[str, bytes]


@dataclass(frozen=True)
class RenderShared:
    """What every output is rendered with, besides what it carries itself."""

    settings: Settings
    #: The time the pages say they were generated.
    updated: datetime
    base_feeds: tuple[AltFeed, ...]
    category_links: tuple[tuple[str, str], ...]
    sources_by_id: dict[int, Source]
    blog_pages: dict[int, BlogPage]
    #: Without their icon files, which only the build's own process publishes.
    faces: Faces

    @classmethod
    def of(cls, frame: SiteFrame, settings: Settings, faces: Faces) -> RenderShared:
        return cls(
            settings,
            frame.updated,
            frame.base_feeds,
            frame.category_links,
            frame.sources_by_id,
            frame.blog_pages,
            Faces(faces.by_source, faces.own),
        )

    def environment(self) -> Environment:
        """The templates as a build renders them: the owner's first, each blog's face."""
        env = make_environment(self.settings.output.templates_dir, reload=False)
        # A global, so that every template and macro can draw any blog's face (_face.html).
        env.globals["faces"] = self.faces
        return env


class Renderer:
    """Renders outputs one by one; a monthly archive reads its headlines from ``store``
    only when it is rendered, so a large archive is never all in memory at once."""

    def __init__(self, env: Environment, shared: RenderShared, store: Store) -> None:
        self.env = env
        self.shared = shared
        self.store = store
        # Each blog's linked name, made once for every month that lists it.
        self._blog_links: BlogLinks = {}

    def files(self, output: Output) -> list[File]:
        """The files ``output`` publishes (a feed publishes two)."""
        shared = self.shared
        site = shared.settings.site
        if isinstance(output, ArchiveMonth):
            headlines = (
                self.store.headlines_between(output.start, output.end) if output.count else []
            )
            rows = month_rows(output, headlines, shared.sources_by_id, self._blog_links)
            output = archive_page(output, rows, site)
        elif isinstance(output, BlogPageOutput):
            output = blog_page(output, shared.settings)
        if isinstance(output, PageSpec):
            page = render_page(
                self.env,
                output.template,
                site=site,
                generated_at=shared.updated,
                page_title=output.title,
                feeds=[*shared.base_feeds, *output.extra_feeds],
                category_links=list(shared.category_links),
                page_url=page_url(site.url, output.path),
                blog_pages=shared.blog_pages,
                # A page's links are relative to where it lies, unless it says otherwise.
                **{"root": "../" * output.path.count("/"), **output.context},
            )
            return [(output.path, page)]
        if isinstance(output, FeedSpec):
            hubs = shared.settings.websub.hubs
            atom_url = urljoin(site.url, f"{output.stem}.xml")
            json_url = urljoin(site.url, f"{output.stem}.json")
            atom_info = FeedInfo(output.title, atom_url, output.updated, hubs)
            json_info = FeedInfo(output.title, json_url, output.updated, hubs)
            return [
                (f"{output.stem}.xml", build_atom(output.items, site, atom_info)),
                (f"{output.stem}.json", build_json_feed(output.items, site, json_info)),
            ]
        assert isinstance(output, OpmlSpec)
        return [(output.path, build_opml(output.blogroll))]


def listed_rows(output: Output) -> int:
    """About how many listed entries rendering ``output`` means: what a second process is
    worth starting for."""
    if isinstance(output, ArchiveMonth):
        return output.count
    if isinstance(output, BlogPageOutput):
        return len(output.blog.entries)
    return 0
