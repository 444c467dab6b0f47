from __future__ import annotations

import threading

import pytest

from migrator.tracker import RateLimiter

from .tracker_fakes import FakeClock


def make(clock: FakeClock, **kwargs: float) -> RateLimiter:
    return RateLimiter(kwargs.pop("max_rps", 10.0), clock=clock, sleep=clock.sleep, **kwargs)


def test_burst_then_paced(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0, burst=2)
    assert limiter.acquire() == 0 and limiter.acquire() == 0
    assert limiter.acquire() == pytest.approx(0.1)
    assert limiter.acquire() == pytest.approx(0.1)


def test_penalize_pauses_everyone_halves_rate_and_recovers(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0, burst=1, recovery_interval=5.0, recovery_factor=2.0)
    limiter.acquire()
    limiter.penalize(3.0)
    assert limiter.rate == pytest.approx(5.0)
    assert limiter.acquire() == pytest.approx(3.0)  # nobody goes before Retry-After has passed
    assert limiter.acquire() == pytest.approx(0.2)  # then at the reduced rate
    clock.now += 5.0
    assert limiter.rate == pytest.approx(10.0)  # recovered after a quiet interval
    assert limiter.penalties == 1


def test_penalize_without_hint_still_pauses_and_never_below_min(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=4.0, min_rps=1.0)
    for _ in range(10):
        limiter.penalize(None)
    assert limiter.rate == pytest.approx(1.0)
    assert limiter.acquire() > 0


def test_threads_share_the_budget() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    waits: list[float] = []
    limiter = RateLimiter(5.0, burst=1, clock=clock, sleep=lambda s: None)

    def worker() -> None:
        for _ in range(5):
            wait = limiter.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the clock never moved, so the 20 reservations queue up one interval apart
    assert sorted(waits) == pytest.approx([i * 0.2 for i in range(20)])


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_sleeper_requeues_after_a_penalty(clock: FakeClock) -> None:
    calls: list[float] = []

    def sleep_and_meanwhile_429(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 1:
            limiter.penalize(2.0)  # another worker got a 429 while this one slept

    limiter = RateLimiter(10.0, burst=1, clock=clock, sleep=sleep_and_meanwhile_429)
    limiter.acquire()
    waited = limiter.acquire()
    assert calls[0] == pytest.approx(0.1)
    assert calls[1] == pytest.approx(2.0)  # re-queued behind the pause
    assert waited == pytest.approx(2.1)
