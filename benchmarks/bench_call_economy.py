"""The requests one clean ``migrator run`` sends besides the objects it writes, by kind.

    python benchmarks/bench_call_economy.py                  # 150 issues, 30 links (629 objects), 100 ms
    python benchmarks/bench_call_economy.py --issues 20 --links 5 --latency-ms 0

Generates bench_compare's Jira-like export, starts a sandbox in a subprocess with ``--latency-ms``
and no rate limit, runs ``migrator run`` once into an empty queue and prints the sandbox's request
counts by kind (``/_sandbox/stats``): the requests besides the objects' writes, calls per object,
the seconds from the start of ``migrator run`` to its first write (the lease marker's import,
found by polling the stats every 10 ms) and the wall time of the run. Issue 13 asks for at most
1.02 calls per object on a clean run.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench_compare import generate, object_count, run_migrator, write_export
from sandbox_process import SandboxProcess

OBJECT_KINDS = ("issue_import", "comment_import", "link_import", "worklog_import", "attachment_upload")


class FirstWrite:
    """Polls the sandbox's stats until the first ``issue_import``: seconds since it was made."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        self.started = time.monotonic()
        self.seconds = float("nan")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            if self.sandbox.stats()["by_kind"].get("issue_import", 0):
                self.seconds = time.monotonic() - self.started
                return
            time.sleep(0.01)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=150)
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    rows = generate(args.issues, args.links)
    objects = object_count(rows)
    with tempfile.TemporaryDirectory(prefix="bench-economy-") as tmp:
        folder = Path(tmp)
        export, mapping = write_export(rows, folder)
        sandbox = SandboxProcess(folder / "sandbox.sqlite", args.latency_ms, None)
        try:
            before = Counter(sandbox.stats()["by_kind"])
            first_write = FirstWrite(sandbox)
            run = run_migrator(sandbox, export, mapping, "bench-economy", folder, [])
            first_write.stop()
            after = Counter(sandbox.stats()["by_kind"])
        finally:
            sandbox.stop()
    by_kind = after - before
    total = sum(by_kind.values())
    others = {kind: n for kind, n in sorted(by_kind.items()) if kind not in OBJECT_KINDS}
    print(f"{len(rows)} issues, {objects} objects: {total} requests in {run.seconds:.2f} s")
    print(
        f"  requests besides the objects' writes: {total - objects} "
        f"(the lease marker's issue_import, {', '.join(f'{k} {n}' for k, n in others.items())})"
    )
    print(f"  calls per object: {total / objects:.3f}")
    print(f"  first write {first_write.seconds:.2f} s after the start of `migrator run`")


if __name__ == "__main__":
    main()
