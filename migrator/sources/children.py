"""Children (comments, attachments, links, worklogs): finding their raw values and joining them to issues.

Three layouts:

* **embedded cells** — ``column`` + ``pattern``: each non-empty cell of a (repeated) column is one
  child, laid out like ``"{created_at};{author};{text}"``. The cell is split on the literal
  separators; the free-text field (``text``/``comment``, else the last field) takes whatever is left,
  so separators inside a comment body survive: fields before it are split off from the left,
  fields after it from the right.
* **JSON arrays** — ``path``: an array inside the issue record, ``fields`` relative to each element.
  (Links also: ``columns`` — link cells on the issue row, header → relationship.)
* **separate tables** — another file / sheet / JSON records path, joined to the issue by its id or
  key. These are indexed into a temporary SQLite file (:class:`ChildIndex`) before the issues are
  streamed, so memory stays flat however big the child files are.

A child's raw values are a ``dict`` field name → raw value; ``builder`` turns them into model objects.
"""

from __future__ import annotations

import pickle
import re
import sqlite3
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.sources.records import Record, is_empty, resolve_path
from migrator.sources.spec import TableSpec

_GREEDY_FIELDS = ("text", "comment")
_LINK_TARGET_SPLIT = re.compile(r"[\s,;]+")
_BATCH = 1000


@dataclass(frozen=True)
class CellPattern:
    """A parsed ``pattern`` such as ``"{created_at};{author};{text}"``."""

    prefix: str
    names: tuple[str, ...]
    separators: tuple[str, ...]  # separators[i] sits between names[i] and names[i + 1]
    suffix: str
    greedy: int  # index of the field that takes the rest

    @classmethod
    def parse(cls, pattern: str) -> CellPattern:
        prefix = ""
        names: list[str] = []
        literals: list[str] = []
        for literal, name, _, _ in string.Formatter().parse(pattern):
            if not names:
                prefix += literal
            else:
                literals.append(literal)
            if name:
                names.append(name)
        separators = literals[: len(names) - 1]
        suffix = "".join(literals[len(names) - 1 :])
        greedy = next((names.index(n) for n in _GREEDY_FIELDS if n in names), len(names) - 1)
        return cls(prefix, tuple(names), tuple(separators), suffix, greedy)

    def match(self, cell: str) -> dict[str, str] | None:
        """Split ``cell`` into its fields; None if it does not fit the pattern."""
        if not cell.startswith(self.prefix) or not cell.endswith(self.suffix):
            return None
        body = cell[len(self.prefix) : len(cell) - len(self.suffix)]
        values: dict[str, str] = {}
        for i in range(self.greedy):
            sep = self.separators[i]
            at = body.find(sep)
            if at < 0:
                return None
            values[self.names[i]] = body[:at]
            body = body[at + len(sep) :]
        for j in range(len(self.names) - 1, self.greedy, -1):
            sep = self.separators[j - 1]
            at = body.rfind(sep)
            if at < 0:
                return None
            values[self.names[j]] = body[at + len(sep) :]
            body = body[:at]
        values[self.names[self.greedy]] = body
        return {k: v.strip() if k not in _GREEDY_FIELDS else v for k, v in values.items()}


@dataclass(frozen=True)
class RawChild:
    """One child before conversion: its raw values and where it was read."""

    values: dict[str, Any]
    file: str
    row: int
    column: str | None = None  # the embedded column it came from, if any
    nested: bool = False  # read from JSON (numbers in date fields are epoch times)


@dataclass(frozen=True)
class Mismatch:
    """An embedded cell that does not fit the pattern."""

    column: str
    cell: str


class EmbeddedChildren:
    """Reads the children of one kind embedded in issue records (cells, JSON array, link columns)."""

    def __init__(self, kind: str, table: TableSpec) -> None:
        self.kind = kind
        self.table = table
        self._pattern = CellPattern.parse(table.pattern) if table.pattern else None

    def read(self, record: Record) -> Iterator[RawChild | Mismatch]:
        if self.table.column is not None and self._pattern is not None:
            yield from _pattern_cells(self.table.column, self._pattern, record)
        elif self.table.path is not None:
            yield from _array_elements(self.table.path, self.table, record)
        if self.kind == "links":
            yield from _link_columns(self.table, record)


def _pattern_cells(column: str, pattern: CellPattern, record: Record) -> Iterator[RawChild | Mismatch]:
    raw = record.get(column)
    cells = raw if isinstance(raw, list) else [raw]
    for cell in cells:
        if is_empty(cell):
            continue
        text = str(cell)
        values = pattern.match(text)
        if values is None:
            yield Mismatch(column, text)
        else:
            yield RawChild(dict(values), record.file, record.row, column, record.nested)


def _array_elements(path: str, table: TableSpec, record: Record) -> Iterator[RawChild]:
    raw = record.get(path, elements=True)
    if isinstance(raw, str) and not record.nested:  # a JSON array held in a CSV cell
        raw = record.get(f"{path}[]", elements=True)
    elements = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    for element in elements:
        values = {name: resolve_path(element, spec.column) for name, spec in table.fields.items()}
        yield RawChild(values, record.file, record.row, nested=True)


def _link_columns(table: TableSpec, record: Record) -> Iterator[RawChild]:
    for column, relationship in table.columns.items():
        raw = record.get(column)
        cells = raw if isinstance(raw, list) else [raw]
        for cell in cells:
            if is_empty(cell):
                continue
            for target in _LINK_TARGET_SPLIT.split(str(cell).strip()):
                if target:
                    values = {"to": target, "relationship": relationship}
                    yield RawChild(values, record.file, record.row, column, record.nested)


def table_child(table: TableSpec, record: Record) -> RawChild:
    """A child read from a separate table's record."""
    values = {name: record.get(spec.column) for name, spec in table.fields.items()}
    return RawChild(values, record.file, record.row, nested=record.nested)


class ChildIndex:
    """Separate-table children, on disk, by (kind, issue reference), in reading order.

    The reference is whatever the child's ``issue`` (links: ``from``) column holds — the issue's id
    or its key; :meth:`lookup` asks for both.
    """

    def __init__(self, directory: Path) -> None:
        self._db = sqlite3.connect(directory / "children.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE child (seq INTEGER PRIMARY KEY, kind TEXT, ref TEXT, file TEXT, row INTEGER,"
            " nested INTEGER, data BLOB)"
        )
        self._pending: list[tuple[str, str, str, int, bool, bytes]] = []

    def add(self, kind: str, ref: str, child: RawChild) -> None:
        data = pickle.dumps(child.values, protocol=pickle.HIGHEST_PROTOCOL)
        self._pending.append((kind, ref, child.file, child.row, child.nested, data))
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO child (kind, ref, file, row, nested, data) VALUES (?, ?, ?, ?, ?, ?)", self._pending
        )
        self._db.execute("COMMIT")
        self._pending.clear()

    def finish_indexing(self) -> None:
        self.flush()
        self._db.execute("CREATE INDEX child_ref ON child (kind, ref)")

    def lookup(self, kind: str, refs: Iterable[str]) -> list[RawChild]:
        wanted = sorted(set(refs))
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT file, row, nested, data FROM child WHERE kind = ? AND ref IN ({marks}) ORDER BY seq",
            (kind, *wanted),
        )
        # pickle: the index is a private temporary file this process wrote itself
        return [
            RawChild(pickle.loads(data), file, row, nested=bool(nested)) for file, row, nested, data in rows
        ]

    def references(self) -> Iterator[tuple[str, str, str, int]]:
        """Every indexed child as (kind, ref, file, row), in reading order."""
        yield from self._db.execute("SELECT kind, ref, file, row FROM child ORDER BY seq")

    def close(self) -> None:
        self._db.close()
