"""The adaptive rate-control law: how many requests per second to send, learned from the answers.

Pure and single-threaded: it is fed events (a request sent, answered, throttled, failed) with the
time they happened and keeps the allowed rate. :class:`~migrator.tracker.ratelimit.RateLimiter`
does the locking, the pacing and the pauses around it. The algorithm, its parameters and what they
were learned from (TCP slow start and AIMD, limited slow start (RFC 3742), CUBIC's remembered
ceiling, the AWS SDKs' adaptive retry mode, BBR's probe cycle, RFC 7661's application-limited rule)
are in ``docs/rate-control.md``.

One room at ~550 lines: the phases, the cuts, the drain sample and the pause credit all read and set
the same few numbers (rate, ceiling, epoch, the pause) on every event; split apart, each part would
reach into the others' state.

Phases:

* ``startup`` — no ceiling known: ×``startup_growth`` per clean round (slow start) up to
  ``startup_window`` requests in flight, then ``window_growth`` more in flight per second;
* ``recover`` — after a cut: close half the gap to the settle rate (``settle`` × ceiling) per round;
* ``hold`` — at the settle rate, just under the learned ceiling (at it when the ceiling is a drain
  sample's measure of the limit), for ``hold_seconds`` (doubling, up to
  ``hold_max_seconds``, each time a probe finds the limit where it was) and ``hold_answers``;
* ``probe`` — add ``probe_step`` × ceiling per clean round until a 429 says where the limit is now.

A 429 cuts at once (×``startup_backoff`` in startup, ×``backoff`` otherwise) and re-estimates the
ceiling (after startup's overshoot from a drain sample, and what a bucket refilled during the pause
is then spent above the hold rate: the pause credit); a round whose 5xx/timeout share rises above
the usual cuts by ×``error_backoff``. The rate
grows only in a *clean* round: no errors, latency flat, and the sender actually used most of the
rate it had (an application-limited sender learns nothing by being allowed more).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# The startup window counts as reached within this share of it (the latency average it is computed
# from wobbles by a few percent between rounds).
WINDOW_REACHED = 0.95


class Phase(StrEnum):
    STARTUP = "startup"
    RECOVER = "recover"
    HOLD = "hold"
    PROBE = "probe"


@dataclass(frozen=True)
class RateControlPolicy:
    """Parameters of the control law (see docs/rate-control.md for why each has its value)."""

    start_rps: float = 10.0  # Tracker's documented guaranteed rate outside search/bulk (tracker-api.md §5.3)
    min_rps: float = 0.5
    startup_growth: float = 2.0
    startup_backoff: float = 0.5
    backoff: float = 0.7
    error_backoff: float = 0.8
    recovery_gain: float = 0.5
    settle: float = 0.95
    hold_seconds: float = 10.0
    hold_max_seconds: float = 80.0
    hold_answers: int = 100
    confirm_band: float = 0.05
    probe_step: float = 0.02
    round_seconds: float = 0.5
    round_latencies: float = 2.0
    round_min_answers: int = 3
    latency_tolerance: float = 1.5
    latency_slack: float = 0.02
    latency_weight: float = 0.2
    latency_floor_rounds: int = 20
    error_margin: float = 0.05
    error_min: int = 2
    error_weight: float = 0.2
    busy_share: float = 0.8
    estimate_min_seconds: float = 1.0
    drain_min_answers: int = 6
    drain_floor: float = 0.35
    # After a drain sample, hold at this share of its estimate (``settle`` after any other cut): the
    # sample measures the limit itself — what an emptied bucket let through — not the rate a 429
    # came at, so it is cruised at, as BBR cruises at its bottleneck estimate (docs/rate-control.md).
    drain_settle: float = 1.0
    start_burst: int = 4  # requests let out at once before the first answer (the start-up reads)
    # Limited slow start (RFC 3742, in requests in flight): the rate doubles per round only while
    # fewer than ``startup_window`` requests are in flight at it (rate × latency); beyond, it grows by
    # ``window_growth`` requests in flight per second. The first 429 of a cold start costs about the
    # requests in flight beyond latency × limit, so this bounds it (docs/rate-control.md).
    startup_window: float = 8.0
    window_growth: float = 6.0
    startup_round_seconds: float = 0.2  # below the window a doubling adds at most startup_window / 2
    # Pause credit: a token bucket refills while the pool waits out the first 429's Retry-After, and
    # holding at its limit afterwards would leave that refill unused for the rest of the run. Send
    # ``pause_credit`` of what it saved up (no more than the burst the bucket showed before that 429)
    # at ``credit_gain`` above the hold rate, then hold (docs/rate-control.md). 0 switches it off.
    pause_credit: float = 0.5
    credit_gain: float = 0.5
    credit_min_answers: int = 10  # a smaller drain sample's estimate is too rough to spend above
    credit_min_seconds: float = 0.5  # the burst shown before the cut, in seconds of the limit

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.min_rps or not 0 < self.start_rps:
            problems.append("min_rps and start_rps must be positive")
        if self.startup_growth <= 1:
            problems.append("startup_growth must be > 1")
        for name in ("startup_backoff", "backoff", "error_backoff", "recovery_gain", "settle", "busy_share"):
            if not 0 < getattr(self, name) < 1:
                problems.append(f"{name} must be between 0 and 1")
        if not 0 < self.drain_settle <= 1:
            problems.append("drain_settle must be above 0 and at most 1")
        if self.probe_step <= 0 or self.round_seconds <= 0:
            problems.append("need probe_step > 0 and round_seconds > 0")
        if self.start_burst < 1:
            problems.append("start_burst must be at least 1 request")
        if not 0 <= self.pause_credit <= 1 or self.credit_gain <= 0:
            problems.append("pause_credit must be between 0 and 1 and credit_gain positive")
        if self.startup_window <= 0 or self.window_growth <= 0:
            problems.append("need startup_window > 0 and window_growth > 0")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class RateStatus:
    """What the progress bar and the run summary show."""

    rate: float  # requests/s allowed now
    ceiling: float | None  # learned from 429s (None: none seen and none remembered)
    phase: Phase
    throttled: int  # 429 answers
    errors: int  # 5xx answers, timeouts, dropped connections
    answers: int  # every completed request, including the above
    latency: float | None  # EWMA of request latency, seconds
    cap: float | None  # the user's --max-rps, if a number

    def short(self) -> str:
        """For a progress bar: ``23.4 req/s, ceiling 50.1``."""
        ceiling = f"ceiling {self.ceiling:.1f}" if self.ceiling is not None else self.phase.value
        return f"{self.rate:.1f} req/s, {ceiling}"

    def describe(self) -> str:
        ceiling = f"ceiling {self.ceiling:.1f} req/s" if self.ceiling is not None else "no ceiling met"
        latency = f"latency {self.latency * 1000:.0f} ms" if self.latency is not None else "latency -"
        share = f" ({100 * self.throttled / self.answers:.1f}%)" if self.answers else ""
        return (
            f"rate {self.rate:.1f} req/s ({self.phase}), {ceiling}, "
            f"{self.throttled} rate-limited answers{share}, {latency}"
        )


@dataclass
class DrainSample:
    """The answers to requests that were already in flight when a 429 cut the rate.

    They reach the server after the 429 emptied its bucket, while it refills at its limit ``L`` and
    they arrive at the rate we sent (``sent_at``): about ``L / sent_at`` of them get through. So
    ``sent_at × accepted / answered`` estimates the limit in one step — a bucket's burst cannot
    hide it, which matters most after startup's overshoot.
    """

    epoch: int
    sent_at: float
    cut_at: float  # when the 429 that cut came
    before: tuple[float, ...]  # when the latest answers accepted before the cut came
    accepted: int = 0
    answered: int = 0

    def add(self, accepted: bool) -> None:
        self.answered += 1
        self.accepted += accepted

    def estimate(self, min_answers: int) -> float | None:
        if self.answered < min_answers:
            return None
        return self.sent_at * self.accepted / self.answered


def bucket_depth(accepted: Sequence[float], until: float, limit: float) -> float:
    """The most requests the server let through beyond ``limit`` per second in any window ending at
    ``until`` (``accepted``: answer times, ascending): a lower bound of what its bucket holds when
    full. Windows with the bucket emptied and refilled at ``limit`` through count exactly its size;
    a sender below the limit (the bucket full and topping out) only lowers the figure."""
    deepest = 0.0
    for back, moment in enumerate(reversed(accepted), start=1):
        deepest = max(deepest, back - limit * (until - moment))
    return deepest


class RateController:
    """The control law. Not thread-safe: its owner serialises calls (the limiter's lock)."""

    def __init__(
        self,
        now: float,
        *,
        cap: float | None = None,
        learned_ceiling: float | None = None,
        policy: RateControlPolicy | None = None,
    ) -> None:
        if cap is not None and not cap > 0:
            raise ValueError("the rate cap must be positive")
        self.policy = p = policy or RateControlPolicy()
        self.cap = cap
        self.min_rps = min(p.min_rps, cap) if cap is not None else p.min_rps
        self.epoch = 0  # +1 at every cut; answers to requests sent before a cut do not cut again
        self.ceiling: float | None = None
        self.phase = Phase.STARTUP
        self.rate = self._capped(p.start_rps if cap is None else cap)
        self.throttled = self.errors = self.answers = 0
        self.latency: float | None = None
        self._round_latencies: deque[float] = deque(maxlen=p.latency_floor_rounds)
        self._error_baseline = 0.0
        self._hold_since = now
        self._hold_answers = 0
        self._last_throttle: float | None = None
        self._busy_since_throttle = True  # the sender used its rate in every round since the last 429
        self._paused_until = now
        self._hold_for = self._hold_for_last = self.policy.hold_seconds  # doubles while probes confirm
        self._recent_accepted: deque[float] = deque(maxlen=4)  # accepted/s of the last rounds
        self._in_flight: dict[int, int] = {}  # epoch -> requests sent in it and not answered yet
        self._send_times: deque[float] = deque(maxlen=1024)  # when the latest requests were sent
        self._drain: DrainSample | None = None
        self._accepted_times: deque[float] = deque(maxlen=2048)  # the latest accepted answers (drain)
        self._credit = 0.0  # requests above the hold rate still to send (pause credit)
        self._accepted_since_throttle = 0
        self._settle = p.settle  # share of the ceiling to hold at (drain_settle after a drain sample)
        self._new_round(now)
        if cap is not None:
            self._enter_hold(now)  # the user's number is where to start, not a guess to grow from
        if learned_ceiling is not None and 0 < learned_ceiling < (cap or math.inf):
            self.ceiling = self._capped(learned_ceiling)
            self.rate = self._capped(p.settle * self.ceiling)
            self._enter_hold(now)

    # ------------------------------------------------------------------ questions

    @property
    def settle_rate(self) -> float | None:
        return self._capped(self._settle * self.ceiling) if self.ceiling is not None else None

    def concurrency(self, headroom: float = 1.25, default_latency: float = 0.25) -> int:
        """Requests worth having in flight now: rate × latency (Little's law), with headroom."""
        latency = self.latency if self.latency is not None else default_latency
        return max(1, math.ceil(self.rate * latency * headroom))

    def status(self) -> RateStatus:
        return RateStatus(
            self.rate,
            self.ceiling,
            self.phase,
            self.throttled,
            self.errors,
            self.answers,
            self.latency,
            self.cap,
        )

    # ------------------------------------------------------------------ events

    def sent(self, now: float) -> None:
        self._advance(now)
        self._spend_credit()
        self._sent += 1
        self._in_flight[self.epoch] = self._in_flight.get(self.epoch, 0) + 1
        self._send_times.append(now)

    def answered(self, now: float, latency: float, epoch: int | None = None) -> None:
        """Any answer that is not a 429 or a 5xx (a 404 or a 409 is a clean answer too)."""
        self._advance(now)
        self._count_answer(latency)
        self._accepted_since_throttle += 1
        self._round_accepted += 1
        self._hold_answers += 1
        self._accepted_times.append(now)
        self._landed(epoch, accepted=True)

    def failed(self, now: float, latency: float, epoch: int | None = None) -> None:
        """A 5xx, a timeout or a dropped connection."""
        self._advance(now)
        self._count_answer(latency)
        self.errors += 1
        self._round_errors += 1
        self._landed(epoch, accepted=None)

    def throttled_answer(
        self, now: float, epoch: int | None, paused_until: float | None = None, *, burst: bool = False
    ) -> bool:
        """A 429. Cuts the rate unless this request was sent before the last cut; True when it cut.
        ``paused_until``: nobody sends before then (Retry-After), so that time is not idleness.
        ``burst``: the request went out in the start burst, so the 429 says the server's bucket holds
        fewer requests than that burst, not that the rate is too high: no cut."""
        self._advance(now)
        self.answers += 1
        self.throttled += 1
        self._landed(epoch, accepted=False)
        if now >= self._paused_until:  # sent on the credit (the drain's answers come in the pause)
            self._end_credit()  # the bucket held less than estimated: back to the hold rate, then cut
        cut = not burst and (epoch is None or epoch >= self.epoch)
        if cut:
            self._throttle_cut(now)
        if paused_until is not None:
            self._paused_until = max(self._paused_until, paused_until)
        return cut

    def _landed(self, epoch: int | None, *, accepted: bool | None) -> None:
        """Bookkeeping of requests in flight per epoch, and the drain sample after a 429 cut."""
        if epoch is None or epoch not in self._in_flight:
            return
        self._in_flight[epoch] -= 1
        if self._in_flight[epoch] <= 0:
            del self._in_flight[epoch]
        sample = self._drain
        if sample is None or sample.epoch != epoch:
            return
        if accepted is not None:
            sample.add(accepted)
        if epoch not in self._in_flight:
            self._drain = None
            self._apply_drain(sample)

    def tick(self, now: float) -> None:
        """Let time pass (ends a round when it is due)."""
        self._advance(now)

    # ------------------------------------------------------------------ rounds

    def _count_answer(self, latency: float) -> None:
        self.answers += 1
        self._round_answers += 1
        latency = max(0.0, latency)
        self._round_latency_sum += latency
        w = self.policy.latency_weight
        self.latency = latency if self.latency is None else (1 - w) * self.latency + w * latency

    def _new_round(self, now: float) -> None:
        self._round_start = now
        self._sent = 0
        self._round_answers = 0
        self._round_accepted = 0
        self._round_errors = 0
        self._round_latency_sum = 0.0

    def _shortest_round(self) -> float:
        p = self.policy
        return p.startup_round_seconds if self.phase is Phase.STARTUP else p.round_seconds

    def _round_length(self) -> float:
        return max(self._shortest_round(), self.policy.round_latencies * (self.latency or 0.0))

    def _advance(self, now: float) -> None:
        duration = now - self._round_start
        if duration < self._round_length() or self._round_answers < self.policy.round_min_answers:
            return
        p = self.policy
        sending_time = now - max(self._round_start, self._paused_until)
        if sending_time < self._shortest_round() / 2:
            return  # mostly paused: this round says nothing about demand yet
        sent_rate = self._sent / sending_time
        self._recent_accepted.append(self._round_accepted / sending_time)
        busy = sent_rate >= p.busy_share * self.rate
        self._busy_since_throttle = self._busy_since_throttle and busy
        flat = self._latency_flat()
        share = self._round_errors / self._round_answers
        rising = self._round_errors >= p.error_min and share > self._error_baseline + p.error_margin
        self._error_baseline = (1 - p.error_weight) * self._error_baseline + p.error_weight * share
        if rising:
            self._error_cut(now)
        elif busy and flat and self._round_errors == 0:
            self._grow(now)
        self._new_round(now)

    def _latency_flat(self) -> bool:
        if self._round_answers == 0:
            return True
        mean = self._round_latency_sum / self._round_answers
        floor = min(self._round_latencies, default=mean)
        self._round_latencies.append(mean)
        p = self.policy
        return mean <= floor * p.latency_tolerance + p.latency_slack

    # ------------------------------------------------------------------ moves

    def _grow(self, now: float) -> None:
        p = self.policy
        if self.phase is Phase.STARTUP:
            self.rate = self._capped(self._startup_rate(now - self._round_start))
        elif self.phase is Phase.RECOVER:
            target = self.settle_rate or self.rate
            self.rate = self._capped(self.rate + p.recovery_gain * (target - self.rate))
            if self.rate >= 0.99 * target:
                self.rate = target
                self._enter_hold(now)
        elif self.phase is Phase.HOLD:
            if now - self._hold_since >= self._hold_for and self._hold_answers >= p.hold_answers:
                self._end_credit()
                self.phase = Phase.PROBE
        else:
            self.rate = self._capped(self.rate + p.probe_step * (self.ceiling or self.rate))

    def _startup_rate(self, round_seconds: float) -> float:
        """Slow start, limited: ×``startup_growth`` per round up to ``startup_window`` requests in flight
        (rate × latency), then ``window_growth`` more in flight per second. Past a token bucket's limit
        nothing warns until it is empty, and the requests in flight then reach it empty: a doubling
        there would cost a 429 for each request it added."""
        p = self.policy
        latency = self.latency or 0.0  # known: a round ends with answers
        if latency <= 0:
            return self.rate * p.startup_growth
        window = p.startup_window / latency  # the rate that keeps startup_window requests in flight
        if self.rate < WINDOW_REACHED * window:
            return min(self.rate * p.startup_growth, window)
        # At the window. Not "rate < window": the window follows the latency's average, which moves
        # by a few percent from round to round; when it rose a little, the rate was "capped" at it
        # again round after round (77.6 -> 77.7 req/s for 0.6 s against the sandbox at 100 ms).
        return max(self.rate, window) + p.window_growth * round_seconds / latency

    def _throttle_cut(self, now: float) -> None:
        p = self.policy
        sent_at = self._sending_rate(now)
        # What the server recently let through, when the workers happen to be sending less just now
        # (between phases, at a tail): a 429 then still says the limit is near what got through.
        basis = min(self.rate, max(sent_at, max(self._recent_accepted, default=0.0)))
        estimate = self._accepted_rate(now)
        if self.phase is Phase.PROBE and self.ceiling is not None:
            # Probing above the old ceiling: the limit lies between it (which held) and here, and a
            # token bucket's burst may have hidden it for a while — split the difference. Below the
            # old ceiling: the 429 came where the limit is.
            above = max(estimate or 0.0, (self.ceiling + basis) / 2)
            ceiling = min(basis, above) if basis > self.ceiling else basis
        elif self.phase is Phase.STARTUP or estimate is None:
            ceiling = basis
        else:
            # Holding or recovering, the settle rate is too high: the limit is at least what got
            # through since the previous 429. Trust that down to ×startup_backoff only after a
            # second of sending, busy all along (an idle spell or a short window lowers it): else
            # at most ×backoff per cut.
            sending = now - self._paused_until >= p.estimate_min_seconds
            floor = p.startup_backoff if sending and self._busy_since_throttle else p.backoff
            ceiling = min(basis, max(estimate, floor * basis))
        factor = p.startup_backoff if self.phase is Phase.STARTUP else p.backoff
        self._hold_for = p.hold_seconds
        if self.phase is Phase.PROBE and self.ceiling is not None:
            if abs(ceiling - self.ceiling) <= p.confirm_band * self.ceiling:
                # The probe met the limit where it was: probe it half as often from now on.
                self._hold_for = min(2 * self._hold_for_last, p.hold_max_seconds)
        self._hold_for_last = self._hold_for
        self._settle = p.settle
        if self.phase is Phase.STARTUP and self.epoch in self._in_flight:
            # Startup overshoots: refine the ceiling from the answers to what is still in flight.
            sent_rate = self._drain_sent_rate(now, sent_at)
            self._drain = DrainSample(self.epoch, sent_rate, now, tuple(self._accepted_times))
        self.ceiling = self._capped(ceiling)
        self.rate = self._capped(min(factor * basis, p.settle * self.ceiling))
        self._last_throttle = now
        self._accepted_since_throttle = 0
        self._busy_since_throttle = True
        self._after_cut(now)

    def _drain_sent_rate(self, now: float, allowed: float) -> float:
        """The rate the requests in flight at a cut were really sent at: the latest ``n`` sends over
        the time since the first of them (a busy client, or a server that answers in bunches, sends
        below the allowed rate; the drain sample's estimate scales with it)."""
        n = self._in_flight.get(self.epoch, 0)
        if n < 2 or n > len(self._send_times):
            return allowed
        span = now - self._send_times[-n]
        return min(allowed, n / span) if span > 0 else allowed

    def _apply_drain(self, sample: DrainSample) -> None:
        """Lower the ceiling to what the drain sample shows got through (see :class:`DrainSample`)."""
        p = self.policy
        estimate = sample.estimate(p.drain_min_answers)
        if estimate is None or self.ceiling is None or estimate >= self.ceiling:
            return
        self.ceiling = self._capped(max(estimate, p.drain_floor * sample.sent_at))
        self._settle = p.drain_settle
        settle = p.drain_settle * self.ceiling
        if self.rate > settle:
            self.rate = self._capped(settle)
        self._grant_credit(sample)

    def _grant_credit(self, sample: DrainSample) -> None:
        """The pause credit (see ``RateControlPolicy.pause_credit``): what the bucket refilled during
        the pause — the limit over the pause, less the drain's requests that got through — but no
        more than the burst it showed before the cut. Spent from the pause's end at ``credit_gain``
        above the hold rate; the drain sample's estimate is trusted, so hold starts now."""
        p = self.policy
        limit = self.settle_rate  # the drain sample's estimate
        if limit is None or p.pause_credit <= 0 or sample.answered < p.credit_min_answers:
            return
        depth = bucket_depth(sample.before, sample.cut_at, limit)
        if depth < p.credit_min_seconds * limit:
            return  # no bucket worth the name (a strict limiter shows none): nothing saved up
        refill = limit * (self._paused_until - sample.cut_at) - sample.accepted
        credit = p.pause_credit * min(depth, refill)
        if credit < 1:
            return
        self._credit = credit
        self.rate = self._capped(limit * (1 + p.credit_gain))
        self._enter_hold(self._paused_until)

    def _spend_credit(self) -> None:
        """A request sent on the credit uses the part of it above the hold rate."""
        settle = self.settle_rate
        if self._credit <= 0 or settle is None or self.rate <= settle:
            return
        used = 1 - settle / self.rate
        if self._credit > used:
            self._credit -= used
        else:
            self._end_credit()

    def _end_credit(self) -> None:
        """Back to the hold rate: the credit is used up, or a 429 says the bucket held less."""
        if self._credit <= 0:
            return
        self._credit = 0.0
        settle = self.settle_rate
        if settle is not None and self.rate > settle:
            self.rate = settle

    def _error_cut(self, now: float) -> None:
        sent_at = self._sending_rate(now)
        if self.ceiling is None:
            self.ceiling = self._capped(sent_at)  # a soft ceiling: the server struggles above it
        self.rate = self._capped(self.policy.error_backoff * sent_at)
        self._after_cut(now)

    def _after_cut(self, now: float) -> None:
        self._credit = 0.0
        self.epoch += 1
        self.phase = Phase.RECOVER
        settle = self.settle_rate
        if settle is not None and self.rate >= 0.99 * settle:
            self._enter_hold(now)
        self._new_round(now)

    def _enter_hold(self, now: float) -> None:
        self.phase = Phase.HOLD
        self._hold_since = now
        self._hold_answers = 0

    def _sending_rate(self, now: float) -> float:
        """The rate the workers really sent at just now: the allowed rate, or less when they could not
        use it (too few workers, an idle spell) — requests in flight ÷ latency (Little's law)."""
        if self.latency is None or now - self._paused_until < self.latency:
            return self.rate  # no latency known yet, or just out of a pause: nothing to count
        in_flight = sum(self._in_flight.values()) + 1  # + the request that was just answered
        return max(self.min_rps, min(self.rate, in_flight / self.latency))

    def _accepted_rate(self, now: float) -> float | None:
        """Answers accepted per second since the previous 429 (its pause included) — a lower bound of a
        token bucket's rate: the bucket was empty then and is empty now."""
        if self._last_throttle is None or now - self._last_throttle < self.policy.estimate_min_seconds:
            return None
        return self._accepted_since_throttle / (now - self._last_throttle)

    def _capped(self, rate: float) -> float:
        rate = max(self.min_rps, rate)
        return min(rate, self.cap) if self.cap is not None else rate
