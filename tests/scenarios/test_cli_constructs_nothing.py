"""The command line only parses and prints: everything it runs comes from aggregator.app."""

import ast
from pathlib import Path

import aggregator

FORBIDDEN = {"Store", "Fetcher", "Worker", "SiteApp", "create_store_engine", "TimedFetcher"}
PACKAGE = Path(aggregator.__file__).parent


def cli_modules() -> list[Path]:
    return sorted(PACKAGE.glob("cli*.py"))


def constructions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN:
            found.append(f"{path.name}:{node.lineno} {func.id}(")
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in FORBIDDEN
        ):
            found.append(f"{path.name}:{node.lineno} {func.value.id}.{func.attr}(")
    return found


def test_cli_modules_construct_nothing() -> None:
    assert [hit for path in cli_modules() for hit in constructions(path)] == []
