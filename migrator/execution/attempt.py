"""One object's way to ``done``: send, reconcile an unknown outcome, resolve a conflict, back off.

Every write is checkpointed *before* it is sent (``in_flight``, ``unsure``) and confirmed after. A
write whose outcome is unknown — ``OutcomeUnknown``, or a row found ``in_flight`` at start-up — is
reconciled against the target (the kind's ``find``) before anything is re-sent; only a proven
absence leads to a re-send. How each client error is treated is listed in ``api.py``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from migrator.execution.api import TrackerApi
from migrator.execution.kinds import Chain, Context, Unresolved
from migrator.execution.registry import kind_of
from migrator.execution.summary import RunCounters
from migrator.state import LedgerRow
from migrator.tracker.errors import (
    Conflict,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TrackerError,
    TrackerUnavailable,
)
from migrator.tracker.ratelimit import RateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutorPolicy:
    """Retry bounds. ``max_attempts`` counts sends of one object in one run (429s not included)."""

    max_attempts: int = 5
    max_rate_limited: int = 50
    max_reconcile_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    batch_size: int = 200


class Throttle:
    """One shared :class:`RateLimiter` for all workers. When the client was built with it, the
    client already acquires before and penalizes on 429; otherwise the executor does."""

    def __init__(
        self, client: TrackerApi, limiter: RateLimiter | None, sleep: Callable[[float], None]
    ) -> None:
        client_limiter = getattr(client, "rate_limiter", None)
        self.limiter = limiter or client_limiter
        self.client_managed = self.limiter is not None and self.limiter is client_limiter
        self._sleep = sleep

    def before_call(self) -> None:
        if self.limiter is not None and not self.client_managed:
            self.limiter.acquire()

    def rate_limited(self, exc: RateLimited, fallback: float) -> None:
        if self.limiter is None:
            self._sleep(exc.retry_after if exc.retry_after is not None else fallback)
        elif not self.client_managed:
            self.limiter.penalize(exc.retry_after)


@dataclass
class _Attempt:
    """One object's counters within one run."""

    sends: int = 0
    rate_limited: int = 0
    reconcile_errors: int = 0
    unsure: bool = False
    last_error: str | None = None


class AttemptRunner:
    """Brings one object to ``done``, or leaves it failed/pending with a reason. Shared by all
    workers of a run; its state is per call (the ledger and the thread-safe counters aside)."""

    def __init__(
        self,
        ctx: Context,
        policy: ExecutorPolicy,
        throttle: Throttle,
        counters: RunCounters,
        *,
        sleep: Callable[[float], None],
        rng: random.Random,
        tick: Callable[[int], None],
    ) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.policy = policy
        self._throttle = throttle
        self._counters = counters
        self._sleep = sleep
        self._rng = rng
        self._tick = tick

    def process(self, row: LedgerRow, chain: Chain) -> bool:
        """Bring one object to ``done`` (True) or leave it failed/pending with a reason (False)."""
        kind = kind_of(row)
        attempt = _Attempt()
        unsure = row.unsure
        while True:
            if unsure:
                verdict = self._reconcile_step(row, chain, attempt)
                if verdict is not None:
                    return verdict
                unsure = False
            if attempt.sends >= self.policy.max_attempts:
                return self._fail(row, attempt.last_error or "too many attempts", unsure=False)
            try:
                call = kind.write(self.ctx, row, chain, kind.payload(chain.planned, row))
            except Unresolved as exc:
                return self._unresolved(row, exc)
            outcome = self._send(row, chain, call, attempt)
            if outcome is not None:
                return outcome
            unsure = attempt.unsure

    def _find(self, row: LedgerRow, chain: Chain) -> bool:
        """Is the object in the target? If so, the row is marked done with the claimed target id."""
        self._throttle.before_call()
        kind = kind_of(row)
        return kind.find(self.ctx, row, chain, kind.payload(chain.planned, row))

    def _reconcile_step(self, row: LedgerRow, chain: Chain, attempt: _Attempt) -> bool | None:
        """Look the object up; True = found (done); None = proven absent; False = gave up (failed)."""
        while True:
            self._counters.add("reconciliations")
            try:
                found = self._find(row, chain)
            except (TrackerUnavailable, ServerError, RateLimited) as exc:
                attempt.reconcile_errors += 1
                if attempt.reconcile_errors >= self.policy.max_reconcile_attempts:
                    return self._fail(row, f"cannot check whether the last write landed: {exc}", unsure=True)
                self._sleep(self._backoff(attempt.reconcile_errors))
                continue
            except TrackerError as exc:
                return self._fail(row, f"cannot check whether the last write landed: {exc}", unsure=True)
            except Unresolved as exc:
                return self._unresolved(row, exc)
            if found:
                self._done(row, reconciled=True)
                return True
            self.store.mark_absent(row.id)
            return None

    def _send(self, row: LedgerRow, chain: Chain, call: Callable[[], Any], attempt: _Attempt) -> bool | None:
        """Send once. True/False = final; None = loop again (``attempt.unsure`` says whether to reconcile)."""
        self.store.mark_in_flight(row.id)
        kind_of(row).wrote(chain)
        attempt.sends += 1
        self._counters.add("writes")
        self._throttle.before_call()
        try:
            result = call()
        except RateLimited as exc:
            attempt.sends -= 1
            attempt.rate_limited += 1
            self._counters.add("rate_limited")
            self.store.mark_not_applied(row.id, str(exc))
            if attempt.rate_limited > self.policy.max_rate_limited:
                return self._fail(row, str(exc), unsure=False)
            self._throttle.rate_limited(exc, self._backoff(attempt.rate_limited))
            attempt.unsure = False
            return None
        except TrackerUnavailable as exc:
            self._counters.add("unavailable")
            self.store.mark_not_applied(row.id, str(exc))
            attempt.last_error, attempt.unsure = str(exc), False
            self._sleep(self._backoff(attempt.sends))
            return None
        except OutcomeUnknown as exc:
            self.store.mark_unsure(row.id, str(exc))
            attempt.last_error, attempt.unsure = str(exc), True
            return None
        except Conflict as exc:
            return self._conflict(row, chain, exc)
        except TrackerError as exc:
            return self._fail(row, str(exc), unsure=False)
        except Unresolved as exc:  # a write of several steps found one it cannot make (a delta's transition)
            return self._unresolved(row, exc)
        except OSError as exc:  # the local file could not be read: nothing was sent
            return self._fail(
                row, f"cannot read {exc.filename or 'the file'}: {exc.strerror or exc}", unsure=False
            )
        target_id, target_key = kind_of(row).target_of(result, chain)
        self.store.mark_done(row.id, target_id, target_key)
        self._done(row, reconciled=False)
        return True

    def _conflict(self, row: LedgerRow, chain: Chain, exc: Conflict) -> bool:
        """409: for an issue (its ``unique`` is taken) or a link (already there) the object exists."""
        kind = kind_of(row)
        if not kind.conflict_means_present:
            return self._fail(row, str(exc), unsure=False)
        self._counters.add("conflicts")
        try:
            found = self._find(row, chain)
        except (TrackerError, Unresolved) as lookup:
            return self._fail(row, f"{exc}; then the lookup failed: {lookup}", unsure=True)
        if found:
            self._done(row, reconciled=True)
            return True
        why = kind.unconfirmed_conflict(chain)
        if why is not None:
            return self._fail(row, f"{exc}; and {why}", unsure=False)
        self.store.mark_done(row.id, None, chain.target_key)
        self._done(row, reconciled=True)
        return True

    def _done(self, row: LedgerRow, *, reconciled: bool) -> None:
        self._counters.done_row(row.kind, reconciled)
        self._tick(1)

    def _fail(self, row: LedgerRow, reason: str, *, unsure: bool) -> bool:
        self.store.mark_failed(row.id, reason, unsure=unsure)
        log.warning("%s %s of %s failed: %s", row.kind, row.source_id, row.issue_key, reason)
        self._tick(1)
        return False

    def _unresolved(self, row: LedgerRow, exc: Unresolved) -> bool:
        if exc.final:
            return self._fail(row, exc.reason, unsure=False)
        self.store.mark_pending(row.id, exc.reason)
        return False

    def _backoff(self, n: int) -> float:
        base = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** max(0, n - 1))
        return float(base * (1 + self._rng.uniform(0, 0.25)))
