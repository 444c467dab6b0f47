"""``Record``: one row/record of an export — its file, row number and raw values — plus value lookup.

A *table* record (CSV/Excel) maps each header to its cell; a header that occurs several times
(Jira's many ``Comment`` columns) maps to the list of its non-empty cells, in column order; a path
that goes on after a header (``Comments[].text``) reads the JSON held by that cell. A *document*
record (JSON/NDJSON, XML, an adapter's) is a JSON-like object read with the path language of
:func:`resolve_path` (``fields.assignee.name``, ``labels[].name``, ``customfield[name=X].value``,
``key.@id``).

Readers never report findings themselves: a record carries ``notes`` (problems seen while reading
it) and whoever consumes the record reports them, with the issue key once it is known. That way a
second pass over the same file (e.g. the id→key pre-pass) reports nothing twice.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Findings, Severity
from migrator.limits import Limits, TooDeep
from migrator.sources.json_text import parse_json


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
    file: str  # the file's name (a member of a SOURCE folder/archive: its label, e.g. "x.tar.gz:a/b.ndjson")
    row: int  # CSV/Excel: spreadsheet row number (header = 1); JSON/XML: 1-based record index; NDJSON: line
    values: Mapping[str, Any]
    nested: bool = False  # True: JSON-like, ``get`` resolves paths
    notes: list[Note] = field(default_factory=list)
    usable: bool = True  # False: unreadable (its notes say why); consumers report the notes and skip it
    # An adapter record made from a table row (Jira's CSV): its top-level keys are the table's
    # columns, so the mapping's columns are checked as for a CSV (required ones, absent ones).
    header: tuple[str, ...] | None = None
    _reported: int = 0  # notes already reported (``get`` may add notes while fields are read)
    _cells: dict[str, Any] = field(default_factory=dict)  # decoded JSON cells of a table record
    json_depth: int = Limits.json_depth  # how deep JSON held in a cell may nest (limits.json_depth)

    def get(self, column: str, *, elements: bool = False) -> Any:
        """The raw value of a column (table) or path (document); None when absent. ``elements``:
        the path names an array of children — XML elements stay objects (no text shortcut).

        In a table record, a path that starts with a header and goes on with ``.`` or ``[``
        (``Comments[].text``) reads into the JSON held by that cell (ClickUp's ``Comments``); a
        cell that is not JSON gives None and a ``json.invalid_cell`` note.
        """
        if self.nested:
            return resolve_path(self.values, column, elements=elements)
        if column in self.values:
            return self.values[column]
        head = cell_path_head(column, self.values)
        if head is None:
            return None
        rest = column[len(head) :]
        return resolve_path(
            self._json_cell(head), rest[1:] if rest.startswith(".") else rest, elements=elements
        )

    def has(self, column: str) -> bool:
        """A table record: the header has the column (or the cell a path reads into); a document
        record: the path gives a value."""
        if self.nested:
            return self.get(column) is not None
        return has_column(self.values, column)

    def _json_cell(self, head: str) -> Any:
        if head not in self._cells:
            self._cells[head] = self._decode_cell(head, self.values[head])
        return self._cells[head]

    def _decode_cell(self, head: str, raw: Any) -> Any:
        if isinstance(raw, list):
            return [self._decode_cell(head, item) for item in raw]
        value, error = json_in_text(raw, self.json_depth)
        if error is not None:
            self.notes.append(
                Note(
                    "json.invalid_cell",
                    f"the cell is read as JSON by the mapping, but it is not JSON: {error}",
                    field=head,
                    value=str(raw)[:200],
                    hint="fix the cell, or read the column as plain text (without a path after it)",
                    severity=Severity.WARNING,
                )
            )
        return value

    def report_notes(self, findings: Findings, key: str | None) -> None:
        """Report the notes not reported yet (call again after reading fields: reading a JSON cell
        may add one)."""
        for note in self.notes[self._reported :]:
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
        self._reported = len(self.notes)


def cell_path_head(column: str, header: Collection[str]) -> str | None:
    """The longest header that ``column`` starts with, followed by ``.`` or ``[`` (a path into a
    JSON cell); None when there is none. ``header`` should be a set or a mapping: one membership
    test per ``.``/``[`` of the column, whatever the number of headers."""
    for at in range(len(column) - 1, 0, -1):
        if column[at] in ".[" and column[:at] in header:
            return column[:at]
    return None


def has_column(header: Collection[str], column: str) -> bool:
    """The header has ``column``, or the cell ``column`` reads into (``Comments[].text``)."""
    return column in header or cell_path_head(column, header) is not None


HEADER_WILDCARD = "*"


def header_pattern_matches(pattern: str, header: Iterable[str]) -> list[tuple[str, str]]:
    """The headers a pattern with one ``*`` matches (``Outward issue link (*)``), each with the text
    the ``*`` stands for (``Blocks``), in header order and once each. A pattern without ``*``
    matches only itself."""
    if HEADER_WILDCARD not in pattern:
        return [(pattern, "")] if pattern in header else []
    head, _, tail = pattern.partition(HEADER_WILDCARD)
    found: dict[str, str] = {}
    for name in header:
        if len(name) > len(head) + len(tail) and name.startswith(head) and name.endswith(tail):
            found.setdefault(name, name[len(head) : len(name) - len(tail)])
    return list(found.items())


def json_in_text(raw: Any, max_depth: int) -> tuple[Any, str | None]:
    """The JSON a text holds (a CSV cell, a JSON string): ``(value, None)``, or ``(None, why)``
    when it is not JSON or nests deeper than ``max_depth`` (``limits.json_depth``). Empty text is
    ``(None, None)``; a value that is not text is returned as it is (an Excel number, an already
    decoded JSON value).

    The one decoder of JSON held in text: paths into a cell (``Comments[].text``), ``parse: json``
    on a field and children held as a JSON array in a cell all read it through here.
    """
    if is_empty(raw):
        return None, None
    if not isinstance(raw, str):
        return raw, None
    try:
        return parse_json(raw, max_depth), None
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} (column {exc.colno})"
    except TooDeep as exc:
        return None, str(exc)


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


def resolve_path(data: Any, path: str, *, elements: bool = False) -> Any:
    """Follow a record path (the path language of ``docs/mapping.md``, "Paths").

    * ``a.b`` — key ``b`` of object ``a`` (XML: child element ``b`` of element ``a``);
    * ``a[]`` — every item of the array at ``a`` (a single value counts as a one-item array);
      the rest of the path applies to each item and the results are flattened;
    * ``a[b=v]`` — like ``a[]``, keeping only the items whose ``b`` (a path) reads as ``v``;
    * ``@id`` — an XML attribute, ``#text`` — an XML element's own text.

    A key that itself contains dots (``"Story.Points"``) is matched whole first. An XML element
    with attributes but no child elements reads as its text (``key`` → ``"PROJ-1"``,
    ``key.@id`` → ``"10001"``) unless ``elements`` asks for the elements themselves (a children
    array). Missing parts give None (or are skipped when flattening).
    """
    leaf = _same if elements else leaf_text
    if path == "":
        return leaf(data)
    if isinstance(data, Mapping) and path in data:
        return leaf(data[path])
    return _walk(data, parse_path(path), leaf)


@dataclass(frozen=True)
class PathStep:
    """One step of a parsed path: a key, then optionally ``[]`` or ``[where=equals]``."""

    name: str
    flatten: bool = False
    where: str | None = None
    equals: str | None = None


@functools.lru_cache(maxsize=1024)
def parse_path(path: str) -> tuple[PathStep, ...]:
    """Split ``path`` on the dots outside brackets; ``a[b.c=x.y]`` is one step."""
    steps: list[PathStep] = []
    for part in _split_outside_brackets(path):
        match = _STEP.fullmatch(part)
        if match is None:
            raise MigratorError(
                f"the path {path!r} cannot be read at {part!r}",
                hint="steps are names, name[] or name[field=value], separated by dots",
            )
        name, bracket, inner = match.group(1), match.group(2), match.group(3)
        if bracket is None:
            steps.append(PathStep(name))
        elif not inner:
            steps.append(PathStep(name, flatten=True))
        else:
            where, sep, equals = inner.partition("=")
            if not sep or not where.strip():
                raise MigratorError(
                    f"the path {path!r}: the filter [{inner}] must read [field=value]",
                    hint="e.g. customfields.customfield[customfieldname=Story Points]",
                )
            steps.append(PathStep(name, flatten=True, where=where.strip(), equals=equals.strip()))
    return tuple(steps)


_STEP = re.compile(r"([^\[\]]*)(\[([^\]]*)\])?")


def _split_outside_brackets(path: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if char == "." and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _walk(data: Any, steps: Sequence[PathStep], leaf: Callable[[Any], Any]) -> Any:
    if not steps:
        return leaf(data)
    step, rest = steps[0], steps[1:]
    if isinstance(data, list) and step.name == "":
        value: Any = data
    elif isinstance(data, str) and step.name == TEXT_KEY:  # a plain element's text is the element
        value = data
    elif isinstance(data, Mapping):
        value = data.get(step.name)
    else:
        return None
    if not step.flatten:
        return _walk(value, rest, leaf) if rest else leaf(value)
    items = value if isinstance(value, list) else ([] if value is None else [value])
    out: list[Any] = []
    for item in items:
        if step.where is not None and not _matches(item, step.where, step.equals or ""):
            continue
        got = _walk(item, rest, leaf) if rest else leaf(item)
        if isinstance(got, list):
            out.extend(x for x in got if x is not None)
        elif got is not None:
            out.append(got)
    return out


def _matches(item: Any, where: str, equals: str) -> bool:
    got = resolve_path(item, where)
    values = got if isinstance(got, list) else [got]
    return any(v is not None and str(v).strip() == equals for v in values)


def _same(value: Any) -> Any:
    return value


def leaf_text(value: Any) -> Any:
    """An XML element that has attributes but no child elements reads as its text."""
    if isinstance(value, Mapping) and TEXT_KEY in value and all(_is_xml_own(k) for k in value):
        return value[TEXT_KEY]
    return value


TEXT_KEY = "#text"


def _is_xml_own(key: str) -> bool:
    return key == TEXT_KEY or key.startswith("@")


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
    missing = [
        (names, where) for names, where in wanted.items() if not any(has_column(present, n) for n in names)
    ]
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
