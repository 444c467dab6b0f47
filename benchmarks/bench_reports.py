"""The dry run's tail: writing the three reports of a large result, the way ``validate`` writes
them against the way it wrote them before (one after another in one process).

    python benchmarks/bench_reports.py                      # the findings of a 100,000-issue dry run
    python benchmarks/bench_reports.py --issues 400000 --repeat 5

Builds a result with the findings a ``bench_local.py`` dry run has (42,760 at 100,000 issues: link
dates planned, windows extended, dangling links, unmapped values, ...; the same kinds and shares,
texts of the same lengths) and writes its reports in a fresh process per measurement, alternating:

* ``serial`` — HTML, JSON, then XLSX, in this process (the tail before the XLSX report went to
  another process), with openpyxl's own XML writer (``OPENPYXL_LXML=False``: lxml not used);
* ``serial+lxml`` — the same with lxml (openpyxl serialises through it when it is installed);
* ``aside`` — what ``validate`` does now: the XLSX report in another process
  (``report/xlsx_aside.py``) while this one writes the HTML and JSON reports.

Prints each measurement's wall time, CPU time (the process and the children it waited for) and
peak RSS, then the median of each mode. The machine's load is printed too: on a shared machine the
wall time moves with it; ``aside`` gains only when a core is free.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from migrator.findings import Finding, Findings, Severity
from migrator.results import Estimate, UserRow, ValidationResult, ValueCoverageRow

# (kind, severity, findings per 100,000 issues) of bench_local.py's 100,000-issue dry run
FINDING_MIX = (
    ("date.unparsable", Severity.ERROR, 382),
    ("link.dangling", Severity.ERROR, 498),
    ("parent.dangling", Severity.ERROR, 47),
    ("value.unmapped", Severity.ERROR, 424),
    ("time.clamped", Severity.WARNING, 407),
    ("time.window_extended_for_link", Severity.WARNING, 25_858),
    ("user.fallback", Severity.WARNING, 402),
    ("time.link_clamped", Severity.INFO, 14_742),
)
MODES = ("serial", "serial+lxml", "aside")


def make_result(issues: int) -> ValidationResult:
    findings = Findings()
    for kind, severity, per_100k in FINDING_MIX:
        for n in range(issues * per_100k // 100_000):
            findings.append(_finding(kind, severity, n))
    return ValidationResult(
        generated_at="2024-05-14T09:30:12.000+0000",
        mapping="mapping.yaml",
        sources=["issues.csv"],
        target="snapshot target.json",
        queue="DEMO",
        namespace="bench",
        strict=False,
        counts={"issues": issues, "comments": 3 * issues, "links": issues * 2 // 5},
        distributions={"type": [("Bug", "bug", issues // 2), ("Task", "task", issues - issues // 2)]},
        value_coverage=[ValueCoverageRow("type", "Bug", "bug", "mapped", issues // 2)],
        users=[UserRow(f"user{n}@example.com", f"user{n}", "email", "e-mail matches", 40) for n in range(60)],
        findings=findings,
        estimate=Estimate(issues * 4, {"issues": issues, "comments": 3 * issues}, 10.0, issues * 0.4),
    )


def _finding(kind: str, severity: Severity, n: int) -> Finding:
    """A finding shaped like the dry run's: its message, value and hint of the same lengths."""
    key, when = f"PROJ-{n + 1}", f"2019-{n % 12 + 1:02d}-{n % 28 + 1:02d}T09:{n % 60:02d}:00.000+0000"
    message = (
        f"updatedAt moved from {when} to {when} so that its links can be dated inside both issues' "
        f"windows (relates PROJ-{n * 7 % 99_991 + 1})"
    )
    hint = (
        "Tracker dates a link inside both issues' [createdAt, updatedAt]; adding a link updates both issues"
    )
    return Finding(severity, kind, message, "issues.csv", n + 2, key, "links", f"{when} → {when}", hint)


def write(mode: str, result: ValidationResult, folder: Path) -> None:
    from migrator.report.html import write_html_report
    from migrator.report.json_report import write_json_report

    if mode == "aside":
        from migrator.report.xlsx_aside import xlsx_report_aside

        with xlsx_report_aside(result, folder / "report.xlsx") as xlsx_written:
            write_html_report(result, folder / "report.html")
            write_json_report(result, folder / "report.json")
            xlsx_written()
        return
    from migrator.report.xlsx import write_xlsx_report

    write_html_report(result, folder / "report.html")
    write_json_report(result, folder / "report.json")
    write_xlsx_report(result, folder / "report.xlsx")


def measure_here(mode: str, issues: int) -> dict[str, float]:
    """In the measuring process: build the result (not timed), then write its three reports."""
    result = make_result(issues)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        started, cpu = time.perf_counter(), _cpu()
        write(mode, result, Path(folder))
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall": wall, "cpu": cpu, "rss": own, "child_rss": children, "findings": len(result.findings)}


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(mode: str, issues: int) -> dict[str, float]:
    """One measurement in a fresh interpreter (as ``validate``'s tail runs in its own process)."""
    env = dict(os.environ)
    env.pop("OPENPYXL_LXML", None)
    if mode == "serial":
        env["OPENPYXL_LXML"] = "False"  # openpyxl reads it when imported
    command = [sys.executable, __file__, "--one", mode, "--issues", str(issues)]
    figures: dict[str, float] = json.loads(
        subprocess.run(command, env=env, check=True, capture_output=True).stdout
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=100_000, help="the dry run's size the findings match")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each mode, alternating")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)  # the measuring process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_here(args.one, args.issues)))
        return 0
    walls: dict[str, list[float]] = {mode: [] for mode in args.modes}
    cpus: dict[str, list[float]] = {mode: [] for mode in args.modes}
    for _ in range(args.repeat):
        for mode in args.modes:
            m = measure(mode, args.issues)
            walls[mode].append(m["wall"])
            cpus[mode].append(m["cpu"])
            print(
                f"{mode:12s} {int(m['findings']):,} findings: wall {m['wall']:5.2f} s  cpu {m['cpu']:5.2f} s  "
                f"peak RSS {m['rss']:4.0f} MiB (children {m['child_rss']:4.0f} MiB)  "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for mode in args.modes:
        print(
            f"median {mode:12s} wall {statistics.median(walls[mode]):5.2f} s  cpu {statistics.median(cpus[mode]):5.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
