"""Deployment files, checked by structure (no container engine runs here), and JSON logs."""

from __future__ import annotations

import configparser
import json
import logging
import shlex

import pytest
import yaml

from aggregator.cli import _parser
from aggregator.logs import JsonFormatter
from tests.support.paths import REPO


def parses_as_a_command(argv: list[str]) -> None:
    assert argv[0] == "aggregator", argv
    try:
        _parser().parse_args(argv[1:])
    except SystemExit as exc:
        pytest.fail(f"{argv} is not an aggregator command (exit {exc.code})")


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_postgres_with_a_volume_and_a_healthcheck(compose: dict) -> None:  # type: ignore[type-arg]
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for volume in ("db-data", "site"):
        assert volume in compose["volumes"]


def test_compose_runs_the_service_from_the_dockerfile(compose: dict) -> None:  # type: ignore[type-arg]
    app = compose["services"]["app"]
    assert app["build"] == "."
    parses_as_a_command(app["command"])
    assert app["command"][1] == "run"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8080:8080" in app["ports"]
    assert "./config:/app/config:ro" in app["volumes"]
    assert app["environment"]["AGGREGATOR_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "/healthz" in " ".join(app["healthcheck"]["test"])
    assert app["restart"] == "unless-stopped"
    parses_as_a_command(compose["services"]["worker"]["command"])


def test_the_dockerfile_is_slim_non_root_and_runs_the_service() -> None:
    lines = [
        line.strip()
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0].startswith("FROM python:3.") and lines[0].endswith("-slim")
    assert any(line.startswith("RUN pip install") and ".[postgres]" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd = next(line for line in reversed(lines) if line.startswith("CMD "))
    parses_as_a_command(json.loads(cmd.removeprefix("CMD ")))
    assert "EXPOSE 8080" in lines


def test_the_systemd_unit_runs_the_service_and_stops_it_with_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "aggregator.service")
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/aggregator")
    parses_as_a_command(["aggregator", *argv[1:]])
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    assert service["User"] != "root"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_readme_explains_both_deployments() -> None:
    readme = (REPO / "README.md").read_text()
    assert "deploy/aggregator.service" in readme
    assert "docker compose up" in readme


def test_json_logs_carry_the_key_value_pairs_of_each_event() -> None:
    record = logging.LogRecord(
        "aggregator.update.pipeline", logging.WARNING, __file__, 1,
        "source=%s result=error kind=%s error=%r", ("http://127.0.0.1/f.xml", "http", "a b"), None,
    )  # fmt: skip
    event = json.loads(JsonFormatter().format(record))
    assert event["level"] == "warning"
    assert event["source"] == "http://127.0.0.1/f.xml"
    assert (event["result"], event["kind"], event["error"]) == ("error", "http", "a b")
