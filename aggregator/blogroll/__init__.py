"""The blogroll: a Markdown "blogs I like" page or an OPML file → Blogroll.

``markdown`` reads a Markdown page (blogs, the owner's prose, warnings),
``opml`` reads and writes OPML, ``urls`` decides which written addresses are
blogs, ``edit`` writes a Markdown page and merges blogs into one. The names
below are the package's public API.
"""

from __future__ import annotations

from pathlib import Path

from aggregator.blogroll.edit import (
    markdown_item,
    merge_into_markdown,
    new_entries,
    render_markdown_blogroll,
    same_blog,
)
from aggregator.blogroll.opml import build_opml, parse_opml
from aggregator.errors import BlogrollError
from aggregator.models import Blogroll

__all__ = [
    "build_opml",
    "load_blogroll",
    "markdown_item",
    "merge_into_markdown",
    "new_entries",
    "parse_markdown_blogroll",
    "parse_opml",
    "render_markdown_blogroll",
    "same_blog",
]


def parse_markdown_blogroll(text: str) -> Blogroll:
    """Read a Markdown blogroll (``blogroll.markdown``); markdown-it is imported only here,
    so that a command with an OPML blogroll, or none to read, does not load it."""
    from aggregator.blogroll.markdown import parse_markdown_blogroll as parse

    return parse(text)


def load_blogroll(path: Path) -> Blogroll:
    """Read the blogroll file; OPML by the ``.opml``/``.xml`` suffix, Markdown otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BlogrollError(f"{path}: blogroll file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BlogrollError(f"{path}: cannot read blogroll: {exc}") from None
    if path.suffix.lower() in (".opml", ".xml"):
        return parse_opml(text, str(path))
    return parse_markdown_blogroll(text)
