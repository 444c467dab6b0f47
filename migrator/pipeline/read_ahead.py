"""The sources stage in its own process, for large exports: the export is read, its records built
into issues (values parsed, children attached, the duplicate and reference checks of the readers)
in a child process while this one transforms and checks the issues already read.

Why a process: after the texts went to a pool, the pass was bound by one core — reading and
building the issues was half of it, the transform and the global checks the other half. Both are
CPU-bound Python, so a thread would not help.

Same result as reading in this process, by construction: the child runs the very same
``read_issues`` with a findings collection that only holds what was added since it was last
emptied; each issue travels with the findings its reading added, and :class:`ReadAheadStream`
adds them to the real collection just before it hands the issue on — the same findings, in the same
order relative to every issue, as when ``read_issues`` runs here. The child starts at once but
nothing waits for it until the first issue is asked for (the caller starts its own work
meanwhile): problems with the set-up (``MigratorError``) are raised then, with their own type and
message; one found mid-stream is raised where the stream stood.

The child holds no state of this process and never outlives it: it is started with ``spawn`` (a
fresh interpreter: no inherited threads, locks or SQLite connections), ignores Ctrl-C (this
process stops it), gives up when this process has gone, and is stopped whenever the stream is
closed early. What it sends waits in a bounded queue: it reads at most ``QUEUE_BATCHES`` batches
ahead, so memory does not grow with the export.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Finding, Findings
from migrator.model import Issue
from migrator.sources.inputs import existing_sources
from migrator.sources.reading import read_issues
from migrator.sources.spec import SourceSpec

# Below this size of SOURCE files (≈ 9,000 issues of a Jira CSV with comments) starting a process
# costs about what it saves.
MIN_BYTES = 4 << 20
BATCH_ISSUES = 128  # issues per message: one pickle and one queue hand-over per batch, not per issue
QUEUE_BATCHES = 32  # batches the child may read ahead of the transform (~4,000 issues, ~10 MiB)
POLL_SECONDS = 1.0  # how often either side checks that the other is still there
STOP_SECONDS = 10.0  # how long a stopped child may take to clean up before it is killed
# The child builds a dozen short-lived objects per value read; collect the young generation less
# often while it reads (as ``prepared.STREAM_GC_THRESHOLD`` does in this process).
CHILD_GC_THRESHOLD = 20_000

Batch = list[tuple[list[Finding], Issue]]


@dataclass(frozen=True)
class ReadAhead:
    """The default sources stage (``Stages.read``): ``read_issues`` in a child process when the
    SOURCE files hold at least ``min_bytes`` (``0`` = always, tests), in this process otherwise."""

    min_bytes: int = MIN_BYTES

    def __call__(self, source: SourceSpec, paths: Sequence[Path], findings: Findings) -> Iterator[Issue]:
        if not self.in_child(paths):
            return read_issues(source, paths, findings)
        return ReadAheadStream(source, paths, findings)

    def in_child(self, paths: Sequence[Path]) -> bool:
        """Whether these SOURCE files are read in a child process (they hold at least ``min_bytes``)."""
        return export_bytes(paths, enough=self.min_bytes) >= self.min_bytes


class ReadStarted:
    """A sources stage started before the pass: for an export of at least ``min_bytes`` the child
    is spawned now (``run`` does this while its first metadata reads are in flight: the child
    imports and starts reading — the id → key pre-pass, the first batches — while this process
    opens the ledger, checks the lease and imports what the pass needs; 0.5–1 s that the pass
    waited for its first issue). The pass asks for the stage as usual and gets that stream; a
    smaller export is read when the pass asks (``ReadAhead``), set-up errors included. ``close()``
    stops a child nobody asked for (the run was refused before its pass)."""

    def __init__(
        self, source: SourceSpec, paths: Sequence[Path], findings: Findings, *, min_bytes: int = MIN_BYTES
    ) -> None:
        self._for = (source, [Path(p) for p in paths], findings)
        self._fallback = ReadAhead(min_bytes)
        self._started = ReadAheadStream(source, paths, findings) if self._fallback.in_child(paths) else None

    @property
    def started(self) -> bool:
        return self._started is not None

    def __call__(self, source: SourceSpec, paths: Sequence[Path], findings: Findings) -> Iterator[Issue]:
        started, self._started = self._started, None
        wanted_source, wanted_paths, wanted_findings = self._for
        same = (
            source is wanted_source
            and findings is wanted_findings
            and [Path(p) for p in paths] == wanted_paths
        )
        if started is not None and same:
            return started
        if started is not None:
            started.close()  # started for another reading: not this one's stream
        return self._fallback(source, paths, findings)

    def close(self) -> None:
        started, self._started = self._started, None
        if started is not None:
            started.close()


def export_bytes(paths: Sequence[Path], *, enough: int = MIN_BYTES) -> int:
    """The size of the SOURCE files (folders walked, patterns expanded as reading expands them);
    counting stops once it passes ``enough``. Paths that do not exist count nothing (reading
    reports them)."""
    total = 0
    for file in _files(existing_sources(paths)):
        total += _size(file)
        if total >= enough:
            break
    return total


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for folder, _, names in os.walk(path):
                yield from (Path(folder) / name for name in names)
        else:
            yield path


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a file removed while walking, or a broken link: reading reports what it needs
        return 0


class ReadAheadStream(Iterator[Issue]):
    """The issues ``read_issues`` yields, read in a child process; ``findings`` receives what the
    reading found, each finding just before the issue it was found before. The child is started
    here; the set-up's findings, or its ``MigratorError``, arrive with the first issue asked for."""

    def __init__(self, source: SourceSpec, paths: Sequence[Path], findings: Findings) -> None:
        context = multiprocessing.get_context("spawn")
        self._findings = findings
        self._batch: Iterator[tuple[list[Finding], Issue]] = iter(())
        self._done = False
        self._queue: Queue[bytes] = context.Queue(maxsize=QUEUE_BATCHES)
        self._process: SpawnProcess = context.Process(
            target=_read_in_child,
            args=(source, [Path(p) for p in paths], os.getcwd(), os.getpid(), self._queue),
            name="migrator-read-ahead",
            daemon=True,
        )
        self._process.start()  # its first message (the set-up's findings, or its error) is read by __next__
        # This process only reads. Its copy of the queue's write end would keep the pipe open after
        # the child died: a child killed half-way through writing a batch (larger than a pipe holds)
        # left half a message, and reading it waited forever for the rest. Closed, that is an end of
        # file (the child has its own copy: spawn handed it over in ``start``).
        self._queue._writer.close()  # type: ignore[attr-defined]  # multiprocessing.Queue's write end

    def __next__(self) -> Issue:
        while True:
            for found, issue in self._batch:
                self._findings.extend(found)
                return issue
            if self._done:
                raise StopIteration
            try:
                self._receive()
            except BaseException:
                self.close()
                raise

    def _receive(self) -> None:
        kind, body = self._next_message()
        if kind == "issues":
            self._batch = iter(body)
        elif kind in ("ready", "end"):
            self._findings.extend(body)
            self._done = kind == "end"
            if self._done:
                self.close()
        else:  # "error": the child's exception, already in the form to raise
            self._done = True
            raise body

    def _next_message(self) -> tuple[str, Any]:
        while True:
            try:
                message: tuple[str, Any] = pickle.loads(self._queue.get(timeout=POLL_SECONDS))
                return message
            except (queue.Empty, EOFError, OSError) as exc:
                # EOFError: the child is gone between messages; OSError ("end of file during
                # message"): it died half-way through writing one.
                broken = not isinstance(exc, queue.Empty)
                if broken:
                    self._process.join(timeout=STOP_SECONDS)
                if broken or not self._process.is_alive():
                    raise MigratorError(
                        "the process reading the export ended before the export did "
                        f"(exit code {self._process.exitcode})",
                        hint="its own message, if it left one, is above; killed by the system, it may have "
                        "run out of memory (see the system log). Nothing was sent to Tracker: run the same command again",
                    ) from None

    def close(self) -> None:
        """Stop the child (the stream was read to its end, or is abandoned)."""
        finished, self._done = self._done, True
        self._batch = iter(())
        if finished:  # it sent its last message and is exiting on its own
            self._process.join(timeout=STOP_SECONDS)
        if self._process.is_alive():
            self._process.terminate()  # the child cleans up its temporary files and exits
            self._process.join(timeout=STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._queue.close()

    def __del__(self) -> None:
        if not self._done:
            self.close()


class _Outbox(Findings):
    """The child's findings: only what was added since the last :meth:`take` — the reader never
    reads its findings back, so nothing else is kept."""

    def __init__(self) -> None:
        super().__init__()
        self._pending: list[Finding] = []

    def append(self, finding: Finding) -> None:
        self._pending.append(finding)

    def take(self) -> list[Finding]:
        taken, self._pending = self._pending, []
        return taken


def _read_in_child(source: SourceSpec, paths: list[Path], cwd: str, parent: int, out: Queue[bytes]) -> None:
    """The child's whole life: read the export, send it in batches, then ``end`` (or ``error``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    signal.signal(signal.SIGTERM, functools.partial(_stop, out))
    os.chdir(cwd)  # relative SOURCE paths and the archive cache resolve as in the parent
    gc.set_threshold(CHILD_GC_THRESHOLD, *gc.get_threshold()[1:])
    send = _Sender(out, parent)
    findings = _Outbox()
    try:
        issues = read_issues(source, paths, findings)
        send("ready", findings.take())
        batch: Batch = []
        for issue in issues:
            batch.append((findings.take(), issue))
            if len(batch) >= BATCH_ISSUES:
                send("issues", batch)
                batch = []
        if batch:
            send("issues", batch)
        send("end", findings.take())
    except _ParentGone:
        out.cancel_join_thread()  # what is still queued has no reader: exit without flushing it
    except MigratorError as exc:
        send("error", exc)
    except Exception:  # noqa: BLE001  (a bug: not swallowed, the parent raises it with this traceback)
        send("error", RuntimeError(f"reading the export failed:\n{traceback.format_exc()}".rstrip()))


def _stop(out: Queue[bytes], signum: int, frame: object) -> None:
    """SIGTERM from the parent: leave through ``SystemExit``, so that the reader's temporary files
    are removed, without waiting for what is still queued (nobody will read it)."""
    out.cancel_join_thread()
    raise SystemExit(0)


class _ParentGone(Exception):
    """The process that started the child is gone: nobody will read what it sends."""


@dataclass(frozen=True)
class _Sender:
    """Pickles here, not in the queue's feeder thread: a message that cannot be pickled is then an
    error of the child's reading (sent to the parent) instead of a batch silently dropped."""

    out: Queue[bytes]
    parent: int

    def __call__(self, kind: str, body: Any) -> None:
        message = pickle.dumps((kind, body), protocol=pickle.HIGHEST_PROTOCOL)
        while True:
            try:
                self.out.put(message, timeout=POLL_SECONDS)
                return
            except queue.Full:
                if os.getppid() != self.parent:
                    raise _ParentGone from None
