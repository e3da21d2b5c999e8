"""The owner's own posts: Markdown files with Hugo/Jekyll front matter, or none.

Front matter: YAML between ``---`` lines, TOML between ``+++`` lines, or a JSON
object at the top. Drafts are never returned. A file that cannot be read is
reported as a PostError naming it; the other posts are still returned.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from math import ceil as math_ceil
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import ftfy
import ftfy.badness
import yaml

from aggregator.errors import PostError
from aggregator.models import Post
from aggregator.parse.sanitize import excerpt, html_to_text, strip_control_characters
from aggregator.posts.fields import aliases_of, cover_of
from aggregator.posts.kept import KeptText
from aggregator.posts.markdown import render_markdown, render_post
from aggregator.settings import DEFAULT_PERMALINK, SUMMARY_LENGTH

log = logging.getLogger(__name__)

#: ftfy limited to encoding repairs: quotes, widths and ligatures are the author's choice.
_ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
__all__ = ["LoadedPosts", "load_posts", "parse_post", "post_path", "post_url", "render_markdown"]

#: Reading speed for ``Post.reading_minutes``, in words a minute.
WORDS_PER_MINUTE = 220
MORE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


@dataclass(frozen=True)
class LoadedPosts:
    posts: tuple[Post, ...]
    errors: tuple[PostError, ...]
    #: The text of each published post, by path relative to the posts folder: the record
    #: the next build falls back on (see ``posts.kept``).
    texts: dict[str, KeptText] = field(default_factory=dict)
    #: Posts that could not be read and are published as they last were.
    kept: tuple[str, ...] = ()


def load_posts(
    posts_dir: Path,
    site_url: str,
    *,
    permalink: str = DEFAULT_PERMALINK,
    summary_length: int = SUMMARY_LENGTH,
    last_good: Mapping[str, KeptText] | None = None,
    math: bool = False,
) -> LoadedPosts:
    """Read every ``*.md`` in ``posts_dir``, newest first; drafts are left out.

    A file that cannot be read is reported once, and when ``last_good`` has its
    text from an earlier build, that version is published instead. A missing
    ``posts_dir`` raises PostError: publishing no posts at all would unpublish
    every one of them.
    """
    if not posts_dir.is_dir():
        raise PostError(
            f"{posts_dir}: posts folder not found ([own] posts_dir): nothing was built and "
            "the published site is unchanged; create the folder (it may stay empty) or fix "
            "the setting"
        )
    last_good = last_good or {}

    def parse(text: str, path: Path, mtime: float) -> Post:
        return parse_post(
            text,
            path,
            site_url,
            mtime=mtime,
            permalink=permalink,
            summary_length=summary_length,
            math=math,
        )

    posts: list[Post] = []
    errors: list[PostError] = []
    texts: dict[str, KeptText] = {}
    kept: list[str] = []
    for path in sorted(posts_dir.rglob("*.md")):
        name = path.relative_to(posts_dir).as_posix()
        text = ""
        try:
            text = path.read_bytes().decode("utf-8")
            mtime = path.stat().st_mtime
            post = parse(text, path, mtime)
        except (UnicodeDecodeError, OSError, PostError) as exc:
            error = _post_error(exc, path, text)
            previous = last_good.get(name)
            if previous is None:
                errors.append(error)
                continue
            try:
                post = parse(previous.text, path, previous.mtime)
            except PostError:
                errors.append(error)
                continue
            errors.append(PostError(f"{error}; its last good version stays published"))
            kept.append(name)
            mtime, text = previous.mtime, previous.text
        if not post.draft:
            posts.append(post)
            texts[post.path] = KeptText(text, mtime)
    slugs: dict[str, str] = {}
    pages: dict[str, str] = {}
    unique: list[Post] = []
    for post in sorted(posts, key=lambda p: p.published, reverse=True):
        if post.slug in slugs:
            errors.append(
                PostError(f"{post.path}: slug {post.slug!r} is already used by {slugs[post.slug]}")
            )
            continue
        taken = pages.get(post.local_path)
        if taken:
            errors.append(
                PostError(f"{post.path}: page {post.local_path!r} is already used by {taken}")
            )
            continue
        slugs[post.slug] = post.path
        pages[post.local_path] = post.path
        unique.append(post)
    published = {Path(p.path).relative_to(posts_dir).as_posix(): texts[p.path] for p in unique}
    return LoadedPosts(tuple(unique), tuple(errors), published, tuple(kept))


def _post_error(exc: Exception, path: Path, text: str) -> PostError:
    """One error naming the file, the line when it can be told, and the reason."""
    if isinstance(exc, UnicodeDecodeError):
        at = exc.object[: exc.start].count(b"\n") + 1
        return PostError(f"{path}: line {at}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    if isinstance(exc, OSError):
        return PostError(f"{path}: cannot read: {exc.strerror}")
    message = str(exc)
    field_name = re.search(r"front matter '(\w+)'", message)
    if field_name and " line " not in message:
        # A value the front matter parser accepted but that means nothing (a date that is
        # no date): the line is where its field is written.
        field_line = _field_line(text, field_name.group(1))
        if field_line:
            message = message.replace(f"{path}: ", f"{path}: line {field_line}: ", 1)
    if isinstance(exc, PostError) and message == str(exc):
        return exc
    return PostError(message)


def _field_line(text: str, name: str) -> int | None:
    """The 1-based line of a front matter field (YAML ``name:``, TOML ``name =``, JSON)."""
    pattern = re.compile(rf"""^\s*["']?{re.escape(name)}["']?\s*[:=]""")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def post_path(slug: str, published: datetime, pattern: str = DEFAULT_PERMALINK) -> str:
    """A post's page relative to the site root, from the permalink pattern: ``posts/SLUG/``."""
    return pattern.format(
        slug=slug,
        year=f"{published.year:04d}",
        month=f"{published.month:02d}",
        day=f"{published.day:02d}",
    ).lstrip("/")


def post_url(
    site_url: str,
    slug: str,
    published: datetime | None = None,
    pattern: str = DEFAULT_PERMALINK,
) -> str:
    """The permalink of a post: ``SITE/posts/SLUG/`` with the default pattern."""
    moment = published or datetime(1970, 1, 1, tzinfo=UTC)
    return urljoin(site_url, post_path(slug, moment, pattern))


def parse_post(
    text: str,
    path: Path,
    site_url: str,
    *,
    mtime: float | None = None,
    permalink: str = DEFAULT_PERMALINK,
    summary_length: int = SUMMARY_LENGTH,
    math: bool = False,
) -> Post:
    """Turn one Markdown file's text into a Post; raise PostError naming the file.

    ``math`` turns TeX formulas into MathML in every post (``[own] math``); a post
    asks for it alone with ``math: true`` or ``use_math: true``.
    """
    # Posts pasted through the wrong encoding (UTF-8 read as Mac Roman or cp1252) are repaired.
    fixed = ftfy.fix_text(text, _ENCODING_ONLY)
    if ftfy.badness.is_bad(fixed):
        # ftfy could not undo it (a byte lost or changed on the way): a half repair
        # would garble it further, so the text stays as written.
        log.warning("post=%s mojibake=unrepaired: text looks mis-decoded, left as it is", path)
        fixed = text
    elif fixed != text:
        log.info("post=%s repaired=mojibake", path)
    meta, body = _split_front_matter(fixed.lstrip("\ufeff"), path)
    # A page bundle (``posts/SLUG/index.md``) is named by its folder.
    stem = path.parent.name if path.stem in ("index", "_index") else path.stem
    stem_match = _JEKYLL_NAME.match(stem)
    title = _text(meta.get("title"))
    if not title:
        title, body = _title_from_body(body)
    if not title:
        raise PostError(f"{path}: no title (front matter 'title', a heading or a first line)")
    published = _date(meta.get("date"), path, "date")
    if published is None and stem_match:
        y, m, d, _ = stem_match.groups()
        published = datetime(int(y), int(m), int(d), tzinfo=UTC)
    if published is None:
        if mtime is None:
            raise PostError(f"{path}: no date in front matter or file name")
        published = datetime.fromtimestamp(mtime, UTC).replace(microsecond=0)
        if meta or fixed.lstrip("\ufeff").startswith(("---", "+++", "{")):
            # Front matter that forgot its date: the page would move with every save.
            log.warning("post=%s date=missing using=file-modification-time", path)
        else:
            # A plain text note has nowhere to write a date: its file's time is its date.
            log.info("post=%s date=file-modification-time", path)
    updated = _date(meta.get("lastmod") or meta.get("updated"), path, "lastmod")
    slug = _slugify(_text(meta.get("slug")) or (stem_match.group(4) if stem_match else stem))
    local_path = post_path(slug, published, permalink)
    url = urljoin(site_url, local_path)
    more = MORE.search(body)
    with_math = math or _bool(meta.get("math")) or _bool(meta.get("use_math"))
    content_html = render_post(body, url, math=with_math, post=str(path))
    summary_field = meta.get("summary") or meta.get("description") or meta.get("excerpt")
    if more:
        summary = html_to_text(render_markdown(body[: more.start()]))
    elif summary_field:
        summary = _text(summary_field)
    else:
        summary = _first_paragraph(content_html)
    known = {"title", "date", "lastmod", "updated", "draft", "tags", "categories", "slug", "id"}
    cover, cover_alt = cover_of(meta, url)
    return Post(
        path=str(path),
        slug=slug,
        title=title,
        published=published,
        updated=updated,
        draft=_bool(meta.get("draft")),
        tags=_strings(meta.get("tags")),
        categories=_strings(meta.get("categories")),
        summary=excerpt(summary, summary_length),
        content_html=content_html,
        metadata={k: v for k, v in meta.items() if k not in known},
        local_path=local_path,
        atom_id=_text(meta.get("id")) or None,
        reading_minutes=max(
            1, math_ceil(len(html_to_text(content_html).split()) / WORDS_PER_MINUTE)
        ),
        cover_image=cover,
        cover_alt=cover_alt,
        aliases=aliases_of(meta, path),
        toc=_bool(meta.get("toc")) or _bool(meta.get("showToc")),
        toc_open=_bool(meta["TocOpen"]) if "TocOpen" in meta else "toc" in meta,
        math=with_math,
    )


def _split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    for fence, loader in (("---", _load_yaml), ("+++", _load_toml)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            lines = text.splitlines(keepends=True)
            for index in range(1, len(lines)):
                if lines[index].rstrip() in (fence, "..." if fence == "---" else fence):
                    raw = "".join(lines[1:index])
                    return _as_mapping(loader(raw, path), path), "".join(lines[index + 1 :])
            raise PostError(f"{path}: front matter opened with {fence!r} on line 1 is never closed")
    if text.startswith("{"):
        try:
            meta, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise PostError(
                f"{path}: invalid JSON front matter at line {exc.lineno}: {exc.msg}"
            ) from None
        return _as_mapping(meta, path), text[end:]
    return {}, text


def _load_yaml(raw: str, path: Path) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        # +2: the opening fence is line 1 of the file, and marks count from 0.
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise PostError(f"{path}: invalid YAML front matter{where}: {problem}") from None


def _load_toml(raw: str, path: Path) -> Any:
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        message = re.sub(r"\(at line (\d+)", lambda m: f"(at line {int(m[1]) + 1}", str(exc))
        raise PostError(f"{path}: invalid TOML front matter: {message}") from None


def _as_mapping(value: Any, path: Path) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PostError(
            f"{path}: front matter must be a mapping of fields, not {type(value).__name__}"
        )
    return {str(k): v for k, v in value.items()}


def _title_from_body(body: str) -> tuple[str, str]:
    """The first heading, else the first line, taken out of the body."""
    lines = body.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*$", stripped)
        title = heading.group(1) if heading else stripped
        return html_to_text(render_markdown(title)), "".join(lines[index + 1 :])
    return "", body


def _date(value: Any, path: Path, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        parsed = _parse_date_string(value.strip())
    if parsed is None:
        raise PostError(f"{path}: front matter {field!r}: cannot read {value!r} as a date")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_date_string(value: str) -> datetime | None:
    parsers: list[Callable[[str], datetime]] = [
        datetime.fromisoformat,
        lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S %z"),
        parsedate_to_datetime,
    ]
    for parse in parsers:
        try:
            return parse(value)
        except (ValueError, TypeError):
            continue
    return None


def _first_paragraph(content_html: str) -> str:
    match = re.search(r"<p>(.*?)</p>", content_html, re.DOTALL)
    return html_to_text(match.group(1) if match else content_html)


def _text(value: Any) -> str:
    return " ".join(strip_control_characters(str(value)).split()) if value is not None else ""


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple):
        return tuple(_text(v) for v in value if _text(v))
    return (_text(value),)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _slugify(value: str) -> str:
    slug = re.sub(r"[^\w\-]+", "-", value.strip().lower(), flags=re.UNICODE).strip("-")
    return re.sub(r"-{2,}", "-", slug) or "post"
