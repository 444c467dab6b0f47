"""Redmine REST API answers saved as JSON → one record per issue.

Why code: Redmine has no JSON export, so a migration script saves REST answers, and the same issue
comes in several of them. The list (``GET /issues.json``) cannot include journals; they come with
each issue's own answer (``GET /issues/<id>.json?include=journals,attachments,relations,children,
watchers``). People are ``{id, name}`` everywhere, their logins and e-mails only in the users answer
(``GET /users.json``, administrators only). A relation is listed on *both* issues with the same
``issue_id → issue_to_id`` direction. Time entries are a separate answer. A mapping reads one
record at a time and cannot merge these; this adapter does, and the mapping reads the result with
paths.

Every JSON file of the export is recognised by its content, whatever its name:

==========================  ======================================================================
``{"issues": [...]}``       a page of the issue list (several pages may be given)
``{"issue": {...}}``        one issue's answer (details win over the list)
``[{...issue...}, ...]``    issues (or ``{"issue": …}`` answers) collected in one array
``{"time_entries": [...]}`` spent time (``GET /time_entries.json``), joined to issues by ``issue.id``
``{"users": [...]}``        people (``GET /users.json``); also ``{"user": {...}}`` answers
==========================  ======================================================================

Files under ``source.files.directory`` (the attachments) are never read, nor are metadata answers
a script often saves beside (``projects``, ``trackers``, ``issue_statuses``, ``custom_fields``, …).
Any other JSON file is an error naming it.

Each record is the Redmine issue as the API writes it (``subject``, ``tracker.name``,
``status.name``, ``priority.name``, ``created_on``, ``custom_fields``, ``journals``, …) with:

==================  ============================================================================
``id``              the issue number, as text
``parent_id``       ``parent.id``, as text
people              ``author``, ``assigned_to``, journal ``user``, attachment ``author``,
                    ``watchers[]`` and time entry ``user`` become ``{id, name, login, email}``
                    (login and e-mail when the users answer has them; ``mail`` → ``email``)
``links``           ``[{to, relationship, delay}]`` from ``relations``, seen from this issue:
                    ``blocks`` on the blocking issue, ``blocked`` on the blocked one (also
                    ``precedes``/``follows``, ``duplicates``/``duplicated``,
                    ``copied_to``/``copied_from``, ``relates``)
``attachments``     each with ``path`` = ``<attachment id>/<filename>`` (where a download of
                    ``content_url`` usually puts it)
``time_entries``    the time entries of this issue (``hours``, ``spent_on``, ``comments``, ``user``)
``custom``          ``{<custom field name>: value}`` (a multiple field: its list of values)
==================  ============================================================================

Notes: ``redmine.no_journals`` (warning) — an issue known from the list only has no journals
(comments), relations or watchers: save its own answer too; ``redmine.time_entries_outside``
(warning, on the first record) — time entries of issues that are not in the export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import as_object, json_documents, objects
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Note, Record

_HINT = (
    "save the REST answers as they come: GET /issues.json (pages), /issues/<id>.json?include=journals,"
    "attachments,relations,children,watchers, /time_entries.json, /users.json"
)
# answers of other endpoints that an export folder often holds: not issues, skipped
_METADATA = frozenset(
    {"projects", "project", "trackers", "issue_statuses", "issue_priorities", "time_entry_activities",
     "document_categories", "custom_fields", "versions", "issue_categories", "memberships", "roles",
     "groups", "news", "wiki_pages", "queries", "files"}
)  # fmt: skip
# the relation as seen from its issue_to_id's side
_REVERSE = {
    "blocks": "blocked",
    "blocked": "blocks",
    "precedes": "follows",
    "follows": "precedes",
    "duplicates": "duplicated",
    "duplicated": "duplicates",
    "copied_to": "copied_from",
    "copied_from": "copied_to",
    "relates": "relates",
}


@dataclass(frozen=True)
class _Read:
    """An issue as one answer gives it: the file, its position there (1-based), the object."""

    label: str
    position: int
    issue: dict[str, Any]


class RedmineAdapter(Adapter):
    name = "redmine"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        answers = Answers(self.source.files.directory)
        for file in given.files:
            answers.read(file, given.encoding, self.source.limits)
        yield from answers.records()


class Answers:
    """The REST answers of one export, merged: issues by id, users by id, time entries by issue."""

    def __init__(self, attachments_dir: str | None) -> None:
        self._skip = PurePosixPath(attachments_dir.strip("/")) if attachments_dir else None
        self.listed: dict[str, _Read] = {}  # id → the list entry
        self.detailed: dict[str, _Read] = {}  # id → the issue's own answer
        self.users: dict[str, dict[str, Any]] = {}
        self.time_entries: list[dict[str, Any]] = []
        self._position = 0  # issues read so far from the current file

    def read(self, file: SourceFile, encoding: str, limits: Limits) -> None:
        if self._skip is not None and self._skip in PurePosixPath(file.name).parents:
            return
        self._position = 0
        for document in json_documents(file, encoding, _HINT, limits):
            if not self._take(file.label, document):
                raise MigratorError(
                    f"{file.label}: not a Redmine REST answer (no 'issues', 'issue', 'time_entries' or "
                    "'users' at the top level)",
                    hint=_HINT,
                )

    def _take(self, label: str, document: Any) -> bool:
        if isinstance(document, list):  # answers collected in one array
            return all(self._take_item(label, item) for item in document)
        if not isinstance(document, dict):
            return False
        known = False
        if isinstance(document.get("issues"), list):
            known = True
            for item in objects(document["issues"]):
                self._issue(label, item, self.listed)
        if isinstance(document.get("issue"), dict):
            known = True
            self._issue(label, document["issue"], self.detailed)
        if isinstance(document.get("time_entries"), list):
            known = True
            self.time_entries.extend(objects(document["time_entries"]))
        for user in [*objects(document.get("users")), *objects([document.get("user")])]:
            known = True
            self.users[str(user.get("id"))] = user
        return known or any(key in _METADATA for key in document)

    def _take_item(self, label: str, item: Any) -> bool:
        item = as_object(item)
        if any(isinstance(item.get(k), dict) for k in ("issue", "user")):
            return self._take(label, item)  # an answer ({"issue": {...}})
        if "subject" in item:
            self._issue(label, item, self.detailed)
        elif "spent_on" in item:
            self.time_entries.append(item)
        elif "login" in item:
            self.users[str(item.get("id"))] = item
        else:
            return False
        return True

    def _issue(self, label: str, issue: dict[str, Any], into: dict[str, _Read]) -> None:
        self._position += 1
        if issue.get("id") is not None:
            into[str(issue["id"])] = _Read(label, self._position, issue)

    def records(self) -> Iterator[Record]:
        ids = sorted(set(self.listed) | set(self.detailed), key=_number)
        entries = self._entries_by_issue()
        outside = sum(len(v) for k, v in entries.items() if k not in self.listed and k not in self.detailed)
        any_journals = any("journals" in read.issue for read in self.detailed.values())
        for number, ident in enumerate(ids, start=1):
            read = self._merged(ident)
            notes = self._notes(ident, read.issue, any_journals, number == 1)
            if number == 1 and outside:
                notes.append(_outside_note(outside))
            values = self._record(ident, read.issue, entries.get(ident, []))
            yield Record(read.label, read.position, values, nested=True, notes=notes)

    def _merged(self, ident: str) -> _Read:
        listed = self.listed.get(ident)
        detailed = self.detailed.get(ident)
        if detailed is None:
            assert listed is not None  # every id comes from one of the two
            return listed
        merged = {**(listed.issue if listed else {}), **detailed.issue}
        return _Read(detailed.label, detailed.position, merged)

    def _notes(self, ident: str, issue: dict[str, Any], any_journals: bool, first: bool) -> list[Note]:
        if "journals" in issue or (not any_journals and not first):
            return []
        which = "this issue" if any_journals else "any issue"
        return [
            Note(
                "redmine.no_journals",
                f"the export has no journals for {which}: comments, relations and watchers are missing",
                field="journals",
                value=ident,
                hint="save each issue's own answer: GET /issues/<id>.json?include=journals,attachments,"
                "relations,children,watchers (the list cannot include journals)",
                severity=Severity.WARNING,
            )
        ]

    def _entries_by_issue(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for entry in self.time_entries:
            issue = as_object(entry.get("issue")).get("id")
            out.setdefault(str(issue) if issue is not None else "", []).append(entry)
        return out

    def _record(self, ident: str, issue: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
        values = dict(issue)
        values["id"] = ident
        parent = as_object(issue.get("parent")).get("id")
        values["parent_id"] = str(parent) if parent is not None else None
        for key in ("author", "assigned_to"):
            values[key] = self._person(issue.get(key))
        values["watchers"] = [self._person(w) for w in objects(issue.get("watchers"))]
        values["journals"] = [
            {**j, "user": self._person(j.get("user"))} for j in objects(issue.get("journals"))
        ]
        values["attachments"] = [self._attachment(a) for a in objects(issue.get("attachments"))]
        values["links"] = [link for r in objects(issue.get("relations")) if (link := _link(ident, r))]
        values["time_entries"] = [{**e, "user": self._person(e.get("user"))} for e in entries]
        values["custom"] = {
            str(f.get("name")): f.get("value", f.get("values"))
            for f in objects(issue.get("custom_fields"))
            if f.get("name")
        }
        return values

    def _person(self, ref: Any) -> dict[str, Any] | None:
        person = as_object(ref)
        if not person:
            return None
        ident = str(person.get("id")) if person.get("id") is not None else None
        known = self.users.get(ident or "", {})
        name = person.get("name") or " ".join(
            str(known[k]) for k in ("firstname", "lastname") if known.get(k)
        )
        out: dict[str, Any] = {"id": ident, "name": name or None}
        if known.get("login"):
            out["login"] = known["login"]
        if known.get("mail"):
            out["email"] = known["mail"]
        return out

    def _attachment(self, attachment: dict[str, Any]) -> dict[str, Any]:
        path = f"{attachment.get('id')}/{attachment.get('filename')}"
        return {**attachment, "author": self._person(attachment.get("author")), "path": path}


def _link(ident: str, relation: dict[str, Any]) -> dict[str, Any] | None:
    source, target = str(relation.get("issue_id")), str(relation.get("issue_to_id"))
    kind = str(relation.get("relation_type") or "")
    if source == ident:
        return {"to": target, "relationship": kind, "delay": relation.get("delay")}
    if target == ident:
        return {"to": source, "relationship": _REVERSE.get(kind, kind), "delay": relation.get("delay")}
    return None


def _number(ident: str) -> tuple[int, str]:
    return (int(ident), ident) if ident.isdigit() else (1 << 62, ident)


def _outside_note(count: int) -> Note:
    return Note(
        "redmine.time_entries_outside",
        f"{count} time entr{'y' if count == 1 else 'ies'} belong to issues that are not in the export "
        "(or to no issue); they are not imported",
        field="time_entries",
        value=str(count),
        hint="export those issues too, or filter /time_entries.json by the same project and issues",
        severity=Severity.WARNING,
    )
