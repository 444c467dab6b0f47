"""The README's Supported sources table is the one the presets give (``scripts/supported_sources.py``)."""

from __future__ import annotations

import pytest

from migrator.presets.registry import list_presets
from migrator.presets.sources_table import END, START, render_table, replace_table

from .presets_helpers import FIXTURE_PRESETS, ROOT


def test_the_readme_table_matches_the_presets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert replace_table(readme, render_table(list_presets())) == readme, (
        "README.md is out of date: run python scripts/supported_sources.py"
    )


def test_a_row_says_what_each_preset_carries_and_cannot() -> None:
    table = render_table(list_presets(FIXTURE_PRESETS))
    row = next(line for line in table.splitlines() if "`csv-generic`" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == ["generic", "Any CSV with a Summary", "`csv-generic`", "✓"]
    assert cells[4:12] == ["—"] * 8
    assert cells[12] == "everything but the issue: a plain table has nothing else"
    assert "| manual | A preset only reachable with --preset | `no-signature` | ? |" in table


def test_a_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_table("# README\n", "| table |")
    assert START.startswith("<!--") and END.startswith("<!--")
