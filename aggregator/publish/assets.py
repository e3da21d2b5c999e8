"""Files published as they are: ``[own] static_dir`` and the files of page bundles.

Hugo's layout: ``static/images/a.png`` is ``/images/a.png``, and a bundle
``posts/slug/index.md`` publishes the files beside it next to its page. Copies
are incremental (a file already there with the same size and time, or the same
bytes, is not rewritten) and all-or-nothing, like the pages.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aggregator.errors import PublishError
from aggregator.models import Post
from aggregator.publish.files import stage
from aggregator.settings import Settings

log = logging.getLogger(__name__)

_BUNDLE_PAGES = ("index.md", "_index.md")
#: ``src``, ``poster`` and ``href`` values in sanitized HTML (always double-quoted).
_REFERENCE = re.compile(r'\s(src|poster|href|srcset)="([^"]*)"')


def plan_assets(settings: Settings, posts: Sequence[Post], pages: Iterable[str]) -> dict[str, Path]:
    """Every file to copy, by its name in the output; a page the build writes wins."""
    taken = set(pages)
    assets: dict[str, Path] = {}
    static = settings.own.static_dir
    if static.is_dir():
        for source in _files(static):
            assets[source.relative_to(static).as_posix()] = source
    elif static != (settings.path.resolve().parent / "static").resolve():
        # The default folder is optional; one that was named must be there.
        log.warning("static_dir=%s missing: nothing copied from it", static)
    posts_root = settings.own.posts_dir.resolve()
    for post in posts:
        path = Path(post.path)
        # ``posts/index.md`` is a post, not a bundle of every file in the posts folder.
        if path.name not in _BUNDLE_PAGES or path.parent.resolve() == posts_root:
            continue
        for source in _files(path.parent):
            if source.suffix == ".md":
                continue
            assets[post.local_path + source.relative_to(path.parent).as_posix()] = source
    for name in sorted(taken & set(assets)):
        log.warning("asset=%s skipped: the build writes a page there (from %s)", name, assets[name])
        del assets[name]
    return assets


def missing_references(
    posts: Sequence[Post], site_url: str, published: set[str]
) -> list[tuple[str, str]]:
    """(post file, site path) of each local file a post uses that the site will not have.

    Images, video posters and ``srcset`` candidates are always checked; links only
    when they name a file (``/notes.pdf``), not a page (``/about/``).
    """
    missing: list[tuple[str, str]] = []
    for post in posts:
        references = [("src", post.cover_image)] if post.cover_image else []
        for attribute, value in _REFERENCE.findall(post.content_html):
            values = (
                [c.split()[0] for c in value.split(",") if c.strip()]
                if attribute == "srcset"
                else [value]
            )
            references += [(attribute, html.unescape(v)) for v in values]
        for attribute, url in references:
            local = _site_path(url, site_url)
            if local is None or (attribute == "href" and "." not in local.rsplit("/", 1)[-1]):
                continue
            if not _exists(local, published) and (post.path, local) not in missing:
                missing.append((post.path, local))
    return missing


def warn_missing_references(posts: Sequence[Post], site_url: str, published: set[str]) -> None:
    """One warning per local file a post uses that does not exist."""
    for post, local in missing_references(posts, site_url, published):
        log.warning(
            "post=%s missing=/%s: no such file in the posts, static_dir or site", post, local
        )


def copy_assets(output: Path, assets: dict[str, Path]) -> tuple[list[str], int]:
    """Copy the changed files into ``output``: all are staged beside their target first,
    then renamed into place, so a failure leaves the site as it was. Returns (names
    written, number unchanged)."""
    staged: list[tuple[Path, Path]] = []
    unchanged = 0
    try:
        for name, source in assets.items():
            target = output / name
            if _same(source, target):
                unchanged += 1
                continue
            with source.open("rb") as original:
                tmp = stage(target, partial(shutil.copyfileobj, original))
            staged.append((tmp, target))
            # The source's time travels with it: the next build sees it unchanged cheaply.
            shutil.copystat(source, tmp)
            os.chmod(tmp, 0o644)
    except OSError as exc:
        for tmp_path, _ in staged:
            tmp_path.unlink(missing_ok=True)
        raise PublishError(
            f"{exc.filename or output}: cannot copy {name}: {exc.strerror or exc}; "
            "the previously published site is unchanged"
        ) from None
    for tmp_path, target in staged:
        os.replace(tmp_path, target)
    return [target.relative_to(output).as_posix() for _, target in staged], unchanged


def _files(folder: Path) -> list[Path]:
    """Files under ``folder``, hidden ones (``.git``, ``.DS_Store``) left out."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _same(source: Path, target: Path) -> bool:
    try:
        theirs, ours = source.stat(), target.stat()
    except OSError:
        return False
    if theirs.st_size != ours.st_size:
        return False
    if theirs.st_mtime_ns == ours.st_mtime_ns:
        return True
    return source.read_bytes() == target.read_bytes()


def _site_path(url: str, site_url: str) -> str | None:
    """``url``'s path inside the site, without query or fragment; None when elsewhere."""
    if not url.startswith(site_url):
        return None
    return unquote(urlsplit(url[len(site_url) :]).path)


def _exists(local: str, published: set[str]) -> bool:
    if local in ("", "/") or local.endswith("/"):
        return local + "index.html" in published or local == ""
    return local in published or f"{local}/index.html" in published
