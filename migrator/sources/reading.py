"""Source adapters: export files (CSV / Excel / JSON / NDJSON / XML, plain, in a folder or in an
archive; or an adapter's records) → canonical ``Issue`` stream.

    from migrator.sources.reading import read_issues
    for issue in read_issues(config.source, paths, findings): ...

The readers know only the mapping file's ``source:`` section (:mod:`migrator.sources.spec`), never
the rest of the mapping.

Memory: issues are streamed one at a time. CSV, NDJSON and Excel (openpyxl read-only) are read
row by row, JSON documents record by record (``ijson``), XML element by element (``iterparse``). Children in
separate files/sheets are first indexed into a temporary SQLite file (deleted afterwards) and
looked up per issue. What is kept for the whole run: the set of issue ids/keys seen (duplicate and
orphan checks) and, only when ``parent_ref``/``link_ref`` is ``id`` and a ``key`` column exists, an
id→key dict built by a cheap pre-pass over the issues (so parents/link targets are keys even when
the other issue comes later in the file).

Lookup tables (``lookup:``) are read once, when first needed. Records failing ``where:`` are
skipped and counted (``source.filtered``); children of a skipped issue go with it. Each tabular file
says which columns it lacks (``source.column_absent``) and which candidate each field used; at the
end a mapped column/path that gave no value in any record is a ``source.path_always_empty`` warning.

Errors: problems with the setup raise ``MigratorError`` (one message, never a traceback). Missing
files, unknown formats, undecodable CSV files and missing sheets/columns are found when
``read_issues`` is called — every CSV/Excel table's header is checked up front and all problems are
listed together. Broken JSON documents and missing JSON ``records`` paths surface on the first
``next()`` (a JSON document is only loaded once). Problems with individual values go to
``findings``; ``child.orphan`` findings come once the stream is exhausted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from migrator.findings import Findings
from migrator.model import Issue
from migrator.sources.builder import IssueBuilder, RefResolver
from migrator.sources.children import ChildIndex, EmbeddedChildren, table_child
from migrator.sources.columns import ColumnNeed, ColumnReport, child_needs, issue_needs, required_columns
from migrator.sources.encoding import report_encoding_doubts
from migrator.sources.extract import Extractor, RecordView, Usage
from migrator.sources.filters import FilterTally, passes
from migrator.sources.inputs import Export, resolve_sources
from migrator.sources.lookups import Lookups
from migrator.sources.observe import ReadObserver
from migrator.sources.records import Record, check_columns
from migrator.sources.spec import SourceSpec, TableSpec
from migrator.sources.tables import (
    CHILD_KINDS,
    TABULAR,
    TEXT_FORMATS,
    TableSource,
    check_all_used,
    child_sources,
    issue_sources,
    open_table,
    prefetch_tables,
    preflight,
)
from migrator.sources.values import ValueReader, Where
from migrator.spill import DiskMap, DiskSet

__all__ = ["read_issues"]


def read_issues(
    source: SourceSpec, paths: Sequence[Path], findings: Findings, *, observer: ReadObserver | None = None
) -> Iterator[Issue]:
    """Yield the export's issues with their comments, attachments, links and worklogs attached.
    ``observer`` (``migrator inspect``) sees every record and raw value read."""
    export = resolve_sources([Path(p) for p in paths], source.archives)
    lookups = Lookups(source, export)
    issues = issue_sources(source, export, lookups.claimed)
    separate = {
        kind: child_sources(kind, table, source, export, issues)
        for kind, table in _child_tables(source)
        if not table.embedded
    }
    _report_absent_tables(source, separate, findings)
    every = [*issues, *(src for srcs in separate.values() for src in srcs)]
    check_all_used(source, export, [*every, *lookups.sources])
    prefetch_tables([*every, *lookups.sources])
    tables = [(src, required_columns(issue_needs(source))) for src in issues]
    tables += [
        (src, required_columns(child_needs(source, kind))) for kind, srcs in separate.items() for src in srcs
    ]
    preflight(tables, source)
    _report_unsafe(export, findings)
    return _stream(source, issues, separate, findings, _Export(export, lookups), observer)


@dataclass(frozen=True)
class _Export:
    """The export's files and the lookup tables read from them."""

    export: Export
    lookups: Lookups


@dataclass(frozen=True)
class _Children:
    """How one kind of child is read: embedded in the issue record, or looked up in the index."""

    kind: str
    table: TableSpec
    embedded: EmbeddedChildren | None


@dataclass
class _Seen:
    """Every issue's id and key so far, for duplicates and children's references: one entry per
    issue, so on disk (``DiskSet``) — as sets they held most of a large export's strings."""

    ids: DiskSet = field(default_factory=DiskSet)
    keys: DiskSet = field(default_factory=DiskSet)
    skipped: DiskSet = field(default_factory=DiskSet)  # ids and keys of issues a where: filter skipped

    def close(self) -> None:
        for store in (self.ids, self.keys, self.skipped):
            store.close()


@dataclass
class _Reading:
    """What one pass over the export shares: readers of values, and what is reported at the end."""

    source: SourceSpec
    findings: Findings
    values: ValueReader
    extractor: Extractor
    tally: FilterTally = field(default_factory=FilterTally)
    columns: ColumnReport = field(default_factory=ColumnReport)
    observer: ReadObserver | None = None

    def records(self, src: TableSource, needs: list[ColumnNeed], kind: str) -> Iterator[Record]:
        """The table's records, its column report made on the first one."""
        first = True
        for record in open_table(src, self.source, required_columns(needs) if src.format in TABULAR else {}):
            if first and src.format in TABULAR:
                self.columns.check(src.label, record.values.keys(), needs, self.findings)
            elif first and record.header is not None:  # an adapter's record made from a table row
                check_columns(record.file, record.header, required_columns(needs), "CSV")
                self.columns.check(src.label, record.header, needs, self.findings)
            first = False
            self.extractor.usage.sample(record)
            if self.observer is not None:
                self.observer.record(kind, src.label, record)
            yield record

    def finish(self) -> None:
        self.tally.report(self.findings)
        self.extractor.usage.report(self.findings, self.columns.absent)


def _report_absent_tables(
    source: SourceSpec, separate: Mapping[str, list[TableSource]], findings: Findings
) -> None:
    for kind, sources in separate.items():
        table: TableSpec = getattr(source, kind)
        if not sources and table.file:
            findings.info(
                "source.table_absent",
                f"no SOURCE file matches {table.file!r}: the export is read without {kind}",
                field=f"source.{kind}.file", value=table.file,
                hint=f"pass the {kind} file too if the export has one (the table is optional)",
            )  # fmt: skip


def _child_tables(source: SourceSpec) -> list[tuple[str, TableSpec]]:
    return [(kind, table) for kind in CHILD_KINDS if (table := getattr(source, kind)) is not None]


def _stream(
    source: SourceSpec,
    issues: list[TableSource],
    separate: dict[str, list[TableSource]],
    findings: Findings,
    opened: _Export,
    observer: ReadObserver | None,
) -> Iterator[Issue]:
    for src in issues + [s for srcs in separate.values() for s in srcs]:
        if src.format in TEXT_FORMATS:
            report_encoding_doubts(src.path, source.encoding, findings)
    extractor = Extractor(findings, opened.lookups, Usage(), json_depth=source.limits.json_depth)
    values = ValueReader(source, findings, observer)
    reading = _Reading(source, findings, values, extractor, observer=observer)
    with ExitStack() as cleanup:
        index = _open_index(cleanup) if separate else None
        if index is not None:
            _index_children(reading, separate, index)
        refs = RefResolver(source, _id_to_key(source, issues, extractor), findings)
        builder = IssueBuilder(source, findings, reading.values, refs, extractor)
        children = [
            _Children(
                kind,
                table,
                EmbeddedChildren(kind, table, extractor, reading.tally) if table.embedded else None,
            )
            for kind, table in _child_tables(source)
        ]
        seen = _Seen()
        cleanup.callback(seen.close)
        needs = issue_needs(source)
        for src in issues:
            for record in reading.records(src, needs, "issues"):
                issue = _issue(record, builder, children, index, seen, reading)
                if issue is not None:
                    _local_attachments(issue, opened.export, source)
                    yield issue
        if index is not None:
            _report_orphans(index, seen, reading)
        reading.finish()


def _open_index(cleanup: ExitStack) -> ChildIndex:
    """A child index in a temporary directory; both go away when ``cleanup`` closes."""
    directory = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="migrator-sources-"))
    index = ChildIndex(Path(directory))
    cleanup.callback(index.close)
    return index


def _issue(
    record: Record,
    builder: IssueBuilder,
    children: list[_Children],
    index: ChildIndex | None,
    seen: _Seen,
    reading: _Reading,
) -> Issue | None:
    ident, key = builder.identity(record)
    where = reading.source.issues.where
    if where is not None and record.usable and not passes(where, RecordView(record).get):
        reading.tally.skip(
            "source.issues.where", f"{record.file} row {record.row}" + (f" ({key})" if key else "")
        )
        seen.skipped.update(x for x in (ident, key) if x)
        return None
    findings = reading.findings
    record.report_notes(findings, key)
    if not record.usable:
        return None
    if ident is not None and key is not None:
        if ident in seen.ids or key in seen.keys:
            _duplicate(record, ident, key, seen, findings)
            return None
        seen.ids.add_absent(ident)
        seen.keys.add_absent(key)
    issue = builder.build_issue(record, ident, key)
    if issue is None:
        record.report_notes(findings, key)
        return None
    for child in children:
        if child.embedded is not None:
            builder.attach(issue, child.kind, child.table, child.embedded.read(record, key))
            _note_embedded(child, record, reading)
        elif index is not None:
            builder.attach(
                issue, child.kind, child.table, index.lookup(child.kind, {issue.source.id, issue.key})
            )
    builder.bind_attachments_to_comments(issue)
    record.report_notes(findings, key)  # reading a JSON cell may have added notes
    return issue


def _note_embedded(child: _Children, record: Record, reading: _Reading) -> None:
    """Usage of an embedded children's ``path`` (JSON); a CSV column is covered by its header."""
    path = child.table.path
    if path is not None:
        reading.extractor.usage.saw(f"source.{child.kind}.path", path, record.get(path))


def _duplicate(record: Record, ident: str, key: str, seen: _Seen, findings: Findings) -> None:
    what = f"id {ident!r}" if ident in seen.ids else f"key {key!r}"
    findings.error(
        "source.duplicate_key",
        f"another issue earlier in the export has the same {what}; this one is skipped (the first wins)",
        file=record.file, row=record.row, key=key, field="id" if ident in seen.ids else "key",
        value=ident if ident in seen.ids else key, hint="remove the duplicate row from the export",
    )  # fmt: skip


def _ref_field(kind: str) -> str:
    return "from" if kind == "links" else "issue"


def _index_children(reading: _Reading, separate: Mapping[str, list[TableSource]], index: ChildIndex) -> None:
    source, findings = reading.source, reading.findings
    for kind, sources in separate.items():
        table: TableSpec = getattr(source, kind)
        name = _ref_field(kind)
        spec = table.fields[name]
        needs = child_needs(source, kind)
        for src in sources:
            for record in reading.records(src, needs, kind):
                if (
                    table.where is not None
                    and record.usable
                    and not passes(table.where, RecordView(record).get)
                ):
                    reading.tally.skip(f"source.{kind}.where", f"{record.file} row {record.row}")
                    continue
                where = Where(record.file, record.row, None, record.nested)
                raw = reading.extractor.raw(RecordView(record), spec, where, f"source.{kind}.fields.{name}")
                ref = reading.values.read("string", raw, spec, where, f"{kind}.{name}")
                record.report_notes(findings, ref)
                if not record.usable:
                    continue
                if ref is None:
                    findings.error(
                        "field.required_missing",
                        f"the {kind[:-1]} does not say which issue it belongs to; it is skipped",
                        file=record.file, row=record.row, field=f"{kind}.{name}",
                        hint=f"fill column {spec.column!r} with the issue's id or key",
                    )  # fmt: skip
                    continue
                index.add(kind, ref, table_child(kind, table, record, reading.extractor))
                record.report_notes(findings, ref)  # reading a JSON cell may have added notes
    index.finish_indexing()


def _id_to_key(source: SourceSpec, issues: list[TableSource], extractor: Extractor) -> DiskMap[str] | None:
    """id → key of every issue, when references are ids and keys are a separate column; else None
    (references are used as they are). Kept on disk: it has one entry per issue."""
    fields = source.issues.fields
    needs = ("parent" in fields and source.parent_ref == "id") or (
        source.links is not None and source.link_ref == "id"
    )
    if not needs or "key" not in fields:
        return None
    silent, quiet = ValueReader(source, Findings()), extractor.silent()
    mapping: DiskMap[str] = DiskMap()
    wanted = required_columns(issue_needs(source))
    only = {*fields["id"].candidates, *fields["key"].candidates}
    for src in issues:
        for record in open_table(src, source, wanted if src.format in TABULAR else {}, only=only):
            where = Where(record.file, record.row, None, record.nested)
            view = RecordView(record)
            ident = silent.read(
                "string", quiet.raw(view, fields["id"], where, "id"), fields["id"], where, "id"
            )
            key = silent.read(
                "string", quiet.raw(view, fields["key"], where, "key"), fields["key"], where, "key"
            )
            if record.usable and ident and key:
                mapping.setdefault(ident, key)
    return mapping


def _report_orphans(index: ChildIndex, seen: _Seen, reading: _Reading) -> None:
    for kind, ref, file, row in index.references():
        if ref in seen.ids or ref in seen.keys:
            continue
        if ref in seen.skipped:
            reading.tally.skip(f"source.issues.where (the {kind} of skipped issues)", f"{file} row {row}")
            continue
        reading.findings.error(
            "child.orphan",
            f"the {kind[:-1]} belongs to issue {ref!r}, which is not in the export; it is skipped",
            file=file, row=row, key=ref, field=f"{kind}.{_ref_field(kind)}", value=ref,
            hint="export that issue too, or check which column holds the issue's id or key",
        )  # fmt: skip


def _local_attachments(issue: Issue, export: Export, source: SourceSpec) -> None:
    """Point attachments kept inside a SOURCE folder/archive at their local copy (extracted on
    first use). Ids were derived from the export's own location before this, so they stay stable."""
    if not export.containers:
        return
    for attachment in [*issue.attachments, *(a for c in issue.comments for a in c.attachments)]:
        local = export.attachment_path(attachment.location, attachment.filename, source.files.directory)
        if local is not None:  # absolute: the transform reads it inside the export's roots only
            attachment.location = str(local.absolute())


def _report_unsafe(export: Export, findings: Findings) -> None:
    for container, unsafe in export.unsafe():
        findings.warning(
            "archive.unsafe_member",
            f"the archive member is not extracted: {unsafe.reason}",
            file=container.origin.name, value=unsafe.name,
            hint="an export never needs such members; if a file is missing because of it, unpack the "
            "archive yourself and pass the folder",
        )  # fmt: skip
