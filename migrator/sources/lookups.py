"""Lookup tables: ids joined to a second file, or to a section of the same JSON document.

``lookup: {file: project_members.ndjson, key: user_id, value: user}`` (GitLab authors),
``lookup: {section: members, key: id, value: ""}`` (Trello: the board's ``members`` array, in the
file the cards come from). ``file`` is a glob on the export's files (:class:`Export`), so a lookup
file inside a SOURCE folder or archive is found like any table's file (by its path there or its
base name). A table is read once, when first needed, into a dict id → value: lookup tables are
small (members, lists, labels), the exports they serve are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.errors import MigratorError
from migrator.sources.filters import passes
from migrator.sources.inputs import Export, SourceFile
from migrator.sources.records import is_empty, key_text
from migrator.sources.spec import LookupSpec, SourceSpec, field_specs
from migrator.sources.tables import TableSource, file_format, open_table

_LISTED = 10


class Lookups:
    def __init__(self, source: SourceSpec, export: Export) -> None:
        self._source = source
        self._export = export
        self._by_label = {f.label: f for f in reversed(export.files)}
        self._tables: dict[tuple[int, LookupSpec], dict[str, Any]] = {}
        self.claimed: list[SourceFile] = self._check_files()

    @property
    def sources(self) -> list[TableSource]:
        """The tables lookup files are read as (they count as read SOURCEs; archive members among
        them are extracted with the other tables)."""
        return [TableSource(f, file_format(f.name, self._source.format)) for f in self.claimed]

    def table(self, spec: LookupSpec, file: str) -> Mapping[str, Any] | None:
        """The id → value table of ``spec``; ``file`` is the label of the file being read (where a
        ``section`` without ``file`` lives). None when that file is not a file of the export."""
        found = self._file(spec) if spec.file else self._by_label.get(file)
        if found is None:
            return None
        cache_key = (id(found), spec)
        if cache_key not in self._tables:
            self._tables[cache_key] = self._load(found, spec)
        return self._tables[cache_key]

    def _check_files(self) -> list[SourceFile]:
        """The export's files lookups read (they are not issue files); a ``file`` glob matching none
        of them is an error now, before anything is read."""
        claimed: dict[int, SourceFile] = {}
        for label, _, spec in field_specs(self._source):
            if spec.lookup is None or spec.lookup.file is None:
                continue
            matched = self._export.find(spec.lookup.file)
            if not matched:
                names = [f.name for f in self._export.files]
                listed = ", ".join(names[:_LISTED]) + (", …" if len(names) > _LISTED else "")
                raise MigratorError(
                    f"{label}.lookup.file {spec.lookup.file!r} matches none of the SOURCE files ({listed})",
                    hint="pass the lookup file as a SOURCE too (or inside the SOURCE folder/archive), "
                    "or fix the pattern",
                )
            claimed.update((id(f), f) for f in matched)
        return list(claimed.values())

    def _file(self, spec: LookupSpec) -> SourceFile | None:
        matched = self._export.find(spec.file or "")
        return matched[0] if matched else None

    def _load(self, file: SourceFile, spec: LookupSpec) -> dict[str, Any]:
        fmt = file_format(file.name, self._source.format)
        records = spec.section if fmt == "json" else None
        table: dict[str, Any] = {}
        for record in open_table(TableSource(file, fmt, records=records), self._source, {}):
            if not record.usable or (spec.where is not None and not passes(spec.where, record.get)):
                continue
            key = record.get(spec.key)
            if is_empty(key):
                continue
            value = dict(record.values) if spec.value == "" else record.get(spec.value)
            table.setdefault(key_text(key), value)
        return table
