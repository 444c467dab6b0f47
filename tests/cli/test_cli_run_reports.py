"""``run``'s validation report: HTML and JSON before the first write, XLSX while the import runs
(waited for before the run ends), all three when the run is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

import migrator.execution
from migrator.cli import main
from migrator.execution.summary import RunSummary

ROOT = Path(__file__).resolve().parents[2]
JIRA = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]
FAST = ["--no-progress", "--max-rps", "1000", "--yes"]
NAMES = ("report.html", "report.json", "report.xlsx")


def test_text_reports_come_before_the_first_write_and_the_workbook_by_the_end(
    sandbox,  # noqa: ANN001
    point_at,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    point_at(sandbox)
    folder = tmp_path / "r"
    seen_at_import: dict[str, bool] = {}
    real_run = migrator.execution.Executor.run

    def run_and_look(self: migrator.execution.Executor, *, retry_failed: bool = False) -> RunSummary:
        seen_at_import.update({name: (folder / name).is_file() for name in NAMES[:2]})
        return real_run(self, retry_failed=retry_failed)

    monkeypatch.setattr(migrator.execution.Executor, "run", run_and_look)
    assert main(["run", *JIRA, *FAST, "--report", str(folder)]) == 0
    out = capsys.readouterr().out

    assert seen_at_import == {"report.html": True, "report.json": True}
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["summary"]["by_kind"]
    assert "Summary" in load_workbook(folder / "report.xlsx", read_only=True).sheetnames
    printed = [line.strip() for line in out.splitlines() if line.strip().startswith("report:")]
    assert printed == [f"report: {folder / name}" for name in ("report.html", "report.json", "report.xlsx")]
    # the workbook's path is printed once it is written: after the import, before its summary
    assert out.index("report.xlsx") < out.index("writes,")


def test_a_refused_run_writes_all_three_and_nothing_else(
    sandbox,  # noqa: ANN001
    point_at,  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    point_at(sandbox)
    folder = tmp_path / "r"
    # the Jira sample has warnings (markup converted with losses, ...): --strict makes them block
    code = main(["run", *JIRA, *FAST, "--strict", "--report", str(folder)])
    out = capsys.readouterr().out
    assert code == 1 and "Nothing was written" in out
    assert all((folder / name).is_file() for name in NAMES)
    assert "Summary" in load_workbook(folder / "report.xlsx", read_only=True).sheetnames
    assert not sandbox.stats()["by_kind"].get("issue_import")
