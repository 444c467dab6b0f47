"""samples/jira/issues-cutover.csv is exactly what samples/jira/make_cutover.py writes, and differs
from issues.csv in the ways the README's walkthrough describes."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "jira"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_cutover", SAMPLE / "make_cutover.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(name: str) -> dict[str, dict[str, str]]:
    with (SAMPLE / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return {row[1]: dict(zip(header, row, strict=True)) for row in reader}


def test_committed_file_is_what_the_script_writes() -> None:
    script = _script()
    with (SAMPLE / "issues.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert script.render(script.cutover(rows)) == (SAMPLE / "issues-cutover.csv").read_bytes()
    assert script.render(rows) == (SAMPLE / "issues.csv").read_bytes()  # same dialect as Jira's


def test_cutover_changes() -> None:
    first, cut = _rows("issues.csv"), _rows("issues-cutover.csv")
    assert set(first) - set(cut) == {"PAY-24"} and set(cut) - set(first) == {"PAY-27"}
    changed = {key for key in first if key in cut and first[key] != cut[key]}
    assert changed == {"PAY-26", "PAY-5", "PAY-12", "PAY-11"}
    assert (cut["PAY-26"]["Status"], cut["PAY-26"]["Resolution"], cut["PAY-26"]["Assignee"]) == (
        "Resolved",
        "Fixed",
        "jsmith",
    )
