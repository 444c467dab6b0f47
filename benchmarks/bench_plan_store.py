"""What the plan load in its own process moves out of ``run``'s main process, and what it costs it.

    python benchmarks/bench_plan_store.py EXPORT --mapping MAPPING --target-snapshot TARGET.json

One pass over the export as ``run`` makes it (read ahead in a child, texts in the pool), the planned
issues stored in a temporary checkpoint file twice: by ``load_plan`` in this process, then by
``load_plan_aside`` (the child). Prints, for each: the wall time, this process's CPU (all its
threads), the CPU spent inside the pass (reading, transforming, checking: the same both times), the
rest (the load here; the pickling, sends and the wait for the child's commit aside), and the CPU
``pickle.dumps`` takes for the same batches the child is sent (measured in the first pass, beside
the load), with their size. (Peak memory: ``bench_local.run_to_first_write`` prints the run's.)
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from migrator.delta import DeltaSummary
from migrator.findings import Findings
from migrator.mapping.config import load_mapping
from migrator.pipeline.prepared import PreparedRun
from migrator.plan import PlannedIssue
from migrator.plan_store_process import BATCH_ISSUES, load_plan_aside
from migrator.planning import load_plan
from migrator.planning_texts import KeyPlan
from migrator.snapshot import load_target_info
from migrator.state import CheckpointStore


@dataclass
class PassCost:
    """CPU seconds of this process spent inside the pass, and pickling batches (when measured)."""

    issues: int = 0
    pass_cpu: float = 0.0
    pickle_cpu: float = 0.0
    pickled_bytes: int = 0


def metered(
    planned: Iterable[PlannedIssue], cost: PassCost, *, pickle_batches: bool
) -> Iterator[PlannedIssue]:
    """The stream, with the CPU spent producing it (and pickling it in batches) counted in ``cost``."""
    stream, batch = iter(planned), []
    while True:
        started = time.process_time()
        issue = next(stream, None)
        cost.pass_cpu += time.process_time() - started
        if pickle_batches and (issue is None or len(batch) == BATCH_ISSUES):
            started = time.process_time()
            cost.pickled_bytes += len(pickle.dumps(("issues", batch), protocol=pickle.HIGHEST_PROTOCOL))
            cost.pickle_cpu += time.process_time() - started
            batch = []
        if issue is None:
            return
        cost.issues += 1
        batch.append(issue)
        yield issue


def measure(args: argparse.Namespace, aside: bool, folder: Path) -> None:
    config = load_mapping(args.mapping)
    info = load_target_info(args.target_snapshot, config.target.queue)
    findings = Findings()
    prepared = PreparedRun(config, [args.export], info, findings)
    cost = PassCost()
    load = load_plan_aside if aside else load_plan
    wall, cpu = time.perf_counter(), time.process_time()
    with CheckpointStore(folder / f"{'aside' if aside else 'here'}.sqlite") as store:
        load(
            store,
            metered(prepared.planned(), cost, pickle_batches=not aside),
            config.target.namespace,
            config.target.queue,
            keys=KeyPlan(lambda: 0),
            revisions=lambda: prepared.revisions,
            findings=findings,
            delta=DeltaSummary(),
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rows = sum(sum(by.values()) for by in store.counts().values())
    label = "load_plan_aside (child)" if aside else "load_plan (here)"
    print(
        f"{label:24s} {cost.issues:,} issues, {rows:,} rows: wall {wall:6.1f} s, this process {cpu:6.1f} s CPU,"
        f" in the pass {cost.pass_cpu:6.1f} s, the rest {cpu - cost.pass_cpu:5.1f} s",
        flush=True,
    )
    if not aside:
        print(
            f"{'':24s} pickling the same batches: {cost.pickle_cpu:5.2f} s CPU,"
            f" {cost.pickled_bytes / 2**20:,.0f} MiB ({BATCH_ISSUES} issues a batch)",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("export", type=Path)
    parser.add_argument("--mapping", type=Path, required=True)
    parser.add_argument("--target-snapshot", type=Path, required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for aside in (False, True):
            measure(args, aside, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
