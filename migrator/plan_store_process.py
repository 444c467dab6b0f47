"""The plan load in its own process, for ``run`` on a large export: ``planning.load_plan`` — the
walk, the delta comparison, the keys, the ledger's rows, the revisions and the tail — runs in a
child process, fed the planned issues as this process transforms and checks them.

Why a process: the pass is bound by this process's core, and a third of its CPU was storing the plan
(chains, fingerprints, JSON, SQLite). A thread would share the GIL with the transform (tried: slower).
Sending an issue costs this process one pickle (about a tenth of what storing it cost).

Same ledger as a load in this process, by construction: the child runs the very same ``load_plan``
on its own connection to the checkpoint file, in one transaction, with the same issues in the same
order. What the load asks for only once the stream has ended comes from this process then: the
revisions (in the ``end`` message) and, if some issue needs a new key, the queue's highest key
number (the child asks for it; no request when no key is new). What comes back: the load's
``PlanLoadStats``, the findings the planner added (a first load adds none while the stream runs, a
delta load none before the stream has ended: appended at the end, they are in the order they would
have had) and the ``DeltaSummary`` counts. The delta path (an earlier import) runs in the child too:
it is the heaviest load (every issue spooled, compared with the ledger, then stored).

Never a half-stored plan, never a commit after this process is gone: the child commits only when
this process answers its ``ready`` with ``commit``. When this process stops, fails or is killed
before that, the child's pipe closes; the child rolls the load back and exits. When the child dies,
this process raises a :class:`MigratorError` (nothing of the load was kept: the same command starts
it again). The child ignores Ctrl-C (this process stops it) and holds no lock: the run lock stays
with this process, which outlives the child.

Messages are pickled tuples ``(kind, body)`` on two one-way pipes (each side sees the other's end as
EOF, however it ended). To this child: ``issues`` (a batch), ``end`` (the revisions), ``highest``
(the answer), ``commit``. From it: ``highest?``, ``ready``, ``done`` (the results), ``error``.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any, NoReturn

from migrator.delta import DeltaSummary
from migrator.errors import MigratorError
from migrator.findings import Finding, Findings
from migrator.plan import PlannedIssue, PlanRevisions
from migrator.planning import Revisions, load_plan
from migrator.planning_texts import KeyPlan
from migrator.state import CheckpointStore, PlanLoadStats

BATCH_ISSUES = 128  # issues per message: one pickle and one pipe write per batch, not per issue
QUEUE_BATCHES = 32  # batches received ahead of the load (the child's inbox; ~4,000 issues)
STOP_SECONDS = 10.0  # how long a stopped child may take to roll back before it is killed
# The load builds a dozen short-lived objects per row (as the pass does: ``prepared.STREAM_GC_THRESHOLD``).
CHILD_GC_THRESHOLD = 20_000


@dataclass(frozen=True)
class LoadSettings:
    """What ``load_plan`` takes besides the store and the stream, as the child receives it.
    ``reference_projects`` is None when the plan gives no keys (``load_plan``'s ``keys``)."""

    namespace: str
    queue: str
    reference_projects: tuple[str, ...] | None
    delete_missing: bool


@dataclass(frozen=True)
class LoadResult:
    """What the child sends back once it has committed."""

    stats: PlanLoadStats
    findings: list[Finding]
    delta: DeltaSummary


def load_plan_aside(
    store: CheckpointStore,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    *,
    keys: KeyPlan | None = None,
    revisions: Revisions | None = None,
    findings: Findings | None = None,
    delta: DeltaSummary | None = None,
    delete_missing: bool = False,
) -> PlanLoadStats:
    """``planning.load_plan`` in a child process (same arguments, same result, same ledger):
    this process reads ``planned`` and sends it on; ``store`` sees the new ledger once it returns."""
    settings = LoadSettings(
        namespace, queue, keys.reference_projects if keys is not None else None, delete_missing
    )
    summary = delta if delta is not None else DeltaSummary()
    with store.loaded_elsewhere(), PlanStoreProcess(store.path, settings, summary) as child:
        for issue in planned:
            child.send(issue)
        result = child.finish(revisions() if revisions is not None else None, keys)
    if findings is not None:
        findings.extend(result.findings)
    for item in fields(DeltaSummary):  # the caller's object: it may be referenced already
        setattr(summary, item.name, getattr(result.delta, item.name))
    return result.stats


class PlanStoreProcess:
    """The child storing the plan, seen from this process: :meth:`send` every planned issue, then
    :meth:`finish`; leaving the ``with`` block stops a child that has not committed (it rolls back)."""

    def __init__(self, path: Path, settings: LoadSettings, delta: DeltaSummary) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited locks or handles
        child_inbox, self._outbox = context.Pipe(duplex=False)
        self._inbox, child_outbox = context.Pipe(duplex=False)
        self._batch: list[PlannedIssue] = []
        self._finished = False
        self._process: SpawnProcess = context.Process(
            target=_load_in_child,
            args=(path, settings, delta, child_inbox, child_outbox),
            name="migrator-plan-store",
            daemon=True,
        )
        self._process.start()
        child_inbox.close()  # the child's ends: closed here, so either side sees the other's end as EOF
        child_outbox.close()

    def __enter__(self) -> PlanStoreProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, issue: PlannedIssue) -> None:
        self._batch.append(issue)
        if len(self._batch) >= BATCH_ISSUES:
            self._send_batch()

    def _send_batch(self) -> None:
        batch, self._batch = self._batch, []
        self._put("issues", batch)

    def finish(self, revisions: PlanRevisions | None, keys: KeyPlan | None) -> LoadResult:
        """The stream has ended: send the rest and the revisions, answer the child's questions, let
        it commit; its results."""
        if self._batch:
            self._send_batch()
        self._put("end", revisions)
        while True:
            kind, body = self._receive()
            if kind == "highest?":
                if keys is None:  # the child asks only when the plan gives keys
                    raise RuntimeError(
                        "the plan store asked for the highest key number of a plan without keys"
                    )
                self._put("highest", keys.highest_number())
            elif kind == "ready":
                self._put("commit", None)
            elif kind == "done":
                self._finished = True
                result: LoadResult = body
                return result
            else:  # "error": the child's exception, already in the form to raise
                raise body

    def _put(self, kind: str, body: Any) -> None:
        message = pickle.dumps((kind, body), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._outbox.send_bytes(message)
        except OSError:  # the child has gone: what it said last, if anything, tells why
            self._raise_child_ended()

    def _receive(self) -> tuple[str, Any]:
        try:
            message: tuple[str, Any] = pickle.loads(self._inbox.recv_bytes())
        except (EOFError, OSError):
            self._raise_child_ended()
        return message

    def _raise_child_ended(self) -> NoReturn:
        """The child's pipe closed: raise its error if it sent one before it ended, else say it ended."""
        self._process.join(timeout=STOP_SECONDS)
        error = self._last_error()
        if error is not None:
            raise error
        raise MigratorError(
            f"the process storing the plan ended before the plan was stored (exit code {self._process.exitcode})",
            hint="nothing was sent to Tracker, and the checkpoint file holds no part of a plan load; killed by "
            "the system, it may have run out of memory (see the system log). Run the same command again",
        ) from None

    def _last_error(self) -> BaseException | None:
        """The error the child sent before it ended, if it sent one."""
        try:
            while self._inbox.poll():
                kind, body = pickle.loads(self._inbox.recv_bytes())
                if kind == "error":
                    return body  # type: ignore[no-any-return]
        except (EOFError, OSError):
            return None  # it said nothing more
        return None

    def close(self) -> None:
        """Stop the child: at once when it has not committed (it rolls back), else let it exit."""
        self._outbox.close()  # the child sees EOF: without ``commit`` it rolls back and exits
        if not self._finished:
            self._process.terminate()  # a child busy in its load notices now, not at its next read
        self._process.join(timeout=STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._inbox.close()


class _ParentGone(Exception):
    """The process that started the child has gone (or stopped the load): nothing may be committed."""


class _Inbox:
    """The child's side of the messages from the parent: a thread receives them as they come (up
    to ``QUEUE_BATCHES`` ahead of the load), the load takes them in order. When the parent's end
    closes before ``commit`` was taken, the thread stops the load at once (SIGTERM to this process:
    rolled back) — not only at the load's next read, which may be the end of a long tail."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_BATCHES)
        self._committing = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="plan-store-inbox", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        try:
            while True:
                self._queue.put(self._conn.recv_bytes())
        except (EOFError, OSError):  # the parent closed its end, or is gone
            if not self._committing.is_set():  # first: the queue may be full, and nobody hurries to read it
                os.kill(os.getpid(), signal.SIGTERM)
            self._queue.put(None)

    def next(self) -> tuple[str, Any]:
        """The next message: ``(kind, body)``."""
        message = self._queue.get()
        if message is None:
            raise _ParentGone
        kind_body: tuple[str, Any] = pickle.loads(message)
        if kind_body[0] == "commit":
            self._committing.set()
        return kind_body

    def take(self, expected: str) -> Any:
        """The next message's body; it must be of kind ``expected``."""
        kind, body = self.next()
        if kind != expected:
            raise RuntimeError(f"the plan store expected {expected!r} from the run, got {kind!r}")
        return body


class _Stream(Iterator[PlannedIssue]):
    """The planned issues the parent sends, until ``end``, which brings the revisions."""

    def __init__(self, inbox: _Inbox) -> None:
        self._inbox = inbox
        self._batch: Iterator[PlannedIssue] = iter(())
        self._ended = False
        self._revisions: PlanRevisions | None = None

    def __next__(self) -> PlannedIssue:
        while True:
            for issue in self._batch:
                return issue
            if self._ended:
                raise StopIteration
            kind, body = self._inbox.next()
            if kind == "issues":
                self._batch = iter(body)
            elif kind == "end":
                self._ended, self._revisions = True, body
            else:
                raise RuntimeError(f"the plan store expected issues from the run, got {kind!r}")

    def revisions(self) -> PlanRevisions:
        if not self._ended:
            raise RuntimeError("the revisions are known once the stream has ended")
        return self._revisions if self._revisions is not None else PlanRevisions()


@dataclass(frozen=True)
class _Outbox:
    """Messages to the parent, pickled here: a result that cannot be pickled is the child's error,
    not a lost message."""

    conn: Connection

    def tell(self, kind: str, body: Any = None) -> bool:
        """Send a message; False when the parent has gone (nobody reads it)."""
        try:
            self.conn.send_bytes(pickle.dumps((kind, body), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            return False
        return True

    def ask(self, inbox: _Inbox, kind: str, expected: str) -> Any:
        """Send ``kind`` and wait for the parent's answer of kind ``expected``."""
        if not self.tell(kind):
            raise _ParentGone
        return inbox.take(expected)


def _load_in_child(
    path: Path, settings: LoadSettings, delta: DeltaSummary, inbox_conn: Connection, outbox_conn: Connection
) -> None:
    """The child's whole life: load the plan as it streams in, commit when the parent says so,
    send the results (or ``error``); roll back when the parent has gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    signal.signal(signal.SIGTERM, _stop)
    gc.set_threshold(CHILD_GC_THRESHOLD, *gc.get_threshold()[1:])
    outbox = _Outbox(outbox_conn)
    try:
        outbox.tell("done", _load(path, settings, delta, _Inbox(inbox_conn), outbox))
    except _ParentGone:
        return  # rolled back: the parent has gone, nobody waits for a message
    except MigratorError as exc:
        outbox.tell("error", exc)
    except Exception:  # noqa: BLE001  (a bug: not swallowed, the parent raises it with this traceback)
        outbox.tell("error", RuntimeError(f"storing the plan failed:\n{traceback.format_exc()}".rstrip()))


def _load(
    path: Path, settings: LoadSettings, delta: DeltaSummary, inbox: _Inbox, outbox: _Outbox
) -> LoadResult:
    stream = _Stream(inbox)
    keys = None
    if settings.reference_projects is not None:
        highest: Callable[[], int] = functools.partial(outbox.ask, inbox, "highest?", "highest")
        keys = KeyPlan(highest_number=highest, reference_projects=settings.reference_projects)
    findings = Findings()
    with CheckpointStore(path, checkpoint_after_load=False) as store:
        stats = load_plan(
            store,
            stream,
            settings.namespace,
            settings.queue,
            keys=keys,
            revisions=stream.revisions,
            findings=findings,
            delta=delta,
            delete_missing=settings.delete_missing,
            before_commit=functools.partial(outbox.ask, inbox, "ready", "commit"),
        )
    return LoadResult(stats, list(findings), delta)


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (from the parent, or from the inbox when the parent has gone): leave through
    ``SystemExit``, so that the load's transaction is rolled back and its temporary files removed."""
    raise SystemExit(0)
