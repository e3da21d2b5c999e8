"""Validators for what the site publishes: the RFC 4287 schema, the W3C Feed Validation
Service (when its source is installed), and JSON Feed 1.1's rules."""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.support.paths import DATA, SHARED


@cache
def atom_schema() -> etree.RelaxNG:
    """RFC 4287's RELAX NG schema: the shared spec copy when present, else the project's."""
    shared = SHARED / "spec" / "atom.rng"
    path = shared if shared.is_file() else DATA / "atom.rng"
    return etree.RelaxNG(etree.parse(str(path)))


def assert_valid_atom(document: bytes, where: str) -> None:
    schema = atom_schema()
    assert schema.validate(etree.fromstring(document)), (where, schema.error_log)


def w3c_validator() -> Any:
    """The W3C Feed Validation Service's Python package (github.com/w3c/feedvalidator),
    found on the path or in ``$FEEDVALIDATOR_PATH`` (its ``src`` folder); else the test
    is skipped, since the package is not on PyPI."""
    extra = os.environ.get("FEEDVALIDATOR_PATH")
    if extra and extra not in sys.path:
        sys.path.insert(0, extra)
    return pytest.importorskip(
        "feedvalidator", reason="set FEEDVALIDATOR_PATH to w3c/feedvalidator/src"
    )


def w3c_problems(document: bytes, url: str) -> list[str]:
    """Every error and warning the W3C validator reports for ``document`` served at ``url``."""
    feedvalidator = w3c_validator()
    from feedvalidator import compatibility
    from feedvalidator.formatter.text_plain import Formatter

    try:
        events = feedvalidator.validateString(document, firstOccurrenceOnly=1, base=url)[
            "loggedEvents"
        ]
    except feedvalidator.logging.ValidationFailure as failure:
        events = [failure.event]
    # "AA": what the online service reports.
    return list(Formatter(compatibility.AA(events)))


def assert_valid_json_feed(document: bytes, where: str) -> dict[str, Any]:
    """JSON Feed 1.1: its required fields, one content per item, unique item ids."""
    feed = json.loads(document)
    assert feed["version"] == "https://jsonfeed.org/version/1.1", where
    assert isinstance(feed["title"], str) and feed["title"], where
    ids = [item["id"] for item in feed["items"]]
    assert all(isinstance(i, str) and i for i in ids), where
    assert len(ids) == len(set(ids)), (where, "item ids repeat")
    for item in feed["items"]:
        assert "content_html" in item or "content_text" in item, (where, item["id"])
    return dict(feed)


def published_feeds(output: Path) -> list[Path]:
    """Every Atom and JSON feed a build wrote."""
    return sorted(
        p
        for p in output.rglob("*")
        if p.suffix in (".xml", ".json") and p.name.startswith(("feed", "own"))
    )
