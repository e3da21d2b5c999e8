"""What a build tells its caller: the files it wrote, and what every page shows around
its content, kept for the pages the service renders itself (``/search``).

Light on purpose: a build with nothing to do returns a ``BuildOutcome`` without
importing the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from aggregator.errors import PostError


@dataclass(frozen=True)
class AltFeed:
    """A ``<link rel="alternate">`` in a page's head."""

    title: str
    type: str
    href: str


@dataclass(frozen=True)
class PageChrome:
    #: The feeds each page's head links to.
    feeds: tuple[AltFeed, ...]
    #: (name, path) of each blogroll category, for the footer.
    category_links: tuple[tuple[str, str], ...]
    #: When the site was last updated, as the footer says.
    updated: datetime


@dataclass(frozen=True)
class BuildOutcome:
    written: tuple[str, ...]
    unchanged: int
    items: int
    posts: int
    post_errors: tuple[PostError, ...] = field(default=())
    #: The feed files (Atom and JSON Feed) among ``written``: what WebSub hubs are told of.
    feeds_written: tuple[str, ...] = field(default=())
    #: What the pages show around their content: the service's own pages reuse it.
    chrome: PageChrome | None = None

    def summary(self) -> str:
        return (
            f"site: {len(self.written)} files written, {self.unchanged} unchanged; "
            f"{self.items} items, {self.posts} own posts, {len(self.post_errors)} posts with errors"
        )
