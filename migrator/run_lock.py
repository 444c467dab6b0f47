"""One run per checkpoint file: an OS-level exclusive lock on a sidecar ``<state>.lock`` file.

``migrator run`` holds ``fcntl.flock(LOCK_EX)`` on ``<state file>.lock`` from before it opens the
checkpoint file until it exits. The kernel drops the lock when the process dies, however it dies
(SIGKILL included), so a killed run never leaves a stale lock and the same command resumes at once.
While it holds the lock the file names the holder (pid, host, start time, command), so a second run
refuses with one message saying who holds it.

The lock file is never deleted: removing it while another process waits on it would let two
processes lock two different files of the same name. ``status`` and ``verify`` do not take the lock
(they only read the SQLite ledger, which WAL mode allows beside a writer); they may :func:`probe` it
to say that a run is in progress.

Hand-written on ``fcntl`` rather than with the ``filelock`` package: that one truncates the lock file
when it opens it, which would erase the holder's details that the refusal message shows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from migrator.errors import MigratorError

# A reader probing the lock holds it (shared) for microseconds; a run that meets such a probe
# retries for this long before it concludes that another run holds the file.
ACQUIRE_PATIENCE_S = 1.0
_RETRY_EVERY_S = 0.05


def lock_path(state_path: Path) -> Path:
    """The sidecar lock file of a checkpoint file."""
    return state_path.with_name(state_path.name + ".lock")


@dataclass(frozen=True)
class LockHolder:
    """Who holds a checkpoint file's lock, as the holder wrote it."""

    pid: int | None
    host: str | None
    since: str | None  # ISO 8601, UTC
    command: str | None

    def describe(self) -> str:
        if self.pid is None and self.host is None:
            return "another process (it has not written its details yet)"
        parts = [f"pid {self.pid}" if self.pid is not None else "a process"]
        if self.host:
            parts.append(f"on host {self.host}")
        if self.since:
            parts.append(f"since {self.since}")
        text = " ".join(parts)
        return f"{text} ({self.command})" if self.command else text

    @classmethod
    def parse(cls, text: str) -> LockHolder:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls(None, None, None, None)
        pid = data.get("pid")
        return cls(
            pid if isinstance(pid, int) else None,
            _str(data.get("host")),
            _str(data.get("since")),
            _str(data.get("command")),
        )


class StateFileInUse(MigratorError):
    """Another process holds the checkpoint file's lock."""

    def __init__(self, state_path: Path, holder: LockHolder) -> None:
        self.holder = holder
        super().__init__(
            f"{state_path}: the checkpoint file is in use by another migrator run: {holder.describe()}",
            hint="wait for that run to finish (or stop it: a stopped run resumes with the same command); "
            "to run a second import at the same time, give it its own --state file",
        )


class StateFileLock:
    """The exclusive lock of one checkpoint file, held by this process between acquire and release."""

    def __init__(
        self,
        state_path: Path,
        command: str,
        *,
        patience_s: float = ACQUIRE_PATIENCE_S,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state_path = state_path
        self.path = lock_path(state_path)
        self.command = command
        self._patience_s = patience_s
        self._sleep = sleep
        self._monotonic = monotonic
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock and write this process's details into the lock file; raises
        :class:`StateFileInUse` (exit code 2) naming the holder when another process has it."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._lock(fd)
            os.ftruncate(fd, 0)
            os.pwrite(fd, self._details().encode("utf-8"), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Unlock (the details stay in the file; they describe the last holder, no one once unlocked)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> StateFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _lock(self, fd: int) -> None:
        deadline = self._monotonic() + self._patience_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if self._monotonic() >= deadline:
                    raise StateFileInUse(self.state_path, _read_holder(fd)) from None
                self._sleep(_RETRY_EVERY_S)

    def _details(self) -> str:
        return json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": self.command,
            },
            ensure_ascii=False,
        )


@contextmanager
def holding_state_file(state_path: Path, command: str) -> Iterator[StateFileLock]:
    """``with holding_state_file(path, "migrator run ..."):`` — the whole run holds the file."""
    lock = StateFileLock(state_path, command)
    with lock:
        yield lock


def probe(state_path: Path) -> LockHolder | None:
    """Who holds the checkpoint file's lock right now (None: no one). Takes the lock shared for an
    instant; a run starting in that instant waits for it (see ``ACQUIRE_PATIENCE_S``)."""
    path = lock_path(state_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> LockHolder:
    with contextlib.suppress(OSError):
        return LockHolder.parse(os.pread(fd, 4096, 0).decode("utf-8", errors="replace"))
    return LockHolder(None, None, None, None)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
