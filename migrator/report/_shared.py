"""Small helpers both the HTML and the XLSX writer use, so both say the same thing the same way."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from migrator.findings import Findings, Severity
from migrator.results import ValidationResult

SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class KindTotal:
    """How many findings one kind has, and the worst severity among them."""

    worst: Severity
    count: int


def kind_totals(findings: Findings) -> dict[str, KindTotal]:
    """Findings per kind (from the collection's counters, nothing read back); kinds ordered by
    worst severity, then name."""
    totals: dict[str, KindTotal] = {}
    for (name, kind), count in findings.counts_by_kind().items():
        severity, seen = Severity(name), totals.get(kind)
        if seen is None:
            totals[kind] = KindTotal(severity, count)
        else:
            worst = min(severity, seen.worst, key=SEVERITY_RANK.__getitem__)
            totals[kind] = KindTotal(worst, seen.count + count)
    return dict(sorted(totals.items(), key=lambda item: (SEVERITY_RANK[item[1].worst], item[0])))


def verdict(result: ValidationResult) -> str:
    """``Ready to migrate`` or ``N problem(s) block(s) the run``."""
    blocking = result.blocking
    if not blocking:
        return "Ready to migrate"
    if blocking == 1:
        return "1 problem blocks the run"
    return f"{blocking:,} problems block the run"


def format_duration(seconds: float) -> str:
    """A rough human duration: ``45 s``, ``7 min 30 s``, ``3 h 25 min``, ``2 d 4 h``."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    total_minutes = round(total / 60)
    hours, minutes = divmod(total_minutes, 60)
    if hours == 0:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_bytes(size: int) -> str:
    """``512 bytes``, ``1.5 KB``, ``3.2 GB`` (powers of 1024)."""
    if size < 1024:
        return f"{size:,} bytes"
    value = size / 1024
    for unit in ("KB", "MB", "GB"):
        if value < 1024:
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TB"


def report_path(path: Path, default_name: str) -> Path:
    """``path`` itself, or ``path/default_name`` when ``path`` is an existing directory."""
    return path / default_name if path.is_dir() else path


def write_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """Let ``write`` fill a sibling temporary file, then move it over ``target`` in one step.

    A reader never sees half a report, and a failed write leaves no partial file behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        write(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
