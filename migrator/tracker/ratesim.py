"""A deterministic discrete-event simulation: workers sharing one RateLimiter against a rate-limited server.

Used by the tests (convergence, reaction to limit changes) and ``benchmarks/bench_rate_control.py``.
The server is the sandbox's model (a token bucket checked after the request's latency; a refused
request gets 429 with ``Retry-After`` in whole seconds, at least 1). Time is virtual: the limiter's
clock is the simulation's, and waits are events, so a 300-second run takes milliseconds and always
gives the same figures.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from migrator.tracker.ratelimit import NAP_SECONDS, Permit, RateLimiter, Reservation


class SimClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class BucketServer:
    """A token bucket of ``limit`` requests/s holding ``burst`` tokens (default: one second's worth)."""

    limit: float
    burst: float | None = None
    latency: float = 0.1
    tokens: float = field(init=False)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    @property
    def capacity(self) -> float:
        return self.burst if self.burst is not None else max(1.0, self.limit)

    def change_limit(self, now: float, limit: float) -> None:
        self.limit = limit
        self.stamp = now
        self.tokens = self.capacity

    def decide(self, now: float) -> float | None:
        """None = accepted, else the Retry-After of a 429."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.limit)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return float(max(1, math.ceil((1 - self.tokens) / self.limit)))


@dataclass
class SimResult:
    accepted: list[float] = field(default_factory=list)  # times of accepted answers
    throttled: list[float] = field(default_factory=list)  # times of 429 answers
    rates: list[tuple[float, float]] = field(default_factory=list)  # (time, allowed rate) samples

    def accepted_rate(self, start: float, end: float) -> float:
        return sum(start <= t < end for t in self.accepted) / (end - start)

    def throttled_share(self, start: float = 0.0, end: float = math.inf) -> float:
        ok = sum(start <= t < end for t in self.accepted)
        bad = sum(start <= t < end for t in self.throttled)
        return bad / (ok + bad) if ok + bad else 0.0


def simulate(
    limiter_factory: Callable[[SimClock], RateLimiter],
    server: BucketServer,
    *,
    seconds: float,
    workers: int = 64,
    events: dict[float, Callable[[BucketServer, float], None]] | None = None,
) -> tuple[SimResult, RateLimiter]:
    """Run ``workers`` closed-loop workers (each: acquire as ``RateLimiter.acquire`` does, send, wait
    for the answer, repeat)."""
    clock = SimClock()
    limiter = limiter_factory(clock)
    result = SimResult()
    order = itertools.count()
    queue: list[tuple[float, int, Callable[[], None]]] = []

    def at(when: float, action: Callable[[], None]) -> None:
        heapq.heappush(queue, (when, next(order), action))

    def ask() -> None:
        wait_for(limiter.reserve(), 0.0)

    def wait_for(reservation: Reservation, waited: float) -> None:
        nap = min(reservation.wait, NAP_SECONDS) if reservation.wait > 0 else 0.0
        at(clock.now + nap, lambda: claim(reservation, waited + nap))

    def claim(reservation: Reservation, waited: float) -> None:
        outcome = limiter.claim(reservation, waited)
        if isinstance(outcome, Permit):
            at(clock.now + server.latency, lambda: answer(outcome))
        else:
            wait_for(outcome, waited)

    def answer(permit: Permit) -> None:
        retry_after = server.decide(clock.now)
        if retry_after is None:
            result.accepted.append(clock.now)
            limiter.record(permit, "answered")
        else:
            result.throttled.append(clock.now)
            limiter.record(permit, "throttled", retry_after)
        ask()

    def sample() -> None:
        result.rates.append((clock.now, limiter.rate))
        at(clock.now + 0.5, sample)

    def changer(change: Callable[[BucketServer, float], None]) -> Callable[[], None]:
        return lambda: change(server, clock.now)

    for when, change in (events or {}).items():
        at(when, changer(change))
    for _ in range(workers):
        at(0.0, ask)
    at(0.0, sample)
    while queue and queue[0][0] <= seconds:
        when, _, action = heapq.heappop(queue)
        clock.now = when
        action()
    return result, limiter
