"""The local pass at scale, beside a plain ``pandas.read_csv`` of the same file.

    python benchmarks/bench_local.py                          # 100,000 and 400,000 issues
    python benchmarks/bench_local.py --issues 10000 40000 --markup plain --keep /tmp/bench-local

For each size it generates ``bench_validate.py``'s Jira-style CSV export (~3 comments per issue,
~0.3 links, parent/child rows, ``--defect-rate`` of the issues with one defect each), the mapping and
a snapshot of the sandbox's default org, then runs three separate processes on the same file and
measures each one's wall time, CPU time and peak RSS (``wait4``: the process, with the export's reader
process it waits for) — and, sampled from ``/proc`` (``TreeCpu``), the CPU time of the process with
every process below it (the markup pool's workers, which ``wait4`` does not count) and the most
resident memory all of them held at once:

1. ``python -c "pandas.read_csv(FILE)"`` — the floor: reading the file into a data frame;
2. ``migrator validate`` against the snapshot (the dry run: read, map, check, all three reports);
3. ``migrator run --force --yes`` against a sandbox in another process — from the start of the
   process to its first write request, seen by polling the sandbox's request counters; the run is
   then stopped (SIGINT: the same as Ctrl-C, the ledger stays consistent).

Prints each figure, its ratio to ``pandas.read_csv``, and how peak memory grew between the sizes.
The machine's load is printed too: on a shared machine wall times move with it, CPU times less.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_validate import queue_vocabulary, write_export, write_mapping, write_snapshot
from sandbox_process import ADMIN, SandboxProcess

WRITES = ("issue_import", "comment_import", "link_import", "worklog_import", "attachment_import", "patch")
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    seconds: float
    cpu_seconds: float  # user + system of the process and the children it waited for (the export's reader)
    peak_rss_mib: float  # of the process alone
    note: str = ""
    tree_cpu_seconds: float | None = None  # the process and every process below it (pool workers)
    tree_peak_rss_mib: float | None = None  # the most the process tree held at once (sampled)


_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
TREE_POLL_SECONDS = 0.2


class TreeCpu:
    """CPU seconds of a process and all its descendants, sampled from ``/proc``.

    ``wait4`` counts only children that were waited for: the markup pool's workers are started by
    a fork server that the measured process never waits for, so their CPU is not in its rusage.
    Every process's own ``utime + stime`` (``/proc/PID/stat``, children never included) is sampled
    until the process ends and the last value of each is summed: a process's last poll interval
    (``TREE_POLL_SECONDS``) is lost."""

    def __init__(self, root: int) -> None:
        self.root = root
        self._seen: dict[int, float] = {}
        self.peak_rss_mib = 0.0  # the most resident memory the tree held at one sample

    def sample(self) -> None:
        """One look at the tree, walked down from the root through ``/proc/PID/task/TID/children``
        (reading every process's ``stat`` cost the measured run a tenth of a core)."""
        rss = 0.0
        for pid in _tree(self.root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            except (OSError, IndexError, ValueError):  # the process ended meanwhile
                continue
            self._seen[pid] = max(self._seen.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / _TICK)
            rss += pages * _PAGE / 2**20
        self.peak_rss_mib = max(self.peak_rss_mib, rss)

    @property
    def seconds(self) -> float:
        return sum(self._seen.values())


def _tree(root: int) -> list[int]:
    """``root`` and every process below it (threads' children included)."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
            pending += [int(c) for t in tasks for c in (t / "children").read_text().split()]
        except OSError:  # the process ended meanwhile
            continue
    return found


def _wait(process: subprocess.Popen[bytes], started: float) -> Measured:
    tree = TreeCpu(process.pid)
    while not (ended := os.wait4(process.pid, os.WNOHANG))[0]:
        tree.sample()  # the process is not reaped yet: its /proc entry is still there
        time.sleep(TREE_POLL_SECONDS)
    _, status, usage = ended
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(
        time.monotonic() - started,
        cpu,
        usage.ru_maxrss / 1024,
        tree_cpu_seconds=tree.seconds,
        tree_peak_rss_mib=tree.peak_rss_mib,
    )


def measure(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, log: Path) -> Measured:
    """Run ``command`` to its end; fail loudly when it exits with an unexpected code."""
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        result = _wait(process, started)
    if process.returncode not in (0, 1):  # validate exits 1 when the generated defects block
        raise RuntimeError(f"{command[:4]} exited {process.returncode}: see {log}")
    return result


def pandas_read_csv(export: Path, folder: Path) -> Measured:
    code = (
        "import sys, time, pandas; t = time.perf_counter(); frame = pandas.read_csv(sys.argv[1]); "
        "print(f'{time.perf_counter() - t:.3f} {len(frame)}')"
    )
    log = folder / "pandas.log"
    result = measure([sys.executable, "-c", code, str(export)], cwd=folder, log=log)
    call, rows = log.read_text().split()
    return Measured(
        result.seconds, result.cpu_seconds, result.peak_rss_mib, f"read_csv call {call} s, {rows} rows"
    )


def validate(export: Path, mapping: Path, snapshot: Path, folder: Path) -> Measured:
    command = [sys.executable, "-m", "migrator", "validate", str(export), "--mapping", str(mapping)]
    command += [
        "--target-snapshot",
        str(snapshot),
        "--report",
        str(folder / "validate-report"),
        "--no-progress",
    ]
    return measure(command, cwd=folder, log=folder / "validate.log")


def run_to_first_write(export: Path, mapping: Path, folder: Path) -> Measured:
    """``migrator run`` until the sandbox sees its first write, then interrupted."""
    for stale in ("state.sqlite", "sandbox.sqlite"):  # a fresh target and ledger every time
        for suffix in ("", "-wal", "-shm"):  # a killed run's write-ahead log would be read into the new file
            (folder / f"{stale}{suffix}").unlink(missing_ok=True)
    sandbox = SandboxProcess(folder / "sandbox.sqlite")
    try:
        env = dict(os.environ, TRACKER_API_URL=sandbox.url, TRACKER_TOKEN=ADMIN, TRACKER_ORG_ID="1")
        command = [sys.executable, "-m", "migrator", "run", str(export), "--mapping", str(mapping)]
        command += ["--state", str(folder / "state.sqlite"), "--report", str(folder / "run-report")]
        command += ["--force", "--yes", "--no-progress"]
        started = time.monotonic()
        with (folder / "run.log").open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_interruptible,
            )
            first, ended = _first_write(sandbox, process)
            if ended is None:
                process.send_signal(signal.SIGINT)
                ended = os.wait4(process.pid, 0)
    finally:
        sandbox.stop()
    _, _, usage = ended
    if first is None:
        raise RuntimeError(f"the run wrote nothing: see {folder / 'run.log'}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(first - started, cpu, usage.ru_maxrss / 1024, "CPU and RSS include the stop")


def _interruptible() -> None:
    """In the run's process before it starts: SIGINT as Python expects it. A shell that starts the
    benchmark in the background ignores SIGINT, the run would inherit that and never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _first_write(
    sandbox: SandboxProcess, process: subprocess.Popen[bytes]
) -> tuple[float | None, tuple[int, int, resource.struct_rusage] | None]:
    """When the first write arrived (None: never), and the process's end if it already ended."""
    while True:
        ended = os.wait4(process.pid, os.WNOHANG)
        by_kind = sandbox.stats()["by_kind"]
        if any(by_kind.get(kind) for kind in WRITES):
            return time.monotonic(), ended if ended[0] else None
        if ended[0]:
            return None, ended
        time.sleep(POLL_SECONDS)


def generate(folder: Path, issues: int, markup: str, defect_rate: float) -> tuple[Path, Path, Path]:
    snapshot, data = write_snapshot(folder)
    mapping = write_mapping(folder, queue_vocabulary(data), markup)
    export = write_export(folder, issues, queue_vocabulary(data), defect_rate)
    return export, mapping, snapshot


def _line(label: str, m: Measured, floor: Measured | None) -> str:
    ratio = (
        f"  ×{m.seconds / floor.seconds:5.1f} time, ×{m.peak_rss_mib / floor.peak_rss_mib:4.1f} RSS"
        if floor
        else ""
    )
    note = f"  ({m.note})" if m.note else ""
    tree = f" (with workers {m.tree_cpu_seconds:6.1f} s)" if m.tree_cpu_seconds is not None else ""
    every = f" (all processes {m.tree_peak_rss_mib:4.0f})" if m.tree_peak_rss_mib else ""
    return (
        f"  {label:<28} {m.seconds:8.1f} s  CPU {m.cpu_seconds:7.1f} s{tree}  "
        f"peak RSS {m.peak_rss_mib:6.0f} MiB{every}{ratio}{note}"
    )


def bench(issues: int, args: argparse.Namespace, root: Path) -> dict[str, Measured]:
    folder = root / f"{issues}"
    folder.mkdir(parents=True, exist_ok=True)
    export, mapping, snapshot = generate(folder, issues, args.markup, args.defect_rate)
    print(
        f"\n{issues:,} issues: {export.stat().st_size / 2**20:,.1f} MB CSV ({args.markup} markup); load {os.getloadavg()[0]:.1f}"
    )
    results = {"pandas.read_csv": pandas_read_csv(export, folder)}
    print(_line("pandas.read_csv (process)", results["pandas.read_csv"], None), flush=True)
    if not args.skip_validate:
        results["validate"] = validate(export, mapping, snapshot, folder)
        print(_line("migrator validate", results["validate"], results["pandas.read_csv"]), flush=True)
    if not args.skip_run:
        results["run"] = run_to_first_write(export, mapping, folder)
        print(_line("migrator run → first write", results["run"], results["pandas.read_csv"]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--markup", choices=["jira", "plain"], default="jira")
    parser.add_argument("--defect-rate", type=float, default=0.02)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--skip-validate", action="store_true")
    parser.add_argument("--skip-run", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        root = args.keep or Path(tmp)
        runs = {issues: bench(issues, args, root) for issues in args.issues}
    if len(runs) > 1:
        small, large = min(runs), max(runs)
        print(f"\npeak RSS growth from {small:,} to {large:,} issues ({large / small:g}× the issues):")
        for name in runs[small]:
            a, b = runs[small][name], runs[large][name]
            every = (
                f"; all processes {a.tree_peak_rss_mib:.0f} → {b.tree_peak_rss_mib:.0f} MiB"
                f" ×{b.tree_peak_rss_mib / a.tree_peak_rss_mib:.2f}"
                if a.tree_peak_rss_mib and b.tree_peak_rss_mib
                else ""
            )
            print(
                f"  {name:<28} {a.peak_rss_mib:6.0f} → {b.peak_rss_mib:6.0f} MiB  ×{b.peak_rss_mib / a.peak_rss_mib:.2f}"
                f"{every}; time ×{b.seconds / a.seconds:.2f}"
            )


if __name__ == "__main__":
    main()
