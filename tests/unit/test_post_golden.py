"""Golden file: the fixture post that uses every feature, pinned to the Post it becomes.

``tests/data/posts/site/posts/kitchen-sink/index.md`` holds highlighted and
plain code, a table, a task list, formulas in all four delimiters (and one that
cannot be read), a footnote, a contents list, a cover, aliases and pictures.
After a deliberate change, rewrite the golden file with
``python -m tests.unit.test_post_golden`` and review the diff.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from aggregator.posts import parse_post
from tests.support.paths import DATA

POST = DATA / "posts" / "site" / "posts" / "kitchen-sink" / "index.md"
EXPECTED = DATA / "posts" / "kitchen-sink.expected.json"
SITE_URL = "http://127.0.0.1:8080/"


def parsed() -> dict[str, Any]:
    post = parse_post(POST.read_text(encoding="utf-8"), POST, SITE_URL)
    return {
        "slug": post.slug,
        "title": post.title,
        "published": post.published.isoformat(),
        "updated": post.updated.isoformat() if post.updated else None,
        "tags": list(post.tags),
        "summary": post.summary,
        "local_path": post.local_path,
        "reading_minutes": post.reading_minutes,
        "cover_image": post.cover_image,
        "cover_alt": post.cover_alt,
        "aliases": list(post.aliases),
        "toc": post.toc,
        "toc_open": post.toc_open,
        "math": post.math,
        "content_html": post.content_html.splitlines(),
    }


def test_the_post_with_every_feature_parses_to_its_golden_post() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))

    assert parsed() == expected


def test_its_only_warning_is_the_formula_that_cannot_be_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        parsed()

    (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert str(POST) in warning
    assert "\\\\frac{1}{2" in warning


def test_the_golden_post_shows_each_feature() -> None:
    html = "\n".join(json.loads(EXPECTED.read_text(encoding="utf-8"))["content_html"])

    # Highlighted by class, never by inline style; an unknown language is plain.
    assert '<pre class="highlight"><code><span class="k">def</span>' in html
    assert "<pre><code>Qapla' &lt;brave&gt; &amp; $bold$\n</code></pre>" in html
    assert "style=" not in html
    # Code spans keep their dollars; money is not math.
    assert "<code>$HOME</code>" in html and "<code>$x$</code>" in html
    assert "it costs $5 or $10." in html
    assert html.count('<math xmlns="http://www.w3.org/1998/Math/MathML"') == 4
    assert html.count('display="block"') == 2
    assert '<code class="math-source">$\\frac{1}{2$</code>' in html
    assert '<td align="right">12</td>' in html
    assert 'type="checkbox"' in html
    assert '<h2 id="code">Code <a class="header-anchor" href="#code"' in html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1"' in html
    assert 'src="http://127.0.0.1:8080/posts/kitchen-sink/diagram.png"' in html
    assert 'src="http://127.0.0.1:8080/images/logo.png"' in html


def regenerate() -> None:
    text = json.dumps(parsed(), ensure_ascii=False, indent=2) + "\n"
    Path(EXPECTED).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    regenerate()
