"""`aggregator run` with a post that cannot be read: the last good page stays online, the
service logs the file once per build and `/healthz` says `degraded`, naming it."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.posts.kept import KEPT_FILE
from tests.support.service import Service, free_port, get, wait_for
from tests.support.site import Site, make_site

GOOD_POST = "---\ntitle: Notes on compost\ndate: 2026-03-05\n---\nTurn the heap weekly.\n"
BROKEN_POST = '---\ntitle: "Notes on compost\ndate: 2026-03-05\n---\nTurn the heap weekly.\n'


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def site(tmp_path: Path, database_url: str, port: int) -> Site:
    return make_site(tmp_path / "site", database_url, port=port)


@pytest.fixture
def service(site: Site, port: int) -> Iterator[Service]:
    """The service started on a site whose post was published once, then broken."""
    path = site.write_post("compost.md", GOOD_POST)
    assert site.cli("build") == 0
    path.write_text(BROKEN_POST, encoding="utf-8")
    running = Service(site, port)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_healthz_is_degraded_naming_the_broken_post_and_its_page_stays(
    site: Site, service: Service
) -> None:
    broken = str(site.posts / "compost.md")
    # The service builds at once when it starts; until then the status is "starting" or "ok".
    health = json.loads(wait_for(service.url("/healthz"), b'"degraded"'))
    assert health["status"] == "degraded", health
    (problem,) = health["posts"]  # type: ignore[misc]
    assert problem.startswith(f"{broken}: invalid YAML front matter at line ")

    assert b"Turn the heap weekly." in wait_for(service.url("/posts/compost/"))
    assert b"Notes on compost" in wait_for(service.url("/own.xml"))
    # The record the page was kept from is not served.
    assert get(service.url(f"/{KEPT_FILE}"))[0] == 404

    code, _, output = service.stop(signal.SIGTERM)
    assert code == 0, output
    assert f"ERROR aggregator.app {broken}: invalid YAML front matter" in output
