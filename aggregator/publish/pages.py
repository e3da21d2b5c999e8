"""HTML pages through Jinja2; autoescape is on for everything."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    pass_context,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.runtime import Context
from markupsafe import Markup, escape

import aggregator
from aggregator.errors import PublishError
from aggregator.publish import clock
from aggregator.publish.faces import NO_FACES
from aggregator.publish.views import error_words

STYLESHEET = "style.css"


def default_templates_dir() -> Path:
    """``templates/`` shipped in the package, else the one beside it in a checkout."""
    package = Path(aggregator.__file__).parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("aggregator's templates folder is missing from the installation")


def make_environment(templates_dir: Path | None = None, *, reload: bool = True) -> Environment:
    """Templates from ``templates_dir`` first (the owner's), then the shipped ones.

    ``reload=False`` (a build, whose environment lives as long as the build) trusts a
    template once loaded, instead of looking at its file's time before each page.
    """
    if templates_dir is not None and not templates_dir.is_dir():
        raise PublishError(f"{templates_dir}: templates folder not found (templates_dir)")
    folders = [str(templates_dir)] if templates_dir else []
    folders.append(str(default_templates_dir()))
    env = Environment(
        loader=FileSystemLoader(folders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=reload,
    )
    env.bytecode_cache = _bytecode_cache(
        env.trim_blocks, env.lstrip_blocks, env.keep_trailing_newline
    )
    # ``build_site`` gives the blogs' faces; a page rendered elsewhere draws none.
    env.globals["faces"] = NO_FACES
    env.filters.update(day=_day, clock=_clock, localtime=_localtime, breakable=breakable_url)
    env.globals["error_words"] = error_words
    return env


class KeptTemplates(FileSystemBytecodeCache):
    """Compiled templates kept between builds: compiling them all took a few tenths of a
    second of every build (in each of its processes). One is used only while its
    template's text is the same; one that cannot be read or kept is passed over, and its
    template compiled, so that a full disk or a damaged file never stops a build."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # whatever a damaged file makes unpickling or unmarshalling raise
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@functools.cache
def _bytecode_cache(*syntax: bool) -> BytecodeCache | None:
    """The kept templates, where Jinja keeps them (a folder of the user's own in the
    temporary folder), each named for how it was compiled (``syntax``); without such a
    folder, none."""
    how = hashlib.sha256(repr(syntax).encode()).hexdigest()[:12]
    try:
        return KeptTemplates(pattern=f"aggregator-{how}-%s.cache")
    except (RuntimeError, OSError):
        return None


def _zone(context: Context) -> tzinfo:
    """The site's time zone, for the pages that have a site (the widget has none: UTC)."""
    site = context.get("site")
    return clock.zone(site.timezone) if site is not None else UTC


@pass_context
def _day(context: Context, moment: datetime) -> date:
    """``{{ item.published|day }}``: the day it falls on in the site's time zone."""
    return clock.local_day(moment, _zone(context))


@pass_context
def _clock(context: Context, moment: datetime) -> str:
    """``{{ item.published|clock }}``: "14:05" in the site's zone; "" when dated by day only."""
    return clock.clock(moment, _zone(context))


@pass_context
def _localtime(context: Context, moment: datetime) -> str:
    """``{{ moment|localtime }}``: "2026-03-01 14:05" in the site's zone, the day alone
    when it has no time."""
    return clock.local_text(moment, _zone(context))


def breakable_url(url: str) -> Markup:
    """A URL that a narrow screen breaks after its ``/``, ``.``, ``?`` or ``&``, not mid-word."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=[/.?&=])", url))


def render_page(env: Environment, template: str, **context: Any) -> bytes:
    """Render one page; a broken (owner's) template is named in a PublishError."""
    try:
        return env.get_template(template).render(**context).encode("utf-8")
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or template
        line = getattr(exc, "lineno", None)
        at = f" line {line}" if line else ""
        raise PublishError(f"template {where}{at}: {exc.message or exc}") from None


def page_url(site_url: str, path: str) -> str:
    """A page's canonical address: ``posts/a/index.html`` is ``SITE/posts/a/``."""
    if path == "index.html" or path.endswith("/index.html"):
        path = path.removesuffix("index.html")
    return urljoin(site_url, path)


def read_stylesheet(env: Environment) -> bytes:
    loader = env.loader
    assert isinstance(loader, FileSystemLoader)
    for folder in loader.searchpath:
        if (Path(folder) / STYLESHEET).is_file():
            return (Path(folder) / STYLESHEET).read_bytes()
    raise FileNotFoundError(f"{STYLESHEET} is in none of {loader.searchpath}")


def templates_digest(env: Environment) -> str:
    """A digest of every template file, so that a changed template renders pages again."""
    loader = env.loader
    assert isinstance(loader, FileSystemLoader)
    digest = hashlib.sha256()
    for folder in loader.searchpath:
        for path in sorted(Path(folder).glob("*")):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
