"""Issue 8, defect 1: two `migrator run` at once — on one checkpoint file, or on two checkpoint files
(same or other namespace) into one queue — must not both write: the second exits 2 naming the first,
and the target holds exactly one of every object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from execution.helpers_executor import sandbox_server, writes, writes_by_kind

from migrator.cli import main
from migrator.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]
SAMPLE_OBJECTS = {"issues": 26, "comments": 51, "worklogs": 10, "attachments": 9}
CHILD_WRITES = ("comment_import", "attachment_import", "worklog_import", "link_import")
# Once the first run writes, every request takes this long, so it is still busy while the others
# start (however loaded the machine); back to 0 once they have been refused.
CRAWL_MS = 500
HANG_GUARD_S = 120
pytestmark = pytest.mark.slow


def _env(server: SandboxServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_API_URL=server.url, TRACKER_TOKEN=server.admin_token, TRACKER_ORG_ID=str(server.org_id)
    )
    return env


def _run_args(state: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "migrator",
        "run",
        *SAMPLE,
        "--state",
        str(state),
        "--yes",
        "--no-progress",
        "--workers",
        "2",
        "--max-rps",
        "1000",
        *extra,
    ]


def _start_and_wait_for_writes(args: list[str], cwd: Path, server: SandboxServer) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        args, cwd=cwd, env=_env(server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + HANG_GUARD_S
    while writes(server.stats()) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first run never started writing"
        time.sleep(0.02)
    server.set_faults(latency_ms=CRAWL_MS)
    return proc


def _run(args: list[str], cwd: Path, server: SandboxServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(server), capture_output=True, text=True, timeout=HANG_GUARD_S
    )


def _run_together(
    commands: list[list[str]], cwd: Path, server: SandboxServer
) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            args, cwd=cwd, env=_env(server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in commands
    ]
    done = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=HANG_GUARD_S)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


def _finish(proc: subprocess.Popen[str]) -> None:
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]


def _assert_exactly_one_of_everything(server: SandboxServer, copies: int = 1) -> None:
    objects = server.stats()["objects"]
    assert objects["issues"] == SAMPLE_OBJECTS["issues"] * copies + 1  # + the queue's lease marker
    for kind in ("comments", "worklogs", "attachments"):
        assert objects[kind] == SAMPLE_OBJECTS[kind] * copies, kind


def _verify_clean(state: Path, *extra: str) -> None:
    """In-process (the environment points at the server: ``point_at``)."""
    output = state.with_suffix(".verify.json")
    args = ["verify", *SAMPLE, "--state", str(state), "--output", str(output), "--no-progress", *extra]
    assert main(args) == 0
    assert json.loads(output.read_text(encoding="utf-8"))["clean"] is True


def _run_in_process(state: Path, *extra: str) -> int:
    return main(_run_args(state, *extra)[3:])


def test_second_run_on_the_same_state_file_exits_2_naming_the_first(tmp_path: Path, point_at) -> None:  # noqa: ANN001
    state = tmp_path / "one.state.sqlite"
    with sandbox_server() as server:
        point_at(server)
        first = _start_and_wait_for_writes(_run_args(state), tmp_path, server)
        second = _run(_run_args(state), tmp_path, server)
        assert first.poll() is None, "the first run ended before the second started: raise CRAWL_MS"
        assert second.returncode == 2, second.stdout[-2000:] + second.stderr[-2000:]
        assert (
            f"{state}: the checkpoint file is in use by another migrator run: pid {first.pid}"
            in second.stderr
        )
        assert "Traceback" not in second.stderr
        server.set_faults(latency_ms=0)
        _finish(first)
        _assert_exactly_one_of_everything(server)
        _verify_clean(state)


def test_runs_with_other_state_files_wait_for_the_queue_then_duplicate_nothing(
    tmp_path: Path, point_at
) -> None:  # noqa: ANN001
    first_state, same_ns_state, other_ns_state = (tmp_path / f"{n}.state.sqlite" for n in ("a", "b", "c"))
    with sandbox_server() as server:
        point_at(server)
        first = _start_and_wait_for_writes(_run_args(first_state), tmp_path, server)
        same_namespace, other_namespace = _run_together(
            [_run_args(same_ns_state), _run_args(other_ns_state, "--namespace", "second-copy")],
            tmp_path,
            server,
        )
        assert first.poll() is None, "the first run ended before the others started: raise CRAWL_MS"
        for refused in (same_namespace, other_namespace):
            assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr[-2000:]
            assert (
                "queue DEMO: another migrator run is importing into it (namespace 'jira-sample'"
                in refused.stderr
            )
            assert "--ignore-queue-lock" in refused.stderr and "Traceback" not in refused.stderr
        server.set_faults(latency_ms=0)
        _finish(first)
        _assert_exactly_one_of_everything(server)

        # The same namespace from another checkpoint file, once the queue is free: every issue is
        # found by unique (409), every child looked up before it is sent — none is written again.
        before = writes_by_kind(server.stats())
        assert _run_in_process(same_ns_state) == 0
        after = writes_by_kind(server.stats())
        assert {kind: after[kind] - before[kind] for kind in CHILD_WRITES} == dict.fromkeys(CHILD_WRITES, 0)
        _assert_exactly_one_of_everything(server)
        _verify_clean(same_ns_state)

        # Another namespace, once the queue is free: a second, complete copy.
        assert _run_in_process(other_ns_state, "--namespace", "second-copy") == 0
        _assert_exactly_one_of_everything(server, copies=2)
        _verify_clean(other_ns_state, "--namespace", "second-copy")
