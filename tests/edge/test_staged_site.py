"""A build's files go in all together or not at all, on a real folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aggregator.errors import PublishError
from aggregator.publish import files
from aggregator.publish.files import StagedSite, put_on_disk, stage


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def published(tmp_path: Path) -> Path:
    out = tmp_path / "public"
    (out / "blogs" / "pear").mkdir(parents=True)
    (out / "index.html").write_bytes(b"old river")
    (out / "blogs" / "pear" / "index.html").write_bytes(b"pear page")
    os.utime(out / "blogs" / "pear" / "index.html", (1_000_000, 1_000_000))
    return out


def test_changed_files_replace_the_old_and_unchanged_ones_are_left_alone(published: Path) -> None:
    with StagedSite(published) as staged:
        staged.put("index.html", b"new river")
        staged.put("blogs/pear/index.html", b"pear page")
        staged.put("blogs/quince/index.html", b"quince page")
        assert tree(published)["index.html"] == b"old river"  # nothing in place before commit
        written, unchanged = staged.commit()

    assert written == ["index.html", "blogs/quince/index.html"]
    assert unchanged == 1
    assert tree(published) == {
        "index.html": b"new river",
        "blogs/pear/index.html": b"pear page",
        "blogs/quince/index.html": b"quince page",
    }
    assert (published / "blogs" / "pear" / "index.html").stat().st_mtime == 1_000_000


def test_the_last_file_given_for_a_name_wins_and_leaves_no_temporary_file(
    published: Path,
) -> None:
    with StagedSite(published) as staged:
        staged.put("index.html", b"first")
        staged.put("index.html", b"second")
        assert staged.commit() == (["index.html"], 0)

    assert tree(published)["index.html"] == b"second"
    assert sorted(tree(published)) == ["blogs/pear/index.html", "index.html"]


def test_a_build_that_fails_midway_leaves_the_old_site_and_no_temporary_file(
    published: Path,
) -> None:
    before = tree(published)
    with pytest.raises(RuntimeError), StagedSite(published) as staged:
        staged.put("index.html", b"new river")
        staged.put("blogs/quince/index.html", b"quince page")
        raise RuntimeError("a template failed")

    assert tree(published) == before


def test_a_file_that_cannot_be_written_fails_the_commit_and_changes_nothing(
    published: Path,
) -> None:
    (published / "posts").write_bytes(b"a file where a folder should be")
    before = tree(published)
    with StagedSite(published) as staged:
        staged.put("index.html", b"new river")
        staged.put("posts/walk/index.html", b"a post")
        with pytest.raises(PublishError) as failed:
            staged.commit()

    message = str(failed.value)
    assert "posts" in message
    assert "the previously published site is unchanged" in message
    assert tree(published) == before


def test_staged_files_are_put_on_disk_together_or_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linux flushes the whole file system in one call; elsewhere each file is flushed.
    names = [tmp_path / "a.html", tmp_path / "b" / "c.html"]
    staged = [stage(name, lambda handle: handle.write(b"pear"), flush=False) for name in names]
    put_on_disk(tmp_path, staged)
    monkeypatch.setattr(files, "_syncfs", lambda: None)
    put_on_disk(tmp_path, staged)

    assert [path.read_bytes() for path in staged] == [b"pear", b"pear"]
    with pytest.raises(FileNotFoundError):
        put_on_disk(tmp_path, [tmp_path / "gone.html"])
