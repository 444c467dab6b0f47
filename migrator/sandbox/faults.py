"""Load and fault knobs: latency, a token-bucket rate limit (429 + Retry-After), random 5xx and
dropped connections before processing, and the nasty ones — commit a write, then answer 500 or
drop the connection without any response.

All decisions come from one seeded RNG under a lock, so a sequential client sees the same faults
for the same seed. ``fail_next(kind, n, mode)`` queues exact faults for the next matching requests.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from migrator.sandbox.config import SandboxConfig

WRITE_KINDS = frozenset(
    {
        "issue_import",
        "comment_import",
        "link_import",
        "attachment_import",
        "comment_attachment_import",
        "worklog_import",
        "create",
        "patch",
        "comment_create",
        "link_create",
        "attachment_create",
        "upload",
        "worklog_create",
        "queue_create",
        "queue_delete",
        "queue_restore",
        "comment_edit",
        "comment_delete",
        "link_delete",
        "attachment_delete",
        "worklog_delete",
        "transition",
        "component_create",
        "version_create",
        "local_field_create",
    }
)
KIND_GROUPS = {"*", "any", "write", "read", "import"}
FAIL_MODES = ("fail", "drop", "fail_before", "drop_before", "rate_limit")
Mode = Literal["fail", "drop", "fail_before", "drop_before", "rate_limit"]


@dataclass
class FaultSettings:
    latency_ms: float = 0.0
    rate_limit: float | None = None
    rate_limit_burst: int | None = None
    fault_rate: float = 0.0
    fault_statuses: tuple[int, ...] = (500, 503)
    drop_rate: float = 0.0
    commit_then_fail_rate: float = 0.0
    commit_then_drop_rate: float = 0.0
    kinds: frozenset[str] | None = None
    seed: int | None = None

    @classmethod
    def from_config(cls, cfg: SandboxConfig) -> FaultSettings:
        return cls(
            cfg.latency_ms,
            cfg.rate_limit,
            cfg.rate_limit_burst,
            cfg.fault_rate,
            tuple(cfg.fault_statuses),
            cfg.drop_rate,
            cfg.commit_then_fail_rate,
            cfg.commit_then_drop_rate,
            frozenset(cfg.fault_kinds) if cfg.fault_kinds is not None else None,
            cfg.fault_seed,
        )


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or after) processing: ``drop`` the connection, or answer ``status``."""

    action: Literal["drop", "status"]
    status: int = 500
    retry_after: float | None = None


@dataclass
class _Pending:
    kind: str
    remaining: int
    mode: Mode
    status: int


def kind_matches(selector: frozenset[str] | set[str] | None, kind: str) -> bool:
    if selector is None:
        return True
    is_write = kind in WRITE_KINDS
    return any(
        s == kind
        or s in ("*", "any")
        or (s == "write" and is_write)
        or (s == "read" and not is_write)
        or (s == "import" and kind.endswith("_import"))
        for s in selector
    )


class TokenBucket:
    def __init__(self, rate: float, burst: int | None) -> None:
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1.0, rate))
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> float | None:
        """None when admitted, else seconds until a token is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate


@dataclass
class FaultCounters:
    rate_limited: int = 0
    failed_before: int = 0
    dropped_before: int = 0
    commit_then_fail: int = 0
    commit_then_drop: int = 0


class FaultInjector:
    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self._bucket = self._new_bucket()
        self._pending: list[_Pending] = []
        self.counters = FaultCounters()

    def _new_bucket(self) -> TokenBucket | None:
        rate = self.settings.rate_limit
        return TokenBucket(rate, self.settings.rate_limit_burst) if rate else None

    # --- control ---
    def update(self, **changes: Any) -> None:
        names = {f.name for f in fields(FaultSettings)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(
                f"unknown fault setting(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        changes = _normalise(changes)
        with self._lock:
            for name, value in changes.items():
                setattr(self.settings, name, value)
            if "seed" in changes:
                self._rng = random.Random(self.settings.seed)
            if {"rate_limit", "rate_limit_burst"} & set(changes):
                self._bucket = self._new_bucket()

    def fail_next(self, kind: str, n: int = 1, mode: Mode = "drop", status: int | None = None) -> None:
        if mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAIL_MODES)}, got {mode!r}")
        if kind not in WRITE_KINDS and kind not in KIND_GROUPS and not kind.isidentifier():
            raise ValueError(f"unknown request kind {kind!r}")
        default_status = {"rate_limit": 429, "fail_before": 503}.get(mode, 500)
        with self._lock:
            self._pending.append(_Pending(kind, int(n), mode, status or default_status))

    def reset(self) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._rng = random.Random()
            self._bucket = None
            self._pending.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            out = asdict(self.settings)
            out["kinds"] = sorted(self.settings.kinds) if self.settings.kinds is not None else None
            out["fault_statuses"] = list(self.settings.fault_statuses)
            out["pending"] = [asdict(p) for p in self._pending if p.remaining > 0]
            out["injected"] = asdict(self.counters)
            return out

    # --- decisions ---
    def latency_seconds(self) -> float:
        return max(0.0, self.settings.latency_ms) / 1000.0

    def before(self, kind: str) -> Fault | None:
        """Decide before processing: rate limit, queued faults, random drop/5xx."""
        with self._lock:
            pending = self._take_pending(kind, ("rate_limit", "fail_before", "drop_before"))
            if pending is not None:
                return self._count(self._pending_fault(pending, retry=1.0))
            if self._bucket is not None:
                wait = self._bucket.take()
                if wait is not None:
                    self.counters.rate_limited += 1
                    return Fault("status", 429, retry_after=wait)
            s = self.settings
            if not kind_matches(s.kinds, kind):
                return None
            if s.drop_rate > 0 and self._rng.random() < s.drop_rate:
                self.counters.dropped_before += 1
                return Fault("drop")
            if s.fault_rate > 0 and self._rng.random() < s.fault_rate:
                self.counters.failed_before += 1
                return Fault("status", self._rng.choice(s.fault_statuses or (503,)))
            return None

    def after_commit(self, kind: str) -> Fault | None:
        """Decide after a successful write: commit-then-drop / commit-then-fail."""
        if kind not in WRITE_KINDS:
            return None
        with self._lock:
            pending = self._take_pending(kind, ("fail", "drop"))
            if pending is not None:
                return self._count(self._pending_fault(pending), after=True)
            s = self.settings
            if not kind_matches(s.kinds, kind):
                return None
            if s.commit_then_drop_rate > 0 and self._rng.random() < s.commit_then_drop_rate:
                self.counters.commit_then_drop += 1
                return Fault("drop")
            if s.commit_then_fail_rate > 0 and self._rng.random() < s.commit_then_fail_rate:
                self.counters.commit_then_fail += 1
                return Fault("status", 500)
            return None

    def _take_pending(self, kind: str, modes: tuple[str, ...]) -> _Pending | None:
        for pending in self._pending:
            if pending.remaining > 0 and pending.mode in modes and kind_matches({pending.kind}, kind):
                pending.remaining -= 1
                return pending
        return None

    @staticmethod
    def _pending_fault(pending: _Pending, retry: float | None = None) -> Fault:
        if pending.mode in ("drop", "drop_before"):
            return Fault("drop")
        return Fault("status", pending.status, retry_after=retry if pending.mode == "rate_limit" else None)

    def _count(self, fault: Fault, after: bool = False) -> Fault:
        counters = self.counters
        if fault.action == "drop":
            if after:
                counters.commit_then_drop += 1
            else:
                counters.dropped_before += 1
        elif fault.status == 429:
            counters.rate_limited += 1
        elif after:
            counters.commit_then_fail += 1
        else:
            counters.failed_before += 1
        return fault


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least 1 (RFC 9110 delay-seconds)."""
    return str(max(1, math.ceil(seconds)))


def _normalise(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if out.get("kinds") is not None:
        kinds = out["kinds"]
        out["kinds"] = frozenset([kinds] if isinstance(kinds, str) else kinds)
    if out.get("fault_statuses") is not None:
        out["fault_statuses"] = tuple(int(s) for s in out["fault_statuses"])
    for name in ("fault_rate", "drop_rate", "commit_then_fail_rate", "commit_then_drop_rate"):
        if name in out:
            value = float(out[name])
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
            out[name] = value
    return out
