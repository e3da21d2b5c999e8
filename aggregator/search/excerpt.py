"""The excerpt of a result: the text around the first word of the query, words marked."""

from __future__ import annotations

import re
from collections.abc import Set

from markupsafe import Markup, escape

from aggregator.search.query import fold

#: Characters of text shown for each result.
EXCERPT_CHARS = 280
_WORD = re.compile(r"[^\W_]+")


def highlight(text: str, words: Set[str], limit: int = EXCERPT_CHARS) -> Markup:
    """About ``limit`` characters of plain ``text`` around its first word in ``words``
    (folded, see ``query.fold``), escaped, each such word in ``<mark>``.

    The text is escaped here and nowhere else: the result is safe to insert as it is.
    """
    text = " ".join(text.split())
    hits = [m for m in _WORD.finditer(text) if fold(m.group()) in words]
    start = 0
    if hits and hits[0].end() > limit * 2 // 3:
        # The first hit a third of the way in, at a word boundary.
        start = max(0, hits[0].start() - limit // 3)
        space = text.rfind(" ", 0, start)
        start = space + 1 if space > 0 else start
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start + limit // 2, end)
        end = space if space > 0 else end
    parts: list[str] = ["…" if start else ""]
    at = start
    for hit in hits:
        if hit.start() < start or hit.end() > end:
            continue
        parts += [escape(text[at : hit.start()]), Markup("<mark>%s</mark>") % hit.group()]
        at = hit.end()
    parts += [escape(text[at:end]), "…" if end < len(text) else ""]
    return Markup("").join(parts)
