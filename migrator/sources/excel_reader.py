"""Excel workbooks (.xlsx/.xlsm) → ``Record`` stream, via openpyxl in read-only (streaming) mode.

Cells keep their Excel types: a date cell arrives as a naive ``datetime`` (wall-clock time in the
source zone), numbers as int/float. The first row is the header; row numbers are the sheet's row
numbers. Cached formula results are read (``data_only``), not the formulas.

An .xlsx is a zip archive, and openpyxl keeps the shared-strings part in memory whole: before it
opens anything, the parts' declared sizes are checked (zipfile never inflates a part beyond its
declared size) against ``limits.xlsx_unpacked_mb`` (all parts together) and ``limits.xlsx_ratio``
(any part over 1 MiB), so a few kilobytes cannot unpack into gigabytes.
"""

from __future__ import annotations

import difflib
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import MigratorError
from migrator.limits import MIB, Limits, raise_hint
from migrator.sources.records import (
    Note,
    Record,
    Wanted,
    check_columns,
    is_empty,
    repeated_headers,
    table_values,
)

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook


def read_excel(
    path: Path, *, sheet: str | None, wanted: Wanted, limits: Limits | None = None
) -> Generator[Record, None, None]:
    """Yield the data rows of one sheet (the first sheet when ``sheet`` is None)."""
    limits = limits or Limits()
    book = _open(path, limits)
    try:
        ws = _sheet(path, book, sheet)
        label = f"{path.name} [{ws.title}]"
        rows = _rows(label, ws.iter_rows(values_only=True))
        header = _header(label, next(rows, None))
        check_columns(label, header, wanted, f"sheet {ws.title!r}")
        repeated = repeated_headers(header)
        for row, cells in enumerate(rows, start=2):
            if all(is_empty(c) for c in cells):
                continue
            notes = _row_notes(header, cells)
            values = table_values(header, cells[: len(header)], repeated)
            yield Record(path.name, row, values, notes=notes, json_depth=limits.json_depth)
    finally:
        book.close()


def _rows(label: str, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows; a cell openpyxl cannot convert (a number of more than 4,300 digits, which
    ``int()`` refuses) stops the read naming the row, since openpyxl's reader cannot go on."""
    row = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except ValueError as exc:
            raise MigratorError(
                f"{label} row {row + 1}: a cell cannot be read: {exc}",
                hint="fix the cell in the workbook (a number that long is not a number; store it as text)",
            ) from None
        row += 1
        yield cells


def sheet_titles(path: Path) -> list[str]:
    book = _open(path, Limits())
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _open(path: Path, limits: Limits) -> Workbook:
    # openpyxl (and numpy under it) is imported here, not with the module: a CSV or JSON export
    # never needs it, and every command imports the readers before its first request.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_archive(path, limits)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise MigratorError(
            f"{path.name}: cannot open as an Excel workbook: {exc}",
            hint="save it as .xlsx (Excel 2007+), or export CSV and set source.format: csv",
        ) from None


def check_archive(path: Path, limits: Limits) -> None:
    """Refuse a workbook whose parts would unpack beyond the limits (read from the zip directory;
    nothing is decompressed). A file that is not a zip archive is left to openpyxl to report."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    hint = "a workbook this size is unusual: check the file; if it is legitimate, raise the limit: "
    total = sum(part.file_size for part in parts)
    if total > limits.xlsx_unpacked_bytes:
        raise MigratorError(
            f"{path.name}: the workbook unpacks to {total / MIB:,.0f} MB, over limits.xlsx_unpacked_mb "
            f"({limits.xlsx_unpacked_mb:g} MB)",
            hint=hint + raise_hint("xlsx_unpacked_mb"),
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MIB and ratio > limits.xlsx_ratio:
            raise MigratorError(
                f"{path.name}: part {part.filename} unpacks {ratio:,.0f} times its packed size "
                f"({part.compress_size:,} → {part.file_size:,} bytes), over limits.xlsx_ratio "
                f"({limits.xlsx_ratio:g})",
                hint=hint + raise_hint("xlsx_ratio"),
            )


def _sheet(path: Path, book: Workbook, name: str | None) -> Any:
    if name is None:
        return book.worksheets[0]
    if name in book.sheetnames:
        return book[name]
    close = difflib.get_close_matches(name, book.sheetnames, n=1)
    raise MigratorError(
        f"{path.name}: there is no sheet {name!r} (sheets: {', '.join(book.sheetnames)})",
        hint=f"did you mean {close[0]!r}?" if close else "fix the sheet name in the mapping",
    )


def _header(label: str, first: tuple[Any, ...] | None) -> list[str]:
    if not first or all(is_empty(c) for c in first):
        raise MigratorError(
            f"{label}: the first row is blank", hint="the first row must hold the column headers"
        )
    names = ["" if c is None else str(c).strip() for c in first]
    while names and not names[-1]:
        names.pop()
    return names


def _row_notes(header: list[str], cells: tuple[Any, ...]) -> list[Note]:
    extra = [c for c in cells[len(header) :] if not is_empty(c)]
    if not extra:
        return []
    return [
        Note(
            "csv.ragged_row",
            f"the row has {len(extra)} non-empty cell(s) right of the last header column",
            value=str(extra[0])[:200],
            hint="give those columns a header, or clear them",
        )
    ]
