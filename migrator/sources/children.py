"""Children (comments, attachments, links, worklogs): finding their raw values and joining them to issues.

Three layouts:

* **embedded cells** — ``column`` + ``pattern``: each non-empty cell of a (repeated) column is one
  child, laid out like ``"{created_at};{author};{text}"``. The cell is split on the literal
  separators; the free-text field (``text``/``comment``, else the last field) takes whatever is left,
  so separators inside a comment body survive: fields before it are split off from the left,
  fields after it from the right. ``column`` + ``regex``: every match of the pattern in a cell is
  one child, its named groups the fields (Redmine's ``Related issues`` = ``Follows #2, Related to
  #5``). ``column`` + ``parse: json``: the cell is a JSON array (ClickUp's ``Comments``), each
  element one child with ``fields`` relative to it; ``path: Comments`` naming a CSV/Excel column
  is the same thing, read by the same code.
* **arrays in a record** — ``path``: an array inside the issue record (JSON, XML; or inside a JSON
  cell: ``path: Data.comments``), ``fields`` relative to each element.
  (Links also: ``columns`` — link cells on the issue row, header → relationship.)
* **separate tables** — another file / sheet / JSON records path, joined to the issue by its id or
  key. These are indexed into a temporary SQLite file (:class:`ChildIndex`) before the issues are
  streamed, so memory stays flat however big the child files are.

A child's raw values are a ``dict`` field name → raw value; ``builder`` turns them into model objects.
Children failing the table's ``where:`` are skipped (and counted); with ``changes:`` a comment's
text gets the field changes of its history entry appended (Redmine journal ``details``).
"""

from __future__ import annotations

import functools
import pickle
import re
import sqlite3
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.sources.extract import ElementView, Extractor, RecordView, View
from migrator.sources.filters import FilterTally, passes
from migrator.sources.records import (
    HEADER_WILDCARD,
    Record,
    header_pattern_matches,
    is_empty,
    json_in_text,
    resolve_path,
)
from migrator.sources.spec import ChangesSpec, TableSpec
from migrator.sources.values import Where, as_text

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
    element: Any = None  # the JSON element or separate-table record it was read from (for where:)


@dataclass(frozen=True)
class Mismatch:
    """An embedded cell that does not fit the pattern (or, with ``parse: json``, is not JSON)."""

    column: str
    cell: str
    reason: str | None = None  # None: "does not fit the pattern"


class EmbeddedChildren:
    """Reads the children of one kind embedded in issue records (cells, JSON array, link columns)."""

    def __init__(self, kind: str, table: TableSpec, extractor: Extractor, tally: FilterTally) -> None:
        self.kind = kind
        self.table = table
        self._extractor = extractor
        self._tally = tally
        self._pattern = CellPattern.parse(table.pattern) if table.pattern else None

    def read(self, record: Record, key: str | None = None) -> Iterator[RawChild | Mismatch]:
        for item in self._candidates(record, key):
            if isinstance(item, RawChild) and self.table.where is not None:
                if not passes(self.table.where, _child_view(item).get):
                    self._tally.skip(f"source.{self.kind}.where", f"{item.file} row {item.row}")
                    continue
            yield item

    def _candidates(self, record: Record, key: str | None) -> Iterator[RawChild | Mismatch]:
        table = self.table
        column = _present_column(table.column_names, record)
        if column is not None and self._pattern is not None:
            yield from _pattern_cells(column, self._pattern, record)
        elif column is not None and table.regex is not None:
            yield from _regex_cells(column, table.regex, record)
        elif column is not None and table.parse == "json":
            yield from _json_cells(column, self._element_child(record, key), record)
        elif table.path is not None and not record.nested and table.path in record.values:
            # a CSV/Excel column holding a JSON array: the same as ``column`` + ``parse: json``
            yield from _json_cells(table.path, self._element_child(record, key), record)
        elif table.path is not None:
            raw = record.get(table.path, elements=True)
            elements = raw if isinstance(raw, list) else ([] if raw is None else [raw])
            make = self._element_child(record, key)
            yield from (make(element, None) for element in elements)
        if self.kind == "links":
            yield from _link_columns(table, record)

    def _element_child(self, record: Record, key: str | None) -> Callable[[Any, str | None], RawChild]:
        where = Where(record.file, record.row, key, True)

        def make(element: Any, column: str | None) -> RawChild:
            view = ElementView(element)
            values = child_values(self.kind, self.table, view, self._extractor, where)
            return RawChild(values, record.file, record.row, column, True, element)

        return make


def _present_column(candidates: tuple[str, ...], record: Record) -> str | None:
    """The first candidate header the record has (else the first one: it reads as empty)."""
    if len(candidates) > 1:
        return next((c for c in candidates if record.has(c)), candidates[0])
    return candidates[0] if candidates else None


def child_values(
    kind: str, table: TableSpec, view: View, extractor: Extractor, where: Where
) -> dict[str, Any]:
    """A child's raw values by field name (plus its field changes, for ``changes:``)."""
    values = {
        name: extractor.raw(view, spec, where, f"source.{kind}.fields.{name}")
        for name, spec in table.fields.items()
    }
    if table.changes is not None:
        values["text"] = with_changes(values.get("text"), view, table.changes)
    return values


def with_changes(text: Any, view: View, spec: ChangesSpec) -> Any:
    """The text followed by one line per field change: ``- status_id: 1 → 2``."""
    raw = view.get(spec.path)
    changes = raw if isinstance(raw, list) else []
    lines = []
    for change in changes:
        name = resolve_path(change, spec.field)
        old, new = resolve_path(change, spec.old), resolve_path(change, spec.new)
        if is_empty(name):
            continue
        before = "—" if is_empty(old) else as_text(old, strip=True)
        after = "—" if is_empty(new) else as_text(new, strip=True)
        lines.append(f"- {as_text(name, strip=True)}: {before} → {after}")
    if not lines:
        return text
    listing = "Changed:\n" + "\n".join(lines)
    return listing if is_empty(text) else f"{as_text(text, strip=False).rstrip()}\n\n{listing}"


def _child_view(item: RawChild) -> View:
    """What a child's ``where:`` reads: its source element when there is one, else its values."""
    return ElementView(item.element if item.element is not None else item.values)


def _pattern_cells(column: str, pattern: CellPattern, record: Record) -> Iterator[RawChild | Mismatch]:
    for text in _cells(column, record):
        values = pattern.match(text)
        if values is None:
            yield Mismatch(column, text)
        else:
            yield RawChild(dict(values), record.file, record.row, column, record.nested)


def _cells(column: str, record: Record) -> Iterator[str]:
    raw = record.get(column)
    for cell in raw if isinstance(raw, list) else [raw]:
        if not is_empty(cell):
            yield str(cell)


def _regex_cells(column: str, regex: str, record: Record) -> Iterator[RawChild | Mismatch]:
    """Each match of ``regex`` in a cell is one child; a cell with text but no match is a mismatch."""
    pattern = re.compile(regex)
    for cell in _cells(column, record):
        found = False
        for match in pattern.finditer(cell):
            found = True
            values = {k: v.strip() for k, v in match.groupdict().items() if v is not None}
            yield RawChild(values, record.file, record.row, column, record.nested)
        if not found:
            yield Mismatch(column, cell, "has no match of the regex")


def _json_cells(
    column: str, make: Callable[[Any, str | None], RawChild], record: Record
) -> Iterator[RawChild | Mismatch]:
    for cell in _cells(column, record):
        parsed, error = json_in_text(cell, record.json_depth)
        if error is not None:
            yield Mismatch(column, cell, f"is not JSON ({error})")
            continue
        for element in parsed if isinstance(parsed, list) else [parsed]:
            if element is not None:
                yield make(element, column)


def link_columns(columns: Mapping[str, str], header: Iterable[str]) -> list[tuple[str, str]]:
    """(header, relationship) of every link column a record's header has. A key with ``*`` is a
    header pattern (``Outward issue link (*)``): every header it matches is a link column, and a
    ``*`` in its relationship is replaced by what the pattern's ``*`` stood for (``* (outward)`` →
    ``Blocks (outward)``). A header named exactly wins over patterns; the first pattern wins over
    later ones; a key that is itself a header (``*`` in a real header) is read literally."""
    names = list(header)
    literal = set(names)
    out = {c: relationship for c, relationship in columns.items() if HEADER_WILDCARD not in c or c in literal}
    for pattern, relationship in columns.items():
        if HEADER_WILDCARD in pattern and pattern not in literal:
            for column, text in header_pattern_matches(pattern, names):
                out.setdefault(column, relationship.replace(HEADER_WILDCARD, text))
    return list(out.items())


def _link_columns(table: TableSpec, record: Record) -> Iterator[RawChild]:
    for column, relationship in _record_link_columns(table, record):
        raw = record.get(column)
        cells = raw if isinstance(raw, list) else [raw]
        for cell in cells:
            if is_empty(cell):
                continue
            for target in _LINK_TARGET_SPLIT.split(str(cell).strip()):
                if target:
                    values = {"to": target, "relationship": relationship}
                    yield RawChild(values, record.file, record.row, column, record.nested)


def _record_link_columns(table: TableSpec, record: Record) -> tuple[tuple[str, str], ...]:
    if not any(HEADER_WILDCARD in column for column in table.columns):
        return tuple(table.columns.items())
    return _cached_link_columns(tuple(table.columns.items()), tuple(record.values))


@functools.lru_cache(maxsize=64)
def _cached_link_columns(
    columns: tuple[tuple[str, str], ...], header: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """The same expansion for every record of a file (they share one header)."""
    return tuple(link_columns(dict(columns), header))


def table_child(kind: str, table: TableSpec, record: Record, extractor: Extractor) -> RawChild:
    """A child read from a separate table's record."""
    where = Where(record.file, record.row, None, record.nested)
    values = child_values(kind, table, RecordView(record), extractor, where)
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
