"""CSV exports → ``Record`` stream (constant memory: one row at a time).

Rows are parsed by the ``csv`` module (quoted multi-line cells, doubled quotes) and kept
*positionally*: a repeated header gives a list of its non-empty cells. A file that puts a space
between the delimiter and an opening quote (ClickUp: ``86c2x1a7q,"PRD-118", "Onboarding, v2"``) is
recognised from its first rows and read with ``skipinitialspace``, or its quotes would become data
and commas inside them would split cells. Row numbers are spreadsheet
row numbers (the header is row 1, a multi-line cell still counts as one row), so a finding points at
the row a user sees when opening the file in Excel.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Generator, Iterator
from pathlib import Path

from migrator.errors import MigratorError
from migrator.limits import Limits, raise_hint
from migrator.sources.encoding import damaged, detect_encoding, open_text, repair
from migrator.sources.records import (
    Note,
    Record,
    Wanted,
    check_columns,
    is_empty,
    repeated_headers,
    table_values,
)

DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
_NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_VALUE_PREVIEW = 200
_SPACE_ROWS = 50  # lines of the sample looked at for a space before quotes


def read_csv(
    path: Path,
    *,
    encoding: str,
    delimiter: str,
    wanted: Wanted,
    limits: Limits | None = None,
    only: Collection[str] | None = None,
) -> Generator[Record, None, None]:
    """Yield the data rows of ``path``. ``wanted`` (candidate columns → mapping key naming them) is
    checked against the header first; all missing columns are reported in one ``MigratorError``.
    A cell over ``limits.cell_mb`` stops the read with the row to look at. ``only``: the records
    hold these columns alone (the id → key pre-pass reads two columns of every row)."""
    limits = limits or Limits()
    codec = detect_encoding(path, encoding)
    sep = _delimiter(path, codec, delimiter)
    # The csv module keeps one process-wide limit (default 128 KB, which Jira descriptions exceed);
    # set it for this read. Reads are sequential, so the setting cannot leak into another one.
    csv.field_size_limit(limits.cell_chars)
    spaced = _space_before_quotes(path, codec, sep)
    with open_text(path, codec) as text:
        reader = csv.reader(text, delimiter=sep, skipinitialspace=spaced)
        header = _header(path, reader, limits)
        check_columns(path.name, header, wanted, "CSV")
        repeated = repeated_headers(header)
        keep = None if only is None else [i for i, name in enumerate(header) if name in only]
        kept_header = header if keep is None else [header[i] for i in keep]
        kept_repeated = repeated if keep is None else repeated & set(kept_header)
        row = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _row_error(path, row + 1, exc, limits) from None
            row += 1
            if all(is_empty(c) for c in cells):
                continue
            notes = _row_notes(header, cells)
            if any(n.kind == "encoding.replaced" for n in notes):
                cells = [repair(c) for c in cells]
            if keep is not None:  # ascending indexes: a short row loses only columns at its end
                cells = [cells[i] for i in keep if i < len(cells)]
            values = table_values(kept_header, cells, kept_repeated)
            yield Record(path.name, row, values, notes=notes, json_depth=limits.json_depth)


def _row_error(path: Path, row: int, exc: csv.Error, limits: Limits) -> MigratorError:
    if "field larger than field limit" in str(exc):
        return MigratorError(
            f"{path.name} row {row}: a cell is over limits.cell_mb ({limits.cell_mb:g} MB)",
            hint="a quote left open can swallow the rest of the file (check that row); if the cell really "
            "is that long, raise the limit: " + raise_hint("cell_mb"),
        )
    return MigratorError(
        f"{path.name} row {row}: the CSV cannot be parsed: {exc}",
        hint="check the delimiter (source.delimiter) and quoting around that row",
    )


def _header(path: Path, reader: Iterator[list[str]], limits: Limits) -> list[str]:
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise _row_error(path, 1, exc, limits) from None
    if not first or all(is_empty(c) for c in first):
        raise MigratorError(
            f"{path.name}: the file is empty or its first row is blank",
            hint="the first row must hold the column headers",
        )
    return [repair(c).strip().lstrip("\ufeff") for c in first]


def _row_notes(header: list[str], cells: list[str]) -> list[Note]:
    if len(cells) == len(header) and not damaged("".join(cells)):
        return []  # the usual row: one search over the row instead of one per cell (a byte is one character)
    notes: list[Note] = []
    if len(cells) != len(header):
        notes.append(
            Note(
                "csv.ragged_row",
                f"the row has {len(cells)} cells but the header has {len(header)}",
                hint="a quote or delimiter inside a cell is probably unescaped; fix the row in the export",
            )
        )
    for name, cell in zip(header, cells, strict=False):
        if damaged(cell):
            notes.append(
                Note(
                    "encoding.replaced",
                    "undecodable bytes were replaced by \ufffd",
                    field=name,
                    value=repair(cell[:_VALUE_PREVIEW]),
                    hint="the file is damaged or not in the detected encoding; set source.encoding or re-export",
                )
            )
    return notes


def _delimiter(path: Path, codec: str, configured: str) -> str:
    if configured.lower() != "auto":
        sep = _NAMED_DELIMITERS.get(configured.lower(), configured)
        if len(sep) != 1:
            raise MigratorError(
                f"{path.name}: source.delimiter must be one character (or auto/tab), got {configured!r}"
            )
        return sep
    with open_text(path, codec) as text:
        sample = text.read(_SNIFF_CHARS)
    return sniff_delimiter(sample)


def _space_before_quotes(path: Path, codec: str, sep: str) -> bool:
    with open_text(path, codec) as text:
        sample = text.read(_SNIFF_CHARS)
    return space_before_quotes(sample, sep)


def space_before_quotes(sample: str, sep: str) -> bool:
    """Whether the file writes ``<sep> "quoted"``: some cell of its first rows, read plainly, starts
    with a space and a quote. Other files keep their leading spaces (``skipinitialspace`` would
    strip them from unquoted cells too)."""
    complete = sample[: sample.rfind("\n") + 1] or sample
    try:
        rows = list(csv.reader(complete.splitlines()[:_SPACE_ROWS], delimiter=sep))
    except csv.Error:
        return False
    return any(cell.startswith(' "') for row in rows for cell in row[1:])


def sniff_delimiter(sample: str) -> str:
    """One of ``, ; TAB |``: the csv Sniffer's choice if the header line contains it, else the
    candidate occurring most often in the header line (comma when none does)."""
    header_line = sample.lstrip("\ufeff").split("\n", 1)[0]
    complete = sample[: sample.rfind("\n") + 1] or sample
    try:
        sniffed = csv.Sniffer().sniff(complete, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in header_line:
        return sniffed
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
