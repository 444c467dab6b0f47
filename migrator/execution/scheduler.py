"""The run: one pipeline of units on a worker pool sized by the rate, stop, progress, the summary.

There are no phases. The ledger is read in plan order, a window at a time; each issue's
unfinished rows become units (``ready.py``): its **chain** (the issue, then its comments and files
in time order — a comment's own files right after it —, worklogs and, when a description shows
files and the mapping asks for it, the description's PATCH), each of its **links**, and its
**last** rows (the local-field ``PATCH``). A chain starts once its parent's import was attempted;
its children follow at once, while other issues are still being imported; a link starts once the
chains of both its issues are settled; the last rows once the issue's chain and links are. What a
row waits for is declared by its kind (``ObjectKind.after``).

How many units run at once follows the rate control: the limiter's ``concurrency()`` (rate ×
latency, Little's law, with headroom), re-read while the run goes, between 1 and
:data:`MAX_WORKERS`; ``workers`` caps it (and without a limiter, fixes it). The HTTP connections
are pooled and kept alive by the client.

Which rows exist and in which order (``seq``, depth) was decided by the plan stage
(``migrator/planning.py``); this module only walks them.
"""

from __future__ import annotations

import queue
import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from tqdm import tqdm

from migrator.execution.api import TrackerApi
from migrator.execution.attempt import AttemptRunner, ExecutorPolicy, Throttle
from migrator.execution.kinds import Chain, Context
from migrator.execution.matching import UserDirectory
from migrator.execution.ready import (
    STEP_OF,
    Event,
    ReadyQueue,
    Step,
    Unit,
    chain_settled,
    issue_attempted,
    links_settled,
)
from migrator.execution.registry import kind_of
from migrator.execution.summary import RunCounters, RunSummary
from migrator.state import CheckpointStore, IssueWork, LedgerRow
from migrator.tracker.ratelimit import MAX_CONCURRENCY, RateLimiter
from migrator.vocabulary import KINDS, UNFINISHED, Kind, Status

MAX_WORKERS = MAX_CONCURRENCY  # the most units in flight whatever the rate control asks
WORKERS_WITHOUT_LIMITER = 4  # no rate limiter (tests, benchmarks): nothing to size the pool by
_RETARGET_SECONDS = 0.25  # the coordinator re-reads the worker target at least this often
_SETTLED: tuple[Status, ...] = (Status.DONE, Status.FAILED, Status.BLOCKED)


class _Stop(Exception):  # noqa: N818 - control flow: the run is being interrupted
    """Raised inside a unit when the run has been asked to stop."""


def step_of(row: LedgerRow) -> Step:
    """Which unit writes the row (its kind's ``after``)."""
    return STEP_OF[kind_of(row).after]


class Executor:
    """Runs whatever is pending or in flight in ``store`` (the active namespace) against ``client``."""

    def __init__(
        self,
        client: TrackerApi,
        store: CheckpointStore,
        workers: int | None = None,
        rate_limiter: RateLimiter | None = None,
        progress: bool = True,
        *,
        policy: ExecutorPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        self.client = client
        self.store = store
        self.workers = workers
        self.policy = policy or ExecutorPolicy()
        self.progress = progress
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._throttle = Throttle(client, rate_limiter, sleep)
        self.users = UserDirectory(client)
        self._ctx = Context(client, store, self.users)
        self._counters = RunCounters()
        self._attempts = self._attempt_runner()
        self._stop = threading.Event()
        self._bar: tqdm[Any] | None = None
        self._bar_lock = threading.Lock()
        self.peak_workers = 0  # the most units that ran at once in the last run

    def _attempt_runner(self) -> AttemptRunner:
        return AttemptRunner(
            self._ctx,
            self.policy,
            self._throttle,
            self._counters,
            sleep=self._sleep,
            rng=self._rng,
            tick=self._tick,
        )

    # ------------------------------------------------------------------ run

    def run(self, retry_failed: bool = False) -> RunSummary:
        """Run everything pending or in flight; ``retry_failed`` first puts failed/blocked rows back to pending."""
        started = time.monotonic()
        if retry_failed:
            self.store.reset_failed()
        self._counters = RunCounters()
        self._attempts = self._attempt_runner()
        self._stop.clear()
        self.peak_workers = 0
        before = self.store.counts()
        total = self.store.unfinished_count()
        self._bar = tqdm(
            total=total,
            unit="obj",
            desc="import",
            dynamic_ncols=True,
            disable=not (self.progress and sys.stderr.isatty()),
        )
        try:
            pool_size = self.workers or MAX_WORKERS
            with ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="migrator") as pool:
                _Coordinator(self, pool).run()
        finally:
            self._bar.close()
        return self._counters.summary(before, self.store.counts(), time.monotonic() - started)

    def stop(self) -> None:
        """Ask the run to stop after the objects being written now (a resume continues later)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def worker_target(self) -> int:
        """Units to run at once now: the rate control's ``concurrency()`` within 1..MAX_WORKERS,
        capped by ``workers``; without a limiter, ``workers`` (default 4)."""
        limiter = self._throttle.limiter
        if limiter is None:
            return self.workers or WORKERS_WITHOUT_LIMITER
        return max(1, min(self.workers or MAX_WORKERS, limiter.concurrency()))

    def _tick(self, n: int = 1) -> None:
        if self._bar is not None and n:
            limiter = self._throttle.limiter
            with self._bar_lock:
                if limiter is not None:  # current rate and learned ceiling
                    self._bar.set_postfix_str(limiter.status().short(), refresh=False)
                self._bar.update(n)

    # ------------------------------------------------------------------ units

    def run_unit(self, unit: Unit, attempted: Callable[[], None]) -> None:
        """Write one unit's rows (in a worker thread). ``attempted`` = its issue's import was tried."""
        if unit.step == Step.CHAIN:
            self._chain(unit.issue_key, attempted)
        else:
            self._rows(unit)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stop()

    def _chain_rows(self, issue_key: str) -> list[LedgerRow]:
        return [r for r in self.store.rows_for_issue(issue_key, KINDS) if step_of(r) == Step.CHAIN]

    def _chain(self, issue_key: str, attempted: Callable[[], None]) -> None:
        chain = Chain(self.store.load_issue(issue_key), self._chain_rows(issue_key))
        issue_row = next(r for r in chain.rows if r.kind == Kind.ISSUE)
        if issue_row.status in (Status.FAILED, Status.BLOCKED):
            self._block_issue_children(issue_key, issue_row.last_error)
            return
        if issue_row.status != Status.DONE:
            self._check_stop()
            ok = self._attempts.process(issue_row, chain)
            attempted()
            if not ok:
                current = self.store.get_row(issue_row.id)
                if current.status == Status.FAILED:
                    self._block_issue_children(issue_key, current.last_error)
                return
            issue_row = self.store.get_row(issue_row.id)
            # ``unsure`` may have changed (an issue found in the target makes its children unsure).
            chain.rows = self._chain_rows(issue_key)
        chain.target_key = issue_row.target_key
        for row in chain.rows:
            kind_of(row).remember(row, chain)
        for row in chain.rows:
            if row.kind == Kind.ISSUE or row.status in _SETTLED:
                continue
            self._check_stop()
            self._child(row, chain)

    def _child(self, row: LedgerRow, chain: Chain) -> None:
        kind = kind_of(row)
        reason = kind.blocked_reason(row, chain)
        if reason is not None:
            self._tick(self.store.mark_blocked([row.id], reason))
            return
        ok = self._attempts.process(row, chain)
        kind.settled(self._ctx, row, chain, ok)

    def _block_issue_children(self, issue_key: str, reason: str | None) -> None:
        rows = self.store.rows_for_issue(issue_key, KINDS)
        ids = [r.id for r in rows if r.status in UNFINISHED and kind_of(r).blocked_with_issue]
        self._tick(self.store.mark_blocked(ids, f"issue {issue_key} failed: {reason or 'not imported'}"))

    def _rows(self, unit: Unit) -> None:
        """A link or the last rows: each row as it stands now (a chain may have made it unsure)."""
        rows = [self.store.get_row(row_id) for row_id in unit.row_ids]
        work = Chain(self.store.load_issue(unit.issue_key), rows)
        for row in work.rows:
            if row.status in UNFINISHED:
                self._check_stop()
                self._attempts.process(row, work)


@dataclass(frozen=True)
class _Attempted:
    unit: Unit


@dataclass(frozen=True)
class _Finished:
    unit: Unit
    future: Future[None]


class _Coordinator:
    """The main thread's loop: admit issues from the ledger into the ready-queue, hand ready units to
    the pool as the worker target allows, and turn what workers report into events."""

    def __init__(self, executor: Executor, pool: ThreadPoolExecutor) -> None:
        self.executor = executor
        self.store = executor.store
        self.pool = pool
        self.ready = ReadyQueue()
        self.inbox: queue.SimpleQueue[_Attempted | _Finished] = queue.SimpleQueue()
        self.running = 0
        self.cursor = -1  # the last plan position admitted
        self.exhausted = False
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._loop()
        except BaseException:
            self.executor.stop()
            while self.running:
                self._handle(self.inbox.get())
            raise
        if self.error is not None:
            raise self.error

    def _loop(self) -> None:
        while True:
            if not self.executor.stopping:
                self._admit()
                self._dispatch()
            if self.running == 0 and not self._more():
                return
            try:
                message = self.inbox.get(timeout=_RETARGET_SECONDS)
            except queue.Empty:
                continue
            self._handle(message)

    def _more(self) -> bool:
        """Nothing runs: is there anything left that can start?"""
        if self.executor.stopping:
            return False
        if self.ready.ready or not self.exhausted:
            return True
        if self.ready.release_stalled():
            return True
        if self.ready.waiting:  # every event awaited is still open, yet nothing runs: a wrong dependency
            raise RuntimeError(f"the scheduler is stuck with {self.ready.waiting} unit(s) waiting")
        return False

    def _dispatch(self) -> None:
        target = self.executor.worker_target()
        while self.running < target:
            unit = self.ready.pop()
            if unit is None:
                return
            self.running += 1
            self.executor.peak_workers = max(self.executor.peak_workers, self.running)
            future = self.pool.submit(self.executor.run_unit, unit, partial(self.inbox.put, _Attempted(unit)))
            future.add_done_callback(partial(self._report_finished, unit))

    def _report_finished(self, unit: Unit, future: Future[None]) -> None:
        """Called in the worker thread when a unit's future completes: tell the main loop."""
        self.inbox.put(_Finished(unit, future))

    def _handle(self, message: _Attempted | _Finished) -> None:
        if isinstance(message, _Attempted):
            self.ready.fire(message.unit, issue_attempted(message.unit.issue_key))
            return
        self.running -= 1
        self.ready.finished(message.unit)
        exc = message.future.exception()
        if exc is not None and not isinstance(exc, _Stop) and self.error is None:
            self.error = exc
            self.executor.stop()

    # ------------------------------------------------------------------ admission

    def _admit(self) -> None:
        """Read more issues while the ready units would not keep the workers busy."""
        batch_size = self.executor.policy.batch_size
        while not self.exhausted and self.ready.ready < max(batch_size, 2 * self.executor.worker_target()):
            batch = self.store.issues_to_run(self.cursor, limit=batch_size)
            if len(batch) < batch_size:
                self.exhausted = True
            for work in batch:
                self.cursor = work.seq
                self._admit_issue(work)

    def _admit_issue(self, work: IssueWork) -> None:
        key = work.issue_key
        rows = self.store.rows_for_issue(key, KINDS)
        by_step: dict[Step, list[LedgerRow]] = {step: [] for step in Step}
        for row in rows:
            by_step[step_of(row)].append(row)
        issue_row = next(r for r in by_step[Step.CHAIN] if r.kind == Kind.ISSUE)
        self._admit_chain(work, issue_row, by_step)
        links = [r for r in by_step[Step.LINK] if r.status in UNFINISHED]
        if links:
            planned = self.store.load_issue(key)
            for row in links:
                waits = self._own(key) + [
                    chain_settled(other)
                    for other in kind_of(row).other_issues(planned, row)
                    if other != key and self._chain_unsettled(other)
                ]
                self.ready.add(Unit(Step.LINK, key, [row.id], [links_settled(key)]), waits)
        last = [r for r in by_step[Step.LAST] if r.status in UNFINISHED]
        if last:
            waits = self._own(key) + ([links_settled(key)] if self.ready.is_open(links_settled(key)) else [])
            self.ready.add(Unit(Step.LAST, key, [r.id for r in last]), waits)

    def _admit_chain(
        self, work: IssueWork, issue_row: LedgerRow, by_step: dict[Step, list[LedgerRow]]
    ) -> None:
        """The chain unit, when any chain row is unfinished — or the issue failed and rows that it
        blocks are unfinished (the chain blocks them)."""
        unfinished = any(r.status in UNFINISHED for r in by_step[Step.CHAIN])
        to_block = issue_row.status in (Status.FAILED, Status.BLOCKED) and any(
            r.status in UNFINISHED for r in by_step[Step.LAST]
        )
        if not (unfinished or to_block):
            return
        fires = [chain_settled(work.issue_key)]
        waits: list[Event] = []
        if issue_row.status in UNFINISHED:
            fires.append(issue_attempted(work.issue_key))
            if self._parent_first(work):
                waits.append(issue_attempted(str(work.parent_key)))
        self.ready.add(Unit(Step.CHAIN, work.issue_key, fires=fires), waits)

    def _parent_first(self, work: IssueWork) -> bool:
        """Must the issue wait for its parent's import? When the parent is in the plan on a lower
        level (a cycle's root is not: its parent is ignored) and still to be (or being) imported —
        also when the parent comes later in the plan: then a later admission opens the event."""
        if work.parent_key is None or work.parent_depth is None or work.parent_depth >= work.depth:
            return False
        return work.parent_pending or self.ready.is_open(issue_attempted(work.parent_key))

    def _own(self, key: str) -> list[Event]:
        """The issue's own chain, when it is still to run."""
        return [chain_settled(key)] if self.ready.is_open(chain_settled(key)) else []

    def _chain_unsettled(self, key: str) -> bool:
        """Will the issue's chain still run in this run (admitted, or later in the ledger)?"""
        if self.ready.is_open(chain_settled(key)):
            return True
        return any(
            r.status in UNFINISHED and step_of(r) == Step.CHAIN for r in self.store.rows_for_issue(key, KINDS)
        )
