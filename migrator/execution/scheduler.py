"""The run: phases of per-issue chains on a worker pool, stop, progress, and the run summary.

Three phases, each as per-issue *chains* on a pool of worker threads (one chain per issue, so a
chain's objects are never written concurrently):

1. **issues**, level by level of the parent forest (parents first): the issue, then (a delta) its
   update, comment edits and removals, then its comments and files in time order (a comment's own
   files right after it), then worklogs, then — when a description shows files and the mapping asks
   for it — the description's PATCH;
2. **links**, once every issue exists (a link whose other end is missing stays pending with a reason);
3. **local fields** (an idempotent ``PATCH`` per issue, last, as it touches the issue).

Which rows exist and in which order (``seq``, depth) was decided by the plan stage
(``migrator/planning.py``); this module only walks them.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from tqdm import tqdm

from migrator.execution.api import TrackerApi
from migrator.execution.attempt import AttemptRunner, ExecutorPolicy, Throttle
from migrator.execution.kinds import Chain, Context
from migrator.execution.matching import UserDirectory
from migrator.execution.registry import kind_of
from migrator.execution.summary import RunCounters, RunSummary
from migrator.state import CheckpointStore, LedgerRow
from migrator.tracker.ratelimit import RateLimiter
from migrator.vocabulary import UNFINISHED, Kind, Status

ISSUE_PHASE_KINDS: tuple[Kind, ...] = (
    Kind.ISSUE,
    Kind.COMMENT,
    Kind.ATTACHMENT,
    Kind.COMMENT_ATTACHMENT,
    Kind.WORKLOG,
    Kind.DESCRIPTION,
    # a delta (migrator/delta.py): right after the issue's own row, before its newer children
    Kind.ISSUE_UPDATE,
    Kind.COMMENT_EDIT,
    Kind.REMOVAL,
)
# What a failed issue blocks (its links stay pending: they wait for their issue, with the reason).
BLOCKED_WITH_ISSUE: tuple[Kind, ...] = (
    Kind.COMMENT,
    Kind.ATTACHMENT,
    Kind.COMMENT_ATTACHMENT,
    Kind.WORKLOG,
    Kind.DESCRIPTION,
    Kind.LOCAL_FIELDS,
    Kind.ISSUE_UPDATE,
    Kind.COMMENT_EDIT,
    Kind.REMOVAL,
)
_SETTLED: tuple[Status, ...] = (Status.DONE, Status.FAILED, Status.BLOCKED)


class _Stop(Exception):  # noqa: N818 - control flow: the run is being interrupted
    """Raised inside a chain when the run has been asked to stop."""


class Executor:
    """Runs whatever is pending or in flight in ``store`` (the active namespace) against ``client``."""

    def __init__(
        self,
        client: TrackerApi,
        store: CheckpointStore,
        workers: int = 4,
        rate_limiter: RateLimiter | None = None,
        progress: bool = True,
        *,
        policy: ExecutorPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if workers < 1:
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
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="migrator") as pool:
                for depth in self.store.issue_depths():
                    self._phase(
                        pool, ISSUE_PHASE_KINDS, self._issue_chain, depth=depth, label=f"issues L{depth}"
                    )
                self._phase(pool, (Kind.LINK,), self._kind_chain(Kind.LINK), label="links")
                self._phase(
                    pool, (Kind.LOCAL_FIELDS,), self._kind_chain(Kind.LOCAL_FIELDS), label="local fields"
                )
        finally:
            self._bar.close()
        return self._counters.summary(before, self.store.counts(), time.monotonic() - started)

    def stop(self) -> None:
        """Ask the run to stop after the objects being written now (a resume continues later)."""
        self._stop.set()

    def _phase(
        self,
        pool: ThreadPoolExecutor,
        kinds: Sequence[Kind],
        chain: Callable[[str], None],
        *,
        depth: int | None = None,
        label: str,
    ) -> None:
        if self._bar is not None:
            self._bar.set_description(label)
        running: set[Future[None]] = set()
        after = -1
        try:
            while not self._stop.is_set():
                batch = self.store.issues_with_work(
                    kinds, depth=depth, after_seq=after, limit=self.policy.batch_size
                )
                if not batch:
                    break
                for seq, key in batch:
                    after = seq
                    while len(running) >= self.workers * 2:
                        running = self._collect(running)
                    running.add(pool.submit(chain, key))
            while running:
                running = self._collect(running)
        except BaseException:
            self._stop.set()
            wait(running)
            raise

    def _collect(self, running: set[Future[None]]) -> set[Future[None]]:
        done, rest = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            exc = future.exception()
            if exc is not None and not isinstance(exc, _Stop):
                raise exc
        return rest

    def _tick(self, n: int = 1) -> None:
        if self._bar is not None and n:
            limiter = self._throttle.limiter
            with self._bar_lock:
                if limiter is not None:  # current rate and learned ceiling
                    self._bar.set_postfix_str(limiter.status().short(), refresh=False)
                self._bar.update(n)

    # ------------------------------------------------------------------ chains

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stop()

    def _issue_chain(self, issue_key: str) -> None:
        chain = Chain(
            self.store.load_issue(issue_key), self.store.rows_for_issue(issue_key, ISSUE_PHASE_KINDS)
        )
        issue_row = next(r for r in chain.rows if r.kind == Kind.ISSUE)
        if issue_row.status in (Status.FAILED, Status.BLOCKED):
            self._block_issue_children(issue_key, issue_row.last_error)
            return
        if issue_row.status != Status.DONE:
            self._check_stop()
            if not self._attempts.process(issue_row, chain):
                current = self.store.get_row(issue_row.id)
                if current.status == Status.FAILED:
                    self._block_issue_children(issue_key, current.last_error)
                return
            issue_row = self.store.get_row(issue_row.id)
            # ``unsure`` may have changed (an issue found in the target makes its children unsure).
            chain.rows = self.store.rows_for_issue(issue_key, ISSUE_PHASE_KINDS)
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
        rows = self.store.rows_for_issue(issue_key, BLOCKED_WITH_ISSUE)
        ids = [r.id for r in rows if r.status in UNFINISHED]
        self._tick(self.store.mark_blocked(ids, f"issue {issue_key} failed: {reason or 'not imported'}"))

    def _kind_chain(self, kind: Kind) -> Callable[[str], None]:
        """A phase after the issues: each issue's unfinished rows of one kind, in chain order."""

        def chain(issue_key: str) -> None:
            work = Chain(self.store.load_issue(issue_key), self.store.rows_for_issue(issue_key, (kind,)))
            for row in work.rows:
                if row.status in UNFINISHED:
                    self._check_stop()
                    self._attempts.process(row, work)

        return chain
