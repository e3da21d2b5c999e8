"""The command line: one clear error line for bad input, and the documented commands."""

from __future__ import annotations

import re

import pytest

from aggregator.cli import main
from tests.support.paths import REPO
from tests.support.site import Site


def only_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("aggregator: error:")]
    assert len(errors) == 1, err
    return errors[0]


def test_bad_toml_names_the_file_and_the_line(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    site.config.write_text('[site]\ntitle = "x"\nurl = \n')
    assert site.cli("build") == 1
    line = only_error_line(capsys)
    assert str(site.config) in line
    assert "line 3" in line


def test_an_unknown_key_names_the_file_and_the_key(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    site.config.write_text(site.config.read_text().replace("[server]", "[server]\nprot = 1"))
    assert site.cli("refresh") == 1
    line = only_error_line(capsys)
    assert str(site.config) in line
    assert "[server] prot: unknown key" in line


def test_a_wrong_type_names_the_key(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.config.write_text(re.sub(r"port = \d+", 'port = "eighty"', site.config.read_text()))
    assert site.cli("status") == 1
    assert "[server] port: expected an integer, got a string" in only_error_line(capsys)


def test_a_post_with_broken_front_matter_is_named_and_the_others_are_published(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = site.write_post("broken.md", '---\ntitle: "unterminated\ndate: 2026-01-01\n---\nx\n')
    assert site.cli("build") == 1  # the site is written; a script notices all the same
    line = only_error_line(capsys)
    assert str(broken) in line
    assert "invalid YAML front matter at line" in line
    assert (site.output / "posts" / "hello-hugo" / "index.html").is_file()


def test_missing_config_file_is_one_error_line(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", "/nonexistent/aggregator.toml", "status"]) == 1
    assert "/nonexistent/aggregator.toml: config file not found" in only_error_line(capsys)


def test_db_upgrade_and_current(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    assert site.cli("db", "upgrade") == 0
    assert site.cli("db", "current") == 0
    out = capsys.readouterr().out
    assert "up to date" in out


def test_status_with_no_sources_yet(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.write_blogroll([])
    assert site.cli("status") == 0
    assert "no sources" in capsys.readouterr().out


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for command in ("refresh", "refresh --all", "build", "run", "status", "status --json",
                    "db upgrade", "db current", "blogroll import", "blogroll export",
                    "blogroll check", "blogroll sync", "discover", "worker", "worker --once",
                    "run --role publisher"):  # fmt: skip
        assert f"aggregator {command}" in readme, command


def test_every_setting_is_documented_in_the_readme() -> None:
    from aggregator.settings import sections

    readme = (REPO / "README.md").read_text()
    for section, (_, keys) in sections().items():
        assert f"[{section}]" in readme, section
        for key in keys:
            assert f"`{key.name}`" in readme, f"[{section}] {key.name}"


def test_migration_files_are_numbered_by_their_revision() -> None:
    """The store finds the newest revision from the file names, without loading Alembic."""
    import ast

    from aggregator.store import MIGRATIONS, Store, newest_revision

    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    previous = None
    for path in files:
        values = {
            node.targets[0].id: node.value.value
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
        }
        assert values["revision"] == path.name[:4], path.name
        assert values["down_revision"] == previous, path.name
        previous = values["revision"]
    assert newest_revision() == previous == Store.head_revision()
