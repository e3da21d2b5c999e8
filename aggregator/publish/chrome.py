"""What every page shows around its content, kept from a build for the pages the
service renders itself (``/search``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.publish.plan import AltFeed


@dataclass(frozen=True)
class PageChrome:
    #: The feeds each page's head links to.
    feeds: tuple[AltFeed, ...]
    #: (name, path) of each blogroll category, for the footer.
    category_links: tuple[tuple[str, str], ...]
    #: When the site was last updated, as the footer says.
    updated: datetime
