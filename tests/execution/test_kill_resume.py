"""SIGKILL a real migration process at many points — including between a write and its
checkpoint — then re-run the same command until done: the target holds exactly one of every
object and verify is clean."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from execution.helpers_executor import (
    client_for,
    demo_local_field,
    make_plan,
    object_count,
    sandbox_server,
    writes,
)
from migrator.planning import load_plan
from migrator.state import CheckpointStore
from migrator.verify import verify

RUNNER = Path(__file__).with_name("helpers_kill_runner.py")
KILL_POINTS = 10
DEADLINE_S = 60.0  # a hang guard, not a performance assertion


def _env(server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_API_URL=server.url, TRACKER_TOKEN=server.admin_token, TRACKER_ORG_ID=str(server.org_id)
    )
    return env


def _start(state: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(RUNNER), str(state), "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_at(proc: subprocess.Popen[bytes], server, target: int, rng: random.Random) -> bool:
    """SIGKILL ``proc`` once the sandbox has received ``target`` writes in all; False if it finished first."""
    target = max(target, writes(server.stats()) + 1)
    deadline = time.monotonic() + DEADLINE_S
    while proc.poll() is None and writes(server.stats()) < target:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the migration made no progress")
        time.sleep(0.001)
    if proc.poll() is not None:
        return False
    # The new write is being held by the sandbox's latency: killing now leaves an in-flight row
    # whose write lands anyway. Sometimes wait a little, to die at other points of the cycle.
    if rng.random() < 0.4:
        time.sleep(rng.uniform(0.0, 0.05))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return True


def test_sigkill_anywhere_then_resume_gives_exactly_one_of_everything(tmp_path: Path) -> None:
    local_field = demo_local_field()
    plan = make_plan(24, tmp_path / "files", local_fields={local_field: "Acme"})
    state = tmp_path / "state.sqlite"
    with CheckpointStore(state) as store:
        load_plan(store, plan, "kill", "DEMO")
    rng = random.Random(20240601)
    with sandbox_server(latency_ms=25) as server:
        env = _env(server)
        kills = 0
        # kill points spread over the whole run: issue chains, links, local-field patches
        for target in sorted(rng.sample(range(1, object_count(plan) - 2), KILL_POINTS)):
            if not _kill_at(_start(state, env), server, target, rng):
                break
            kills += 1
        for _ in range(3):  # re-run the same command until it completes
            done = subprocess.run(
                [sys.executable, str(RUNNER), str(state), "3"],
                env=env,
                capture_output=True,
                timeout=DEADLINE_S,
            )
            if done.returncode == 0:
                break
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert kills == KILL_POINTS

        with CheckpointStore(state) as store, client_for(server) as client:
            status = store.status_summary()
            assert status.complete and status.unsure == 0
            assert sum(sum(by.values()) for by in status.counts.values()) == object_count(plan)
            report = verify(client, plan, store)
            assert report.clean, "\n".join(report.summary_lines(50))

        conn = sqlite3.connect(state)
        reconciled = conn.execute("SELECT COUNT(*) FROM ledger WHERE reconciled = 1").fetchone()[0]
        conn.close()
        assert reconciled > 0  # some kills did land between a write and its checkpoint

        before = writes(server.stats())
        again = subprocess.run(
            [sys.executable, str(RUNNER), str(state), "3"], env=env, capture_output=True, timeout=DEADLINE_S
        )
        assert again.returncode == 0
        assert json.loads(again.stdout)["writes"] == 0
        assert writes(server.stats()) == before


ROOT = Path(__file__).resolve().parents[2]  # the repository (samples/, mappings/)
SAMPLE = ["samples/jira/issues.csv", "--mapping", "mappings/jira-csv.yaml"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrator", *args]


def test_cli_run_killed_anywhere_resumes_with_the_same_command(tmp_path: Path) -> None:
    """The issue's own words: SIGKILL `migrator run` (a real subprocess) at many points, re-run the
    same command, and the target holds exactly one of every object and `migrator verify` is clean."""
    run = _cli(
        "run",
        *SAMPLE,
        "--state",
        str(tmp_path / "state.sqlite"),
        "--yes",
        "--no-progress",
        "--workers",
        "3",
        "--max-rps",
        "1000",
    )
    rng = random.Random(7)
    with sandbox_server(latency_ms=25) as server:
        env = _env(server)
        kills = 0
        for target in (1, 2, 5, 9, 17, 30, 46, 63, 80, 97):
            proc = subprocess.Popen(run, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if not _kill_at(proc, server, target, rng):
                break
            kills += 1
        assert kills >= 8, "the run finished before most kill points: raise latency or lower the targets"
        done = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

        verify_run = subprocess.run(
            _cli(
                "verify",
                *SAMPLE,
                "--state",
                str(tmp_path / "state.sqlite"),
                "--output",
                str(tmp_path / "v.json"),
            ),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify_run.returncode == 0, verify_run.stdout[-3000:]
        diff = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
        assert diff["clean"] is True

        # exactly one of every object: the sandbox holds what the sample has, no more
        objects = server.stats()["objects"]
        # (+1 issue: the queue's import-lease marker, migrator/execution/queue_lease.py)
        assert objects["issues"] == 26 + 1 and objects["comments"] == 51 and objects["worklogs"] == 10
        assert objects["attachments"] == 9
        conn = sqlite3.connect(tmp_path / "state.sqlite")
        reconciled = conn.execute("SELECT COUNT(*) FROM ledger WHERE reconciled = 1").fetchone()[0]
        conn.close()
        assert reconciled > 0  # some kills landed between a write and its checkpoint

        before = writes(server.stats())
        again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0
        assert writes(server.stats()) == before  # a finished run re-run writes nothing
