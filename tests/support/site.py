"""A site folder (config, blogroll, posts) to run the CLI against."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator.cli import main
from tests.support.db import query


@dataclass
class Site:
    """A site folder: config, blogroll, posts; output and database inside it."""

    root: Path
    database_url: str

    def query(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        """Rows of one SQL statement on this site's store."""
        return query(self.database_url, sql, **params)

    @property
    def config(self) -> Path:
        return self.root / "aggregator.toml"

    @property
    def output(self) -> Path:
        return self.root / "public"

    @property
    def posts(self) -> Path:
        return self.root / "posts"

    def write_blogroll(self, blogs: list[tuple[str, str, str]]) -> None:
        """blogs: (title, site URL, feed URL), all under one category."""
        lines = ["# Blogs I like", "", "### Friends"]
        lines += [f"- [{t}]({s}) ([feed]({f})) - a note about {t}." for t, s, f in blogs]
        (self.root / "blogroll.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def write_post(self, name: str, text: str, mtime: datetime | None = None) -> Path:
        path = self.posts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if mtime is not None:
            os.utime(path, (mtime.timestamp(), mtime.timestamp()))
        return path

    def cli(self, *args: str) -> int:
        return main(["--config", str(self.config), *args])

    def status(self) -> dict[str, dict[str, Any]]:
        """``status --json``, by feed URL (the blogroll URL when there is none)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert self.cli("status", "--json") == 0
        return {s["feed_url"] or s["url"]: s for s in json.loads(out.getvalue())}

    def append_config(self, text: str) -> None:
        """Add sections (e.g. ``[websub]``) at the end of this site's config."""
        with self.config.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text.strip() + "\n")

    def set_fetch(self, **values: object) -> None:
        """Change [fetch] settings of this site's config."""
        text = self.config.read_text()
        for key, value in values.items():
            rendered = json.dumps(value)
            if re.search(rf"^{key} = .*$", text, flags=re.M):
                text = re.sub(rf"^{key} = .*$", f"{key} = {rendered}", text, flags=re.M)
            else:
                text = text.replace("[fetch]\n", f"[fetch]\n{key} = {rendered}\n")
        self.config.write_text(text)


SITE_TOML = """\
[site]
title = "Test Reading Room"
url = "http://127.0.0.1:8080/"
author = "Test Owner"
author_email = "owner@example.org"

[database]
url = "{database_url}"

[own]
posts_dir = "posts"

[blogroll]
file = "blogroll.md"

[output]
dir = "public"

[schedule]
interval_minutes = 30

[server]
host = "127.0.0.1"
port = {port}

[fetch]
connect_timeout = 2
read_timeout = 1
total_timeout = 5
workers = 4
allow_networks = ["127.0.0.0/8"]
# Blogs' homepages in these feeds are on other hosts; a test that looks for icons says so.
icons = false
"""

OWN_POSTS = {
    "hello-hugo.md": """---
title: "Own post in Hugo format"
date: 2026-03-04
draft: false
tags: ["notes"]
---

Body of the Hugo post, with a [link](/blogroll.html).
""",
    "2026-03-06-jekyll-style.md": """---
title: "Own post in Jekyll format"
tags: [feeds]
excerpt: "A short excerpt."
header:
  overlay_filter: 0.5
---

Body of the Jekyll post.
""",
    "plain-notes.md": "Own post without front matter\n\nFirst paragraph of the plain post.\n",
    "secret-draft.md": """---
title: "Secret draft post"
date: 2026-03-07
draft: true
---

Never published.
""",
}
PLAIN_POST_MTIME = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def make_site(root: Path, database_url: str | None = None, port: int = 8080) -> Site:
    root.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{root / 'aggregator.sqlite3'}"
    site = Site(root, url)
    site.config.write_text(SITE_TOML.format(database_url=url, port=port), encoding="utf-8")
    site.write_blogroll([])
    for name, body in OWN_POSTS.items():
        site.write_post(name, body, mtime=PLAIN_POST_MTIME)
    return site
