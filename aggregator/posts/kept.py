"""The last good text of each published post, so that a typo never unpublishes one.

``build`` writes, with the site and in the same atomic step, a small record
``.posts-last-good.json`` at the root of the output folder: for every post it
published, the file's text and modification time. When a post later cannot be
read (broken front matter, a bad date), ``load_posts`` parses the recorded text
instead, so the post keeps its page, its feed entry and its place on the river
until the file is fixed or deleted. The record lives beside what it describes:
a wiped output folder forgets it together with the pages it would restore.
The built-in server never serves files whose name starts with a dot.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The record's name in the output folder.
KEPT_FILE = ".posts-last-good.json"


@dataclass(frozen=True)
class KeptText:
    """A post file as it was when it was last published."""

    text: str
    mtime: float


def read_kept(output: Path) -> dict[str, KeptText]:
    """The record of the last build, by path relative to the posts folder; {} when there is
    none or it cannot be read (a build then simply has nothing to fall back on)."""
    try:
        raw = json.loads((output / KEPT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    kept: dict[str, KeptText] = {}
    for name, value in raw.get("posts", {}).items():
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            mtime = value.get("mtime")
            kept[str(name)] = KeptText(value["text"], float(mtime) if mtime else 0.0)
    return kept


def kept_bytes(kept: Mapping[str, KeptText]) -> bytes:
    """The record as written: sorted, so that a build with nothing new changes no byte."""
    document = {
        "about": "the last good text of each published post; see the README",
        "posts": {
            name: {"text": kept[name].text, "mtime": kept[name].mtime} for name in sorted(kept)
        },
    }
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
