"""Run history: one manifest record per ``migrator run``, kept in the checkpoint file (table ``runs``).

A record says when the run started and ended and how (``complete``, ``incomplete`` — objects failed
or still pending —, ``refused`` — blocking findings —, ``declined`` — not confirmed —, or ``running``
when the process never came back: killed or interrupted), which export it read (SHA-256 of each file
and of all of them together), which mapping (SHA-256), which target (API URL and org, never a token)
and queue, what it wrote per object kind, its findings per severity and kind, and the delta it found
against the ledger. ``migrator status --history`` lists the records, ``--json`` gives the same to
scripts.

The table lives next to the ledger (``migrator/state.py``) in the same SQLite file but is its own
room: it is created when absent, so a state file written before the history existed gains it on the
next run, and it is read and written through its own connection.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace      TEXT NOT NULL,
    queue          TEXT NOT NULL,
    command        TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    outcome        TEXT NOT NULL,
    target         TEXT NOT NULL,
    export_sha256  TEXT NOT NULL,
    exports_json   TEXT NOT NULL,
    mapping        TEXT NOT NULL,
    mapping_sha256 TEXT NOT NULL,
    written_json   TEXT NOT NULL DEFAULT '{}',
    findings_json  TEXT NOT NULL DEFAULT '{}',
    delta_json     TEXT NOT NULL DEFAULT '{}'
)
"""
_COLUMNS = (
    "id, namespace, queue, command, started_at, finished_at, outcome, target, export_sha256, exports_json, "
    "mapping, mapping_sha256, written_json, findings_json, delta_json"
)
OUTCOMES = ("complete", "incomplete", "refused", "declined", "running")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileDigest:
    path: str
    sha256: str
    bytes: int


@dataclass
class RunRecord:
    id: int
    namespace: str
    queue: str
    command: str
    started_at: str
    finished_at: str | None
    outcome: str
    target: str  # API URL + org (never a token)
    export_sha256: str  # of all export files together
    exports: list[FileDigest]
    mapping: str
    mapping_sha256: str
    written: dict[str, dict[str, int]] = field(default_factory=dict)  # written/reconciled/failed -> kind -> n
    findings: dict[str, Any] = field(default_factory=dict)  # error/warning/info counts, by_kind
    delta: dict[str, Any] = field(default_factory=dict)  # DeltaSummary.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def total_written(self) -> int:
        return sum(self.written.get("written", {}).values())


class RunHistory:
    """The ``runs`` table of one checkpoint file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MigratorError(
                f"no checkpoint file {self.path}", hint="run `migrator run ...` first, or pass --state"
            )
        self._conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
        self._conn.execute(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(
        self,
        *,
        namespace: str,
        queue: str,
        command: str,
        target: str,
        exports: Sequence[Path],
        mapping: Path,
    ) -> int:
        """Record a run as ``running`` (what it stays if the process never comes back); returns its id."""
        digests = export_digests(exports)
        cursor = self._conn.execute(
            "INSERT INTO runs (namespace, queue, command, started_at, outcome, target, export_sha256, exports_json,"
            " mapping, mapping_sha256) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
            (
                namespace,
                queue,
                command,
                _now(),
                target,
                combined_digest(digests),
                json.dumps([asdict(d) for d in digests], ensure_ascii=False),
                str(mapping),
                file_digest(mapping).sha256,
            ),
        )
        return int(cursor.lastrowid or 0)

    def finish(
        self,
        run_id: int,
        outcome: str,
        *,
        written: Mapping[str, Mapping[str, int]] | None = None,
        findings: Mapping[str, Any] | None = None,
        delta: Mapping[str, Any] | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown run outcome {outcome!r}")
        self._conn.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, written_json = ?, findings_json = ?, delta_json = ?"
            " WHERE id = ?",
            (
                _now(),
                outcome,
                json.dumps(written or {}),
                json.dumps(findings or {}, ensure_ascii=False),
                json.dumps(delta or {}, ensure_ascii=False),
                run_id,
            ),
        )

    def records(self, namespace: str | None = None) -> list[RunRecord]:
        where, params = ("WHERE namespace = ?", (namespace,)) if namespace else ("", ())
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM runs {where} ORDER BY id", params).fetchall()
        return [_record(r) for r in rows]


def export_digests(exports: Sequence[Path]) -> list[FileDigest]:
    """The digest of each export file; a folder given as SOURCE is every file inside it (sorted by
    path, so the same folder gives the same digests whatever order the file system lists it in)."""
    files: list[Path] = []
    for path in map(Path, exports):
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return [file_digest(f) for f in files]


def file_digest(path: Path) -> FileDigest:
    """SHA-256 of a file, read in blocks (an export may be large)."""
    digest, size = hashlib.sha256(), 0
    try:
        with Path(path).open("rb") as handle:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                digest.update(block)
                size += len(block)
    except OSError as exc:
        raise MigratorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return FileDigest(str(path), digest.hexdigest(), size)


def combined_digest(digests: Iterable[FileDigest]) -> str:
    """One hash for an export of several files (their digests, in the order given)."""
    return hashlib.sha256("\n".join(d.sha256 for d in digests).encode()).hexdigest()


def findings_counts(severities: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``(severity, kind)`` pairs → ``{"error": n, "warning": n, "info": n, "by_kind": {kind: n}}``."""
    counts: dict[str, Any] = {"error": 0, "warning": 0, "info": 0, "by_kind": {}}
    for severity, kind in severities:
        counts[severity] = counts.get(severity, 0) + 1
        counts["by_kind"][kind] = counts["by_kind"].get(kind, 0) + 1
    counts["by_kind"] = dict(sorted(counts["by_kind"].items()))
    return counts


def render_history(records: Sequence[RunRecord], path: Path) -> str:
    """The ``migrator status --history`` table."""
    if not records:
        return f"runs in {path}: none recorded yet"
    header = [
        "#",
        "started (UTC)",
        "outcome",
        "queue",
        "export",
        "mapping",
        "written",
        "findings (e/w/i)",
        "delta",
    ]
    rows = [header] + [
        [
            str(r.id),
            r.started_at[:19].replace("T", " "),
            r.outcome,
            r.queue,
            r.export_sha256[:12],
            r.mapping_sha256[:12],
            _written_cell(r),
            f"{r.findings.get('error', 0)}/{r.findings.get('warning', 0)}/{r.findings.get('info', 0)}",
            _delta_cell(r.delta),
        ]
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"runs in {path} (target {records[-1].target}):"]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _written_cell(record: RunRecord) -> str:
    written = record.written.get("written", {})
    parts = [f"{kind} {n}" for kind, n in written.items() if n]
    return ", ".join(parts) or "nothing"


def _delta_cell(delta: Mapping[str, Any]) -> str:
    if not delta or not delta.get("earlier_import"):
        return "first import" if delta else "-"
    issues = delta.get("issues") or {}
    children = delta.get("children") or {}
    return (
        f"{issues.get('new', 0)} new, {issues.get('changed', 0)} changed, {issues.get('deleted', 0)} deleted issues; "
        f"{children.get('edited_comments', 0)} comment edits"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(r: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=int(r[0]),
        namespace=str(r[1]),
        queue=str(r[2]),
        command=str(r[3]),
        started_at=str(r[4]),
        finished_at=r[5],
        outcome=str(r[6]),
        target=str(r[7]),
        export_sha256=str(r[8]),
        exports=[FileDigest(**d) for d in json.loads(r[9])],
        mapping=str(r[10]),
        mapping_sha256=str(r[11]),
        written=json.loads(r[12]),
        findings=json.loads(r[13]),
        delta=json.loads(r[14]),
    )
