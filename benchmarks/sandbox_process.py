"""A sandbox in its own process, for benchmarks (client and server must not share a GIL)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

ADMIN = "sandbox-admin-token"


class SandboxProcess:
    """``python -m migrator sandbox serve`` on a free port, with the given knobs."""

    def __init__(
        self, data: Path | None = None, latency_ms: float = 0.0, rate_limit: float | None = None
    ) -> None:
        command = [sys.executable, "-m", "migrator", "sandbox", "serve", "--port", "0"]
        command += ["--latency-ms", str(latency_ms)]
        if data is not None:
            command += ["--data", str(data)]
        if rate_limit is not None:
            command += ["--rate-limit", str(rate_limit)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        for line in self.process.stdout:
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                return
        raise RuntimeError("the sandbox did not start")

    def stats(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/_sandbox/stats", headers={"Authorization": f"OAuth {ADMIN}"})
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
