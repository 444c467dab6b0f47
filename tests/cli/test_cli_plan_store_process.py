"""``run`` with the plan load in its own process (as on a large export: the threshold lowered to
every export here): the Jira sample imported, then its cut-over export compared with the ledger and
applied (the delta path, in the child) — the same delta, the same writes and a clean ``verify``, as
``tests/cli/test_cli_delta.py`` finds with the load in the run's process."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from migrator import plan_store_process
from migrator.cli import main
from migrator.pipeline import read_ahead
from migrator.state import PlanLoadStats

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ["--mapping", str(ROOT / "mappings/jira-csv.yaml")]
FIRST = [str(ROOT / "samples/jira/issues.csv"), *MAPPING]
CUTOVER = [str(ROOT / "samples/jira/issues-cutover.csv"), *MAPPING]
FAST = ["--no-progress", "--max-rps", "1000"]
WRITES = ("issue_import", "comment_import", "patch", "transition", "comment_edit")


def _writes(sandbox: Any) -> dict[str, int]:
    by_kind = sandbox.stats()["by_kind"]
    return {kind: int(by_kind.get(kind, 0)) for kind in WRITES}


@pytest.mark.slow
def test_run_stores_the_plan_in_its_own_process_and_applies_a_newer_export(
    sandbox: Any, point_at: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    aside: list[PlanLoadStats] = []
    load_plan_aside = plan_store_process.load_plan_aside

    def counted(*args: Any, **kwargs: Any) -> PlanLoadStats:
        stats = load_plan_aside(*args, **kwargs)
        aside.append(stats)
        return stats

    monkeypatch.setattr(read_ahead, "MIN_BYTES", 0)  # every export is "large"
    monkeypatch.setattr(plan_store_process, "load_plan_aside", counted)
    point_at(sandbox)
    assert main(["run", *FIRST, "--yes", *FAST]) == 0
    assert "Delta: no earlier import" in capsys.readouterr().out
    assert len(aside) == 1 and aside[0].issues == 26

    before = _writes(sandbox)
    assert main(["run", *CUTOVER, "--yes", *FAST]) == 0
    out = capsys.readouterr().out
    assert len(aside) == 2
    assert "1 new, 4 changed, 21 unchanged, 1 deleted from the export" in out
    after = _writes(sandbox)
    assert {kind: after[kind] - before[kind] for kind in WRITES} == {
        "issue_import": 1,
        "comment_import": 3,
        "patch": 4
        + 2,  # two issues' fields and one window (opened, closed); the queue lease (taken, released)
        "transition": 1,
        "comment_edit": 1,
    }
    assert main(["verify", *CUTOVER, "--no-progress"]) == 0
    assert main(["run", *CUTOVER, "--yes", *FAST]) == 0  # a third run: nothing left to write
    assert _writes(sandbox) == after


def test_a_child_that_dies_stops_the_run_with_a_clear_message_and_the_same_command_resumes(
    sandbox: Any, point_at: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    send = plan_store_process.PlanStoreProcess.send

    def killing_the_child(self: plan_store_process.PlanStoreProcess, issue: Any) -> None:
        if self._process.exitcode is None:
            os.kill(self._process.pid or 0, signal.SIGKILL)  # as the system's out-of-memory killer would
            self._process.join()
        send(self, issue)

    monkeypatch.setattr(read_ahead, "MIN_BYTES", 0)
    monkeypatch.setattr(plan_store_process.PlanStoreProcess, "send", killing_the_child)
    point_at(sandbox)
    before = _writes(sandbox)
    assert main(["run", *FIRST, "--yes", *FAST]) == 2  # a MigratorError: the run stopped, nothing written
    err = capsys.readouterr().err
    assert "migrator: the process storing the plan ended before the plan was stored (exit code -9)" in err
    assert "Run the same command again" in err and "Traceback" not in err
    assert _writes(sandbox) == before  # nothing was sent

    monkeypatch.setattr(plan_store_process.PlanStoreProcess, "send", send)
    assert main(["run", *FIRST, "--yes", *FAST]) == 0
    assert _writes(sandbox)["issue_import"] == 26 + 1  # and the queue lease's marker issue
