"""Headless Chromium for the browser tests, and axe-core to check what it shows.

Skips when Chromium, its driver or axe-core is missing, except under CI (``$CI`` set),
where that is a failure (``.ci/run`` installs them).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = REPO / "test-artifacts"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message}; under CI it must be installed (.ci/run does it)")
    pytest.skip(message)


def _webdriver() -> Any:
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        _missing(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER}")
    try:
        from selenium import webdriver
    except ImportError:
        _missing("selenium is not installed")
    return webdriver


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the whole run; starting one costs seconds."""
    webdriver = _webdriver()
    tmp_path = tmp_path_factory.mktemp("chromium")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Any:
    """The shared Chromium on a blank page, with its logs drained and no cookies."""
    chromium.get("about:blank")
    chromium.delete_all_cookies()
    chromium.get_log("browser")
    chromium.get_log("performance")
    chromium.set_window_size(*SIZES["desktop"])
    return chromium


def requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def color_scheme(driver: Any, scheme: str) -> None:
    """Have the page's ``prefers-color-scheme`` media query answer ``scheme``."""
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


def axe_violations(driver: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """What axe-core finds on the loaded page (WCAG 2 A and AA rules, contrast included)
    at the given impacts, one line per rule with the elements it names."""
    if not AXE.is_file():
        _missing(f"axe-core is needed at {AXE} (npm ci)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(30)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const only = {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}};"
        "axe.run(document, only).then("
        "  r => done(JSON.stringify(r.violations)),"
        "  e => done(JSON.stringify({error: String(e)})));"
    )
    violations = json.loads(result)
    if isinstance(violations, dict):
        raise AssertionError(f"axe-core failed: {violations['error']}")
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in impacts
    ]
