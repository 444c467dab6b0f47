"""Raw request throughput of the sandbox over loopback HTTP (keep-alive or not).

    python benchmarks/bench_sandbox_http.py [--seconds 10] [--threads 1 4 8]

Starts the sandbox in a subprocess (no latency, no limit) and, for each thread count, has that many
threads share one migrator ``TrackerClient`` (one pooled session) sending ``GET /v2/myself`` for
``--seconds``. Prints requests/s and how many TCP connections the client opened (counted on the
client side, as urllib3 connects; the sandbox's stats do not see connections).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from sandbox_process import ADMIN, SandboxProcess
from urllib3.connection import HTTPConnection

from migrator.tracker import TrackerClient, TrackerSettings


def measure(url: str, threads: int, seconds: float) -> tuple[float, int]:
    opened = 0
    lock = threading.Lock()
    original = HTTPConnection.connect

    def counting_connect(connection: HTTPConnection) -> None:
        nonlocal opened
        with lock:
            opened += 1
        original(connection)

    HTTPConnection.connect = counting_connect  # type: ignore[method-assign]
    count = 0
    deadline = time.monotonic() + seconds
    settings = TrackerSettings(token=ADMIN, org_id="1", base_url=url, pool_size=max(16, threads))
    try:
        with TrackerClient(settings) as client:

            def worker() -> None:
                nonlocal count
                done = 0
                while time.monotonic() < deadline:
                    client.myself()
                    done += 1
                with lock:
                    count += done

            started = time.monotonic()
            pool = [threading.Thread(target=worker) for _ in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            elapsed = time.monotonic() - started
    finally:
        HTTPConnection.connect = original  # type: ignore[method-assign]
    return count / elapsed, opened


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    sandbox = SandboxProcess()
    try:
        print(
            f"sandbox {Path(sys.executable).name} -m migrator sandbox serve; GET /v2/myself for {args.seconds:g} s"
        )
        for threads in args.threads:
            rate, opened = measure(sandbox.url, threads, args.seconds)
            print(f"  {threads} thread(s): {rate:7.0f} req/s, {opened} connection(s) opened")
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
