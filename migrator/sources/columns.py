"""Which columns a table needs, which it may lack, and saying so once per file.

A field names one column or several candidates (Jira Server ``Due Date`` vs Cloud ``Due date``):
the first candidate the file's header has is read. Required fields — the canonical required ones
(``id``, ``summary``, ``created_at``, ``created_by``; a child's author, date, text…; a separate
table's ``issue``) and any field with ``required: true`` — must have one of their candidates, or
the file is refused before anything is read (one error listing every missing column, with "did you
mean"). Every other column may be absent: a preset naming 60 columns reads an export with 20 of
them, and each absent one is an info finding ``source.column_absent`` (a warning when the header
has a near match — then it is probably a typo). Which candidate was used is an info finding too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from migrator.findings import Findings, Severity
from migrator.sources.records import Wanted, close_headers, has_column, header_pattern_matches
from migrator.sources.spec import (
    REQUIRED_CHILD_FIELDS,
    REQUIRED_ISSUE_FIELDS,
    FieldSpec,
    SourceSpec,
    TableSpec,
)

CHILD_KINDS = ("comments", "attachments", "links", "worklogs")


@dataclass(frozen=True)
class ColumnNeed:
    candidates: tuple[str, ...]
    label: str  # the mapping key naming them, e.g. source.issues.fields.parent
    required: bool


def issue_needs(source: SourceSpec) -> list[ColumnNeed]:
    """The columns of the issue table (fields, custom fields, embedded children, link columns)."""
    needs = [
        _need(f"source.issues.fields.{n}", s, n in REQUIRED_ISSUE_FIELDS)
        for n, s in source.issues.fields.items()
    ]
    needs += [_need(f"source.issues.custom.{n}", s, False) for n, s in source.issues.custom.items()]
    for kind in CHILD_KINDS:
        table: TableSpec | None = getattr(source, kind)
        if table is None:
            continue
        if table.column is not None:
            needs.append(ColumnNeed(table.column_names, f"source.{kind}.column", False))
        needs += [ColumnNeed((c,), f"source.{kind}.columns", False) for c in table.columns]
    return [n for n in needs if n.candidates]


def child_needs(source: SourceSpec, kind: str) -> list[ColumnNeed]:
    """The columns of a separate child table."""
    table: TableSpec = getattr(source, kind)
    required = set(REQUIRED_CHILD_FIELDS[kind]) | {"from" if kind == "links" else "issue"}
    needs = [_need(f"source.{kind}.fields.{n}", s, n in required) for n, s in table.fields.items()]
    return [n for n in needs if n.candidates]


def _need(label: str, spec: FieldSpec, required_by_default: bool) -> ColumnNeed:
    required = required_by_default if spec.required is None else spec.required
    candidates = () if spec.const is not None else spec.candidates
    # first_of reads whichever has a value: one absent candidate is normal, all absent is not
    return ColumnNeed(candidates, label, required and spec.default is None)


def required_columns(needs: Collection[ColumnNeed]) -> Wanted:
    """What the readers must find in the header (candidates → mapping key), checked up front."""
    out: dict[tuple[str, ...], str] = {}
    for need in needs:
        if need.required:
            out.setdefault(need.candidates, need.label)
    return out


@dataclass
class ColumnReport:
    """Reports, for each tabular file, the columns it lacks and the candidate each field used."""

    absent: set[str] = field(default_factory=set)  # labels with no column in some file
    _done: set[str] = field(default_factory=set)

    def check(
        self, file: str, header: Collection[str], needs: Collection[ColumnNeed], findings: Findings
    ) -> None:
        if file in self._done:
            return
        self._done.add(file)
        present = set(header)
        for need in needs:
            found = [
                c for c in need.candidates if has_column(present, c) or header_pattern_matches(c, header)
            ]
            if not found:
                self._absent(file, header, need, findings)
            elif len(need.candidates) > 1:
                findings.info(
                    "source.column_used",
                    f"{need.label}: column {found[0]!r} is read (candidates: "
                    f"{', '.join(repr(c) for c in need.candidates)})",
                    file=file, field=need.label, value=found[0],
                    hint="the first candidate the file's header has wins",
                )  # fmt: skip

    def _absent(self, file: str, header: Collection[str], need: ColumnNeed, findings: Findings) -> None:
        self.absent.add(need.label)
        names = " or ".join(repr(c) for c in need.candidates)
        close = [c for name in need.candidates for c in close_headers(name, header)]
        severity = Severity.WARNING if close else Severity.INFO
        hint = (
            f"did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}? (headers are matched exactly)"
            if close
            else "the export does not have it; the field stays empty (add required: true to refuse such a file)"
        )
        findings.add(
            severity,
            "source.column_absent",
            f"{need.label}: no column {names} in the header; the field is left empty",
            file=file, field=need.label, value=need.candidates[0], hint=hint,
        )  # fmt: skip
