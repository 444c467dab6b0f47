"""Which SOURCE file holds which table, in which format, and opening a table as a ``Record`` stream."""

from __future__ import annotations

import fnmatch
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from migrator.errors import MigratorError
from migrator.sources.csv_reader import read_csv
from migrator.sources.excel_reader import read_excel
from migrator.sources.json_reader import read_json, read_ndjson
from migrator.sources.records import Record, Wanted
from migrator.sources.spec import SourceSpec, TableSpec

CHILD_KINDS = ("comments", "attachments", "links", "worklogs")
TABULAR = ("csv", "excel")
_BY_EXTENSION = {".xlsx": "excel", ".xlsm": "excel", ".csv": "csv", ".tsv": "csv"}  # always these
_GUESS_BY_EXTENSION = {".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".txt": "csv"}


@dataclass(frozen=True)
class TableSource:
    """One place a table is read from: a file, and the sheet or JSON records path inside it."""

    path: Path
    format: str  # csv | excel | json | ndjson
    sheet: str | None = None
    records: str | None = None

    @property
    def label(self) -> str:
        inner = self.sheet or self.records
        return f"{self.path.name} [{inner}]" if inner else self.path.name


def check_paths(paths: Sequence[Path]) -> list[Path]:
    """All SOURCE paths must be existing files; one error lists every one that is not."""
    if not paths:
        raise MigratorError("no SOURCE files given", hint="pass the export file(s) to read")
    missing = [p for p in paths if not p.is_file()]
    if missing:
        listed = ", ".join(str(p) for p in missing)
        raise MigratorError(
            f"SOURCE file(s) not found: {listed}", hint="check the paths (and the working directory)"
        )
    return [Path(p) for p in paths]


def file_format(path: Path, configured: str | None) -> str:
    """.xlsx/.xlsm are Excel and .csv/.tsv CSV whatever the mapping says (no ambiguity there);
    otherwise ``source.format`` decides, then the extension (.json, .ndjson/.jsonl, .txt)."""
    suffix = path.suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    if suffix == ".xls":
        raise MigratorError(
            f"{path.name}: the old binary Excel format (.xls) cannot be read",
            hint="open it in Excel or LibreOffice and save as .xlsx (or CSV)",
        )
    if configured:
        return configured
    if suffix in _GUESS_BY_EXTENSION:
        return _GUESS_BY_EXTENSION[suffix]
    raise MigratorError(
        f"{path.name}: cannot tell the file format from the extension {suffix or '(none)'!r}",
        hint="set source.format to csv, excel, json or ndjson",
    )


def issue_sources(source: SourceSpec, paths: Sequence[Path]) -> list[TableSource]:
    """The issues table(s): files matching ``issues.file``, else every file no child table claims."""
    spec = source.issues
    if spec.file:
        chosen = _glob(paths, spec.file, "source.issues.file")
    else:
        claimed = {p for kind in CHILD_KINDS for p in _claimed(getattr(source, kind), paths)}
        chosen = [p for p in paths if p not in claimed]
        if not chosen:
            raise MigratorError(
                "every SOURCE file is claimed by a child table (comments/attachments/links/worklogs 'file')",
                hint="pass the issues export too, or set source.issues.file",
            )
    return [TableSource(p, file_format(p, source.format), spec.sheet, spec.records) for p in chosen]


def child_sources(
    kind: str, table: TableSpec, source: SourceSpec, paths: Sequence[Path], issues: Sequence[TableSource]
) -> list[TableSource]:
    """Where a *separate* child table is read from: its own file(s), or a sheet / JSON records path
    inside the issues file(s)."""
    if table.file:
        return [
            TableSource(p, file_format(p, source.format), table.sheet, table.records)
            for p in _glob(paths, table.file, f"source.{kind}.file")
        ]
    out: list[TableSource] = []
    for src in issues:
        if src.format == "excel" and table.sheet:
            out.append(replace(src, sheet=table.sheet, records=None))
        elif src.format == "json" and table.records is not None:
            out.append(replace(src, sheet=None, records=table.records))
        else:
            raise MigratorError(
                f"source.{kind}: a separate {kind} table needs 'file' (or 'sheet' for Excel, 'records' for JSON); "
                f"{src.path.name} is {src.format}",
                hint=f"e.g. file: \"{kind}*.csv\", or embed them with 'column' + 'pattern' / 'path'",
            )
    return out


def open_table(src: TableSource, source: SourceSpec, wanted: Wanted) -> Generator[Record, None, None]:
    """Stream the records of a table. ``wanted`` (candidates → mapping key) is checked against the
    header of tabular files; JSON records are sparse, so paths there are not checked."""
    if src.format == "csv":
        return read_csv(src.path, encoding=source.encoding, delimiter=source.delimiter, wanted=wanted)
    if src.format == "excel":
        return read_excel(src.path, sheet=src.sheet, wanted=wanted)
    if src.format == "json":
        return read_json(src.path, encoding=source.encoding, records=src.records)
    if src.format == "ndjson":
        return read_ndjson(src.path, encoding=source.encoding)
    raise MigratorError(f"{src.path.name}: unknown format {src.format!r}", hint="csv, excel, json or ndjson")


def preflight(tables: Sequence[tuple[TableSource, Wanted]], source: SourceSpec) -> None:
    """Open every tabular table (CSV header, Excel sheet) before any heavy work, so that all
    missing files/sheets/columns are reported together in one ``MigratorError``. JSON documents
    are not opened here: that would mean loading them twice."""
    problems: list[str] = []
    for src, wanted in tables:
        if src.format not in TABULAR:
            continue
        records = open_table(src, source, wanted)
        try:
            next(records, None)
        except MigratorError as exc:
            problems.append(str(exc))
        finally:
            records.close()
    if len(problems) == 1:
        raise MigratorError(problems[0])
    if problems:
        raise MigratorError(f"{len(problems)} problems with the SOURCE files:\n" + "\n".join(problems))


def _claimed(table: TableSpec | None, paths: Sequence[Path]) -> list[Path]:
    if table is None or not table.file:
        return []
    return [p for p in paths if fnmatch.fnmatch(p.name, table.file)]


def _glob(paths: Sequence[Path], pattern: str, key: str) -> list[Path]:
    matched = [p for p in paths if fnmatch.fnmatch(p.name, pattern)]
    if not matched:
        names = ", ".join(p.name for p in paths)
        raise MigratorError(
            f"{key} {pattern!r} matches none of the SOURCE files ({names})",
            hint="pass that file too, or fix the pattern (it is matched against file names)",
        )
    return matched
