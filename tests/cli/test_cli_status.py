"""`migrator status` shows done/pending/failed per kind with reasons; `--retry-failed` retries them."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.cli import main
from migrator.sandbox import SandboxConfig, SandboxServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]


def test_status_lists_failures_and_retry_failed_lands_them(
    point_at, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    # A target stricter than the validator knows: summaries over 40 characters are refused (400).
    with SandboxServer(SandboxConfig(max_summary=40), port=0) as server:
        point_at(server)
        run = ["run", *SAMPLE, "--yes", "--no-progress", "--max-rps", "1000"]
        assert main(run) == 1
        capsys.readouterr()

        assert main(["status"]) == 1
        out = capsys.readouterr().out
        assert "failed" in out and "blocked" in out
        assert "summary" in out  # the reason is Tracker's own message naming the field
        failed_issues = server.stats()["objects"]["issues"]
        assert 0 < failed_issues - 1 < 26  # minus the queue's import-lease marker

        server.app.config.max_summary = 255  # the cause is fixed on the target side
        assert main([*run, "--retry-failed"]) == 0
        capsys.readouterr()
        assert main(["status"]) == 0
        assert server.stats()["objects"]["issues"] == 26 + 1


def test_status_reads_beside_a_run_holding_the_checkpoint_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` does not take the run's lock (SQLite WAL lets it read beside the writer); it says a run is on."""
    import os

    from execution.helpers_executor import make_plan

    from migrator.planning import load_plan
    from migrator.run_lock import StateFileLock
    from migrator.state import CheckpointStore

    state = tmp_path / "busy.state.sqlite"
    with CheckpointStore(state) as store:
        load_plan(store, make_plan(3, tmp_path / "files"), "busy", "DEMO")
    with StateFileLock(state, "migrator run export.csv --yes"), CheckpointStore(state) as writer:
        writer.mark_in_flight(writer.rows_for_issue("S-1", ("issue",))[0].id)
        assert main(["status", "--state", str(state)]) == 0
    out = capsys.readouterr().out
    assert f"a run is in progress on {state} (pid {os.getpid()}" in out
    assert "migrator run export.csv --yes" in out
    assert "namespace busy" in out
