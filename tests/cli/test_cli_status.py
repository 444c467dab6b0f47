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
        assert 0 < failed_issues < 26

        server.app.config.max_summary = 255  # the cause is fixed on the target side
        assert main([*run, "--retry-failed"]) == 0
        capsys.readouterr()
        assert main(["status"]) == 0
        assert server.stats()["objects"]["issues"] == 26
