"""Which file of the export holds which table, in which format, and opening a table as a ``Record`` stream.

The export's files come from :mod:`migrator.sources.inputs` (plain files, folder and archive
members). A table's ``file`` glob picks its files; without ``issues.file`` the issues are every
plain file no child table claims plus, inside a folder/archive, its one data file nearest the top
(several at that level is an error asking for ``issues.file``). Every SOURCE must be read by something: a file no table reads, or
a folder/archive none of whose files is read (and that cannot hold attachments), is an error.
"""

from __future__ import annotations

from collections.abc import Collection, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from migrator.errors import MigratorError
from migrator.sources.adapters import AdapterInput, adapter_class
from migrator.sources.csv_reader import read_csv
from migrator.sources.excel_reader import read_excel
from migrator.sources.inputs import Container, Export, SourceFile
from migrator.sources.json_reader import read_json, read_ndjson
from migrator.sources.records import Record, Wanted
from migrator.sources.spec import SourceSpec, TableSpec
from migrator.sources.xml_reader import read_xml

CHILD_KINDS = ("comments", "attachments", "links", "worklogs")
TABULAR = ("csv", "excel")
TEXT_FORMATS = ("csv", "json", "ndjson")  # decoded with source.encoding (XML declares its own)
ADAPTER = "adapter"
_BY_EXTENSION = {".xlsx": "excel", ".xlsm": "excel", ".csv": "csv", ".tsv": "csv"}  # always these
_GUESS_BY_EXTENSION = {
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".txt": "csv",
    ".xml": "xml",
}
_DATA_EXTENSIONS = frozenset({*_BY_EXTENSION, *_GUESS_BY_EXTENSION} - {".txt"})
_LISTED = 10


@dataclass(frozen=True)
class TableSource:
    """One place a table is read from: a file, and the sheet or records path inside it (or, for an
    adapter, the files it is given)."""

    file: SourceFile
    format: str  # csv | excel | json | ndjson | xml | adapter
    sheet: str | None = None
    records: str | None = None
    inputs: tuple[SourceFile, ...] = ()  # adapter: the files chosen for the issues
    companions: tuple[SourceFile, ...] = ()  # adapter: the other files it reads (Adapter.companions)
    export: Export | None = field(default=None, compare=False, hash=False)

    @property
    def path(self) -> Path:
        """A local, readable file (an archive member is extracted on first use)."""
        try:
            return self.file.local_path()
        except MigratorError as exc:
            raise MigratorError(f"{self.file.label}: {exc}") from None

    @property
    def file_label(self) -> str:
        return self.file.label

    @property
    def label(self) -> str:
        inner = self.sheet or self.records
        return f"{self.file_label} [{inner}]" if inner else self.file_label


def file_format(name: str, configured: str | None) -> str:
    """.xlsx/.xlsm are Excel and .csv/.tsv CSV whatever the mapping says (no ambiguity there);
    otherwise ``source.format`` decides, then the extension (.json, .ndjson/.jsonl, .xml, .txt)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    if suffix == ".xls":
        raise MigratorError(
            f"{name}: the old binary Excel format (.xls) cannot be read",
            hint="open it in Excel or LibreOffice and save as .xlsx (or CSV)",
        )
    if configured:
        return configured
    if suffix in _GUESS_BY_EXTENSION:
        return _GUESS_BY_EXTENSION[suffix]
    raise MigratorError(
        f"{name}: cannot tell the file format from the extension {suffix or '(none)'!r}",
        hint="set source.format to csv, excel, json, ndjson or xml",
    )


def issue_sources(
    source: SourceSpec, export: Export, lookups: Collection[SourceFile] = ()
) -> list[TableSource]:
    """The issues table(s): files matching ``issues.file``, else the data files no child table
    and no lookup (``lookups``: the files lookup tables read) claims."""
    spec = source.issues
    if spec.file:
        chosen = _glob(export, spec.file, "source.issues.file")
    else:
        chosen = _default_issue_files(source, export, {id(f) for f in lookups})
    if source.adapter is not None:
        declared = _companions(source, export)
        companions = [f for f in declared if all(f is not c for c in chosen)]
        # a companion the issues glob also matched (Jira's field.json among "*.json") is still read,
        # but never stands for the issues (what detection and inspect probe is the first file)
        chosen = sorted(chosen, key=lambda f: any(f is d for d in declared))
        return [
            TableSource(chosen[0], ADAPTER, inputs=tuple(chosen), companions=tuple(companions), export=export)
        ]
    return [_table(f, source, spec.sheet, spec.records) for f in chosen]


def child_sources(
    kind: str, table: TableSpec, source: SourceSpec, export: Export, issues: Sequence[TableSource]
) -> list[TableSource]:
    """Where a *separate* child table is read from: its own file(s), or a sheet / JSON records path
    inside the issues file(s)."""
    if table.file:
        if table.optional and not export.find(table.file):
            return []  # an optional table the export does not have: no such children
        return [
            _table(f, source, table.sheet, table.records)
            for f in _glob(export, table.file, f"source.{kind}.file")
        ]
    out: list[TableSource] = []
    for src in issues:
        if src.format == "excel" and table.sheet:
            out.append(replace(src, sheet=table.sheet, records=None))
        elif src.format in ("json", "xml") and table.records is not None:
            out.append(replace(src, sheet=None, records=table.records))
        else:
            raise MigratorError(
                f"source.{kind}: a separate {kind} table needs 'file' (or 'sheet' for Excel, 'records' for "
                f"JSON/XML); {src.file_label} is {src.format}",
                hint=f"e.g. file: \"{kind}*.csv\", or embed them with 'column' + 'pattern' / 'path'",
            )
    return out


def check_all_used(source: SourceSpec, export: Export, tables: Sequence[TableSource]) -> None:
    """Every SOURCE is read: a plain file by a table, a folder/archive by a table or (when the
    mapping reads attachments) as the place attachment files are kept."""
    used_paths = {f.path for t in tables for f in _files_of(t) if f.container is None}
    used_containers = {id(f.container) for t in tables for f in _files_of(t) if f.container}
    problems = [f"{p} (no table of the mapping reads it)" for p in export.plain if p not in used_paths]
    for container in export.containers:
        if id(container) in used_containers or source.attachments is not None:
            continue
        problems.append(f"{container.origin} (none of its files is read by the mapping)")
    if problems:
        raise MigratorError(
            "SOURCE not used: " + "; ".join(problems),
            hint="check the file globs of the mapping's source section (source.issues.file, "
            "source.comments.file, …), or leave that SOURCE out",
        )


def open_table(
    src: TableSource, source: SourceSpec, wanted: Wanted, *, only: Collection[str] | None = None
) -> Generator[Record, None, None]:
    """Stream the records of a table. ``wanted`` (candidates → mapping key) is checked against the
    header of tabular files; JSON/XML records are sparse, so paths there are not checked. ``only``:
    the columns a caller reads (a CSV record then holds those alone; other formats ignore it)."""
    records = _open(src, source, wanted, only)
    if src.file.container is None or src.format == ADAPTER:
        return records
    return _labelled(records, src.file.label)


def _open(
    src: TableSource, source: SourceSpec, wanted: Wanted, only: Collection[str] | None
) -> Generator[Record, None, None]:
    limits = source.limits
    if src.format == "csv":
        return read_csv(
            src.path,
            encoding=source.encoding,
            delimiter=source.delimiter,
            wanted=wanted,
            limits=limits,
            only=only,
        )
    if src.format == "excel":
        return read_excel(src.path, sheet=src.sheet, wanted=wanted, limits=limits)
    if src.format == "json":
        return read_json(src.path, encoding=source.encoding, records=src.records, limits=limits)
    if src.format == "ndjson":
        return read_ndjson(src.path, encoding=source.encoding, limits=limits)
    if src.format == "xml":
        return read_xml(src.path, records=src.records, limits=limits)
    if src.format == ADAPTER and src.export is not None and source.adapter is not None:
        adapter = adapter_class(source.adapter)(source)
        return _as_generator(adapter.records(AdapterInput(list(src.inputs), src.export, source.encoding)))
    raise MigratorError(
        f"{src.file_label}: unknown format {src.format!r}", hint="csv, excel, json, ndjson or xml"
    )


def _as_generator(records: Iterator[Record]) -> Generator[Record, None, None]:
    yield from records


def _labelled(records: Generator[Record, None, None], name: str) -> Generator[Record, None, None]:
    try:
        for record in records:
            record.file = name
            yield record
    finally:
        records.close()  # also when the consumer stops early


def preflight(tables: Sequence[tuple[TableSource, Wanted]], source: SourceSpec) -> None:
    """Open every tabular table (CSV header, Excel sheet) before any heavy work, so that all
    missing files/sheets/columns are reported together in one ``MigratorError``. JSON and XML
    documents are not opened here: that would mean reading them twice."""
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


def prefetch_tables(tables: Sequence[TableSource]) -> None:
    """Extract every archive member the tables read, one pass per archive (a compressed tar
    cannot seek back)."""
    by_container: dict[int, tuple[Container, list[str]]] = {}
    for table in tables:
        for file in _files_of(table):
            if file.container is not None:
                by_container.setdefault(id(file.container), (file.container, []))[1].append(file.name)
    for container, names in by_container.values():
        try:
            container.prefetch(names)
        except MigratorError as exc:
            raise MigratorError(f"{container.origin.name}: {exc}") from None


def _table(file: SourceFile, source: SourceSpec, sheet: str | None, records: str | None) -> TableSource:
    return TableSource(file, file_format(file.name, source.format), sheet, records)


def _files_of(table: TableSource) -> list[SourceFile]:
    return [*table.inputs, *table.companions] if table.inputs else [table.file]


def _companions(source: SourceSpec, export: Export) -> list[SourceFile]:
    """The files the adapter reads besides the issue files (an unknown adapter name is an error
    here, before anything is read)."""
    if source.adapter is None:
        return []
    patterns = adapter_class(source.adapter).companions
    found = {id(f): f for pattern in patterns for f in export.find(pattern)}
    return list(found.values())


def _claimed(source: SourceSpec, export: Export) -> set[int]:
    claimed: set[int] = set()
    for kind in CHILD_KINDS:
        table: TableSpec | None = getattr(source, kind)
        if table is not None and table.file:
            claimed.update(id(f) for f in export.find(table.file))
    return claimed


def _default_issue_files(source: SourceSpec, export: Export, lookups: set[int]) -> list[SourceFile]:
    claimed = _claimed(source, export) | lookups | {id(f) for f in _companions(source, export)}
    chosen = [f for f in export.files if f.container is None and id(f) not in claimed]
    for container in export.containers:
        data = _shallowest(
            [
                f
                for f in export.files
                if f.container is container
                and id(f) not in claimed
                and PurePosixPath(f.name).suffix.lower() in _DATA_EXTENSIONS
            ]
        )
        if len(data) > 1:
            listed = ", ".join(f.name for f in data[:_LISTED]) + (", …" if len(data) > _LISTED else "")
            raise MigratorError(
                f"SOURCE {container.origin} holds {len(data)} data files ({listed}); "
                "which one holds the issues?",
                hint="set source.issues.file to its name or path inside the folder/archive, "
                'e.g. file: "tree/project/issues.ndjson"',
            )
        chosen.extend(data)
    if not chosen:
        raise MigratorError(
            "no SOURCE file is left for the issues: every one is claimed by a child table "
            "(comments/attachments/links/worklogs 'file') or a lookup, or none is a data file",
            hint="pass the issues export too, or set source.issues.file",
        )
    return chosen


def _shallowest(files: list[SourceFile]) -> list[SourceFile]:
    """The files nearest the top of their folder/archive (``board.json`` beside an
    ``attachments/`` tree that holds CSV files)."""
    if not files:
        return files
    depth = min(f.name.count("/") for f in files)
    return [f for f in files if f.name.count("/") == depth]


def _glob(export: Export, pattern: str, key: str) -> list[SourceFile]:
    matched = export.find(pattern)
    if not matched:
        names = [f.name for f in export.files]
        listed = ", ".join(names[:_LISTED]) + (", …" if len(names) > _LISTED else "")
        raise MigratorError(
            f"{key} {pattern!r} matches none of the SOURCE files ({listed})",
            hint="pass that file too, or fix the pattern (it is matched against the file's name and, "
            "inside a folder or archive, its path there)",
        )
    return matched
