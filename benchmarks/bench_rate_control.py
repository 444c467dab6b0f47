"""How the adaptive rate control does against simulated rate limits (deterministic, virtual time).

    python benchmarks/bench_rate_control.py [--seconds 300] [--latency-ms 100] [--workers 64]

For each limit (5, 15, 50, 100 req/s) and two kinds of server limiter — the sandbox's token bucket
holding one second of requests, and a strict one holding a single request — prints the accepted
rate as a share of the limit over the first 13 s (a short cold run), over the whole run and once
settled (from 60 s), the share of 429 answers, and the ceiling learned. Then a limit that drops
from 50 to 15 req/s and one that rises from 15 to 50 at 60 s. See docs/rate-control.md.
"""

from __future__ import annotations

import argparse

from migrator.tracker.ratelimit import RateLimiter
from migrator.tracker.ratesim import BucketServer, SimClock, SimResult, simulate


def _auto(clock: SimClock) -> RateLimiter:
    return RateLimiter.auto(clock=clock, sleep=lambda seconds: None)


def _row(label: str, limit: float, result: SimResult, limiter: RateLimiter, seconds: float) -> str:
    share = [result.accepted_rate(a, b) / limit for a, b in ((0, 13), (0, seconds), (60, seconds))]
    ceiling = limiter.ceiling
    return (
        f"  {label:<8} {limit:>5g}  {share[0]:6.0%} {share[1]:6.0%} {share[2]:8.0%}  "
        f"{result.throttled_share():5.2%}  {ceiling if ceiling is None else round(ceiling, 1)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print(f"{args.workers} workers, {args.latency_ms:g} ms per request, {args.seconds:g} s simulated")
    print("  server   limit   0-13s    run  settled   429s  ceiling")
    for label, burst in (("bucket", None), ("strict", 1.0)):
        for limit in (5.0, 15.0, 50.0, 100.0):
            server = BucketServer(limit, burst=burst, latency=latency)
            result, limiter = simulate(_auto, server, seconds=args.seconds, workers=args.workers)
            print(_row(label, limit, result, limiter, args.seconds))
    for before, after in ((50.0, 15.0), (15.0, 50.0)):
        server = BucketServer(before, latency=latency)
        result, limiter = simulate(
            _auto,
            server,
            seconds=args.seconds,
            workers=args.workers,
            events={60.0: lambda s, now, after=after: s.change_limit(now, after)},  # type: ignore[misc]
        )
        near = next((t - 60 for t, rate in result.rates if t > 60 and abs(rate - after) <= 0.2 * after), None)
        settled = result.accepted_rate(120, args.seconds) / after
        print(
            f"limit {before:g} -> {after:g} req/s at 60 s: rate within 20% of the new limit after "
            f"{near if near is None else round(near, 1)} s; from 120 s {settled:.0%} of it, "
            f"429s after the change {result.throttled_share(60):.2%}"
        )


if __name__ == "__main__":
    main()
