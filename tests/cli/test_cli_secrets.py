"""Tokens never appear in logs, state files, reports, diffs or error messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from migrator.sandbox import SandboxConfig, SandboxServer

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "y0_SENTINEL-token-3f9a7c1e5b"
SAMPLE = ["samples/jira/issues.csv", "--mapping", "mappings/jira-csv.yaml"]


def _migrator(args: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "migrator", "-v", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.stdout + proc.stderr


def test_sentinel_token_never_leaks(tmp_path: Path) -> None:
    for name in ("samples", "mappings"):
        os.symlink(ROOT / name, tmp_path / name)
    with SandboxServer(SandboxConfig(admin_token=SENTINEL), port=0) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(TRACKER_API_URL=server.url, TRACKER_TOKEN=SENTINEL, TRACKER_ORG_ID=str(server.org_id))
        outputs = [
            _migrator(["run", *SAMPLE, "--yes", "--no-progress", "--report", "report"], env, tmp_path),
            _migrator(["status"], env, tmp_path),
            _migrator(["verify", *SAMPLE], env, tmp_path),
            _migrator(["validate", *SAMPLE, "--report", "report2"], env, tmp_path),
            _migrator(["snapshot", "--queue", "DEMO", "-o", "snap.json"], env, tmp_path),
            # failures: a wrong org and a refused token produce error messages — still no token
            _migrator(["validate", *SAMPLE], {**env, "TRACKER_ORG_ID": "999"}, tmp_path),
        ]
        server.set_faults(fault_rate=1.0)
        outputs.append(
            _migrator(["run", *SAMPLE, "--yes", "--no-progress", "--namespace", "other"], env, tmp_path)
        )
    assert "DEMO" in outputs[0] and "Traceback" not in "".join(outputs)
    for text in outputs:
        assert SENTINEL not in text
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()]
    assert any(p.suffix == ".sqlite" for p in written) and any(p.name == "report.html" for p in written)
    for path in written:
        assert SENTINEL.encode() not in path.read_bytes(), f"token found in {path}"
