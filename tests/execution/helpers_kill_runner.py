"""Subprocess body for the kill/resume test: run the Executor on a pre-loaded state file.

``python helpers_kill_runner.py STATE WORKERS`` with ``TRACKER_API_URL``/``TRACKER_TOKEN``/
``TRACKER_ORG_ID`` in the environment. Prints the run summary as JSON; exits 0 when complete.
(Stands in for ``migrator run ... --state STATE --yes`` until the CLI exists.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from migrator.execution import Executor, ExecutorPolicy
from migrator.state import CheckpointStore
from migrator.tracker import TrackerClient, TrackerSettings


def main(argv: list[str]) -> int:
    state, workers = Path(argv[1]), int(argv[2])
    settings = TrackerSettings.from_env(os.environ)
    if settings is None:
        print("TRACKER_TOKEN is not set", file=sys.stderr)
        return 2
    policy = ExecutorPolicy(backoff_base=0.01, backoff_max=0.05)
    with TrackerClient(settings) as client, CheckpointStore(state) as store:
        summary = Executor(client, store, workers=workers, progress=False, policy=policy).run()
    print(json.dumps(summary.to_dict()))
    return 0 if summary.complete else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
