"""Executor throughput against an in-process sandbox.

    python benchmarks/bench_executor.py                    # 2,000 issues, workers 1/4/8
    python benchmarks/bench_executor.py --issues 500 --workers 4 --latency-ms 30

Each issue has 3 comments, 1 file and 1 link (to the next issue). Every worker count gets a fresh
sandbox and a fresh state file. Prints, per run: plan load time, run time, issues/s, objects/s,
requests/s (as counted by the sandbox, reads included) and the process's peak RSS (which includes
the in-process sandbox and its in-memory database).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from migrator.execution import Executor
from migrator.model import SourceRef
from migrator.plan import PlannedAttachment, PlannedComment, PlannedIssue, PlannedLink, make_unique
from migrator.planning import load_plan
from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.state import CheckpointStore
from migrator.timeutil import format_tracker_datetime
from migrator.tracker import RateLimiter, TrackerClient, TrackerSettings

USERS = ("admin", "alice", "bob")
BASE = datetime(2022, 1, 1, tzinfo=UTC)


def _ts(moment: datetime) -> str:
    return format_tracker_datetime(moment)


def generate(count: int, file_path: Path, namespace: str) -> Iterator[PlannedIssue]:
    """``count`` planned issues, streamed (never all in memory at once)."""
    size = file_path.stat().st_size
    updated = _ts(BASE + timedelta(days=30))
    for n in range(1, count + 1):
        key = f"B-{n}"
        created = BASE + timedelta(seconds=n)
        source = SourceRef("bench", str(n))
        issue = PlannedIssue(
            source=source,
            source_key=key,
            body={
                "queue": "DEMO",
                "summary": f"Benchmark issue {n}",
                "description": "x" * 200,
                "createdAt": _ts(created),
                "createdBy": USERS[n % 3],
                "updatedAt": updated,
                "updatedBy": "admin",
                "type": "task",
                "status": "open",
                "unique": make_unique(namespace, source),
            },
        )
        for c in range(3):
            issue.comments.append(
                PlannedComment(
                    f"{key}-c{c}",
                    {
                        "text": f"comment {c} of {key}",
                        "createdAt": _ts(created + timedelta(hours=c + 1)),
                        "createdBy": USERS[(n + c) % 3],
                    },
                )
            )
        issue.attachments.append(
            PlannedAttachment(
                f"{key}-f",
                "report.txt",
                str(file_path),
                _ts(created + timedelta(minutes=30)),
                "alice",
                size=size,
            )
        )
        if n < count:
            issue.links.append(
                PlannedLink(
                    f"{key}->B-{n + 1}", f"B-{n + 1}", "relates", _ts(BASE + timedelta(days=20)), "admin"
                )
            )
        yield issue


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_once(
    issues: int, workers: int, latency_ms: float, max_rps: float | None, work: Path, durable: bool = True
) -> dict[str, float]:
    file_path = work / "report.txt"
    file_path.write_bytes(b"benchmark attachment\n" * 50)
    state = work / f"state-{workers}.sqlite"
    config = SandboxConfig(latency_ms=latency_ms)
    with SandboxServer(config, port=0) as server, CheckpointStore(state, durable=durable) as store:
        started = time.perf_counter()
        stats = load_plan(store, generate(issues, file_path, f"bench{workers}"), f"bench{workers}", "DEMO")
        load_s = time.perf_counter() - started
        limiter = RateLimiter(max_rps) if max_rps else None
        settings = TrackerSettings(
            token=server.admin_token,
            org_id=str(server.org_id),
            base_url=server.url,
            pool_size=max(16, workers),
        )
        with TrackerClient(settings, rate_limiter=limiter) as client:
            server.reset_stats()
            summary = Executor(client, store, workers=workers, rate_limiter=limiter, progress=False).run()
        requests = server.stats()["requests"]
    if not summary.complete:
        print(summary.format_table(), file=sys.stderr)
    objects = stats.new
    return {
        "workers": workers,
        "load_s": load_s,
        "run_s": summary.duration_s,
        "objects": objects,
        "issues_per_s": issues / summary.duration_s,
        "objects_per_s": objects / summary.duration_s,
        "requests_per_s": requests / summary.duration_s,
        "requests": requests,
        "writes": summary.writes,
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=2000, help="planned issues (default 2000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8], help="worker counts to run")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="sandbox latency per request (network model)"
    )
    parser.add_argument("--max-rps", type=float, default=None, help="shared client-side rate limit")
    parser.add_argument(
        "--no-durable",
        action="store_true",
        help="do not fsync the write-ahead marks (survives a process crash, not a power loss)",
    )
    args = parser.parse_args(argv)
    print(
        f"{args.issues} issues x (1 issue + 3 comments + 1 file + 1 link), latency {args.latency_ms} ms, "
        f"max rps {args.max_rps or 'unlimited'}, state {'not ' if args.no_durable else ''}fsynced per write"
    )
    header = (
        f"{'workers':>7} {'load s':>7} {'run s':>8} {'issues/s':>9} {'objects/s':>10} {'req/s':>8} "
        f"{'requests':>9} {'peak RSS MiB':>13}"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as tmp:
        for workers in args.workers:
            r = run_once(args.issues, workers, args.latency_ms, args.max_rps, Path(tmp), not args.no_durable)
            print(
                f"{r['workers']:>7} {r['load_s']:>7.2f} {r['run_s']:>8.2f} {r['issues_per_s']:>9.1f} "
                f"{r['objects_per_s']:>10.1f} {r['requests_per_s']:>8.1f} {r['requests']:>9} "
                f"{r['peak_rss_mib']:>13.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
