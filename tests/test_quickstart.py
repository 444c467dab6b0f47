"""The README's Quickstart must stay true: run its first block's migrator commands on a fresh copy."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [[line.strip() for line in block.splitlines() if line.strip()] for block in blocks]


def test_readme_opens_with_the_two_setup_blocks() -> None:
    blocks = quickstart_blocks()
    assert len(blocks) >= 2
    assert any(line.startswith("migrator run ") for line in blocks[0]), "first block must run the main job"
    assert any("pytest" in line for line in blocks[1]), "second block must run the tests"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pytest_lines = [line for line in blocks[1] if "pytest" in line]
    assert pytest_lines and all(line in ci.splitlines() for line in pytest_lines), (
        "CI must run the README's test command"
    )


def test_quickstart_main_job_lands_the_sample_and_verifies_clean(tmp_path: Path) -> None:
    for name in ("samples", "mappings"):
        shutil.copytree(ROOT / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    commands = [line for line in quickstart_blocks()[0] if line.startswith("migrator ")]
    assert commands
    outputs = []
    for line in commands:
        argv = [sys.executable, "-m", "migrator", *shlex.split(line)[1:]]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        outputs.append(proc.stdout + proc.stderr)
        assert proc.returncode == 0, f"{line!r} failed:\n{proc.stdout}\n{proc.stderr}"
    assert "EMBEDDED SANDBOX" in outputs[0]
    # Re-running the main job is a no-op: nothing new is written.
    rerun = subprocess.run(
        [sys.executable, "-m", "migrator", *shlex.split(commands[0])[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert re.search(r"\bwrites?\b.*\b0\b|\b0\b.*\bwrites?\b", rerun.stdout, flags=re.I), rerun.stdout
