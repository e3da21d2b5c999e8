"""Markdown to HTML for own posts and blogroll notes, as Hugo or Jekyll would publish it.

CommonMark with tables, strikethrough, footnotes, task lists and heading ids
(each heading links to itself). Fenced code is highlighted by Pygments with CSS
classes only, so the stylesheet picks the colours (a light and a dark palette);
a language Pygments does not know stays plain ``<pre><code>``. With ``math``,
``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` become MathML at build time; the
tokenizer sees code spans and blocks first, so a dollar in code is never math.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from typing import Any

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from mdit_py_plugins.texmath import texmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from aggregator.parse.sanitize import sanitize_mathml, sanitize_post_html

log = logging.getLogger(__name__)

#: Token classes only (``<span class="k">``): no inline style, no wrapper.
_FORMATTER = HtmlFormatter(nowrap=True)
#: latex2mathml writes an unknown command as an identifier that keeps its backslash.
#: A placeholder for HTML the renderer made: private-use characters around its index.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_TASK_BOX = re.compile(
    r'<input class="task-list-item-checkbox"( checked="checked")? disabled="disabled" '
    r'type="checkbox">'
)
_ALIGN_STYLE = re.compile(r'style="text-align:(left|right|center)"')
_UNKNOWN_COMMAND = re.compile(r"<m[io]>\\[A-Za-z]+</m[io]>")


def render_markdown(body: str) -> str:
    """CommonMark with tables, strikethrough, footnotes and heading ids; not sanitized.

    For blogroll notes, titles and summaries; a post's body is ``render_post``.
    """
    html_text: str = _NOTES.render(body)
    return html_text


def render_post(body: str, base_url: str, *, math: bool = False, post: str = "") -> str:
    """A post's body as sanitized HTML, links made absolute against ``base_url``.

    ``post`` names the file in the warning about a formula that cannot be converted.
    """
    renderer = _POST_WITH_MATH if math else _POST
    fragments: list[str] = []
    # The markers are the renderer's alone: none can come from the text.
    text = body.replace(_OPEN, "").replace(_CLOSE, "")
    rendered = renderer.render(text, {"post": post, "fragments": fragments})
    rendered = _TASK_BOX.sub(lambda m: _keep(fragments, _checkbox(bool(m.group(1)))), rendered)
    # A column's alignment as an attribute: no inline style is published.
    rendered = _ALIGN_STYLE.sub(r'align="\1"', rendered)
    clean = sanitize_post_html(rendered, base_url=base_url)
    # What the renderer made itself (MathML, task-list boxes) goes in after the sanitizer,
    # so raw HTML in a post can never make a form field or a formula.
    return _MARKER.sub(lambda m: fragments[int(m.group(1))], clean)


def highlight_code(code: str, language: str) -> str:
    """``<pre><code>`` of ``code``, highlighted when Pygments knows ``language``."""
    lexer = None
    if language:
        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            lexer = None
    if lexer is None:
        return f"<pre><code>{html.escape(code, quote=False)}</code></pre>\n"
    spans = highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code>{spans}</code></pre>\n'


#: The closing delimiter of each opening one, to give a formula back as it was written.
_CLOSING = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def formula_html(source: str, *, display: bool, post: str, opening: str = "") -> str:
    """MathML of one TeX formula; the source text, with a warning, when it cannot be read."""
    problem = _formula_problem(source)
    mathml = ""
    if problem is None:
        try:
            mathml = sanitize_mathml(
                latex_to_mathml(source, display="block" if display else "inline")
            )
        except Exception as exc:  # latex2mathml's errors share no base class
            problem = type(exc).__name__
        else:
            if _UNKNOWN_COMMAND.search(mathml):
                problem = "unknown command " + _UNKNOWN_COMMAND.findall(mathml)[0][4:-5]
    if problem is not None:
        log.warning("post=%s math=unconverted formula=%r reason=%s", post, source, problem)
        opening = opening if opening in _CLOSING else "$$" if display else "$"
        delimited = f"{opening}{source}{_CLOSING[opening]}"
        text = f'<code class="math-source">{html.escape(delimited, quote=False)}</code>'
        return f"<p>{text}</p>\n" if display else text
    return f"{mathml}\n" if display else mathml


def _formula_problem(source: str) -> str | None:
    """What is wrong with a formula latex2mathml would quietly mangle, if anything."""
    depth = 0
    for match in re.finditer(r"\\.|[{}]", source):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return "unbalanced braces"
    if depth:
        return "unbalanced braces"
    if not source.strip():
        return "empty formula"
    return None


def _fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    # Hugo and Jekyll accept ``{.python}`` and ``python {linenos=true}``.
    return highlight_code(token.content, language.strip("{}.").lower())


def _math_inline(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    mathml = formula_html(
        token.content.strip(), display=False, post=_post_of(env), opening=token.markup
    )
    return _keep(env["fragments"], mathml)


def _math_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    mathml = formula_html(
        token.content.strip(), display=True, post=_post_of(env), opening=token.markup
    )
    return _keep(env["fragments"], mathml) + "\n"


def _keep(fragments: list[str], html_text: str) -> str:
    """A placeholder for ``html_text``, put back once the page is sanitized."""
    fragments.append(html_text.rstrip("\n"))
    return f"{_OPEN}{len(fragments) - 1}{_CLOSE}"


def _checkbox(checked: bool) -> str:
    ticked = " checked" if checked else ""
    return f'<input class="task-list-item-checkbox" type="checkbox" disabled{ticked}>'


def _post_of(env: Any) -> str:
    return str(env.get("post", "")) if isinstance(env, dict) else ""


def _markdown(*, math: bool) -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": True, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(tasklists_plugin)
        .use(anchors_plugin, min_level=1, max_level=6, permalink=True, permalinkSymbol="#")
    )
    md.add_render_rule("fence", _fence)
    if math:
        # Pandoc's rule: ``$5 and $10`` is money, not math.
        md.use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False)
        md.use(texmath_plugin, delimiters="brackets")
        for rule in ("math_inline", "math_inline_double"):
            md.add_render_rule(rule, _math_inline)
        for rule in ("math_block", "math_block_eqno", "math_block_label"):
            md.add_render_rule(rule, _math_block)
    return md


#: Blogroll notes, titles and summaries: no highlighting, no links on headings.
_NOTES = (
    MarkdownIt("commonmark", {"html": True, "typographer": False})
    .enable(["table", "strikethrough"])
    .use(footnote_plugin)
    .use(anchors_plugin, min_level=1, max_level=6)
)
_POST = _markdown(math=False)
_POST_WITH_MATH = _markdown(math=True)
