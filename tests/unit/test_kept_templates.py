"""Compiled templates are kept between builds, and a kept one never stops a build."""

from __future__ import annotations

from pathlib import Path

from jinja2 import DictLoader, Environment
from jinja2.bccache import bc_magic

from aggregator.publish.pages import KeptTemplates

TEMPLATES = {"hello.html": "<p>Hello {{ name }}</p>"}


def environment(folder: Path) -> Environment:
    return Environment(loader=DictLoader(TEMPLATES), bytecode_cache=KeptTemplates(str(folder)))


def test_a_compiled_template_is_kept_and_used_by_the_next_build(tmp_path: Path) -> None:
    assert environment(tmp_path).get_template("hello.html").render(name="A") == "<p>Hello A</p>"
    kept = list(tmp_path.iterdir())

    again = environment(tmp_path).get_template("hello.html").render(name="B")

    assert len(kept) == 1
    assert again == "<p>Hello B</p>"


def test_a_damaged_kept_template_is_compiled_again(tmp_path: Path) -> None:
    environment(tmp_path).get_template("hello.html")
    (kept,) = tmp_path.iterdir()
    kept.write_bytes(bc_magic + b"\x80\x05not a pickle at all")

    assert environment(tmp_path).get_template("hello.html").render(name="C") == "<p>Hello C</p>"


def test_a_folder_that_cannot_keep_templates_does_not_stop_rendering(tmp_path: Path) -> None:
    gone = tmp_path / "removed"

    rendered = environment(gone).get_template("hello.html").render(name="D")

    assert rendered == "<p>Hello D</p>"
