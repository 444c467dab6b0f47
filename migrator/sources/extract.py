"""The raw value of one mapped field in one record: which column or path, then parse, regex, lookup.

Order, for a field spec:

1. **where from** — ``column`` (the first candidate the file has: ``[Due Date, Due date]``),
   ``first_of`` (the first candidate with a value in this record) or ``const``;
2. ``parse: json`` (a JSON text in a cell; then ``path`` into it) or ``parse: name_email``
   (``John Smith <john@example.com>`` → a user with a display name and an e-mail); ``path`` also
   walks into an object value without ``parse``;
3. ``regex`` — what the pattern matches (group ``value``, else group 1, else the whole match);
4. ``lookup`` — an id replaced by the value joined from another table (:class:`Lookups`).

Typing (dates, numbers, users, placeholders, defaults) happens afterwards in ``values.py``. A list
value (a repeated header, a JSON array) is processed item by item. Problems (a cell that is not
JSON, an id the lookup table lacks) are findings, never exceptions.

Also here: :class:`Usage` remembers which mapped columns/paths ever gave a value, so a path that
gives nothing in every record (a typo, usually) is reported once at the end.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from migrator.findings import Findings, Severity
from migrator.limits import Limits
from migrator.sources.records import Record, is_empty, json_in_text, key_text, resolve_path
from migrator.sources.spec import FieldSpec, LookupSpec
from migrator.sources.values import Where

_NAME_EMAIL = re.compile(r"^\s*\"?(?P<name>[^<>\"]*?)\"?\s*<\s*(?P<email>[^<>\s]+@[^<>\s]+)\s*>\s*$")
_PREVIEW = 200
_SAMPLE_RECORDS = 50  # records whose paths are remembered for "did you mean"


class View(Protocol):
    """A record, or one element of an array inside it, as seen by a field spec."""

    def get(self, path: str) -> Any: ...
    def has(self, path: str) -> bool: ...


@dataclass(frozen=True)
class RecordView:
    record: Record

    def get(self, path: str) -> Any:
        return self.record.get(path)

    def has(self, path: str) -> bool:
        return self.record.has(path)


@dataclass(frozen=True)
class ElementView:
    """An element of a JSON array (children at ``path``), or a dict of already split values."""

    element: Any

    def get(self, path: str) -> Any:
        return resolve_path(self.element, path)

    def has(self, path: str) -> bool:
        return self.get(path) is not None


class LookupTables(Protocol):
    def table(self, spec: LookupSpec, file: str) -> Mapping[str, Any] | None: ...


@dataclass
class Usage:
    """Which mapped columns/paths gave a value at least once, and the paths the records have.

    A mapped column/path is reported when it gave nothing in every record *and* no sampled record
    has it at all — a column present but empty, or a JSON key that is always ``null``, is data."""

    used: set[str] = field(default_factory=set)
    mapped: dict[str, str] = field(default_factory=dict)  # mapping key → the column/path it names
    seen_paths: set[str] = field(default_factory=set)
    sampled: int = 0
    records: int = 0

    def expect(self, label: str, column: str) -> None:
        self.mapped.setdefault(label, column)

    def saw(self, label: str, column: str, value: Any) -> None:
        """A column/path read outside field specs (a children ``path`` or ``column``)."""
        self.expect(label, column)
        if not is_empty(value):
            self.used.add(label)

    def sample(self, record: Record) -> None:
        """Remember the paths of the first records (hints for paths that give nothing)."""
        self.records += 1
        if self.sampled >= _SAMPLE_RECORDS:
            return
        self.sampled += 1
        if record.nested:
            self.seen_paths.update(_paths(record.values))
        else:
            self.seen_paths.update(str(k) for k in record.values)

    def report(self, findings: Findings, absent: set[str]) -> None:
        """``source.path_always_empty`` for each mapped column/path that never gave a value (except
        those already reported as absent from the file's header): a warning when the records have
        a path close to it (probably a typo), else info (a preset's optional path this export
        does not have) — the rule ``source.column_absent`` follows for headers."""
        if not self.records:
            return
        for label, column in sorted(self.mapped.items()):
            if label in self.used or label in absent or self._exists(column):
                continue
            close = [c for name in column.split(" | ") for c in self._close(name)]
            hint = (
                f"did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}?"
                if close
                else "no record has it: the field stays empty (check the name if the export should have it)"
            )
            findings.add(
                Severity.WARNING if close else Severity.INFO,
                "source.path_always_empty",
                f"{label} ({column!r}) gave no value in any of the {self.records} record(s)",
                field=label,
                value=column,
                hint=hint,
            )

    def _exists(self, columns: str) -> bool:
        """A column the header has, or a path some record has (maybe null, or an empty array:
        ``fields.components[].name`` when every ``fields.components`` is ``[]``): data, not a typo.
        A child's field path is relative to its array, so it may also end a sampled path."""
        return any(
            c in self.seen_paths
            or _array_head(c) in self.seen_paths
            or any(p.endswith(f".{c}") for p in self.seen_paths)
            for c in columns.split(" | ")
        )

    def _close(self, name: str) -> list[str]:
        """Sampled paths that look like a typo of ``name``: the same parent and a close last part
        (``fields.lables`` → ``fields.labels``), or the same last part under a close parent
        (``feilds.labels``). Siblings that merely share a parent (``custom.Subsystem`` and
        ``custom.State``) are not close."""
        parent, _, leaf = name.rpartition(".")
        siblings: dict[str, str] = {}
        cousins: dict[str, str] = {}
        for path in sorted(self.seen_paths):
            other_parent, _, other_leaf = path.rpartition(".")
            if other_parent == parent:
                siblings.setdefault(other_leaf, path)
            elif other_leaf == leaf:
                cousins.setdefault(other_parent, path)
        close = [siblings[c] for c in difflib.get_close_matches(leaf, list(siblings), n=3, cutoff=0.6)]
        close += [cousins[c] for c in difflib.get_close_matches(parent, list(cousins), n=3, cutoff=0.6)]
        return close


def _array_head(path: str) -> str | None:
    """``fields.components`` for ``fields.components[].name`` (an array that may be empty in every
    record); None for a path without ``[]`` or with a filter before it (``a[name=X].b``: a typo
    in the filter must still be reported)."""
    head, found, _ = path.partition("[]")
    return head if found and "[" not in head else None


def _paths(data: Any, prefix: str = "", depth: int = 0) -> Iterable[str]:
    if depth > 4:
        return
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}{key}"
            yield path
            yield from _paths(value, f"{path}.", depth + 1)
    elif isinstance(data, list) and data:
        base = prefix[:-1] + "[]." if prefix.endswith(".") else prefix
        yield from _paths(data[0], base, depth + 1)


class Extractor:
    """Raw values of field specs (see the module docstring), with findings and usage."""

    def __init__(
        self,
        findings: Findings,
        lookups: LookupTables | None = None,
        usage: Usage | None = None,
        *,
        json_depth: int = Limits.json_depth,
    ) -> None:
        self._findings = findings
        self._lookups = lookups
        self._json_depth = json_depth  # parse: json — limits.json_depth
        self.usage = usage if usage is not None else Usage()
        self._told: set[tuple[str, str]] = set()

    def silent(self) -> Extractor:
        """The same lookups, reporting nothing (for a second reading of the same records)."""
        return Extractor(Findings(), self._lookups, json_depth=self._json_depth)

    def raw(self, view: View, spec: FieldSpec, where: Where, label: str) -> Any:
        usage = self.usage
        if label not in usage.mapped and spec.candidates:  # ``expect`` keeps the first naming only
            usage.expect(label, " | ".join(spec.candidates))
        value = self._locate(view, spec)
        if is_empty(value):
            return value
        usage.used.add(label)
        if spec.parse is None and spec.path is None and spec.regex is None and spec.lookup is None:
            return value  # a plain column: nothing more to do (the common case, once per cell)
        if spec.parse == "json":
            value = self._json(value, where, label)
        elif spec.parse == "name_email":
            value = _each(value, name_email)
        if spec.path is not None and not is_empty(value):
            value = resolve_path(value, spec.path)
            self.usage.expect(f"{label}.path", spec.path)
            if not is_empty(value):
                self.usage.used.add(f"{label}.path")
        if spec.regex is not None:
            value = _each(value, lambda item: regex_value(spec.regex or "", item))
        if spec.lookup is not None and not is_empty(value):
            value = self._lookup(spec.lookup, value, where, label)
        return value

    def _locate(self, view: View, spec: FieldSpec) -> Any:
        if spec.const is not None:
            return spec.const
        if spec.first_non_empty:
            return next((v for c in spec.candidates if not is_empty(v := view.get(c))), None)
        # A table record's header column is both ``has`` and ``get`` of the same dict entry: one look-up.
        cells = view.record.values if type(view) is RecordView and not view.record.nested else None
        for column in spec.candidates:
            if cells is not None and column in cells:
                return cells[column]
            if view.has(column):
                return view.get(column)
        return None

    def _json(self, value: Any, where: Where, label: str) -> Any:
        parsed, error = json_in_text(value, self._json_depth)
        if error is not None:
            self._findings.error(
                "value.not_json",
                f"the cell is not JSON: {error}; the field is left empty",
                file=where.file, row=where.row, key=where.key, field=label, value=str(value)[:_PREVIEW],
                hint="fix the cell, or remove parse: json from the field",
            )  # fmt: skip
        return parsed

    def _lookup(self, spec: LookupSpec, value: Any, where: Where, label: str) -> Any:
        table = self._lookups.table(spec, where.file) if self._lookups is not None else None
        if table is None:
            return value

        def join(item: Any) -> Any:
            if is_empty(item) or isinstance(item, Mapping | list):
                return item
            key = key_text(item)
            if key in table:
                return table[key]
            if (label, key) not in self._told:
                self._told.add((label, key))
                self._findings.warning(
                    "lookup.missing",
                    f"{key!r} is not in the lookup table ({_describe(spec)}); the value is kept as it is",
                    file=where.file, row=where.row, key=where.key, field=label, value=key,
                    hint="add it to the lookup file, or map the raw value (users.map, values.*.map); "
                    "said once per value",
                )  # fmt: skip
            return item

        return _each(value, join)


def _describe(spec: LookupSpec) -> str:
    where = " ".join(p for p in (spec.file, spec.section and f"section {spec.section!r}") if p)
    return f"{where}, key {spec.key!r}"


def _each(value: Any, convert: Any) -> Any:
    if isinstance(value, list | tuple):
        out = [convert(item) for item in value]
        return [item for item in out if not is_empty(item)]
    return convert(value)


def name_email(value: Any) -> Any:
    """``John Smith <john@example.com>`` → ``{"displayName": "John Smith", "email": "john@…"}``
    (a user object ``as_user`` understands); anything else is returned unchanged."""
    if not isinstance(value, str):
        return value
    match = _NAME_EMAIL.match(value)
    if match is None:
        return value
    name = match.group("name").strip()
    out = {"email": match.group("email")}
    if name:
        out["displayName"] = name
    return out


def regex_value(pattern: str, value: Any) -> Any:
    """What ``pattern`` finds in the value's text: group ``value``, else group 1, else the match;
    None when it finds nothing."""
    if value is None or isinstance(value, Mapping | list):
        return value
    match = _compiled(pattern).search(str(value))
    if match is None:
        return None
    groups = match.re.groupindex
    if "value" in groups:
        return match.group("value")
    return match.group(1) if match.re.groups else match.group(0)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
