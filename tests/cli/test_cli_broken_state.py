"""A truncated, garbage, foreign, newer or empty checkpoint file: `run`, `status` (also `--history`),
`validate` and `verify` each print one message naming the file and what to do, exit 2, write nothing —
never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from state_helpers import BROKEN, broken_state_file

from migrator.cli import main
from migrator.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]
COMMANDS = {
    "run": ["run", *SAMPLE, "--yes", "--no-progress"],
    "status": ["status"],
    "status --history": ["status", "--history"],
    "validate": ["validate", *SAMPLE, "--no-progress"],  # compares with it read-only (the delta)
    "verify": ["verify", *SAMPLE, "--no-progress"],
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_refuses_a_broken_state_file(
    tmp_path: Path, sandbox: SandboxServer, point_at, capsys, command: str, kind: str
) -> None:  # noqa: ANN001
    state = broken_state_file(tmp_path, kind)
    before = state.read_bytes()
    point_at(sandbox)
    assert main([*COMMANDS[command], "--state", str(state)]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[0] == f"migrator: {state}: " + lines[0].split(": ", 2)[2]  # names the file first
    assert BROKEN[kind] in lines[0]
    assert len(lines) == 2 and lines[1].startswith("  hint: ")  # one message and what to do
    assert state.read_bytes() == before
    objects = sandbox.stats()["objects"]
    assert objects["issues"] == objects["comments"] == objects["attachments"] == objects["links"] == 0


def test_status_and_verify_name_a_missing_state_file(
    tmp_path: Path, sandbox: SandboxServer, point_at, capsys
) -> None:  # noqa: ANN001
    point_at(sandbox)
    missing = tmp_path / "nowhere.sqlite"
    for command in ("status", "verify"):
        assert main([*COMMANDS[command], "--state", str(missing)]) == 2
        err = capsys.readouterr().err
        assert f"{missing}: no such checkpoint file" in err and "hint:" in err
    assert not missing.exists()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_real_process_prints_no_traceback(tmp_path: Path, sandbox: SandboxServer, command: str) -> None:
    state = broken_state_file(tmp_path, "truncated")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_API_URL=sandbox.url, TRACKER_TOKEN=sandbox.admin_token, TRACKER_ORG_ID=str(sandbox.org_id)
    )
    done = subprocess.run(
        [sys.executable, "-m", "migrator", *COMMANDS[command], "--state", str(state)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert f"migrator: {state}: the checkpoint file is damaged" in done.stderr
