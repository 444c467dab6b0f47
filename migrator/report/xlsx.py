"""XLSX report: ``Summary``, ``Value maps``, ``Users`` and one sheet per finding kind.

Written in openpyxl's write-only (streaming) mode, each kind's findings read back from their store
(``migrator.findings``) as its sheet is written, so a report with hundreds of thousands of findings
needs little memory. Every sheet is a table with a bold, frozen header row and an
autofilter over all its rows.

Source data is untrusted and is always stored as *text*: a value starting with ``=``, ``+``, ``-``
or ``@`` is written as a string cell with Excel's quote prefix (never as a formula), control
characters Excel rejects are shown as ``\\xNN`` and a cell longer than Excel's 32,767-character
limit is cut with a visible note. Nothing is dropped silently: a table longer than Excel's row
limit continues on ``<name> (2)``, ``<name> (3)``, ...

Sheet names are at most 31 characters, free of ``[]:*?/\\`` and unique (case-insensitively, as
Excel compares them). A finding kind too long for a sheet name is shortened deterministically to
its first characters plus ``~`` and a short hash of the full kind; the ``Summary`` sheet lists
which sheet holds which kind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from migrator.findings import Finding, Severity
from migrator.report._shared import KindTotal, kind_totals, report_path, verdict, write_atomically
from migrator.results import ValidationResult

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, header included
EXCEL_MAX_CELL_CHARS = 32_767
SHEET_NAME_MAX = 31
DEFAULT_FILE_NAME = "report.xlsx"

FINDING_COLUMNS = ("severity", "kind", "file", "row", "key", "field", "value", "message", "hint")
FINDING_WIDTHS = (10, 26, 22, 8, 14, 16, 36, 70, 50)
SUMMARY_COLUMNS = ("section", "item", "value", "note")
SUMMARY_WIDTHS = (20, 34, 30, 50)
VALUE_MAP_COLUMNS = ("field", "source value", "target value", "how", "count")
VALUE_MAP_WIDTHS = (14, 36, 28, 12, 10)
USER_COLUMNS = ("source name", "email", "display name", "login", "method", "evidence", "count")
USER_WIDTHS = (28, 30, 28, 20, 12, 60, 10)

# Values Excel (or a CSV round-trip) could read as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAMES = {"history"}
_TAB_COLORS = {Severity.ERROR: "C62828", Severity.WARNING: "E0A100", Severity.INFO: "8A94A6"}

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", start_color="334155", end_color="334155")
_HEADER_ALIGNMENT = Alignment(vertical="center")


def write_xlsx_report(result: ValidationResult, path: Path, *, max_rows: int = EXCEL_MAX_ROWS) -> Path:
    """Write the XLSX report to ``path`` (or ``path/report.xlsx`` if ``path`` is a directory).

    ``max_rows`` is the per-sheet row limit including the header (Excel's by default; tests use a
    small one to exercise continuation sheets). Returns the path written.
    """
    if max_rows < 2:
        raise ValueError("max_rows must leave room for a header and at least one data row")
    # Built once the folder exists (``write_atomically`` makes it): a workbook left half-streamed by
    # a folder that cannot be made would complain about its unclosed sheets when collected.
    return write_atomically(
        report_path(path, DEFAULT_FILE_NAME), lambda partial: _build_workbook(result, max_rows).save(partial)
    )


# --- sheet names -----------------------------------------------------------------------------------


def shorten_sheet_name(label: str, limit: int = SHEET_NAME_MAX) -> str:
    """A valid Excel sheet name for ``label`` of at most ``limit`` characters, deterministically.

    Forbidden characters become ``_``; a label that is too long keeps its first characters and gets
    ``~`` plus four hex digits of its SHA-1, so two long kinds sharing a prefix stay distinct.
    """
    clean = _SHEET_NAME_FORBIDDEN.sub("_", label).strip("'") or "sheet"
    if clean.casefold() in _RESERVED_SHEET_NAMES:
        clean += "_"
    if len(clean) <= limit:
        return clean
    digest = hashlib.sha1(label.encode("utf-8")).hexdigest()[:4]
    head = clean[: max(limit - len(digest) - 1, 1)].rstrip("'")
    return f"{head}~{digest}"


class SheetNamer:
    """Hands out unique sheet names (Excel compares them case-insensitively)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, label: str, part: int = 1) -> str:
        """The name for part ``part`` of the table ``label``: ``label``, ``label (2)``, ..."""
        suffix = "" if part == 1 else f" ({part})"
        room = SHEET_NAME_MAX - len(suffix)
        name = shorten_sheet_name(label, room) + suffix
        attempt = 2
        while name.casefold() in self._taken:
            tag = f"~{attempt}"
            name = shorten_sheet_name(label, room - len(tag)) + tag + suffix
            attempt += 1
        self._taken.add(name.casefold())
        return name


# --- cell values ------------------------------------------------------------------------------------


def excel_text(text: str) -> str:
    """``text`` made storable in a cell: control characters shown as ``\\xNN``, length capped visibly.

    Line breaks become ``\\n`` (XML would turn a stored ``\\r\\n`` into ``\\n`` anyway).
    """
    if text.isprintable() and len(text) <= EXCEL_MAX_CELL_CHARS:
        return text  # most texts: no line break, no control character (one scan instead of three)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) <= EXCEL_MAX_CELL_CHARS:
        return text
    note = f" … [cut: {len(text):,} characters in total, Excel allows {EXCEL_MAX_CELL_CHARS:,}]"
    return text[: EXCEL_MAX_CELL_CHARS - len(note)] + note


def _cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = excel_text(str(value))
    if not text.startswith(_FORMULA_PREFIXES):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    cell.quotePrefix = True  # and Excel keeps it text even when the cell is edited
    return cell


def _header_cell(sheet: WriteOnlyWorksheet, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=title)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.alignment = _HEADER_ALIGNMENT
    return cell


# --- tables -----------------------------------------------------------------------------------------


@dataclass
class _Table:
    columns: Sequence[str]
    widths: Sequence[float]
    rows: Iterable[Sequence[object]]
    tab_color: str | None = None


def _start_sheet(workbook: Workbook, name: str, table: _Table) -> WriteOnlyWorksheet:
    sheet = workbook.create_sheet(name)
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if table.tab_color:
        sheet.sheet_properties.tabColor = table.tab_color
    sheet.append([_header_cell(sheet, title) for title in table.columns])
    return sheet


def _finish_sheet(sheet: WriteOnlyWorksheet, columns: int, data_rows: int) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{data_rows + 1}"


def _write_table(
    workbook: Workbook, name_for_part: Callable[[int], str], table: _Table, max_rows: int
) -> list[str]:
    """Stream ``table`` into one sheet, or several when it exceeds ``max_rows``; returns sheet names."""
    per_sheet = max_rows - 1
    names: list[str] = []
    sheet: WriteOnlyWorksheet | None = None
    written = 0
    for row in table.rows:
        if sheet is None or written == per_sheet:
            if sheet is not None:
                _finish_sheet(sheet, len(table.columns), written)
            names.append(name_for_part(len(names) + 1))
            sheet = _start_sheet(workbook, names[-1], table)
            written = 0
        sheet.append([_cell(sheet, value) for value in row])
        written += 1
    if sheet is None:  # an empty table still gets its sheet with the header
        names.append(name_for_part(1))
        sheet = _start_sheet(workbook, names[-1], table)
    _finish_sheet(sheet, len(table.columns), written)
    return names


# --- the workbook -----------------------------------------------------------------------------------


def _finding_rows(findings: Iterable[Finding]) -> Iterator[tuple[object, ...]]:
    for f in findings:
        yield (Severity(f.severity).value, f.kind, f.file, f.row, f.key, f.field, f.value, f.message, f.hint)


def _plan_kind_sheets(totals: dict[str, KindTotal], namer: SheetNamer, max_rows: int) -> dict[str, list[str]]:
    per_sheet = max_rows - 1
    plan: dict[str, list[str]] = {}
    for kind, total in totals.items():
        parts = max(1, -(-total.count // per_sheet))
        plan[kind] = [namer.claim(kind, part) for part in range(1, parts + 1)]
    return plan


def _planned_names(names: list[str]) -> Callable[[int], str]:
    return lambda part: names[part - 1]


def _part_namer(namer: SheetNamer, first: str, label: str) -> Callable[[int], str]:
    return lambda part: first if part == 1 else namer.claim(label, part)


def _build_workbook(result: ValidationResult, max_rows: int) -> Workbook:
    workbook = Workbook(write_only=True)
    namer = SheetNamer()
    summary_name, values_name, users_name = (namer.claim(n) for n in ("Summary", "Value maps", "Users"))
    totals = kind_totals(result.findings)
    kind_sheets = _plan_kind_sheets(totals, namer, max_rows)

    summary = _Table(SUMMARY_COLUMNS, SUMMARY_WIDTHS, summary_rows(result, totals, kind_sheets))
    _write_table(workbook, _part_namer(namer, summary_name, "Summary"), summary, max_rows)
    values = _Table(VALUE_MAP_COLUMNS, VALUE_MAP_WIDTHS, _value_map_rows(result))
    _write_table(workbook, _part_namer(namer, values_name, "Value maps"), values, max_rows)
    users = _Table(USER_COLUMNS, USER_WIDTHS, _user_rows(result))
    _write_table(workbook, _part_namer(namer, users_name, "Users"), users, max_rows)
    for kind, total in totals.items():
        rows = _finding_rows(result.findings.of_kind(kind))
        table = _Table(FINDING_COLUMNS, FINDING_WIDTHS, rows, _TAB_COLORS[total.worst])
        _write_table(workbook, _planned_names(kind_sheets[kind]), table, max_rows)
    return workbook


def _value_map_rows(result: ValidationResult) -> Iterator[tuple[object, ...]]:
    for row in result.value_coverage:
        yield (row.field, row.source_value, row.target_value, row.how, row.count)


def _user_rows(result: ValidationResult) -> Iterator[tuple[object, ...]]:
    for user in result.users:
        yield (user.source_name, user.email, user.display, user.login, user.method, user.evidence, user.count)


def summary_rows(
    result: ValidationResult, totals: dict[str, KindTotal], kind_sheets: dict[str, list[str]]
) -> Iterator[tuple[object, ...]]:
    """The ``Summary`` sheet: run details, verdict, counts, findings per severity and kind, estimate."""
    yield ("Run", "Generated at (UTC)", result.generated_at, None)
    yield ("Run", "Mapping", result.mapping, None)
    for source in result.sources:
        yield ("Run", "Source", source, None)
    yield ("Run", "Target", result.target, None)
    yield ("Run", "Queue", result.queue, None)
    yield ("Run", "Namespace", result.namespace, None)
    yield (
        "Run",
        "Strict mode",
        "yes" if result.strict else "no",
        "warnings block the run" if result.strict else None,
    )
    yield ("Status", "Verdict", verdict(result), None)
    yield ("Status", "Blocking problems", result.blocking, None)
    for name, value in result.counts.items():
        yield ("Counts", name, value, None)
    for severity in Severity:
        yield ("Findings", severity.value, result.count(severity), None)
    for kind, total in totals.items():
        sheets = kind_sheets[kind]
        yield ("Findings by kind", kind, total.count, "sheet: " + ", ".join(sheets))
    yield from _estimate_rows(result)


def _estimate_rows(result: ValidationResult) -> Iterator[tuple[object, ...]]:
    estimate = result.estimate
    if estimate is None:
        return
    yield ("Estimate", "API calls", estimate.api_calls, None)
    yield ("Estimate", "Rate limit (requests per second)", estimate.rate_rps, None)
    yield ("Estimate", "Duration (seconds)", round(estimate.seconds, 1), None)
    for kind, calls in estimate.calls_by_kind.items():
        yield ("API calls by kind", kind, calls, None)
