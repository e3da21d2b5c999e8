"""A post that cannot be read keeps its last good version; a missing posts folder stops all."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.errors import PostError
from aggregator.posts import load_posts
from aggregator.posts.kept import KEPT_FILE, KeptText, kept_bytes, read_kept

SITE = "https://kim.example.org/"
GOOD = "---\ntitle: Seeds\ndate: 2024-03-01\n---\nWhat I planted.\n"
BROKEN_YAML = "---\ntitle: Seeds\ndate: 2024-03-01\nsummary: a: b\n---\nWhat I planted.\n"
BAD_DATE = "---\ntitle: Seeds\ntags: [garden]\ndate: next tuesday\n---\nWhat I planted.\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def published_once(folder: Path) -> dict[str, KeptText]:
    """What a first build records of the posts as they are now."""
    return load_posts(folder, SITE).texts


@pytest.mark.parametrize(
    ("broken", "line"), [(BROKEN_YAML, 4), (BAD_DATE, 4)], ids=["broken-yaml", "bad-date"]
)
def test_a_post_that_breaks_is_published_as_it_last_was(
    tmp_path: Path, broken: str, line: int
) -> None:
    path = write(tmp_path, "seeds.md", GOOD)
    last_good = published_once(tmp_path)
    write(tmp_path, "seeds.md", broken)

    loaded = load_posts(tmp_path, SITE, last_good=last_good)

    (post,) = loaded.posts
    assert (post.title, post.content_html) == ("Seeds", "<p>What I planted.</p>\n")
    assert loaded.kept == ("seeds.md",)
    (error,) = loaded.errors
    assert str(error).startswith(f"{path}: ")
    assert f"line {line}" in str(error)
    assert "last good version stays published" in str(error)
    # The record carries the good text forward until the file is fixed.
    assert loaded.texts == last_good


def test_a_fixed_post_is_published_as_fixed_and_recorded_again(tmp_path: Path) -> None:
    write(tmp_path, "seeds.md", GOOD)
    last_good = published_once(tmp_path)
    write(tmp_path, "seeds.md", GOOD.replace("What I planted.", "What came up."))

    loaded = load_posts(tmp_path, SITE, last_good=last_good)

    assert loaded.errors == ()
    assert "What came up." in loaded.posts[0].content_html
    assert "What came up." in loaded.texts["seeds.md"].text


def test_a_deleted_post_is_not_brought_back(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds.md", GOOD)
    last_good = published_once(tmp_path)
    path.unlink()

    loaded = load_posts(tmp_path, SITE, last_good=last_good)

    assert (loaded.posts, loaded.texts) == ((), {})


def test_a_broken_post_never_published_is_only_reported(tmp_path: Path) -> None:
    write(tmp_path, "seeds.md", BROKEN_YAML)

    loaded = load_posts(tmp_path, SITE, last_good={})

    assert loaded.posts == ()
    (error,) = loaded.errors
    assert "last good version" not in str(error)


def test_drafts_are_not_recorded(tmp_path: Path) -> None:
    write(tmp_path, "draft.md", "---\ntitle: Later\ndate: 2024-03-01\ndraft: true\n---\nx\n")

    assert published_once(tmp_path) == {}


def test_the_record_reads_back_and_is_stable(tmp_path: Path) -> None:
    record = {"b.md": KeptText("B", 2.5), "a/index.md": KeptText("A — é", 1.0)}
    (tmp_path / KEPT_FILE).write_bytes(kept_bytes(record))

    assert read_kept(tmp_path) == record
    assert kept_bytes(read_kept(tmp_path)) == kept_bytes(record)


@pytest.mark.parametrize("content", [None, "not json", "[]", '{"posts": {"a.md": 3}}'])
def test_a_missing_or_damaged_record_means_nothing_to_fall_back_on(
    tmp_path: Path, content: str | None
) -> None:
    if content is not None:
        (tmp_path / KEPT_FILE).write_text(content)

    assert read_kept(tmp_path) == {}


def test_a_missing_posts_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PostError, match="nowhere: posts folder not found"):
        load_posts(tmp_path / "nowhere", SITE)


def test_an_empty_posts_folder_is_fine(tmp_path: Path) -> None:
    loaded = load_posts(tmp_path, SITE)

    assert (loaded.posts, loaded.errors) == ((), ())
