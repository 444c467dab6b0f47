"""Excel workbooks (.xlsx/.xlsm) → ``Record`` stream, via openpyxl in read-only (streaming) mode.

Cells keep their Excel types: a date cell arrives as a naive ``datetime`` (wall-clock time in the
source zone), numbers as int/float. The first row is the header; row numbers are the sheet's row
numbers. Cached formula results are read (``data_only``), not the formulas.
"""

from __future__ import annotations

import difflib
import zipfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from migrator.errors import MigratorError
from migrator.sources.records import (
    Note,
    Record,
    Wanted,
    check_columns,
    is_empty,
    repeated_headers,
    table_values,
)


def read_excel(path: Path, *, sheet: str | None, wanted: Wanted) -> Generator[Record, None, None]:
    """Yield the data rows of one sheet (the first sheet when ``sheet`` is None)."""
    book = _open(path)
    try:
        ws = _sheet(path, book, sheet)
        label = f"{path.name} [{ws.title}]"
        rows = ws.iter_rows(values_only=True)
        header = _header(label, next(rows, None))
        check_columns(label, header, wanted, f"sheet {ws.title!r}")
        repeated = repeated_headers(header)
        for row, cells in enumerate(rows, start=2):
            if all(is_empty(c) for c in cells):
                continue
            notes = _row_notes(header, cells)
            yield Record(path.name, row, table_values(header, cells[: len(header)], repeated), notes=notes)
    finally:
        book.close()


def sheet_titles(path: Path) -> list[str]:
    book = _open(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _open(path: Path) -> Workbook:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise MigratorError(
            f"{path.name}: cannot open as an Excel workbook: {exc}",
            hint="save it as .xlsx (Excel 2007+), or export CSV and set source.format: csv",
        ) from None


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
