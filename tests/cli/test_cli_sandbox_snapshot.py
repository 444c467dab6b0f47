"""A staging rehearsal with the real org's rules: the embedded sandbox seeded from a snapshot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from migrator.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]


def test_embedded_sandbox_seeded_from_a_snapshot_enforces_that_orgs_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [k for k in os.environ if k.startswith("TRACKER_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert main(["snapshot", "--queue", "DEMO", "-o", "org.json"]) == 0
    snapshot = json.loads((tmp_path / "org.json").read_text(encoding="utf-8"))
    assert not any("token" in user for user in snapshot["users"])
    # The "real" org's workflow has no `resolved` status; the sample uses it.
    for queue in snapshot["queues"]:
        for workflow in queue["workflows"]:
            workflow["statuses"] = [s for s in workflow["statuses"] if s != "resolved"]
    (tmp_path / "org.json").write_text(json.dumps(snapshot), encoding="utf-8")
    capsys.readouterr()

    code = main(
        [
            "run",
            *SAMPLE,
            "--yes",
            "--no-progress",
            "--max-rps",
            "1000",
            "--sandbox-fixture",
            "org.json",
            "--sandbox-data",
            "rehearsal.sqlite",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "status.not_in_workflow" in out and "Nothing was written" in out

    # The checkpoint file is bound to the rehearsal org: reusing it against another target is refused ...
    assert main(["run", *SAMPLE, "--yes", "--no-progress"]) == 2
    assert "use another --state file" in capsys.readouterr().err
    # ... and the same export against the default org, with its own state file, lands.
    assert (
        main(["run", *SAMPLE, "--yes", "--no-progress", "--max-rps", "1000", "--state", "default.sqlite"])
        == 0
    )
