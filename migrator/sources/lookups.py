"""Lookup tables: ids joined to a second file, or to a section of the same JSON document.

``lookup: {file: project_members.ndjson, key: user_id, value: user}`` (GitLab authors),
``lookup: {section: members, key: id, value: ""}`` (Trello: the board's ``members`` array, in the
file the cards come from). A table is read once, when first needed, into a dict id → value: lookup
tables are small (members, lists, labels), the exports they serve are not.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError
from migrator.sources.filters import passes
from migrator.sources.records import is_empty, key_text
from migrator.sources.spec import LookupSpec, SourceSpec, field_specs
from migrator.sources.tables import TableSource, file_format, open_table


class Lookups:
    def __init__(self, source: SourceSpec, paths: Sequence[Path]) -> None:
        self._source = source
        self._paths = list(paths)
        self._by_name = {p.name: p for p in reversed(self._paths)}
        self._tables: dict[tuple[Path, LookupSpec], dict[str, Any]] = {}
        self.claimed = self._check_files()

    def table(self, spec: LookupSpec, file: str) -> Mapping[str, Any] | None:
        """The id → value table of ``spec``; ``file`` is the name of the file being read (where a
        ``section`` without ``file`` lives). None when that file is not a SOURCE file."""
        path = self._file(spec) if spec.file else self._by_name.get(file)
        if path is None:
            return None
        cache_key = (path, spec)
        if cache_key not in self._tables:
            self._tables[cache_key] = self._load(path, spec)
        return self._tables[cache_key]

    def _check_files(self) -> set[Path]:
        """The SOURCE files lookups read (they are not issue files); a ``file`` glob matching none
        of them is an error now, before anything is read."""
        claimed: set[Path] = set()
        for label, _, spec in field_specs(self._source):
            if spec.lookup is None or spec.lookup.file is None:
                continue
            matched = [p for p in self._paths if fnmatch.fnmatch(p.name, spec.lookup.file)]
            if not matched:
                names = ", ".join(p.name for p in self._paths)
                raise MigratorError(
                    f"{label}.lookup.file {spec.lookup.file!r} matches none of the SOURCE files ({names})",
                    hint="pass the lookup file as a SOURCE too, or fix the pattern",
                )
            claimed.update(matched)
        return claimed

    def _file(self, spec: LookupSpec) -> Path:
        return next(p for p in self._paths if fnmatch.fnmatch(p.name, spec.file or ""))

    def _load(self, path: Path, spec: LookupSpec) -> dict[str, Any]:
        fmt = file_format(path, self._source.format)
        records = spec.section if fmt == "json" else None
        table: dict[str, Any] = {}
        for record in open_table(TableSource(path, fmt, records=records), self._source, {}):
            if not record.usable or (spec.where is not None and not passes(spec.where, record.get)):
                continue
            key = record.get(spec.key)
            if is_empty(key):
                continue
            value = dict(record.values) if spec.value == "" else record.get(spec.value)
            table.setdefault(key_text(key), value)
        return table
