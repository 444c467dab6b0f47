"""migrator run vs a sequential official-client loop, against a latency- and rate-limited sandbox.

    python benchmarks/bench_compare.py                         # limits 5 15 50 100, 100 ms, 150 issues
    python benchmarks/bench_compare.py --rate-limit 50 --issues 150 --links 30 --warm
    python benchmarks/bench_compare.py --rate-limit 50 100 --no-sequential --repeat 3

For each limit it starts a sandbox in a *subprocess* (client and server must not share a GIL) with
``--latency-ms`` and ``--rate-limit``, generates a Jira-like CSV export (N issues, 3 comments each,
``--links`` links) and a mapping, then:

1. runs ``migrator run`` as a subprocess with default rate flags into queue DEMO, in a fresh working
   folder (so no remembered ceiling: a cold start; ``--warm`` runs it once more into a new namespace,
   starting from the ceiling the first run learned);
2. imports the same data with the official ``yandex_tracker_client`` (``import_object``, one call at a
   time, its 429 retry switched on) into queue STAGE.

Prints both wall times and their ratio, migrator's achieved requests/s as a share of the limit —
over the whole run (all its requests over the process's wall time, interpreter start and exit
included), from its first request to its last answer (the run's own clock: the traffic it sustained)
and over its import phase (the requests the run counted between its first and last write, over that
phase's seconds) — the 429 share, API calls per imported object and the peak RSS of the ``migrator
run`` process. ``--run-args '--workers 16'`` adds flags to ``migrator run``. ``--repeat N`` measures
each limit N times (a fresh sandbox each time) and ends with one line per limit: every run's three
shares of the limit and 429 share, with the load average
beside them (the host's speed moves within minutes: compare builds back to back, e.g. another
checkout's ``migrator`` first on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox_process import ADMIN, SandboxProcess

USERS = ("alice", "bob", "carol")
BASE = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
JIRA_FORMAT = "%d/%b/%y %I:%M %p"
HEADER = ["Issue key", "Issue id", "Summary", "Description", "Issue Type", "Status", "Priority", "Reporter"]
HEADER += ["Created", "Updated", "Comment", "Comment", "Comment", "Outward issue link (Relates)"]
MAPPING = """
version: 1
source:
  system: jira
  format: csv
  timezone: UTC
  date_formats: ["%d/%b/%y %I:%M %p"]
  link_ref: key
  issues:
    fields: {id: Issue id, key: Issue key, summary: Summary, description: Description, type: Issue Type,
             status: Status, priority: Priority, created_at: Created, created_by: Reporter, updated_at: Updated}
  comments: {column: Comment, pattern: "{created_at};{author};{text}"}
  links:
    columns: {"Outward issue link (Relates)": relates to}
target: {queue: DEMO, namespace: bench, markup_type: md}
values:
  type: {map: {Task: task, Bug: bug}, unmapped: error}
  status: {map: {Open: open, Done: closed}, unmapped: error}
  priority: {map: {Medium: normal, High: critical}, unmapped: error}
  link: {map: {relates to: relates}, unmapped: error}
users: {map: {}, match: [login]}
"""


@dataclass
class Row:
    key: str
    summary: str
    description: str
    type: str
    status: str
    priority: str
    author: str
    created: datetime
    updated: datetime
    comments: list[tuple[datetime, str, str]]
    link_to: str | None


def generate(issues: int, links: int) -> list[Row]:
    """Issues an hour apart, each open for ten days, 3 comments in its first days; ``links`` links
    from issue i to i+1 (dated inside both issues' windows)."""
    step = max(1, issues // links) if links else 0
    rows = []
    for n in range(1, issues + 1):
        created = BASE + timedelta(hours=n)
        comments = [
            (created + timedelta(days=d, minutes=n % 50), USERS[(n + d) % 3], f"Comment {d} on issue {n}")
            for d in (1, 2, 3)
        ]
        linked = links and n % step == 0 and n < issues and n // step <= links
        rows.append(
            Row(
                f"J-{n}",
                f"Generated issue {n}",
                f"Steps to reproduce issue {n}: *bold*, {{{{code}}}} and a list\n* one\n* two",
                "Bug" if n % 4 == 0 else "Task",
                "Done" if n % 3 == 0 else "Open",
                "High" if n % 5 == 0 else "Medium",
                USERS[n % 3],
                created,
                created + timedelta(days=10),
                comments,
                f"J-{n + 1}" if linked else None,
            )
        )
    return rows


def object_count(rows: list[Row]) -> int:
    """Issues, comments and links the export holds: the objects a run writes."""
    return len(rows) + sum(len(r.comments) for r in rows) + sum(1 for r in rows if r.link_to)


def write_export(rows: list[Row], folder: Path) -> tuple[Path, Path]:
    export, mapping = folder / "export.csv", folder / "mapping.yaml"
    with export.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i, row in enumerate(rows, 1):
            cells = [
                row.key,
                str(10000 + i),
                row.summary,
                row.description,
                row.type,
                row.status,
                row.priority,
            ]
            cells += [row.author, _jira(row.created), _jira(row.updated)]
            cells += [f"{_jira(at)};{who};{text}" for at, who, text in row.comments]
            writer.writerow([*cells, row.link_to or ""])
    mapping.write_text(MAPPING, encoding="utf-8")
    return export, mapping


def _jira(moment: datetime) -> str:
    return moment.strftime(JIRA_FORMAT)


def _tracker(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


# ---------------------------------------------------------------------- the two contestants


@dataclass
class MigratorRun:
    seconds: float
    import_seconds: float | None
    import_requests: int | None  # sent during the import phase (the run's own count)
    traffic_seconds: float | None  # from its first request to its last answer (the run's own clock)
    requests: int
    throttled: int
    peak_rss_mib: float
    rate_line: str


def run_migrator(
    sandbox: SandboxProcess, export: Path, mapping: Path, namespace: str, work: Path, extra: list[str]
) -> MigratorRun:
    env = dict(os.environ, TRACKER_API_URL=sandbox.url, TRACKER_TOKEN=ADMIN, TRACKER_ORG_ID="1")
    command = [sys.executable, "-m", "migrator", "run", str(export), "--mapping", str(mapping)]
    command += ["--namespace", namespace, "--yes", "--no-progress", *extra]
    before = sandbox.stats()
    started = time.monotonic()
    with (work / f"{namespace}.log").open("w") as log:
        process = subprocess.Popen(command, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    after = sandbox.stats()
    output = (work / f"{namespace}.log").read_text()
    if process.returncode != 0:
        raise RuntimeError(f"migrator run failed ({process.returncode}):\n{output[-3000:]}")
    phase = re.search(r"requests: (\d+) during the import \([\d.]+/s over ([\d.]+)s\)", output)
    rate_line = next((line for line in output.splitlines() if line.startswith("rate control:")), "")
    span = re.search(r"in all \([\d.]+/s over ([\d.]+)s from the first request\)", output)
    return MigratorRun(
        seconds,
        float(phase.group(2)) if phase else None,
        int(phase.group(1)) if phase else None,
        float(span.group(1)) if span else None,
        after["requests"] - before["requests"],
        after["faults"]["rate_limited"] - before["faults"]["rate_limited"],
        usage.ru_maxrss / 1024,  # Linux: KiB
        rate_line,
    )


def run_official_loop(url: str, rows: list[Row]) -> float:
    """The plain sequential loop with the official client, into queue STAGE."""
    from yandex_tracker_client import TrackerClient

    logging.getLogger("yandex_tracker_client").setLevel(logging.CRITICAL)  # it logs every retried 429
    client = TrackerClient(token=ADMIN, org_id="1", base_url=url, retries=20, retries_initial_delay=1.0)
    started = time.monotonic()
    imported: dict[str, Any] = {}
    for row in rows:
        issue = client.issues.import_object(
            queue="STAGE",
            summary=row.summary,
            description=row.description,
            createdAt=_tracker(row.created),
            createdBy=row.author,
            updatedAt=_tracker(row.updated),
            updatedBy=row.author,
            type=row.type.lower(),
            status="closed" if row.status == "Done" else "open",
            priority="critical" if row.priority == "High" else "normal",
            unique=f"bench-official:{row.key}",
        )
        imported[row.key] = issue
        for at, who, text in row.comments:
            issue.comments.import_object(text=text, createdAt=_tracker(at), createdBy=who)
    for row in rows:
        if row.link_to:
            other = imported[row.link_to]
            imported[row.key].links.import_object(
                relationship="relates",
                issue=other.key,
                createdAt=_tracker(row.created + timedelta(hours=2)),
                createdBy=row.author,
            )
    return time.monotonic() - started


# ---------------------------------------------------------------------- main


@dataclass
class Figures:
    """One cold run's shares, for the ``--repeat`` summary."""

    whole: float  # requests/s over the run, share of the limit
    traffic: float | None  # the same from its first request to its last answer
    during_import: float | None  # the same over the import phase
    throttled: float  # share of requests answered 429
    load: float  # the 1-minute load average when the run ended

    def render(self) -> str:
        during = f"{self.during_import:.0%}" if self.during_import is not None else "-"
        traffic = f"{self.traffic:.0%}" if self.traffic is not None else "-"
        return f"{self.whole:.0%} / {traffic} / {during}, 429s {self.throttled:.1%} (load {self.load:.1f})"


def compare(args: argparse.Namespace, limit: float) -> Figures:
    rows = generate(args.issues, args.links)
    objects = object_count(rows)
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        folder = Path(tmp)
        export, mapping = write_export(rows, folder)
        sandbox = SandboxProcess(folder / "sandbox.sqlite", args.latency_ms, limit)
        try:
            extra = args.run_args.split()
            runs = [run_migrator(sandbox, export, mapping, "bench-cold", folder, extra)]
            if args.warm:
                runs.append(run_migrator(sandbox, export, mapping, "bench-warm", folder, extra))
            sequential = None if args.no_sequential else run_official_loop(sandbox.url, rows)
        finally:
            sandbox.stop()
    flags = f", migrator run {args.run_args}" if args.run_args else ", migrator run with default flags"
    print(
        f"\nlimit {limit:g} req/s, latency {args.latency_ms:g} ms: {len(rows)} issues, {objects} objects{flags}"
    )
    if sequential is not None:
        print(f"  sequential official client: {sequential:7.1f} s")
    for label, run in zip(("cold", "warm"), runs, strict=False):
        ratio = f"  ({sequential / run.seconds:.2f}x the sequential loop)" if sequential else ""
        print(f"  migrator run ({label}):       {run.seconds:7.1f} s{ratio}")
        whole = run.requests / run.seconds
        line = f"    {run.requests} requests: {whole:.1f} req/s = {100 * whole / limit:.0f}% of the limit over the run"
        if run.traffic_seconds:
            traffic = run.requests / run.traffic_seconds
            line += (
                f", {100 * traffic / limit:.0f}% from its first request to its last answer "
                f"({run.traffic_seconds:.1f} s)"
            )
        if run.import_seconds and run.import_requests is not None:
            during = run.import_requests / run.import_seconds
            line += f", {during:.1f} req/s = {100 * during / limit:.0f}% during import ({run.import_seconds:.1f} s)"
        print(line)
        print(
            f"    429s: {run.throttled} ({100 * run.throttled / max(1, run.requests):.1f}% of requests); "
            f"calls per object: {run.requests / objects:.3f}; peak RSS {run.peak_rss_mib:.0f} MiB"
        )
        print(f"    {run.rate_line}")
    cold = runs[0]
    return Figures(
        cold.requests / cold.seconds / limit,
        cold.requests / cold.traffic_seconds / limit if cold.traffic_seconds else None,
        cold.import_requests / cold.import_seconds / limit
        if cold.import_seconds and cold.import_requests is not None
        else None,
        cold.throttled / max(1, cold.requests),
        os.getloadavg()[0],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate-limit", type=float, nargs="+", default=[5.0, 15.0, 50.0, 100.0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--issues", type=int, default=150)
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument(
        "--warm", action="store_true", help="run migrator a second time, from the learned ceiling"
    )
    parser.add_argument("--no-sequential", action="store_true", help="skip the official-client loop")
    parser.add_argument(
        "--run-args", default="", help="extra `migrator run` arguments, e.g. '--workers 16' (default: none)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="measure each limit this many times")
    args = parser.parse_args()
    figures = {limit: [compare(args, limit) for _ in range(args.repeat)] for limit in args.rate_limit}
    if args.repeat > 1:
        print("\ncold runs, whole run / first request to last answer / import phase as a share of the limit:")
        for limit, runs in figures.items():
            print(f"  {limit:g} req/s: " + "; ".join(f.render() for f in runs))


if __name__ == "__main__":
    main()
