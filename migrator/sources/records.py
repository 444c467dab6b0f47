"""``Record``: one row/record of an export — its file, row number and raw values — plus value lookup.

A *table* record (CSV/Excel) maps each header to its cell; a header that occurs several times
(Jira's many ``Comment`` columns) maps to the list of its non-empty cells, in column order. A
*document* record (JSON/NDJSON) is the decoded object and is read with dotted paths
(``fields.assignee.name``; ``labels[].name`` flattens an array).

Readers never report findings themselves: a record carries ``notes`` (problems seen while reading
it) and whoever consumes the record reports them, with the issue key once it is known. That way a
second pass over the same file (e.g. the id→key pre-pass) reports nothing twice.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Findings, Severity


@dataclass(frozen=True)
class Note:
    """A problem seen while reading a record, reported later by its consumer."""

    kind: str
    message: str
    field: str | None = None
    value: str | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR


@dataclass
class Record:
    file: str  # the file's base name
    row: int  # CSV/Excel: spreadsheet row number (header = 1); JSON: 1-based record index; NDJSON: line
    values: Mapping[str, Any]
    nested: bool = False  # True: JSON-like, ``get`` resolves dotted paths
    notes: list[Note] = field(default_factory=list)
    usable: bool = True  # False: unreadable (its notes say why); consumers report the notes and skip it

    def get(self, column: str) -> Any:
        """The raw value of a column (table) or path (document); None when absent."""
        if self.nested:
            return resolve_path(self.values, column)
        return self.values.get(column)

    def report_notes(self, findings: Findings, key: str | None) -> None:
        for note in self.notes:
            findings.add(
                note.severity,
                note.kind,
                note.message,
                file=self.file,
                row=self.row,
                key=key,
                field=note.field,
                value=note.value,
                hint=note.hint,
            )


def table_values(header: Sequence[str], cells: Sequence[Any], repeated: frozenset[str]) -> dict[str, Any]:
    """Header → cell; a repeated header → list of its non-empty cells (in column order)."""
    values: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        if name in repeated:
            bucket = values.setdefault(name, [])
            if not is_empty(cell):
                bucket.append(cell)
        elif name not in values:
            values[name] = cell
    for name in repeated:
        values.setdefault(name, [])
    for name in header:  # a short (ragged) row still has every column: "present" means "in the header"
        values.setdefault(name, None)
    return values


def repeated_headers(header: Iterable[str]) -> frozenset[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for name in header:
        (repeated if name in seen else seen).add(name)
    return frozenset(repeated)


def resolve_path(data: Any, path: str) -> Any:
    """Follow a dotted path. ``name[]`` flattens the array at ``name``; a key that itself contains
    dots (``"Story.Points"``) is matched whole first. Missing parts give None (or are skipped when
    flattening)."""
    if path == "":
        return data
    if isinstance(data, Mapping) and path in data:
        return data[path]
    head, _, rest = path.partition(".")
    flatten = head.endswith("[]")
    name = head[:-2] if flatten else head
    if isinstance(data, list) and name == "":
        value: Any = data
    elif isinstance(data, Mapping):
        value = data.get(name)
    else:
        return None
    if not flatten:
        return resolve_path(value, rest) if rest else value
    if not isinstance(value, list):
        value = [] if value is None else [value]
    out: list[Any] = []
    for item in value:
        got = resolve_path(item, rest) if rest else item
        if isinstance(got, list):
            out.extend(x for x in got if x is not None)
        elif got is not None:
            out.append(got)
    return out


def key_text(value: Any) -> str:
    """An id as text, the same whether it came as ``42``, ``42.0`` or ``"42"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


# Required columns: the candidate headers of one field (any one will do) → the mapping key naming them.
Wanted = Mapping[tuple[str, ...], str]


def close_headers(column: str, header: Iterable[str]) -> list[str]:
    """Headers that look like ``column`` (case and small typos), closest first."""
    by_fold = {h.casefold(): h for h in header}
    close = difflib.get_close_matches(column.casefold(), list(by_fold), n=3, cutoff=0.6)
    return [by_fold[c] for c in close]


def check_columns(file: str, header: Sequence[str], wanted: Wanted, what: str) -> None:
    """Raise one ``MigratorError`` listing every required column (candidates → mapping key that
    names them) missing from ``header``, each with the closest headers as a hint."""
    present = set(header)
    missing = [(names, where) for names, where in wanted.items() if not present.intersection(names)]
    if not missing:
        return
    lines = []
    for names, where in missing:
        close = [c for name in names for c in close_headers(name, header)]
        hint = f" — did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}?" if close else ""
        lines.append(f"  - {' or '.join(repr(n) for n in names)} (from {where}){hint}")
    raise MigratorError(
        f"{file}: {len(missing)} column(s) named in the mapping are not in the {what} header:\n"
        + "\n".join(lines),
        hint="fix the column names in the mapping's source section (headers are matched exactly)",
    )
