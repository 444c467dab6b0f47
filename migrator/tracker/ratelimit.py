"""The pacer every worker thread that talks to one Tracker organization shares.

``acquire()`` blocks until the caller may send one request and returns a :class:`Permit`; the caller
reports how the request ended with ``record(permit, outcome)``. The allowed rate comes from the
adaptive control law (:mod:`migrator.tracker.ratecontrol`): ``RateLimiter.auto()`` learns it,
``RateLimiter(n)`` starts at ``n`` and never exceeds it (after a 429 it backs off and recovers the
same way). A 429 pauses *everybody* for its ``Retry-After`` (or one request interval without one).

Waiting never happens under the lock: a caller reserves its slot (the token count may go negative,
i.e. a queue of reservations) and sleeps outside, so threads are served in order; a 429 invalidates
the queue and sleepers take new places behind the pause. ``reserve()`` / ``claim()`` are the same
steps without the sleep, for a scheduler (or a simulation) that waits in its own way.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from migrator.tracker.ratecontrol import Phase, RateController, RateControlPolicy, RateStatus

log = logging.getLogger(__name__)

Outcome = Literal["answered", "throttled", "failed"]
NAP_SECONDS = 0.1  # a waiting caller re-checks the queue at least this often
# The most requests a run keeps in flight whatever ``concurrency()`` asks (the executor's worker cap,
# and the connections a paced target opens): here, not in the executor, so that ``run`` opens its
# target without importing the executor first.
MAX_CONCURRENCY = 64
_EPSILON = 1e-9


@dataclass(frozen=True)
class Permit:
    """One granted request slot."""

    issued_at: float
    epoch: int
    waited: float
    burst: bool = False  # sent in the start burst, before the first answer


@dataclass(frozen=True)
class Reservation:
    wait: float  # seconds to wait before claiming
    due: float  # clock time when it may be claimed
    generation: int


class RateLimiter:
    """Thread-safe pacer (token bucket with reservations) driven by the adaptive control law."""

    def __init__(
        self,
        max_rps: float | None = None,
        *,
        learned_ceiling: float | None = None,
        policy: RateControlPolicy | None = None,
        burst: float | None = None,
        min_rps: float | None = None,
        max_pause: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_rps is not None and not max_rps > 0:
            raise ValueError("max_rps must be positive (or None for automatic)")
        if burst is not None and burst < 1:
            raise ValueError("burst must be at least 1 request")
        policy = policy or RateControlPolicy()
        if min_rps is not None:
            policy = dataclasses.replace(policy, min_rps=min_rps)
        self.max_rps = max_rps
        self.max_pause = max_pause
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._law = RateController(now, cap=max_rps, learned_ceiling=learned_ceiling, policy=policy)
        self._rate = self._law.rate
        # A cold start (no number, no remembered ceiling) lets its first ``start_burst`` requests out at
        # once — the start-up reads, a handful — and paces strictly from the first answer on.
        self._start_burst = policy.start_burst if self._law.phase is Phase.STARTUP else 1
        self._answered = False
        self._tokens = self._capacity()
        self._stamp = now  # tokens are accounted up to this instant; in the future while paused
        self._generation = 0
        self._queued = 0  # reservations waiting in this generation

    @classmethod
    def auto(cls, learned_ceiling: float | None = None, **kwargs: object) -> RateLimiter:
        """No cap: start safely (or just under a remembered ceiling) and learn the limit."""
        return cls(None, learned_ceiling=learned_ceiling, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ facts

    @property
    def rate(self) -> float:
        """The current allowed requests per second."""
        with self._lock:
            self._sync(self._clock())
            return self._rate

    @property
    def penalties(self) -> int:
        """429 answers seen (by anyone sharing this limiter)."""
        with self._lock:
            return self._law.throttled

    @property
    def ceiling(self) -> float | None:
        """The limit learned from 429s (or remembered from an earlier run), requests/s."""
        with self._lock:
            return self._law.ceiling

    def expected_rate(self) -> float:
        """The rate a run should settle at, as far as is known before it starts (for estimates)."""
        with self._lock:
            return self._law.settle_rate or self._law.cap or self._law.policy.start_rps

    def status(self) -> RateStatus:
        with self._lock:
            self._sync(self._clock())
            return self._law.status()

    def concurrency(self) -> int:
        """How many requests should be in flight now (rate × latency, Little's law) — for a scheduler."""
        with self._lock:
            return self._law.concurrency()

    # ------------------------------------------------------------------ slots

    def acquire(self) -> Permit:
        """Block until one request may be sent.

        Sleeps in naps of at most ``NAP_SECONDS`` so that a rate change or a 429 meanwhile (which
        void the queue) re-times the wait at once.
        """
        waited = 0.0
        reservation = self.reserve()
        while True:
            if reservation.wait > 0:
                nap = min(reservation.wait, NAP_SECONDS)
                self._sleep(nap)
                waited += nap
            outcome = self.claim(reservation, waited)
            if isinstance(outcome, Permit):
                return outcome
            reservation = outcome

    def reserve(self) -> Reservation:
        """Take the next place in the queue; claim it when its wait is over."""
        with self._lock:
            now = self._clock()
            self._sync(now)
            return self._reserve(now)

    def claim(self, reservation: Reservation, waited: float = 0.0) -> Permit | Reservation:
        """The permit once the reservation is due; otherwise the reservation to wait for (the same one,
        or a new place when the queue was voided meanwhile by a rate change or a 429)."""
        with self._lock:
            now = self._clock()
            self._sync(now)
            queued = reservation.wait > 0
            if queued and reservation.generation != self._generation:
                return self._reserve(now)
            if now < reservation.due - _EPSILON:
                return Reservation(reservation.due - now, reservation.due, reservation.generation)
            if queued:
                self._queued -= 1
            self._law.sent(now)
            return Permit(now, self._law.epoch, waited, burst=not self._answered and self._start_burst > 1)

    def _reserve(self, now: float) -> Reservation:
        self._refill(now)
        self._tokens -= 1.0
        deficit = -self._tokens / self._rate if self._tokens < 0 else 0.0
        wait = max(0.0, self._stamp - now) + deficit
        if wait > 0:
            self._queued += 1
        return Reservation(wait, now + wait, self._generation)

    def _void_queue(self) -> None:
        """Every waiting reservation gives its token back and will take a new place."""
        self._tokens += self._queued
        self._queued = 0
        self._generation += 1

    # ------------------------------------------------------------------ outcomes

    def record(self, permit: Permit | None, outcome: Outcome, retry_after: float | None = None) -> None:
        """How a request ended: ``answered`` (any status but 429/5xx), ``throttled`` (429), ``failed``."""
        with self._lock:
            now = self._clock()
            self._first_answer()
            latency = now - permit.issued_at if permit is not None else 0.0
            epoch = permit.epoch if permit is not None else None
            if outcome == "answered":
                self._law.answered(now, latency, epoch)
            elif outcome == "failed":
                self._law.failed(now, latency, epoch)
            else:
                self._throttle(now, epoch, retry_after, burst=permit is not None and permit.burst)
            self._sync(now)

    def penalize(self, retry_after: float | None = None) -> None:
        """A 429 for a request sent without a permit: counts as a fresh congestion signal."""
        self.record(None, "throttled", retry_after)

    def _throttle(self, now: float, epoch: int | None, retry_after: float | None, *, burst: bool) -> None:
        self._refill(now)
        hint = retry_after if retry_after is not None and retry_after > 0 else None
        pause = min(hint if hint is not None else 1.0 / self._rate, self.max_pause)
        self._stamp = max(self._stamp, now + pause)
        cut = self._law.throttled_answer(now, epoch, paused_until=self._stamp, burst=burst)
        self._set_rate(now)
        if hint is None:  # without a hint, one interval at the new (lower) rate
            self._stamp = max(self._stamp, now + min(1.0 / self._rate, self.max_pause))
        self._void_queue()  # sleepers re-queue behind the pause
        self._tokens = 1.0  # one request at the end of the pause, then paced
        log.info(
            "rate limited: pausing all workers %.2fs; rate %.2f req/s%s",
            pause,
            self._rate,
            f", ceiling {self._law.ceiling:.2f} req/s" if cut and self._law.ceiling else "",
        )

    # ------------------------------------------------------------------ bucket

    def _sync(self, now: float) -> None:
        self._law.tick(now)
        self._set_rate(now)

    def _set_rate(self, now: float) -> None:
        if self._law.rate != self._rate:
            self._refill(now)  # tokens so far accrue at the old rate
            self._rate = self._law.rate
            self._void_queue()  # waits were computed at the old rate

    def _capacity(self) -> float:
        held = self._burst if self._burst is not None else 1.0
        return held if self._answered else max(held, float(self._start_burst))

    def _first_answer(self) -> None:
        """The start burst ends with the first answer: from then on the bucket holds ``burst``."""
        if not self._answered:
            self._answered = True
            self._tokens = min(self._tokens, self._capacity())

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self._capacity(), self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
