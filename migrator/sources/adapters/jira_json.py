"""Jira's REST JSON (``/rest/api/3/search/jql`` pages, v2/v3 ``search``, a list of issues or one
``/issue/{key}``), with the ``/rest/api/3/field`` list beside it → one record per issue.

Why code and not only paths: custom fields are keyed by instance-specific ids
(``customfield_10016`` is "Story point estimate" on one site and something else on the next); only
``/field`` (or ``expand=names``) names them, so a mapping cannot say ``customfield_10016`` and be
right anywhere else. ``fields.issuelinks`` lists each link with either an ``outwardIssue`` or an
``inwardIssue``, the direction being which key is there; ``fields.parent`` is a sub-task's parent
or an epic (``issuetype.subtask``, the parent's ``hierarchyLevel``) and an old site names the epic
in its Epic Link field instead — links, parent and epic have to reach the mapping as one list. And
a search page embeds at most the first 20 work logs (and comments can be cut too): that has to be
*said*, not imported as if complete.

The issue objects are kept as they are (``key``, ``fields.summary``, ``fields.status.name``,
``fields.description`` as an Atlassian Document Format object…), plus ``jira``:

=======================  ======================================================================
``jira.parent``          a sub-task's parent key (``issuetype.subtask``): the canonical parent
``jira.links``           ``{to, relationship}``: ``fields.issuelinks`` as ``<type> (outward)`` /
                         ``<type> (inward)``, any other parent as ``Parent (epic)`` (the parent's
                         ``hierarchyLevel`` 1, or unknown) or ``Parent (level N)``, the old Epic
                         Link as ``Epic Link``
``jira.custom``          custom field values by name: ``jira.custom.Story point estimate``;
                         an option ``{value}`` → its value, a sprint ``{name}`` → its name; a field
                         no ``/field`` file or ``names`` map names stays under its id
``jira.worklogs``        ``fields.worklog.worklogs``, each ``comment`` (ADF) as plain text
``jira.environment``     ``fields.environment`` as plain text (v3 writes it as ADF)
=======================  ======================================================================

Files: every issues file given is read by its shape — a page (``{"issues": [...]}``, with or
without ``total``/``nextPageToken``), a list of issues, one issue, or a field list (``[{id, name,
schema…}]``: used for names, not read as issues). Pages are streamed (``ijson``). Notes:
``jira.comments_truncated`` / ``jira.worklogs_truncated`` (warning) when ``total`` says there are
more than the page holds — fetch ``/rest/api/3/issue/{key}/comment`` (``/worklog``) and put them
in the issue's ``fields.comment.comments`` (``fields.worklog.worklogs``); ``jira.field_names_missing``
(warning, once) when custom fields appear and nothing names them; ``jira.wiki_markup_body``
(error, once) when ``source.markup`` is ``adf`` but the descriptions are wiki markup text (a v2
page) — converting them as ADF would import them as escaped plain text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import ijson

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits, TooDeep
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.jira_common import EPIC_LINK, EPIC_LINK_KEY, link
from migrator.sources.inputs import SourceFile
from migrator.sources.json_reader import json_bytes, read_json
from migrator.sources.records import Note, Record, is_empty

CUSTOM_PREFIX = "customfield_"
_PEEK_EVENTS = 64


class JiraJsonAdapter(Adapter):
    name = "jira_json"
    companions = ("field*.json",)  # GET /rest/api/3/field: custom field names, not issues

    def records(self, given: AdapterInput) -> Iterator[Record]:
        limits = self.source.limits
        shapes = [(file, _shape(file, given.encoding, limits)) for file in given.files]
        fields = _FieldNames()
        for file, shape in shapes:
            if shape == "fields":
                fields.add_list(_field_list(file, given.encoding, limits))
        given_labels = {f.label for f in given.files}
        for extra in given.export.find("field*.json"):  # a /field file another table claimed
            if extra.label not in given_labels and _shape(extra, given.encoding, limits) == "fields":
                fields.add_list(_field_list(extra, given.encoding, limits))
        told, told_wiki = False, False
        for file, shape in shapes:
            if shape == "fields":
                continue
            if shape == "page":
                fields.add_names(_names(file, given.encoding, limits))
            for record in _issues(file, shape, given.encoding, limits):
                values = dict(record.values)
                notes = list(record.notes)
                values["jira"] = _derived(values, fields, notes)
                if not told and fields.unnamed(values):
                    told = True
                    notes.append(_unnamed_note(fields.unnamed(values)))
                if not told_wiki and self.source.markup == "adf" and _wiki_body(values):
                    told_wiki = True
                    notes.append(_WIKI_NOTE)
                yield Record(record.file, record.row, values, nested=True, notes=notes, usable=record.usable)


class _FieldNames:
    """Custom field id → name (and which one is the old Epic Link), from /field or ``names``."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.epic_link: set[str] = set()

    def add_list(self, data: Any) -> None:
        for item in data if isinstance(data, list) else []:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item.get("name"):
                self.names.setdefault(item["id"], str(item["name"]))
                schema = item.get("schema")
                if isinstance(schema, Mapping) and schema.get("custom") == EPIC_LINK_KEY:
                    self.epic_link.add(item["id"])

    def add_names(self, names: Mapping[str, Any]) -> None:
        for ident, name in names.items():
            if isinstance(name, str):
                self.names.setdefault(ident, name)
                if name == EPIC_LINK:
                    self.epic_link.add(ident)

    def unnamed(self, values: Mapping[str, Any]) -> list[str]:
        found = values.get("fields")
        keys = found.keys() if isinstance(found, Mapping) else []
        return sorted(k for k in keys if k.startswith(CUSTOM_PREFIX) and k not in self.names)


def _unnamed_note(ids: list[str]) -> Note:
    return Note(
        "jira.field_names_missing",
        f"custom fields are known only by id ({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''}): "
        "the mapping's jira.custom.<name> paths cannot find them",
        hint="save GET /rest/api/3/field as field.json next to the pages (or search with expand=names)",
        severity=Severity.WARNING,
    )


def _wiki_body(values: Mapping[str, Any]) -> bool:
    """A REST v2 page: the description is wiki markup text, not an ADF document."""
    found = values.get("fields")
    body = found.get("description") if isinstance(found, Mapping) else None
    return isinstance(body, str) and bool(body.strip())


_WIKI_NOTE = Note(
    "jira.wiki_markup_body",
    "descriptions are Jira wiki markup (a REST v2 page), not Atlassian Document Format",
    field="fields.description",
    hint="set source.markup: jira for pages of /rest/api/2 (ADF bodies come from /rest/api/3)",
    severity=Severity.ERROR,
)


def _derived(values: Mapping[str, Any], fields: _FieldNames, notes: list[Note]) -> dict[str, Any]:
    raw = values.get("fields")
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    key = str(values.get("key") or values.get("id") or "")
    for part, what in (("comment", "comments"), ("worklog", "worklogs")):
        holder = data.get(part)
        if isinstance(holder, Mapping) and isinstance(holder.get(what), list):
            total, held = holder.get("total"), len(holder[what])
            if isinstance(total, int) and total > held:
                notes.append(_truncated(key, part, what, held, total))
    return {
        "parent": _subtask_parent(data),
        "environment": _plain(data.get("environment")),  # v3: an ADF document, v2: text
        "links": _links(data, fields),
        "custom": {
            fields.names.get(k, k): _plain(v)
            for k, v in data.items()
            if k.startswith(CUSTOM_PREFIX) and not is_empty(v)
        },
        "worklogs": [_worklog(w) for w in _at_list(data, "worklog", "worklogs")],
    }


def _truncated(key: str, part: str, what: str, held: int, total: int) -> Note:
    return Note(
        f"jira.{what}_truncated",
        f"the export holds {held} of the issue's {total} {what}; the others are not imported",
        field=f"fields.{part}.{what}",
        value=f"{held}/{total}",
        hint=f"fetch GET /rest/api/3/issue/{key}/{part} (all pages) and put the {what} in fields.{part}.{what}",
        severity=Severity.WARNING,
    )


def _links(data: Mapping[str, Any], fields: _FieldNames) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in data.get("issuelinks") or []:
        if not isinstance(item, Mapping):
            continue
        name = str((item.get("type") or {}).get("name") or "")
        for side in ("outward", "inward"):
            other = item.get(f"{side}Issue")
            if isinstance(other, Mapping) and other.get("key"):
                out.append(link(name, side, str(other["key"])))
    parent = data.get("parent")
    if isinstance(parent, Mapping) and parent.get("key") and not _is_subtask(data):
        out.append({"to": str(parent["key"]), "relationship": _parent_kind(parent)})
    for ident in sorted(fields.epic_link):
        epic = data.get(ident)
        if isinstance(epic, str) and epic.strip():
            out.append({"to": epic.strip(), "relationship": EPIC_LINK})
    return out


def _is_subtask(data: Mapping[str, Any]) -> bool:
    own = data.get("issuetype")
    return isinstance(own, Mapping) and own.get("subtask") is True


def _subtask_parent(data: Mapping[str, Any]) -> str | None:
    """A sub-task's parent key: the canonical parent (Tracker's "is subtask for")."""
    parent = data.get("parent")
    if _is_subtask(data) and isinstance(parent, Mapping) and parent.get("key"):
        return str(parent["key"])
    return None


def _parent_kind(parent: Mapping[str, Any]) -> str:
    """``Parent (epic)`` / ``Parent (level N)``: what a standard issue's (or an epic's) parent is."""
    level = ((parent.get("fields") or {}).get("issuetype") or {}).get("hierarchyLevel")
    if level == 1:
        return "Parent (epic)"
    if isinstance(level, int):
        return f"Parent (level {level})"
    return "Parent (epic)"  # a standard issue's parent on Cloud is its epic


def _worklog(item: Any) -> Any:
    if not isinstance(item, Mapping):
        return item
    out = dict(item)
    if isinstance(out.get("comment"), Mapping):
        out["comment"] = adf_text(out["comment"])
    return out


def adf_text(node: Any) -> str:
    """The plain text of an Atlassian Document Format node: its text leaves, a line per block."""
    if not isinstance(node, Mapping):
        return ""
    if node.get("type") == "text":
        return str(node.get("text") or "")
    if node.get("type") == "hardBreak":
        return "\n"
    attrs = node.get("attrs")
    if node.get("type") == "mention" and isinstance(attrs, Mapping):
        return str(attrs.get("text") or "")
    parts = [adf_text(child) for child in node.get("content") or []]
    inline = all(isinstance(c, Mapping) and c.get("type") in _INLINE for c in node.get("content") or [])
    return "".join(parts) if inline else "\n".join(p for p in parts if p)


_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"}


def _plain(value: Any) -> Any:
    """An option ``{value}`` → its value; a sprint or version ``{name}`` → its name; a rich text
    field (an ADF document) → its plain text; lists item by item."""
    if isinstance(value, list):
        return [_plain(v) for v in value if not is_empty(v)]
    if isinstance(value, Mapping) and value.get("type") == "doc":
        return adf_text(value)
    if isinstance(value, Mapping) and "accountId" not in value:
        for key in ("value", "name"):
            if not is_empty(value.get(key)):
                return value[key]
    return value


def _at_list(data: Mapping[str, Any], *keys: str) -> list[Any]:
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, list) else []


# -- files --------------------------------------------------------------------------------------


def _shape(file: SourceFile, encoding: str, limits: Limits) -> str:
    """``page`` ({"issues": …}), ``issues`` (a list of issues), ``issue`` (one), ``fields`` (/field)."""
    events = []
    try:
        with json_bytes(file.local_path(), encoding, limits) as stream:
            for event in ijson.parse(stream):
                events.append(event)
                if len(events) >= _PEEK_EVENTS:
                    break
    except (ijson.JSONError, TooDeep) as exc:
        raise _unreadable(file, exc) from None
    top = events[0][1] if events else None
    keys = {value for prefix, event, value in events if event == "map_key" and prefix in ("", "item")}
    if top == "start_map" and "issues" in keys:
        return "page"
    if top == "start_map" and {"key", "fields"} <= keys:
        return "issue"
    if top == "start_array" and "fields" in keys:
        return "issues"
    if top == "start_array" and keys & {"schema", "clauseNames", "custom"}:
        return "fields"
    raise MigratorError(
        f'{file.label}: not a Jira REST export (neither a search page {{"issues": […]}}, issues, '
        "nor a /field list)",
        hint="save the responses of GET /rest/api/3/search/jql?fields=*all and GET /rest/api/3/field",
    )


def _issues(file: SourceFile, shape: str, encoding: str, limits: Limits) -> Iterator[Record]:
    records = "issues" if shape == "page" else ""
    for record in read_json(file.local_path(), encoding=encoding, records=records, limits=limits):
        record.file = file.label
        yield record


def _names(file: SourceFile, encoding: str, limits: Limits) -> Mapping[str, Any]:
    """The ``names`` map of a page searched with ``expand=names`` (empty without it)."""
    try:
        with json_bytes(file.local_path(), encoding, limits) as stream:
            for found in ijson.items(stream, "names"):
                return found if isinstance(found, Mapping) else {}
    except (ijson.JSONError, TooDeep) as exc:
        raise _unreadable(file, exc) from None
    return {}


def _unreadable(file: SourceFile, exc: Exception) -> MigratorError:
    if isinstance(exc, TooDeep):
        return MigratorError(f"{file.label}: the JSON is {exc}", hint=exc.hint)
    return MigratorError(f"{file.label}: not valid JSON ({exc})", hint="save the API response as it came")


def _field_list(file: SourceFile, encoding: str, limits: Limits) -> list[Any]:
    """The items of a /field list, read like any JSON table (streamed, within ``limits``)."""
    return [
        dict(record.values)
        for record in read_json(file.local_path(), encoding=encoding, records="", limits=limits)
    ]
