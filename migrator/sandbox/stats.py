"""Request counters for ``GET /_sandbox/stats`` and ``SandboxServer.stats()``."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_method: Counter[str] = Counter()
        self._by_kind: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()

    def request(self, method: str, kind: str) -> None:
        with self._lock:
            self._by_method[method] += 1
            self._by_kind[kind] += 1

    def response(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1

    def reset(self) -> None:
        with self._lock:
            self._by_method.clear()
            self._by_kind.clear()
            self._by_status.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(self._by_method.values()),
                "by_method": dict(self._by_method),
                "by_kind": dict(self._by_kind),
                "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
            }
