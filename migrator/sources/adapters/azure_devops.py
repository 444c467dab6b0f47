"""Azure DevOps Boards query results exported as CSV → one record per work item, with its parent.

Why code: a *tree* query ("Tree of work items", Parent/Child) has no parent column. The hierarchy
is the column the title sits in — ``Title 1`` for a top-level item, ``Title 2`` for its children,
and so on — and a work item's parent is the nearest row *above* it with a smaller depth. That
depends on the rows before, which a mapping (one row at a time) cannot see. A flat query (a single
``Title`` column) gives items without parents — unless it has the ``Parent`` column (the parent's
ID), which any query may show and which wins over the depth when both are there. The parent's type
is looked up among all rows of the file (a first pass reads ID and type only).

Each record holds every column of the row under its header (``ID``, ``Work Item Type``,
``Assigned To``, ``State``, ``Created Date``, …; read them with the header as the path) and:

==================  ============================================================================
``id``              the ``ID`` column
``title``           the title, from whichever ``Title N`` column holds it (or ``Title``)
``depth``           N of that column (1 = top level; 1 for a flat query)
``parent``          the ``Parent`` column, else the ID of the nearest row above with a smaller
                    depth (absent at depth 1)
``parent_type``     the parent's ``Work Item Type`` (empty when the parent is not in the file)
``hierarchy``       ``[{to: <parent id>, relationship: "Child of <parent type>"}]`` — the mapping
                    turns "Child of Epic" into Tracker's "has epic", any other into a sub-task
==================  ============================================================================

Headers are the query's column names in the process's language; the title columns are recognised
in English (``Title 1``), Portuguese/Spanish (``Título 1``), German (``Titel 1``), French
(``Titre 1``), Italian (``Titolo 1``) and Russian (``Название 1``, ``Заголовок 1``).

Notes (findings on the record): a row with no title in any title column (``azure.no_title``,
error); a row below the top level with no row above it at a smaller depth — the query's result was
cut or sorted (``azure.parent_unknown``, warning: imported without a parent).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from migrator.findings import Severity
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.csv_reader import read_csv
from migrator.sources.records import Note, Record, is_empty

_TITLE_COLUMN = re.compile(
    r"^(?:Title|Título|Titulo|Titel|Titre|Titolo|Название|Заголовок)(?: (\d+))?$", re.I
)
_ID_COLUMNS = ("ID", "Id", "Identificação", "Identificador", "Код")
_PARENT_COLUMNS = ("Parent", "Pai", "Padre", "Übergeordnet", "Parent ID", "Родитель")
_TYPE_COLUMNS = ("Work Item Type", "Tipo de Item de Trabalho", "Tipo de elemento de trabajo", "Arbeitselementtyp", "Type d'élément de travail", "Тип рабочего элемента")  # fmt: skip


class AzureDevOpsAdapter(Adapter):
    name = "azure_devops"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        for file in given.files:
            path = file.local_path()
            types = {
                _first(r.values, _ID_COLUMNS): _first(r.values, _TYPE_COLUMNS) or ""
                for r in self._rows(path, given)
            }
            tree = Tree(file.label, {k: v for k, v in types.items() if k})
            yield from tree.records(self._rows(path, given))

    def _rows(self, path: Path, given: AdapterInput) -> Iterator[Record]:
        return read_csv(path, encoding=given.encoding, delimiter=self.source.delimiter, wanted={})


class Tree:
    """The rows of one exported query, with the stack of open ancestors (one per depth)."""

    def __init__(self, label: str, types: Mapping[str, str]) -> None:
        self.label = label
        self._types = types  # every work item's type, by ID
        self._ancestors: list[tuple[int, str, str]] = []  # (depth, id, type), depths increasing

    def records(self, rows: Iterator[Record]) -> Iterator[Record]:
        for row in rows:
            values, notes = self._item(row.values)
            yield Record(self.label, row.row, values, nested=True, notes=[*row.notes, *notes])

    def _item(self, cells: Mapping[str, Any]) -> tuple[dict[str, Any], list[Note]]:
        values: dict[str, Any] = {name: _plain(cell) for name, cell in cells.items()}
        ident, kind = _first(cells, _ID_COLUMNS), _first(cells, _TYPE_COLUMNS)
        values["id"] = ident
        depth, title = _title(cells)
        if title is None:
            return values, [
                Note(
                    "azure.no_title",
                    "the row has no title in any title column",
                    field="Title",
                    hint="export the query again with its title columns (Title 1, Title 2, …)",
                )
            ]
        values.update(title=title, depth=depth)
        while self._ancestors and self._ancestors[-1][0] >= depth:
            self._ancestors.pop()
        notes: list[Note] = []
        named = _first(cells, _PARENT_COLUMNS)
        if named is not None or self._ancestors:
            parent = named if named is not None else self._ancestors[-1][1]
            parent_type = self._types.get(parent, "")
            values.update(parent=parent, parent_type=parent_type)
            values["hierarchy"] = [{"to": parent, "relationship": f"Child of {parent_type}".strip()}]
        elif depth > 1:
            notes.append(
                Note(
                    "azure.parent_unknown",
                    f"the work item is at level {depth} but no row above it is at a level above "
                    f"{depth}: it is imported without a parent",
                    field=f"Title {depth}",
                    value=title,
                    hint="export the tree query unsorted and unfiltered, as Azure DevOps lists it",
                    severity=Severity.WARNING,
                )
            )
        self._ancestors.append((depth, ident or "", kind or ""))
        return values, notes


def _title(cells: Mapping[str, Any]) -> tuple[int, str | None]:
    """(depth, title) from the title column that holds a value (the deepest one if several do)."""
    found: tuple[int, str | None] = (1, None)
    for name, cell in cells.items():
        match = _TITLE_COLUMN.match(name)
        text = _plain(cell)
        if match is None or not isinstance(text, str) or not text.strip():
            continue
        depth = int(match.group(1) or 1)
        if found[1] is None or depth > found[0]:
            found = (depth, text.strip())
    return found


def _first(cells: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        text = _plain(cells.get(name))
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def _plain(cell: Any) -> Any:
    """A cell as JSON-like data: a repeated header's list stays a list; empty is None."""
    if isinstance(cell, list):
        return [c for c in cell if not is_empty(c)]
    return None if is_empty(cell) else cell
