"""What one run did, per object kind: the console table ``migrator run`` prints and its JSON form."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from migrator.vocabulary import KINDS, Kind, Status


@dataclass
class KindSummary:
    planned: int = 0
    done_now: int = 0  # became done in this run (sent, or found present by reconciliation)
    already_done: int = 0  # done before this run started
    reconciled: int = 0  # of done_now: found already in the target (no write needed)
    failed: int = 0
    blocked: int = 0
    pending: int = 0  # still pending / in flight at the end (e.g. links waiting for their other end)


@dataclass
class RunSummary:
    kinds: dict[str, KindSummary]
    duration_s: float
    writes: int = 0  # write requests sent (incl. ones answered 429)
    reconciliations: int = 0  # ambiguous outcomes / in-flight rows looked up in the target
    conflicts: int = 0  # 409s resolved (issue found by unique, link already there)
    rate_limited: int = 0
    unavailable: int = 0

    def total(self, name: str) -> int:
        return sum(getattr(k, name) for k in self.kinds.values())

    @property
    def complete(self) -> bool:
        return all(k.failed == k.blocked == k.pending == 0 for k in self.kinds.values())

    HEADERS: ClassVar[tuple[str, ...]] = (
        "kind",
        "planned",
        "done now",
        "already done",
        "reconciled",
        "failed",
        "blocked",
        "pending",
    )

    def table_rows(self) -> list[list[str]]:
        rows = []
        for kind, k in self.kinds.items():
            if k.planned:
                rows.append(
                    [
                        kind,
                        *(
                            str(v)
                            for v in (
                                k.planned,
                                k.done_now,
                                k.already_done,
                                k.reconciled,
                                k.failed,
                                k.blocked,
                                k.pending,
                            )
                        ),
                    ]
                )
        return rows

    def format_table(self) -> str:
        rows = [list(self.HEADERS), *self.table_rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.HEADERS))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(
            f"{self.writes} writes, {self.reconciliations} reconciliations, {self.conflicts} conflicts resolved, "
            f"{self.rate_limited} rate-limited, {self.duration_s:.1f}s"
        )
        return "\n".join(lines)

    def render(self) -> str:
        """The console table (what ``migrator run`` prints at the end)."""
        return self.format_table()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": {kind: k.__dict__.copy() for kind, k in self.kinds.items()},
            "duration_s": round(self.duration_s, 3),
            "writes": self.writes,
            "reconciliations": self.reconciliations,
            "conflicts": self.conflicts,
            "rate_limited": self.rate_limited,
            "unavailable": self.unavailable,
            "complete": self.complete,
        }


class RunCounters:
    """Thread-safe run counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done = dict.fromkeys(KINDS, 0)
        self.reconciled = dict.fromkeys(KINDS, 0)
        self.values = {"writes": 0, "reconciliations": 0, "conflicts": 0, "rate_limited": 0, "unavailable": 0}

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.values[name] += n

    def done_row(self, kind: Kind, reconciled: bool) -> None:
        with self._lock:
            self.done[kind] += 1
            if reconciled:
                self.reconciled[kind] += 1

    def summary(
        self, before: Mapping[str, Mapping[str, int]], after: Mapping[str, Mapping[str, int]], duration: float
    ) -> RunSummary:
        """The run's summary from the ledger counts before and after it (kind -> status -> rows)."""
        kinds: dict[str, KindSummary] = {}
        for kind in KINDS:
            counts = after.get(kind, {})
            kinds[kind] = KindSummary(
                planned=sum(counts.values()),
                done_now=self.done[kind],
                already_done=before.get(kind, {}).get(Status.DONE, 0),
                reconciled=self.reconciled[kind],
                failed=counts.get(Status.FAILED, 0),
                blocked=counts.get(Status.BLOCKED, 0),
                pending=counts.get(Status.PENDING, 0) + counts.get(Status.IN_FLIGHT, 0),
            )
        return RunSummary(kinds=kinds, duration_s=duration, **self.values)
