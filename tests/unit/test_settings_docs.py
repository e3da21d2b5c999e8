"""README.md's settings table says what the declarations in aggregator.settings say."""

from __future__ import annotations

import re
from dataclasses import MISSING

from aggregator.settings import sections, settings_table_markdown
from tests.support.paths import REPO

BEGIN = "<!-- settings table: made by aggregator.settings.settings_table_markdown() -->\n"
END = "<!-- end of settings table -->"


def readme_table() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "README.md has lost its settings table markers"
    return text.split(BEGIN, 1)[1].split(END, 1)[0]


def test_readme_settings_table_is_the_one_made_from_the_declarations() -> None:
    # After changing a setting, paste settings_table_markdown() between the markers.
    assert readme_table() == settings_table_markdown()


def test_every_key_is_documented_once_with_its_default_and_nothing_else() -> None:
    rows = [line.split(" | ") for line in readme_table().splitlines()[2:]]
    documented = []
    section = ""
    for row in rows:
        name = re.sub(r"[|`\[\] ]", "", row[0])
        section = name or section
        documented.append((section, row[1].strip("`"), row[2]))
    declared = [(name, f.name, f.default) for name, (_, keys) in sections().items() for f in keys]
    assert [(s, k) for s, k, _ in documented] == [(s, k) for s, k, _ in declared]
    for (section, key, shown), (_, _, default) in zip(documented, declared, strict=True):
        if default is MISSING:
            assert shown == "required", (section, key)
        elif default is None:
            assert shown == "none", (section, key)
        elif isinstance(default, bool):
            assert shown == f"`{str(default).lower()}`", (section, key)
        elif isinstance(default, int | float):
            assert float(shown) == default, (section, key)
        else:
            assert str(default) in shown or str(list(default)) in shown, (section, key)
