"""HTML pages through Jinja2; autoescape is on for everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import aggregator

STYLESHEET = "style.css"


def default_templates_dir() -> Path:
    """``templates/`` shipped in the package, else the one beside it in a checkout."""
    package = Path(aggregator.__file__).parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("aggregator's templates folder is missing from the installation")


def make_environment(templates_dir: Path | None = None) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir or default_templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(env: Environment, template: str, **context: Any) -> bytes:
    return env.get_template(template).render(**context).encode("utf-8")


def read_stylesheet(env: Environment) -> bytes:
    loader = env.loader
    assert isinstance(loader, FileSystemLoader)
    return (Path(loader.searchpath[0]) / STYLESHEET).read_bytes()
