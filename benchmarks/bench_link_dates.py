"""Benchmark: planning across issues — link dates, extended windows, dangling links — and the
fix-up of the stored plan it causes.

Streams N planned issues (generated, never all in memory) with ~0.6 links each: half to an issue
created much earlier whose lifetime ended before (so its window must be extended), the rest to
nearby issues, a tenth of them forward (to an issue later in the stream) and a tenth dangling
(dropped by ``target.dangling: text``). Prints, for the global pass alone (``GlobalIndex``) and
for the pass plus ``load_plan`` with the revisions applied: time, µs per issue, the revisions made,
and with ``--tracemalloc`` the Python heap peak of each (measured in a second, slower run).

    python benchmarks/bench_link_dates.py                  # 100,000 issues
    python benchmarks/bench_link_dates.py --issues 20000 --tracemalloc
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, TargetSpec, UsersSpec
from migrator.mapping.policies import DanglingPolicy
from migrator.model import Issue, Link, SourceRef, UserRef
from migrator.pipeline.global_checks import GlobalIndex
from migrator.plan import PlannedIssue, PlannedLink, PlanRevisions
from migrator.planning import load_plan
from migrator.sources.spec import SourceSpec
from migrator.state import CheckpointStore
from migrator.timeutil import format_tracker_datetime

BASE = datetime(2015, 1, 1, tzinfo=UTC)


def config() -> MappingConfig:
    return MappingConfig(
        path=Path("bench.yaml"),
        source=SourceSpec(system="bench", timezone="UTC", date_formats=["iso"]),
        target=TargetSpec(queue="DEMO", namespace="bench", dangling=DanglingPolicy(links=["text"])),
        values={},
        users=UsersSpec(),
        fields=[],
    )


def stream(count: int, seed: int = 7) -> Iterator[tuple[Issue, PlannedIssue]]:
    """Issue ``B-n`` is created n hours after BASE and lives 3 hours; links as the module says."""
    rng = random.Random(seed)
    for n in range(1, count + 1):
        key = f"B-{n}"
        created = BASE + timedelta(hours=n)
        targets: list[str] = []
        if n > 100 and rng.random() < 0.3:
            targets.append(f"B-{rng.randint(1, n - 50)}")  # long finished: its window must grow
        roll = rng.random()
        if roll < 0.03 and n < count:
            targets.append(f"B-{n + 1}")  # later in the stream
        elif roll < 0.06:
            targets.append(f"GONE-{n}")  # not in the export
        elif n > 1 and roll < 0.3:
            targets.append(f"B-{n - 1}")  # overlapping
        source = SourceRef("bench", str(n), "bench.csv", n + 1)
        issue = Issue(
            source=source,
            key=key,
            summary=f"issue {n}",
            created_at=created,
            created_by=UserRef("alice"),
            links=[
                Link(SourceRef("bench", f"{key}:{i}"), key, other, "relates")
                for i, other in enumerate(targets)
            ],
        )
        stamp = format_tracker_datetime(created)
        planned = PlannedIssue(
            source=source,
            source_key=key,
            body={
                "summary": issue.summary,
                "createdAt": stamp,
                "createdBy": "alice",
                "updatedAt": format_tracker_datetime(created + timedelta(hours=3)),
                "updatedBy": "alice",
            },
            links=[
                PlannedLink(f"link:{key}|relates|{other}", other, "relates", stamp, "alice")
                for other in targets
            ],
        )
        yield issue, planned


def measure(label: str, count: int, work: Callable[[], Any], heap: bool) -> Any:
    """Time ``work``; with ``heap`` run it again under tracemalloc for the Python heap peak."""
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    line = f"{label:<44} {seconds:7.2f} s  {seconds / count * 1e6:7.1f} µs/issue"
    if heap:
        tracemalloc.start()
        work()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        line += f"  heap peak {peak / 2**20:6.1f} MiB ({peak / count:,.0f} B/issue)"
    print(line, flush=True)
    return result


def global_pass(count: int) -> tuple[PlanRevisions, Findings]:
    findings = Findings()
    index = GlobalIndex(config(), findings)
    for issue, planned in stream(count):
        index.add(issue, planned)
    index.finish()
    return index.revisions, findings


def pass_and_load(count: int, folder: Path) -> None:
    findings = Findings()
    index = GlobalIndex(config(), findings)

    def planned() -> Iterator[PlannedIssue]:
        for issue, plan in stream(count):
            index.add(issue, plan)
            yield plan
        index.finish()

    with CheckpointStore(folder / "state.sqlite", durable=False) as store:
        load_plan(store, planned(), "bench", "DEMO", revisions=lambda: index.revisions)


def load_only(count: int, folder: Path) -> None:
    with CheckpointStore(folder / "plain.sqlite", durable=False) as store:
        load_plan(store, (plan for _issue, plan in stream(count)), "bench", "DEMO")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap peak")
    args = parser.parse_args()
    count, heap = args.issues, args.tracemalloc
    print(f"{count:,} issues")
    measure("generating the stream only", count, lambda: sum(1 for _ in stream(count)), heap)
    revisions, findings = measure(
        "global pass (dangling + link dates)", count, lambda: global_pass(count), heap
    )
    extended = sum(1 for r in revisions.issues.values() if r.updated_at)
    print(
        f"  revisions: {extended:,} issues extended, {len(revisions.links):,} links changed, "
        f"{sum(len(r.notes) for r in revisions.issues.values()):,} dangling named; {len(findings):,} findings"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("load_plan without revisions (as before)", count, lambda: load_only(count, folder), heap)
        measure("global pass + load_plan with revisions", count, lambda: pass_and_load(count, folder), heap)


if __name__ == "__main__":
    main()
