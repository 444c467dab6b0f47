"""Problems found in the input, the mapping or against the target's rules.

Every stage that can find a problem *collects* it here instead of raising, so that validation
shows all problems at once. A finding always says where (file, row, source key, field), what
(the offending value) and what to do (hint).

A big export yields hundreds of thousands of findings (mostly info: a link's dates planned, a
window extended), about half a KiB each as objects. :class:`Findings` therefore keeps only a small
buffer in memory and the rest in a private temporary SQLite file (one row per finding, columns
rather than pickles), with the counts per severity and kind kept in memory as findings are added.
Readers never hold the whole collection: the report writers stream it in the orders they need
(found order, errors first, per kind) page by page, and the few questions the global checks ask
(the source keys of some findings) are one query each. The file is ``migrator/spill.py``'s kind:
SQLite unlinks it as soon as it is open, so a killed process leaves nothing behind for a later run.
No secret can reach it: findings name places and values of the export, never credentials.

For another process (the XLSX report's writer, ``report/xlsx_aside.py``) :meth:`Findings.copy_to`
copies the file, page by page, into a named one its caller makes in a private temporary folder and
removes afterwards, and :meth:`Findings.open_copy` reads that copy there, read-only.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from migrator.model import SourceRef
from migrator.spill import temporary_database


class Severity(StrEnum):
    ERROR = "error"  # blocks the run
    WARNING = "warning"  # the run goes ahead; `--strict` turns these into errors
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    kind: str  # stable dotted id, e.g. "date.unparsable"; the JSON report schema relies on it
    message: str
    file: str | None = None
    row: int | None = None
    key: str | None = None  # source issue key (or other source id)
    field: str | None = None
    value: str | None = None
    hint: str | None = None

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f" row {self.row}" if self.row is not None else ""))
        if self.key:
            parts.append(f"issue {self.key}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) or "-"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def render(self) -> str:
        text = f"{self.severity.value.upper()} [{self.kind}] {self.location()}: {self.message}"
        if self.value is not None:
            text += f" (value: {self.value!r})"
        if self.hint:
            text += f" — {self.hint}"
        return text


_BUFFER_SIZE = 1024  # findings kept in memory before they are written to the file in one batch
_PAGE_SIZE = 512  # findings read back per query: no cursor stays open while findings are added
_COLUMNS = "severity, kind, message, file, row, key, field, value, hint"
_SEVERITIES = {severity.value: severity for severity in Severity}
_SEVERITY_ORDER = tuple(Severity)  # errors, warnings, info: the order the reports list them in


def _row(f: Finding) -> tuple[object, ...]:
    return (str(f.severity), f.kind, f.message, f.file, f.row, f.key, f.field, f.value, f.hint)


def _stored_row(f: Finding) -> tuple[object, ...]:
    """The row of ``f`` with its texts as SQLite can store them: a lone surrogate (from a badly
    decoded export, which the reports show escaped) cannot be a TEXT value, so such a text is kept
    as its UTF-8 bytes (read back by :func:`_read`)."""
    return tuple(_stored(value) if isinstance(value, str) else value for value in _row(f))


def _stored(text: str) -> str | bytes:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
    return text


def _read(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(_text(value) if isinstance(value, bytes) else value for value in row)


def _text(stored: str | bytes) -> str:
    return stored.decode("utf-8", "surrogatepass") if isinstance(stored, bytes) else stored


class _FindingTable:
    """The findings written so far, in a private temporary SQLite file, in found order (``seq``).

    One connection shared by the threads of a process (``run`` writes its XLSX report in a thread),
    every call made under ``lock``; reads come in pages so no cursor outlives a call."""

    def __init__(
        self, conn: sqlite3.Connection, *, kinds_indexed: bool = False, has_bytes: bool = False
    ) -> None:
        self._conn = conn  # shared by threads: every use below holds ``lock``
        self.lock = threading.Lock()
        self._kinds_indexed = kinds_indexed
        self._has_bytes = has_bytes  # some text stored as bytes (see _stored_row): decode on reading

    @classmethod
    def temporary(cls) -> _FindingTable:
        """A new, empty table in a private temporary file."""
        conn = temporary_database(shared_by_threads=True)
        conn.execute(
            "CREATE TABLE findings (seq INTEGER PRIMARY KEY, severity TEXT NOT NULL, kind TEXT NOT NULL,"
            " message TEXT NOT NULL, file TEXT, row INTEGER, key TEXT, field TEXT, value TEXT, hint TEXT)"
        )
        return cls(conn)

    @classmethod
    def reading(cls, copy: FindingsCopy) -> _FindingTable:
        """The table of a copy made by :meth:`copy_to`, opened read-only."""
        uri = copy.path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        return cls(conn, kinds_indexed=True, has_bytes=copy.has_bytes)

    def copy_to(self, path: Path) -> bool:
        """Copy the table, indexed by kind, into a new SQLite file at ``path`` (SQLite's online
        backup: page by page, no row decoded); returns whether some text is stored as bytes."""
        self.index_kinds()
        with self.lock:
            target = sqlite3.connect(path)
            try:
                self._conn.backup(target)
            finally:
                target.close()
            return self._has_bytes

    def append(self, findings: list[Finding]) -> None:
        """Write ``findings`` in one transaction; a batch with a text SQLite refuses is rolled back
        and written again with such texts as bytes (rare: the check costs more than the insert)."""
        insert = f"INSERT INTO findings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        with self.lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(insert, map(_row, findings))
            except UnicodeEncodeError:
                self._conn.execute("ROLLBACK")
                self._conn.execute("BEGIN")
                self._conn.executemany(insert, map(_stored_row, findings))
                self._has_bytes = True
            self._conn.execute("COMMIT")

    def index_kinds(self) -> None:
        """Index the findings by kind (ending in the rowid: a kind's findings come in found order).
        Made when the reports first read by kind: built once over the rows, it costs less than
        keeping it up to date row by row while the export streams."""
        with self.lock:
            if not self._kinds_indexed:
                self._conn.execute("CREATE INDEX findings_kind ON findings (kind)")
                self._kinds_indexed = True

    def select(
        self, where: str = "1", params: tuple[object, ...] = (), limit: int | None = None
    ) -> Iterator[Finding]:
        """The findings matching ``where`` in found order, up to ``limit``; those added meanwhile
        are not included."""
        with self.lock:
            (last,) = self._conn.execute("SELECT coalesce(max(seq), 0) FROM findings").fetchone()
        after, left = 0, limit
        while left is None or left > 0:
            page = _PAGE_SIZE if left is None else min(left, _PAGE_SIZE)
            with self.lock:
                rows = self._conn.execute(
                    f"SELECT seq, {_COLUMNS} FROM findings WHERE ({where}) AND seq > ? AND seq <= ?"
                    " ORDER BY seq LIMIT ?",
                    (*params, after, last, page),
                ).fetchall()
            for row in map(_read, rows) if self._has_bytes else rows:
                yield Finding(_SEVERITIES[row[1]], *row[2:])
            if len(rows) < page:
                return
            after = rows[-1][0]
            left = None if left is None else left - len(rows)

    def source_keys(self, where: str, params: tuple[object, ...]) -> set[str]:
        with self.lock:
            rows = self._conn.execute(
                f"SELECT DISTINCT key FROM findings WHERE ({where}) AND key IS NOT NULL", params
            ).fetchall()
        return {_text(key) for (key,) in rows}

    def close(self) -> None:
        with self.lock:
            self._conn.close()


@dataclass(frozen=True)
class FindingsCopy:
    """A collection's findings copied into a named SQLite file, with their counts: what another
    process needs to read them (:meth:`Findings.open_copy`). Made by :meth:`Findings.copy_to`; the
    maker deletes the file once the reader is done."""

    path: Path
    counts: dict[tuple[Severity, str], int]
    has_bytes: bool


class Findings:
    """An ordered collection of findings with convenience constructors.

    The first ``buffer_size`` findings not yet written wait in memory; then they go to the
    temporary file in one batch (see the module docstring). Every read first writes the buffer, so
    reads see every finding in found order. ``close()`` (or leaving a ``with`` block) deletes the
    file; a collection that is only collected by the garbage collector closes it then."""

    def __init__(self, items: Iterable[Finding] = (), *, buffer_size: int = _BUFFER_SIZE) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be at least 1")
        self._buffer_size = buffer_size
        self._buffer: list[Finding] = []
        self._table: _FindingTable | None = None  # made at the first write: most collections stay small
        self._counts: Counter[tuple[Severity, str]] = Counter()
        self._closed = False
        self._read_only = False  # a copy opened by ``open_copy``: nothing can be added
        self._lock = threading.Lock()  # the buffer: ``run`` writes its XLSX report in a thread
        self.extend(items)

    @classmethod
    def open_copy(cls, copy: FindingsCopy) -> Findings:
        """The findings of ``copy`` (made by :meth:`copy_to`, maybe in another process), read-only."""
        findings = cls()
        findings._table = _FindingTable.reading(copy)
        findings._counts = Counter(copy.counts)
        findings._read_only = True
        return findings

    def copy_to(self, path: Path) -> FindingsCopy:
        """Copy every finding added so far into a new SQLite file at ``path`` (for another process
        to read with :meth:`open_copy`); the caller deletes the file."""
        table = self._flushed()
        if table is None:
            with self._lock:
                table = self._table = _FindingTable.temporary()
        has_bytes = table.copy_to(path)
        return FindingsCopy(path, dict(self._counts), has_bytes)

    def add(
        self,
        severity: Severity,
        kind: str,
        message: str,
        *,
        where: SourceRef | None = None,
        file: str | None = None,
        row: int | None = None,
        key: str | None = None,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> Finding:
        if where is not None:
            file = file or where.file
            row = row if row is not None else where.row
        finding = Finding(
            severity=severity,
            kind=kind,
            message=message,
            file=file,
            row=row,
            key=key,
            field=field,
            value=None if value is None else str(value),
            hint=hint,
        )
        self.append(finding)
        return finding

    def error(self, kind: str, message: str, **where: object) -> Finding:
        return self.add(Severity.ERROR, kind, message, **where)  # type: ignore[arg-type]

    def warning(self, kind: str, message: str, **where: object) -> Finding:
        return self.add(Severity.WARNING, kind, message, **where)  # type: ignore[arg-type]

    def info(self, kind: str, message: str, **where: object) -> Finding:
        return self.add(Severity.INFO, kind, message, **where)  # type: ignore[arg-type]

    def append(self, finding: Finding) -> None:
        with self._lock:
            if self._closed:
                raise ValueError("findings added after close()")
            if self._read_only:
                raise ValueError("findings added to a read-only copy")
            self._buffer.append(finding)
            self._counts[finding.severity, finding.kind] += 1
            if len(self._buffer) >= self._buffer_size:
                self._write_buffer()

    def extend(self, other: Iterable[Finding]) -> None:
        for finding in other:
            self.append(finding)

    # --- reading: every finding, in found order unless said otherwise ---------------------------

    def __iter__(self) -> Iterator[Finding]:
        return self._select()

    def __len__(self) -> int:
        return self._counts.total()

    def of_kind(
        self, kind: str, severity: Severity | None = None, *, limit: int | None = None
    ) -> Iterator[Finding]:
        """The findings of ``kind`` (and ``severity``, if given), at most ``limit`` of them."""
        table = self._flushed()
        if table is None:
            return iter(())
        table.index_kinds()
        if severity is None:
            return self._select("kind = ?", (kind,), limit)
        return self._select("kind = ? AND severity = ?", (kind, severity.value), limit)

    def of_severity(self, severity: Severity) -> Iterator[Finding]:
        return self._select("severity = ?", (severity.value,))

    def by_severity(self) -> Iterator[Finding]:
        """Errors first, then warnings, then info; found order within a severity."""
        for severity in _SEVERITY_ORDER:
            if self.count(severity):
                yield from self.of_severity(severity)

    def grouped(self) -> Iterator[Finding]:
        """Errors → warnings → info, then by kind; found order within a kind."""
        for (severity, kind), _count in self.groups():
            yield from self.of_kind(kind, severity)

    def groups(self) -> list[tuple[tuple[Severity, str], int]]:
        """``((severity, kind), how many)`` in :meth:`grouped`'s order, from the counters alone."""
        return sorted(self._counts.items(), key=lambda item: (_SEVERITY_ORDER.index(item[0][0]), item[0][1]))

    def source_keys(self, *, kind: str | None = None, severity: Severity | None = None) -> set[str]:
        """The source keys named by the findings of ``kind`` and/or ``severity``: no query at all
        when the counters hold no such finding, one pass over the file at most otherwise."""
        wanted = [(s, k) for s, k in self._counts if kind in (None, k) and severity in (None, s)]
        table = self._flushed() if wanted else None
        if table is None:
            return set()
        conditions = {"kind = ?": kind, "severity = ?": None if severity is None else severity.value}
        chosen = {condition: value for condition, value in conditions.items() if value is not None}
        return table.source_keys(" AND ".join(chosen) or "1", tuple(chosen.values()))

    @property
    def errors(self) -> list[Finding]:
        return list(self.of_severity(Severity.ERROR))

    @property
    def warnings(self) -> list[Finding]:
        return list(self.of_severity(Severity.WARNING))

    def count(self, severity: Severity) -> int:
        return sum(n for (s, _), n in self._counts.items() if s == severity)

    def has_errors(self, strict: bool = False) -> bool:
        return bool(self.count(Severity.ERROR) or (strict and self.count(Severity.WARNING)))

    def counts_by_kind(self) -> Counter[tuple[str, str]]:
        """``(severity, kind)`` → how many, from the counters kept as findings are added."""
        return Counter({(severity.value, kind): n for (severity, kind), n in self._counts.items()})

    # --- the file ------------------------------------------------------------------------------

    def close(self) -> None:
        """Delete the temporary file; the collection cannot be read or added to afterwards."""
        with self._lock:
            self._closed = True
            self._buffer.clear()
            if self._table is not None:
                self._table.close()
                self._table = None

    def __enter__(self) -> Findings:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _select(
        self, where: str = "1", params: tuple[object, ...] = (), limit: int | None = None
    ) -> Iterator[Finding]:
        table = self._flushed()
        return iter(()) if table is None else table.select(where, params, limit)

    def _flushed(self) -> _FindingTable | None:
        """The table with every finding added so far written into it (None: nothing to read)."""
        with self._lock:
            if self._closed:
                raise ValueError("findings read after close()")
            if self._buffer:
                self._write_buffer()
            return self._table

    def _write_buffer(self) -> None:
        if self._table is None:
            self._table = _FindingTable.temporary()
        self._table.append(self._buffer)
        self._buffer = []
