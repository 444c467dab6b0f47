"""Jira's CSV export ("Export → CSV (all fields)" or "(current fields)") → one record per issue.

Why code and not only mapping keys: Jira Cloud names a person by display name in the
``Assignee``/``Reporter``/``Creator``/``Watchers`` columns, with the account id in a twin ``… Id``
column — but by account id *only* inside the ``Comment``, ``Attachment`` and ``Log Work`` cells.
Giving every person both (so that ``users.match: [name]`` finds "Alice Anderson" in Tracker, and
``users.map`` can still name an account id) needs a pass over the whole file first. And Cloud's
one ``Parent`` column holds the parent's issue id for a sub-task *and* for an epic's child; which
one it is depends on the child's type, and the id has to become a key (link columns hold keys).

A record holds every column as the CSV reader gives it (a repeated header as the list of its
non-empty cells), so the mapping reads ``Summary``, ``Custom field (Team)`` or the link columns
by their headers, plus ``id``, ``key`` and ``jira``, what this adapter derives:

=======================  ======================================================================
``id``, ``key``          ``Issue id`` / ``Issue key`` (or their Spanish headers)
``jira.assignee``,       ``{accountId, displayName}`` from a column and its ``… Id`` twin (Cloud);
``.reporter``,           ``{login}`` when the file has no ``… Id`` columns (Server: user names)
``.creator``
``jira.watchers``        the same, ``Watchers`` zipped with ``Watchers Id``
``jira.comments``        ``Comment`` cells ``date;person;text``: ``{created, author, text}``
``jira.attachments``     ``Attachment`` cells ``date;person;file name;URL``: ``{id, created,
                         author, filename, url}`` (``id`` from the URL; a ``;`` in the name kept)
``jira.worklogs``        ``Log Work`` cells ``description;started;person;seconds``: ``{comment,
                         started, author, seconds}``
``jira.parent``          ``[{to, relationship}]``: ``to`` = the parent's key (from its id when the
                         parent is in the file, else ``Parent key``, else the id);
                         ``relationship`` = ``Parent (<this issue's type>)`` — the mapping's
                         ``values.link`` says which types are sub-tasks (``is subtask for``) and
                         which are an epic's children (``has epic``); and the old ``Custom field
                         (Epic Link)`` as ``Epic Link`` (its id made a key too)
=======================  ======================================================================

A person in a cell is ``{accountId, displayName}`` when some column pair named that account id,
``{accountId}`` when none did, and absent when the cell names nobody (a deleted user on Server:
``16/Feb/17 3:29 PM;;text``). A cell that does not fit its layout is a ``cell.pattern_mismatch``
note (error) naming the column; the cell is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.jira_common import EPIC_LINK, parent_by_type, person
from migrator.sources.csv_reader import read_csv
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Note, Record, is_empty
from migrator.sources.spec import SourceSpec

# Header spellings: English (Server and Cloud), then Spanish. Others: add them here.
ID = ("Issue id", "ID de la incidencia")
KEY = ("Issue key", "Clave de incidencia")
TYPE = ("Issue Type", "Tipo de Incidencia")
PARENT = ("Parent", "Parent id", "ID del padre")
PARENT_KEY = ("Parent key",)
EPIC = ("Custom field (Epic Link)", "Campo personalizado (Epic Link)")
COMMENT = ("Comment", "Comentario")
ATTACHMENT = ("Attachment", "Archivo adjunto")
WORKLOG = ("Log Work", "Registro de trabajo")
PEOPLE = {
    "assignee": ("Assignee", "Responsable"),
    "reporter": ("Reporter", "Informador"),
    "creator": ("Creator", "Creador"),
}
WATCHERS = ("Watchers", "Observadores")
ID_SUFFIXES = (" Id", "Id")  # "Assignee Id"; a user picker custom field: "Custom field (Tester)Id"


class JiraCsvAdapter(Adapter):
    name = "jira_csv"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        for file in given.files:
            yield from JiraCsv(file, self.source).records()


@dataclass
class _Export:
    """What the whole file says about its issues and people (the pre-pass)."""

    people: dict[str, str] = field(default_factory=dict)  # account id → display name
    keys: dict[str, str] = field(default_factory=dict)  # issue id → key
    cloud: bool = False  # the file has "… Id" columns: cells name account ids


class JiraCsv:
    """One CSV export file, read twice: people and keys first, then one record per row."""

    def __init__(self, file: SourceFile, source: SourceSpec) -> None:
        self.file = file
        self.source = source

    def _rows(self) -> Iterator[Record]:
        path = self.file.local_path()
        rows = read_csv(
            path,
            encoding=self.source.encoding,
            delimiter=self.source.delimiter,
            wanted={},
            limits=self.source.limits,
        )
        for record in rows:
            record.file = self.file.label
            yield record

    def records(self) -> Iterator[Record]:
        export = self._scan()
        for record in self._rows():
            values = dict(record.values)
            notes = list(record.notes)
            values["id"], values["key"] = _first(values, ID), _first(values, KEY)
            values["jira"] = _derived(values, export, notes)
            yield Record(
                record.file,
                record.row,
                values,
                nested=True,
                notes=notes,
                usable=record.usable,
                header=tuple(values),
            )

    def _scan(self) -> _Export:
        export = _Export()
        pairs: list[tuple[str, str]] | None = None  # (people column, its account id twin): one header
        for record in self._rows():
            values = record.values
            if pairs is None:
                _check_header(self.file.label, values)
                pairs = [(n, t) for n in _people_columns(values) if (t := _twin(values, n)) is not None]
                export.cloud = bool(pairs)
            for name, twin in pairs:
                for account, display in zip(_cells(values, twin), _cells(values, name), strict=False):
                    export.people.setdefault(account.strip(), display.strip())
            ident, key = _first(values, ID), _first(values, KEY)
            if ident and key:
                export.keys.setdefault(ident, key)
        return export


def _check_header(label: str, values: Mapping[str, Any]) -> None:
    missing = [names for names in (ID, KEY) if not any(n in values for n in names)]
    if missing:
        wanted = "; ".join(" or ".join(repr(n) for n in names) for names in missing)
        raise MigratorError(
            f"{label}: not a Jira CSV export — no column {wanted} in the header",
            hint="export from the issue navigator with Export → CSV (all fields); "
            "a header in another language needs its names added to the jira_csv adapter",
        )


def _people_columns(values: Mapping[str, Any]) -> list[str]:
    """Columns holding people that have an account-id twin (or could: the known people columns)."""
    known = [n for names in (*PEOPLE.values(), WATCHERS) for n in names if n in values]
    pickers = [
        n for n in values if n.startswith(("Custom field (", "Campo personalizado (")) and _twin(values, n)
    ]
    return [*known, *(p for p in pickers if p not in known)]


def _twin(values: Mapping[str, Any], name: str) -> str | None:
    return next((name + s for s in ID_SUFFIXES if name + s in values), None)


def _derived(values: Mapping[str, Any], export: _Export, notes: list[Note]) -> dict[str, Any]:
    people = _People(export)
    out: dict[str, Any] = {}
    for role, names in PEOPLE.items():
        column = _column(values, names)
        found = people.of_column(values, column) if column else []
        out[role] = found[0] if found else None
    watchers = _column(values, WATCHERS)
    out["watchers"] = people.of_column(values, watchers) if watchers else []
    out["comments"] = _comments(values, people, notes)
    out["attachments"] = _attachments(values, people, notes)
    out["worklogs"] = _worklogs(values, people, notes)
    out["parent"] = _parent(values, export)
    return out


@dataclass
class _People:
    export: _Export

    def of_column(self, values: Mapping[str, Any], column: str) -> list[dict[str, str]]:
        """The people of a column, each with its account id when the twin column has it."""
        names = _cells(values, column)
        twin = _twin(values, column)
        if twin is None:
            found = [person(name, cloud=False) for name in names]
        elif len(ids := _cells(values, twin)) != len(names):  # a deleted account lost its name: trust ids
            found = [self.in_cell(account) for account in ids]
        else:
            found = [person(a, n, cloud=True) for a, n in zip(ids, names, strict=True)]
        return [p for p in found if p is not None]

    def in_cell(self, value: str) -> dict[str, str] | None:
        """A person named in a Comment/Attachment/Log Work cell: an account id (Cloud) or a user
        name (Server), with the display name some column pair gave it."""
        value = value.strip()
        return person(value, self.export.people.get(value), cloud=self.export.cloud)


def _comments(values: Mapping[str, Any], people: _People, notes: list[Note]) -> list[dict[str, Any]]:
    out = []
    for column, cell in _layout_cells(values, COMMENT):
        parts = cell.split(";", 2)
        if len(parts) < 3:
            notes.append(_mismatch(column, cell, "<date>;<person>;<text>"))
            continue
        created, author, text = parts
        out.append({"created": created.strip(), "author": people.in_cell(author), "text": text})
    return out


def _attachments(values: Mapping[str, Any], people: _People, notes: list[Note]) -> list[dict[str, Any]]:
    out = []
    for column, cell in _layout_cells(values, ATTACHMENT):
        parts = cell.split(";", 2)
        if len(parts) < 3 or ";" not in parts[2]:
            notes.append(_mismatch(column, cell, "<date>;<person>;<file name>;<URL>"))
            continue
        created, author, rest = parts
        filename, url = rest.rsplit(";", 1)  # a file name may hold ';', a URL never does
        out.append(
            {
                "id": _attachment_id(url.strip()),
                "created": created.strip(),
                "author": people.in_cell(author),
                "filename": filename,
                "url": url.strip(),
            }
        )
    return out


def _attachment_id(url: str) -> str | None:
    """Jira's attachment id: ``…/attachment/content/<id>`` (Cloud) or ``…/attachment/<id>/<name>``."""
    segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "content":
        return segments[-1]
    if len(segments) >= 3 and segments[-3] == "attachment":
        return segments[-2]
    return None


def _worklogs(values: Mapping[str, Any], people: _People, notes: list[Note]) -> list[dict[str, Any]]:
    out = []
    for column, cell in _layout_cells(values, WORKLOG):
        parts = cell.rsplit(";", 3)  # the description comes first and may hold ';'
        if len(parts) < 4:
            notes.append(_mismatch(column, cell, "<description>;<started>;<person>;<seconds>"))
            continue
        comment, started, author, seconds = parts
        out.append(
            {
                "comment": comment,
                "started": started.strip(),
                "author": people.in_cell(author),
                "seconds": seconds.strip(),
            }
        )
    return out


def _parent(values: Mapping[str, Any], export: _Export) -> list[dict[str, str]]:
    """The parent (by the child's type) and the epic of the old Epic Link field, as keys."""
    out = []
    ident = _first(values, PARENT)
    if ident:
        key = export.keys.get(ident) or _first(values, PARENT_KEY) or ident
        out.append(parent_by_type(key, _first(values, TYPE)))
    epic = _first(values, EPIC)
    if epic:  # the epic's key (Server), on some sites its issue id
        out.append({"to": export.keys.get(epic, epic), "relationship": EPIC_LINK})
    return out


def _layout_cells(values: Mapping[str, Any], names: Sequence[str]) -> Iterator[tuple[str, str]]:
    column = _column(values, names)
    if column is not None:
        for cell in _cells(values, column):
            yield column, cell


def _mismatch(column: str, cell: str, layout: str) -> Note:
    return Note(
        "cell.pattern_mismatch",
        f"a {column!r} cell does not read as {layout}; it is skipped",
        field=column,
        value=cell[:200],
        hint="fix the cell in the export (Jira writes one value per column)",
        severity=Severity.ERROR,
    )


def _column(values: Mapping[str, Any], names: Sequence[str]) -> str | None:
    return next((n for n in names if n in values), None)


def _cells(values: Mapping[str, Any], column: str) -> list[str]:
    """The non-empty cells of a column, as written (a comment's text keeps its spaces)."""
    raw = values.get(column)
    items = raw if isinstance(raw, list) else [raw]
    return [str(item) for item in items if not is_empty(item)]


def _first(values: Mapping[str, Any], names: Sequence[str]) -> str | None:
    column = _column(values, names)
    cells = _cells(values, column) if column else []
    return cells[0].strip() if cells else None
