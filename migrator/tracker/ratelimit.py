"""A token bucket shared by every worker thread that talks to one Tracker organization.

``acquire()`` blocks until the caller may send one request. ``penalize(retry_after)`` is called on
every 429: it pauses *everybody* for ``retry_after`` seconds (or one request interval when the
server gave no hint) and halves the rate; the rate then grows back by ``recovery_factor`` for
every ``recovery_interval`` seconds without another 429, up to ``max_rps``.

Waiting never happens under the lock: a caller reserves its slot (the token count may go
negative, i.e. a queue of reservations) and sleeps outside, so threads are served in order; a 429
invalidates the queue and sleepers take new places behind the pause.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class RateLimiter:
    """Thread-safe token bucket with multiplicative slow-down on 429 and gradual recovery."""

    def __init__(
        self,
        max_rps: float,
        *,
        burst: float | None = None,
        min_rps: float | None = None,
        decrease_factor: float = 0.5,
        recovery_factor: float = 1.25,
        recovery_interval: float = 5.0,
        max_pause: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_rps <= 0:
            raise ValueError("max_rps must be positive")
        if not 0 < decrease_factor < 1 or recovery_factor <= 1 or recovery_interval <= 0:
            raise ValueError("need 0 < decrease_factor < 1, recovery_factor > 1, recovery_interval > 0")
        self.max_rps = float(max_rps)
        self.min_rps = (
            float(min_rps) if min_rps is not None else min(self.max_rps, max(0.2, self.max_rps / 20))
        )
        self.burst = max(1.0, float(burst) if burst is not None else self.max_rps)
        self.decrease_factor = decrease_factor
        self.recovery_factor = recovery_factor
        self.recovery_interval = recovery_interval
        self.max_pause = max_pause
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._rate = self.max_rps
        self._tokens = self.burst
        self._stamp = now  # tokens are accounted up to this instant; in the future while paused
        self._rate_changed = now
        self._generation = 0
        self.penalties = 0

    @property
    def rate(self) -> float:
        """The current allowed requests per second (after recovery up to now)."""
        with self._lock:
            self._recover(self._clock())
            return self._rate

    def acquire(self) -> float:
        """Block until one request may be sent; returns the seconds waited.

        A caller that was asleep when a 429 arrived takes a new place in the (now slower) queue.
        """
        waited = 0.0
        while True:
            with self._lock:
                wait = self._reserve(self._clock())
                generation = self._generation
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait
            with self._lock:
                if self._generation == generation:
                    return waited

    def penalize(self, retry_after: float | None = None) -> None:
        """A 429 arrived: pause everyone and slow down."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._rate = max(self.min_rps, self._rate * self.decrease_factor)
            self._rate_changed = now
            pause = retry_after if retry_after is not None and retry_after > 0 else 1.0 / self._rate
            pause = min(pause, self.max_pause)
            self._stamp = max(self._stamp, now + pause)
            self._tokens = 1.0  # one request at the end of the pause, then paced at the new rate
            self._generation += 1  # sleepers re-queue
            self.penalties += 1
            rate = self._rate
        log.info("rate limited: pausing %.2fs, rate now %.2f req/s", pause, rate)

    def _reserve(self, now: float) -> float:
        self._recover(now)
        self._refill(now)
        self._tokens -= 1.0
        deficit = -self._tokens / self._rate if self._tokens < 0 else 0.0
        return max(0.0, self._stamp - now) + deficit

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now

    def _recover(self, now: float) -> None:
        if self._rate >= self.max_rps:
            self._rate_changed = now
            return
        steps = math.floor((now - self._rate_changed) / self.recovery_interval)
        if steps > 0:
            self._refill(now)
            self._rate = min(self.max_rps, self._rate * self.recovery_factor**steps)
            self._rate_changed += steps * self.recovery_interval
