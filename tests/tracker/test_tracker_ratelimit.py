"""The shared pacer: slots, pauses on 429, the queue re-timed when the rate changes (fake clock)."""

from __future__ import annotations

import threading

import pytest

from migrator.tracker import RateLimiter
from migrator.tracker.ratelimit import NAP_SECONDS, Permit, Reservation

from .tracker_fakes import FakeClock


def make(clock: FakeClock, max_rps: float | None = 10.0, **kwargs: float) -> RateLimiter:
    return RateLimiter(max_rps, clock=clock, sleep=clock.sleep, **kwargs)


def test_burst_then_paced(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0, burst=2)
    assert limiter.acquire().waited == 0 and limiter.acquire().waited == 0
    assert limiter.acquire().waited == pytest.approx(0.1)
    assert limiter.acquire().waited == pytest.approx(0.1)


def test_a_number_is_the_starting_rate_and_the_cap(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=7.0)
    assert limiter.rate == pytest.approx(7.0)
    for _ in range(200):  # clean answers for a long time: a capped limiter never goes above its cap
        permit = limiter.acquire()
        clock.now += 0.05
        limiter.record(permit, "answered")
    assert limiter.rate == pytest.approx(7.0)


def test_auto_starts_safely_and_grows_while_answers_are_clean(clock: FakeClock) -> None:
    limiter = RateLimiter.auto(clock=clock, sleep=clock.sleep)
    start = limiter.rate
    assert start == pytest.approx(10.0)
    for _ in range(60):
        permit = limiter.acquire()
        clock.now += 0.02
        limiter.record(permit, "answered")
    assert limiter.rate > 2 * start
    assert limiter.status().phase == "startup" and limiter.ceiling is None


def test_a_cold_start_lets_the_start_burst_out_at_once_then_paces(clock: FakeClock) -> None:
    limiter = RateLimiter.auto(clock=clock, sleep=clock.sleep)
    burst = [limiter.acquire() for _ in range(4)]  # the start-up reads go out together
    assert [p.waited for p in burst] == [0.0] * 4 and all(p.burst for p in burst)
    assert limiter.acquire().waited == pytest.approx(0.1)  # then 10 req/s
    clock.now += 1.0  # a second idle would refill four tokens while the start burst lasted...
    limiter.record(burst[0], "answered")  # ...but the first answer ends it: one token held
    second = limiter.acquire()
    assert second.waited == 0.0 and not second.burst
    assert limiter.acquire().waited == pytest.approx(0.1)


def test_a_number_or_a_remembered_ceiling_has_no_start_burst(clock: FakeClock) -> None:
    for limiter in (make(clock, max_rps=10.0), RateLimiter.auto(40.0, clock=clock, sleep=clock.sleep)):
        first = limiter.acquire()
        assert first.waited == 0.0 and not first.burst
        assert limiter.acquire().waited > 0


def test_a_429_to_the_start_burst_pauses_but_does_not_cut(clock: FakeClock) -> None:
    # A server whose bucket holds fewer requests than the start burst: that is no sign of the rate.
    limiter = RateLimiter.auto(clock=clock, sleep=clock.sleep)
    burst = [limiter.acquire() for _ in range(4)]
    clock.now += 0.1
    limiter.record(burst[0], "answered")
    for permit in burst[1:]:
        limiter.record(permit, "throttled", 1.0)
    assert limiter.rate == pytest.approx(10.0) and limiter.ceiling is None
    assert limiter.status().phase == "startup" and limiter.penalties == 3
    assert limiter.acquire().waited == pytest.approx(1.0)  # its Retry-After still holds everybody


def test_a_429_pauses_everyone_for_retry_after_then_paces_slower(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0)
    permit = limiter.acquire()
    limiter.record(permit, "throttled", 3.0)
    assert limiter.rate == pytest.approx(7.0)  # ×0.7 (the start was the cap: no startup halving)
    assert limiter.acquire().waited == pytest.approx(3.0)  # nobody goes before Retry-After has passed
    assert limiter.acquire().waited == pytest.approx(1 / 7.0)  # then at the reduced rate
    assert limiter.penalties == 1 and limiter.ceiling == pytest.approx(10.0)


def test_a_429_without_a_hint_still_pauses_and_the_rate_never_goes_below_min(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=4.0, min_rps=1.0)
    for _ in range(10):
        limiter.penalize(None)
    assert limiter.rate == pytest.approx(1.0)
    assert limiter.acquire().waited > 0


def test_answers_to_requests_sent_before_a_cut_do_not_cut_again(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0, burst=5)
    in_flight = [limiter.acquire() for _ in range(5)]
    for permit in in_flight:
        limiter.record(permit, "throttled", 1.0)
    assert limiter.rate == pytest.approx(7.0)  # one cut for one congestion event
    assert limiter.penalties == 5


def test_a_sleeper_requeues_behind_a_pause(clock: FakeClock) -> None:
    naps: list[float] = []

    def nap_and_meanwhile_429(seconds: float) -> None:
        naps.append(seconds)
        clock.sleep(seconds)
        if len(naps) == 1:
            limiter.penalize(2.0)  # another worker got a 429 while this one slept

    limiter = RateLimiter(10.0, burst=1, clock=clock, sleep=nap_and_meanwhile_429)
    limiter.acquire()
    permit = limiter.acquire()
    assert naps[0] == pytest.approx(0.1)
    assert permit.issued_at == pytest.approx(1000.0 + 0.1 + 2.0)  # re-queued behind the pause
    assert permit.waited == pytest.approx(2.1)
    assert max(naps) <= NAP_SECONDS + 1e-9  # waits are napped, so changes are seen in time


def test_a_rate_change_re_times_the_queue(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0)
    in_flight = limiter.acquire()
    queued = [limiter.reserve() for _ in range(9)]
    assert queued[-1].wait == pytest.approx(0.9)
    limiter.record(in_flight, "throttled", 0.5)
    renewed = limiter.claim(queued[-1])
    assert isinstance(renewed, Reservation)  # voided: a new place behind the pause
    assert renewed.wait == pytest.approx(0.5)  # first after the pause (the others have not re-queued yet)
    second = limiter.claim(queued[0])
    assert isinstance(second, Reservation) and second.wait == pytest.approx(0.5 + 1 / 7.0)


def test_claim_before_due_returns_the_same_place(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=10.0)
    limiter.acquire()
    reservation = limiter.reserve()
    clock.now += 0.04
    again = limiter.claim(reservation)
    assert isinstance(again, Reservation) and again.due == reservation.due
    assert again.wait == pytest.approx(0.06)
    clock.now += 0.06
    assert isinstance(limiter.claim(again), Permit)


class _LockedClock:
    """A fake clock several threads may sleep on (each sleep moves the shared time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def test_threads_share_the_budget() -> None:
    clock = _LockedClock()
    lock = threading.Lock()
    issued: list[float] = []
    limiter = RateLimiter(5.0, burst=1, clock=clock, sleep=clock.sleep)

    def worker() -> None:
        for _ in range(5):
            permit = limiter.acquire()
            with lock:
                issued.append(permit.issued_at)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    issued.sort()
    assert len(issued) == 20
    # the k-th permit is never earlier than k intervals after the first: 5 req/s shared by all
    assert all(issued[k] >= issued[0] + k * 0.2 - 1e-9 for k in range(20))


def test_status_and_concurrency_follow_rate_and_latency(clock: FakeClock) -> None:
    limiter = make(clock, max_rps=20.0)
    for _ in range(10):
        permit = limiter.acquire()
        clock.now += 0.4
        limiter.record(permit, "answered")
    permit = limiter.acquire()
    clock.now += 0.4
    limiter.record(permit, "failed")
    status = limiter.status()
    assert status.answers == 11 and status.errors == 1 and status.throttled == 0
    assert status.latency == pytest.approx(0.4)
    assert limiter.concurrency() == 10  # 20 req/s × 0.4 s × 1.25 headroom
    assert "rate 20.0 req/s" in status.describe() and "latency 400 ms" in status.describe()


@pytest.mark.parametrize("bad", [0, -5.0])
def test_rejects_nonsense(bad: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(bad)
    with pytest.raises(ValueError):
        RateLimiter(10.0, burst=0)
