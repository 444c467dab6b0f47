"""The checkpoint file's lock: one holder, who it is, and released by the OS when the holder dies."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrator.run_lock import LockHolder, StateFileInUse, StateFileLock, lock_path, probe

HOLDER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from migrator.run_lock import StateFileLock
    lock = StateFileLock(Path(sys.argv[1]), "migrator run export.csv --yes")
    lock.acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


def _holder_process(state: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, str(state)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    state = tmp_path / "run.state.sqlite"
    with StateFileLock(state, "migrator run a.csv"):
        details = json.loads(lock_path(state).read_text(encoding="utf-8"))
        assert details["pid"] == os.getpid() and details["command"] == "migrator run a.csv"
        second = StateFileLock(state, "migrator run b.csv", patience_s=0.0)
        with pytest.raises(StateFileInUse) as refused:
            second.acquire()
        message = str(refused.value)
        assert str(state) in message and f"pid {os.getpid()}" in message and "migrator run a.csv" in message
        assert refused.value.exit_code == 2
        assert not second.held
    again = StateFileLock(state, "migrator run b.csv", patience_s=0.0)
    again.acquire()  # released on exit
    again.release()


def test_lock_of_a_killed_process_is_free_at_once(tmp_path: Path) -> None:
    state = tmp_path / "run.state.sqlite"
    proc = _holder_process(state)
    try:
        holder = probe(state)
        assert holder is not None and holder.pid == proc.pid
        with pytest.raises(StateFileInUse, match=f"pid {proc.pid}"):
            StateFileLock(state, "second", patience_s=0.0).acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert probe(state) is None  # the kernel dropped the dead process's lock
    with StateFileLock(state, "resumed", patience_s=0.0) as lock:
        assert lock.held


def test_probe_says_no_one_when_unlocked_or_never_locked(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    assert probe(state) is None
    with StateFileLock(state, "x"):
        pass
    assert probe(state) is None
    assert lock_path(state).exists()  # never deleted (see the module docstring)


def test_a_probe_does_not_make_a_starting_run_fail(tmp_path: Path) -> None:
    """A reader's instant shared lock makes the run wait a moment, not refuse."""
    state = tmp_path / "s.sqlite"
    lock_path(state).write_text("", encoding="utf-8")
    fd = os.open(lock_path(state), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    sleeps: list[float] = []

    def release_on_first_wait(seconds: float) -> None:
        sleeps.append(seconds)
        fcntl.flock(fd, fcntl.LOCK_UN)

    try:
        lock = StateFileLock(state, "run", sleep=release_on_first_wait)
        lock.acquire()
        assert lock.held and len(sleeps) == 1
        lock.release()
    finally:
        os.close(fd)


def test_holder_details_that_cannot_be_read_still_give_a_message() -> None:
    assert "another process" in LockHolder.parse("").describe()
    assert "another process" in LockHolder.parse("[1, 2]").describe()
    holder = LockHolder.parse('{"pid": 7, "host": "h", "since": "2024-01-01T00:00:00+00:00"}')
    assert holder.describe() == "pid 7 on host h since 2024-01-01T00:00:00+00:00"
