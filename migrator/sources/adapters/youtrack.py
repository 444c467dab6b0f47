"""YouTrack REST API answers (``/api/issues``, ``/api/workItems``) saved as JSON → one record per issue.

Why code: YouTrack lists *every* link type on every issue as ``{direction, linkType, issues[]}``
— mostly with no issues — and the meaning of a link is the phrase of its type for its direction
(``OUTWARD`` → ``sourceToTarget``, ``INWARD`` → ``targetToSource``): a child is ``INWARD``
"subtask of" its parent, a blocked issue ``INWARD`` "depends on" its blocker. A child record of
the mapping is one element of one array, so it cannot take the phrase from the enclosing link. Work
items come from a second answer joined by the issue's readable id. The workflow fields (State,
Type, Priority, Assignee, versions, estimation…) are custom fields whose value is an enum element,
a user, a period or a list of them.

Every JSON file of the export is recognised by its content: an array (or one object) of issues
(``idReadable``), or of work items (``$type: IssueWorkItem``, or ``duration`` + ``issue``); files
under ``source.files.directory`` are never read; anything else is an error naming the file.

Each record is the issue as the API writes it (``idReadable``, ``summary``, ``description``,
``created``/``updated``/``resolved`` in epoch milliseconds, ``tags``, ``comments``, …) plus:

==================  ============================================================================
``key``             ``idReadable`` (``APP-101``); ``id`` stays the database id (``2-1101``)
``custom``          ``{<field name>: value}``: an enum/state/version → its ``name``; a user → a
                    person; a period → its ``minutes``; a list → a list of those; text → its text
``state_resolved``  the State's ``isResolved``
people              ``reporter``, ``custom.<user field>``, comment and attachment ``author``, work
                    item ``author`` become ``{id, login, name (fullName), email}``
``parent``          the issue this one is a subtask of (``INWARD`` Subtask link, or ``parent``)
``links``           ``[{to, relationship, type, direction}]``, one per linked issue, ``relationship``
                    the phrase from this issue's side (``depends on``, ``is required for``,
                    ``duplicates``, ``is duplicated by``, ``relates to``, ``parent for``, …);
                    the Subtask type is ``parent`` (child side) or left out (parent side)
``comments``        without deleted ones; ``attachments`` without removed ones, each with ``path``
                    = ``<attachment id>/<name>`` and ``comment_id``
``work_items``      ``[{id, author, date, minutes, text, type, created}]`` from the work items answer
==================  ============================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from migrator.errors import MigratorError
from migrator.limits import Limits
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import as_object, json_documents, objects
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Record

_HINT = (
    "save the answers of GET /api/issues?fields=… and GET /api/workItems?fields=… as they come "
    "(see mappings/youtrack-json.yaml for the fields)"
)
_SUBTASK_NAMES = frozenset({"subtask", "подзадача"})  # the built-in Subtask link type
_SUBTASK_PARENT_PHRASES = frozenset({"parent for", "родительская для"})


class YouTrackAdapter(Adapter):
    name = "youtrack"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        skip = self.source.files.directory
        issues: list[tuple[str, dict[str, Any]]] = []
        work_items: dict[str, list[dict[str, Any]]] = {}
        for file in given.files:
            if skip and PurePosixPath(skip.strip("/")) in PurePosixPath(file.name).parents:
                continue
            _read(file, given.encoding, self.source.limits, issues, work_items)
        positions: dict[str, int] = {}
        for label, issue in issues:
            positions[label] = positions.get(label, 0) + 1
            key = str(issue.get("idReadable") or "")
            yield Record(label, positions[label], _issue(issue, work_items.get(key, [])), nested=True)


def _read(
    file: SourceFile,
    encoding: str,
    limits: Limits,
    issues: list[tuple[str, dict[str, Any]]],
    work_items: dict[str, list[dict[str, Any]]],
) -> None:
    for document in json_documents(file, encoding, _HINT, limits):
        items = objects(document) if isinstance(document, list) else [as_object(document)]
        for item in items:
            if "idReadable" in item and "duration" not in item:
                issues.append((file.label, item))
            elif item.get("$type") == "IssueWorkItem" or ("duration" in item and "issue" in item):
                key = str(as_object(item.get("issue")).get("idReadable") or "")
                work_items.setdefault(key, []).append(item)
            else:
                raise MigratorError(
                    f"{file.label}: not a YouTrack answer of issues or work items (an object without "
                    "'idReadable' or 'duration')",
                    hint=_HINT,
                )


def _issue(issue: dict[str, Any], work_items: list[dict[str, Any]]) -> dict[str, Any]:
    values = dict(issue)
    values["id"] = str(issue.get("id") or issue.get("idReadable") or "")
    values["key"] = str(issue.get("idReadable") or "")
    values["reporter"] = _person(issue.get("reporter"))
    custom: dict[str, Any] = {}
    for field in objects(issue.get("customFields")):
        if field.get("name"):
            custom[str(field["name"])] = _value(field.get("value"))
            if field.get("$type") == "StateIssueCustomField":
                values["state_resolved"] = as_object(field.get("value")).get("isResolved")
    values["custom"] = custom
    values["tags"] = [t.get("name") for t in objects(issue.get("tags")) if t.get("name")]
    values["comments"] = [
        {**c, "author": _person(c.get("author"))}
        for c in objects(issue.get("comments"))
        if not c.get("deleted")
    ]
    values["attachments"] = [
        _attachment(a) for a in objects(issue.get("attachments")) if not a.get("removed")
    ]
    parent, links = _links(issue)
    values["parent"] = parent
    values["links"] = links
    values["work_items"] = [_work_item(w) for w in work_items]
    return values


def _links(issue: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    parent = _parent_field(issue)
    links: list[dict[str, Any]] = []
    for link in objects(issue.get("links")):
        kind = as_object(link.get("linkType"))
        direction = str(link.get("direction") or "")
        phrase = kind.get("targetToSource") if direction == "INWARD" else kind.get("sourceToTarget")
        subtask = str(kind.get("name") or "").casefold() in _SUBTASK_NAMES or (
            str(kind.get("sourceToTarget") or "").casefold() in _SUBTASK_PARENT_PHRASES
        )
        for other in objects(link.get("issues")):
            to = str(other.get("idReadable") or "")
            if not to:
                continue
            if subtask and direction == "INWARD":
                parent = parent or to
            elif not subtask:
                name = kind.get("name")
                links.append({"to": to, "relationship": phrase or name, "type": name, "direction": direction})
    return parent, links


def _parent_field(issue: dict[str, Any]) -> str | None:
    """``parent(issues(idReadable))`` of the newer API, when it was asked for."""
    for other in objects(as_object(issue.get("parent")).get("issues")):
        if other.get("idReadable"):
            return str(other["idReadable"])
    return None


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("$type") == "User" or "login" in value:
        return _person(value)
    if "minutes" in value:
        return value["minutes"]
    for key in ("name", "text", "presentation"):
        if key in value:
            return value[key]
    return value


def _person(value: Any) -> dict[str, Any] | None:
    user = as_object(value)
    if not user:
        return None
    out = {"id": user.get("id"), "login": user.get("login"), "name": user.get("fullName") or user.get("name")}
    if user.get("email"):
        out["email"] = user["email"]
    return out


def _attachment(attachment: dict[str, Any]) -> dict[str, Any]:
    comment = as_object(attachment.get("comment")).get("id")
    return {
        **attachment,
        "author": _person(attachment.get("author")),
        "path": f"{attachment.get('id')}/{attachment.get('name')}",
        "comment_id": comment,
    }


def _work_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "author": _person(item.get("author")),
        "date": item.get("date"),
        "created": item.get("created"),
        "minutes": as_object(item.get("duration")).get("minutes"),
        "text": item.get("text"),
        "type": as_object(item.get("type")).get("name"),
    }
