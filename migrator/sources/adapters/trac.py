"""A Trac JSON-RPC dump → one record per ticket (adapter ``trac``).

Trac has no JSON export of its own; a migration script asks the TracXMLRPC plugin's JSON-RPC
endpoint (``/login/jsonrpc``) and saves one object per ticket — ``{"id": 411, "get":
ticket.get(411), "changeLog": ticket.changeLog(411), "listAttachments":
ticket.listAttachments(411)}`` — in a JSON array (several files, or pages back to back, are read
alike). Files exported with ``trac-admin <env> attachment export ticket:<id> <name>`` into
``attachments/ticket/<id>/<name>``.

Why code: the answers are positional arrays (``get`` = ``[id, created, changed, attributes]``; a
change = ``[time, author, field, old, new, permanent]``; an attachment = ``[name, description,
size, time, author]``), dates are ``{"__jsonclass__": ["datetime", "…"]}`` (UTC: the RPC
plugin converts them), comments are change rows grouped with the field changes made at the same
moment, and links come from plugin fields (``blockedby``/``blocking`` of MasterTickets,
``parents`` of Subtickets) and from a duplicate's comment (``Duplicate of #415``).

A record: every ticket attribute as Trac names it (``summary``, ``description``, ``status``,
``type``, ``priority``, ``milestone``, ``component``, ``version``, ``resolution``, ``reporter``,
``owner``, custom fields…; dates as ISO 8601 UTC with ``Z``), plus ``id``/``key`` (the ticket
number as text), ``time``/``changetime``, ``cc_list`` and ``keyword_list`` (the free-text lists
split), ``changesets`` (``{id, author, created_at, text, changes[{field, old, new}]}``: one per
moment something changed, oldest first — a comment has ``text``; Trac writes an empty comment with
every change), ``files`` (``{id, name, description, size, path, created_at, author}``, ``path`` =
``ticket/<id>/<name>``), ``relations`` (``{to, relationship}``: ``blocked_by``, ``blocking``,
``duplicate_of``, ``parent`` for a second parent) and ``parent`` (the first parent ticket).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from migrator.findings import Severity
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import JsonLoader, named
from migrator.sources.records import Note, Record

HINT = (
    'save one object per ticket: {"id", "get": ticket.get, "changeLog": ticket.changeLog, "listAttachments"}'
)
_TICKETS = "*.json"
_LIST = re.compile(r"[\s,]+")
_TICKET_IDS = re.compile(r"#?(\d+)")
_DUPLICATE = re.compile(r"\bdup(?:licate)?\s+of\s+(?:#|ticket:)(\d+)", re.IGNORECASE)


class TracAdapter(Adapter):
    name = "trac"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        loader = JsonLoader(given.encoding, self.source.limits, HINT)
        for file in named(given.files, _TICKETS):
            for row, ticket in enumerate(loader.objects(file), start=1):
                values, notes = _record(ticket)
                notes = loader.notes() + notes if row == 1 else notes
                if values is None:
                    yield Record(
                        file.label, row, {"id": f"row {row}"}, nested=True, notes=notes, usable=False
                    )
                else:
                    yield Record(file.label, row, values, nested=True, notes=notes)


def rpc_value(value: Any) -> Any:
    """A JSON-RPC value decoded: ``{"__jsonclass__": ["datetime", "2025-01-19T22:00:00"]}`` →
    ``"2025-01-19T22:00:00Z"`` (the plugin sends UTC); anything else as it is."""
    if isinstance(value, dict) and isinstance(value.get("__jsonclass__"), list):
        parts = value["__jsonclass__"]
        kind = parts[0] if parts else None
        text = str(parts[1]) if len(parts) > 1 and parts[1] is not None else ""
        if kind == "datetime" and text:
            return text if text.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", text) else text + "Z"
        return text or None
    return value


def _record(ticket: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Note]]:
    got = ticket.get("get")
    if not isinstance(got, list) or len(got) < 4 or not isinstance(got[3], dict):
        note = Note(
            "trac.no_ticket",
            "the entry has no ticket.get answer ([id, created, changed, attributes]); it is skipped",
            field="get",
            hint=HINT,
        )
        return None, [note]
    key = str(got[0] if got[0] is not None else ticket.get("id"))
    attributes = {name: rpc_value(value) for name, value in got[3].items()}
    changesets = _changesets(ticket.get("changeLog"), key)
    parents = _ids(attributes.get("parents"))
    relations = [
        *({"to": other, "relationship": "blocked_by"} for other in _ids(attributes.get("blockedby"))),
        *({"to": other, "relationship": "blocking"} for other in _ids(attributes.get("blocking"))),
        *({"to": other, "relationship": "parent"} for other in parents[1:]),
        *_duplicate(attributes, changesets),
    ]
    record = dict(attributes)
    record.update(
        id=key,
        key=key,
        time=rpc_value(got[1]) or attributes.get("time"),
        changetime=rpc_value(got[2]) or attributes.get("changetime"),
        cc_list=_items(attributes.get("cc")),
        keyword_list=_items(attributes.get("keywords")),
        changesets=changesets,
        files=_files(ticket.get("listAttachments"), key),
        relations=[r for r in relations if r["to"] != key],
        parent=parents[0] if parents else None,
    )
    return record, _notes(ticket, key)


def _changesets(log: Any, key: str) -> list[dict[str, Any]]:
    """Change rows grouped by (time, author), oldest first; the comment row gives the text."""
    sets: dict[tuple[str, str], dict[str, Any]] = {}
    for row in log if isinstance(log, list) else []:
        if not isinstance(row, list) or len(row) < 5:
            continue
        when, author, field, old, new = (
            str(rpc_value(row[0]) or ""),
            str(row[1] or ""),
            row[2],
            row[3],
            row[4],
        )
        entry = sets.setdefault(
            (when, author), {"id": when, "author": author, "created_at": when, "text": "", "changes": []}
        )
        if field == "comment":
            entry["text"] = str(new or "")
            entry["id"] = f"{when}#{old}" if old else when
        else:
            entry["changes"].append({"field": field, "old": old, "new": new})
    return sorted(sets.values(), key=lambda e: (e["created_at"], e["id"]))


def _files(listing: Any, key: str) -> list[dict[str, Any]]:
    out = []
    for row in listing if isinstance(listing, list) else []:
        if not isinstance(row, list) or not row or not row[0]:
            continue
        name = str(row[0])
        padded = [*row, None, None, None, None][:5]
        out.append(
            {
                "id": name,
                "name": name,
                "description": padded[1],
                "size": padded[2],
                "created_at": rpc_value(padded[3]),
                "author": padded[4],
                "path": f"ticket/{key}/{name}",
            }
        )
    return out


def _duplicate(attributes: dict[str, Any], changesets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A ticket closed as a duplicate names the other one only in a comment (Trac has no field)."""
    if str(attributes.get("resolution") or "").casefold() != "duplicate":
        return []
    for entry in reversed(changesets):
        match = _DUPLICATE.search(entry["text"])
        if match is not None:
            return [{"to": match.group(1), "relationship": "duplicate_of", "created_at": entry["created_at"],
                     "author": entry["author"]}]  # fmt: skip
    return []


def _ids(value: Any) -> list[str]:
    return [m.group(1) for m in _TICKET_IDS.finditer(str(value or ""))]


def _items(value: Any) -> list[str]:
    return [item for item in _LIST.split(str(value or "")) if item]


def _notes(ticket: dict[str, Any], key: str) -> list[Note]:
    if "changeLog" in ticket:
        return []
    return [
        Note(
            "trac.no_changelog",
            f"ticket {key} has no changeLog: its comments are not in the export",
            field="changeLog",
            hint=HINT,
            severity=Severity.WARNING,
        )
    ]
