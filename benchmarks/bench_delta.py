"""What comparing a newer export with the ledger costs: plan loads of a first import and of delta runs.

    python benchmarks/bench_delta.py                     # 20,000 issues, 1 % changed
    python benchmarks/bench_delta.py --issues 50000 --changed 0.05

The plan is the executor benchmark's (3 comments, 1 file and 1 link per issue). Prints the time of:
the first load (every issue new); the same export loaded again after the import (every row done:
unchanged issues are recognised by their hashes); and a newer export in which ``--changed`` of the
issues have a new summary and a comment dated after their window (each gets an ``issue_update`` row).
No target is involved: the import is simulated by marking every ledger row done. Also prints the
process's peak RSS. Times are wall clock and CPU of the process (SQLite runs in it).
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from bench_executor import BASE, generate

from migrator.delta import DeltaSummary
from migrator.findings import Findings
from migrator.plan import PlannedComment, PlannedIssue
from migrator.planning import load_plan
from migrator.state import CheckpointStore
from migrator.timeutil import format_tracker_datetime


def newer(issues: Iterator[PlannedIssue], every: int) -> Iterator[PlannedIssue]:
    """The export again, with every ``every``-th issue renamed and commented after its window."""
    late = format_tracker_datetime(BASE + timedelta(days=40))
    for n, issue in enumerate(issues, start=1):
        if every and n % every == 0:
            issue.body["summary"] += " (renamed)"
            issue.body["updatedAt"] = late
            issue.comments.append(
                PlannedComment(
                    f"{issue.source_key}-late", {"text": "later", "createdAt": late, "createdBy": "bob"}
                )
            )
        yield issue


def timed_load(
    store: CheckpointStore, plan: Iterator[PlannedIssue]
) -> tuple[tuple[float, float], DeltaSummary, int]:
    """((wall s, CPU s), delta, new rows) of one plan load (CPU time is steadier on a shared machine)."""
    delta, findings = DeltaSummary(), Findings()
    wall, cpu = time.perf_counter(), time.process_time()
    stats = load_plan(store, plan, "bench", "DEMO", findings=findings, delta=delta)
    return (time.perf_counter() - wall, time.process_time() - cpu), delta, stats.new


def _secs(times: tuple[float, float]) -> str:
    return f"{times[0]:6.1f} s wall, {times[1]:5.1f} s CPU"


def mark_all_done(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE ledger SET status = 'done', target_id = 'id' || id, target_key = 'DEMO-' || issue_key,"
            " done_at = '2022-03-01T00:00:00.000+00:00'"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=20_000, help="issues in the export (default 20000)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of issues changed (default 0.01)")
    args = parser.parse_args(argv)
    every = round(1 / args.changed) if args.changed > 0 else 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        file_path = work / "report.txt"
        file_path.write_bytes(b"benchmark attachment\n" * 50)
        state = work / "state.sqlite"
        with CheckpointStore(state) as store:
            first, _delta, rows = timed_load(store, generate(args.issues, file_path, "bench"))
        mark_all_done(state)
        with CheckpointStore(state) as store:
            same, same_delta, _new = timed_load(store, generate(args.issues, file_path, "bench"))
            changed, delta, new_rows = timed_load(
                store, newer(generate(args.issues, file_path, "bench"), every)
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.issues:,} issues, {rows:,} ledger rows")
    print(f"first load (all new):          {_secs(first)}  ({args.issues / first[1]:,.0f} issues per CPU s)")
    print(f"same export again (unchanged): {_secs(same)}  ({same_delta.issues['unchanged']:,} unchanged)")
    print(
        f"newer export ({delta.issues['changed']:,} changed): {_secs(changed)}  "
        f"({new_rows:,} new rows: {delta.planned_writes['issue_update']:,} issue updates, "
        f"{delta.new_children['comment']:,} late comments)"
    )
    print(f"peak RSS {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
