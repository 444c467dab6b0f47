"""A GitLab project export → one record per issue (adapter ``gitlab``).

The export (Settings → General → Advanced → Export project; GitLab 13.x and later) is a
``.tar.gz`` holding ``tree/project/issues.ndjson`` — one issue per line, everything nested — plus
``project_members.ndjson`` and ``uploads/<hash>/<file>``. Why code and not mapping keys:

* **links exist only as system notes**, on both issues, and can be undone later: ``marked this
  issue as related to #4``, ``removed the relation with #9``, ``added #2 as child task``, ``marked
  this issue as a duplicate of #4``. Only replaying them in order gives the links that still hold;
* **people are numbers** (``author_id``, ``issue_assignees[].user_id``, ``timelogs[].user_id``)
  joined to ``project_members.ndjson``; someone who is no longer a member is known only by the
  ``author.name`` on their notes, anywhere in the export;
* **files are only Markdown links** (``/uploads/<hash>/<file>``) in descriptions and notes.

A record (paths for the mapping): ``id``/``key`` (the project-local ``iid`` as text), ``iid``,
``title``, ``description``, ``state`` (``opened``/``closed``), ``type`` (``work_item_type.base_type``,
else ``issue_type``), ``author``/``assignee``/``assignees``/``closed_by`` (``{id, login, email,
name}``; ``login`` is the GitLab username, absent for non-members), ``labels`` (titles; scoped
ones like ``priority::1`` included), ``milestone`` (title), ``due_date``, ``created_at``,
``updated_at``, ``closed_at``, ``time_estimate`` (seconds), ``weight``, ``confidential``,
``notes`` (``{id, note, system, action, internal, author, created_at, updated_at}``, oldest first;
system notes included — the mapping filters them), ``timelogs`` (``{id, user, time_spent,
spent_at, created_at, summary}``), ``uploads`` (``{id, name, path, comment_id, created_at,
user}``), ``relations`` (``{to, relationship, created_at, user}``; ``related``, ``blocks``,
``blocked_by``, ``duplicate_of``, ``duplicated_by``, ``epic``) and ``parent`` (the parent issue's
key). Another project's issue is ``group/project#N``, an epic ``&N``.

Notes and time logs have no id in recent exports: theirs is a digest of what identifies them
(discussion, time, author), stable from one export to the next.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from migrator.findings import Severity
from migrator.limits import Limits
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import as_object, named, ndjson_records, objects
from migrator.sources.adapters.text_links import text_links
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Note, Record

_ISSUES = "issues.ndjson"
_MEMBERS = "project_members.ndjson"
_REF = r"(?:[\w.-]+(?:/[\w.-]+)*)?[#&]\d+"
_REFS = re.compile(_REF)
# system note text → what it does: (pattern, relationship or a hierarchy verb)
_SYSTEM_NOTES = (
    (re.compile(r"^marked this \w+ as related to (?P<refs>.+)$"), "related"),
    (re.compile(r"^marked this \w+ as blocking (?P<refs>.+)$"), "blocks"),
    (re.compile(r"^marked this \w+ as blocked by (?P<refs>.+)$"), "blocked_by"),
    (re.compile(rf"^marked this \w+ as a duplicate of (?P<refs>{_REF})"), "duplicate_of"),
    (re.compile(rf"^marked (?P<refs>{_REF}) as a duplicate of this"), "duplicated_by"),
    (re.compile(r"^removed the relation with (?P<refs>.+)$"), "-relation"),
    (re.compile(rf"^added (?P<refs>{_REF}) as child "), "+child"),
    (re.compile(rf"^removed child \w+ (?P<refs>{_REF})"), "-child"),
    (re.compile(rf"^added (?P<refs>{_REF}) as parent "), "+parent"),
    (re.compile(rf"^removed parent \w+ (?P<refs>{_REF})"), "-parent"),
)
_UPLOAD = re.compile(r"(?:^|/)uploads/(?P<hash>[0-9a-f]{10,64})/(?P<name>[^/?#]+)$")
_HINT = "export the project again (Settings → General → Advanced → Export project)"


class GitLabAdapter(Adapter):
    name = "gitlab"
    companions = (_MEMBERS,)

    def records(self, given: AdapterInput) -> Iterator[Record]:
        files = named(given.files, _ISSUES)
        export = ProjectExport(given, files, self.source.limits)
        for file in files:
            yield from export.records(file)


@dataclass
class _Relations:
    """What the system notes of the whole export say, replayed in time order."""

    links: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # key → other → relation
    parents: dict[str, tuple[str, str]] = field(default_factory=dict)  # child key → (parent, time)


class ProjectExport:
    """The members and, from a first pass over the issues, the people and relations of the whole
    export; :meth:`records` then streams the issues a second time."""

    def __init__(self, given: AdapterInput, files: list[SourceFile], limits: Limits) -> None:
        self.given = given
        self.limits = limits
        self.members = self._members()
        self.names: dict[str, str] = {}
        self.relations = _Relations()
        for file in files:
            for record in ndjson_records(file, given.encoding, limits):
                if record.usable:
                    self._learn(dict(record.values))

    def records(self, file: SourceFile) -> Iterator[Record]:
        """The issues of one file; a line the NDJSON reader could not read stays its unusable record."""
        for record in ndjson_records(file, self.given.encoding, self.limits):
            if record.usable:
                issue = dict(record.values)
                record.values = self._record(file, issue)
                record.notes.extend(_issue_notes(issue))
            yield record

    # -- first pass -----------------------------------------------------------------------------

    def _members(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for file in named(self.given.export.files, _MEMBERS):
            for record in ndjson_records(file, self.given.encoding, self.limits):
                user = record.values.get("user") if record.usable else None
                if isinstance(user, dict) and user.get("id") is not None:
                    email = user.get("public_email") or user.get("email") or None
                    out[str(user["id"])] = {
                        "id": str(user["id"]),
                        "login": user.get("username"),
                        "email": email,
                    }
        return out

    def _learn(self, issue: dict[str, Any]) -> None:
        key = str(issue.get("iid"))
        for note in _notes_in_order(issue):
            author = note.get("author")
            if isinstance(author, dict) and author.get("name") and note.get("author_id") is not None:
                self.names.setdefault(str(note["author_id"]), str(author["name"]))
            if note.get("system"):
                self._replay(key, note)

    def _replay(self, key: str, note: dict[str, Any]) -> None:
        text = str(note.get("note") or "").strip()
        for pattern, what in _SYSTEM_NOTES:
            match = pattern.match(text)
            if match is None:
                continue
            when, who = note.get("created_at"), note.get("author_id")
            for ref in _REFS.findall(match.group("refs")):
                self._apply(key, _ref_key(ref), what, when, who)
            return

    def _apply(self, key: str, other: str, what: str, when: Any, who: Any) -> None:
        links = self.relations.links.setdefault(key, {})
        parents = self.relations.parents
        if what == "-relation":
            links.pop(other, None)
        elif what == "+parent" and other.startswith("&"):
            links[other] = {"to": other, "relationship": "epic", "created_at": when, "author_id": who}
        elif what == "+parent":
            parents[key] = (other, str(when or ""))
        elif what == "-parent":
            if parents.get(key, ("",))[0] == other:
                del parents[key]
            links.pop(other, None)
        elif what == "+child":
            current = parents.get(other)
            if current is None or current[1] <= str(when or ""):
                parents[other] = (key, str(when or ""))
        elif what == "-child":
            if parents.get(other, ("",))[0] == key:
                del parents[other]
        else:
            links[other] = {"to": other, "relationship": what, "created_at": when, "author_id": who}

    # -- one record -----------------------------------------------------------------------------

    def person(self, user_id: Any) -> dict[str, Any] | None:
        if user_id is None or user_id == "":
            return None
        ident = str(user_id)
        known = dict(self.members.get(ident) or {"id": ident})
        name = self.names.get(ident)
        if name:
            known["name"] = name
        if not known.get("login") and not name:
            known["login"] = ident  # nobody knows more about this user than the number
        return known

    def _record(self, file: SourceFile, issue: dict[str, Any]) -> dict[str, Any]:
        key = str(issue.get("iid"))
        notes = _unique_ids([self._note(n) for n in _notes_in_order(issue)])
        assignees = [
            p for p in (self.person(a.get("user_id")) for a in objects(issue.get("issue_assignees"))) if p
        ]
        work_item, milestone = as_object(issue.get("work_item_type")), as_object(issue.get("milestone"))
        parent = self.relations.parents.get(key)
        return {
            "id": key,
            "key": key,
            "iid": issue.get("iid"),
            "title": issue.get("title"),
            "description": issue.get("description"),
            "state": issue.get("state"),
            "type": work_item.get("base_type") or issue.get("issue_type"),
            "author": self.person(issue.get("author_id")),
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "closed_by": self.person(issue.get("closed_by_id") or _state_event_user(issue, "closed")),
            "labels": [
                str(title)
                for link in objects(issue.get("label_links"))
                if (title := as_object(link.get("label")).get("title"))
            ],
            "milestone": milestone.get("title"),
            "due_date": issue.get("due_date"),
            "created_at": issue.get("created_at"),
            "updated_at": issue.get("updated_at"),
            "closed_at": issue.get("closed_at"),
            "time_estimate": issue.get("time_estimate") or None,
            "weight": issue.get("weight"),
            "confidential": bool(issue.get("confidential")),
            "notes": notes,
            "timelogs": _unique_ids(
                [self._timelog(t) for t in objects(issue.get("timelogs")) if _spent(t) >= 0]
            ),
            "uploads": self._uploads(file, issue, notes),
            "relations": [
                *(self._relation(r) for r in self.relations.links.get(key, {}).values() if r["to"] != key),
                *_epic(issue),
            ],
            "parent": parent[0] if parent else None,
        }

    def _note(self, note: dict[str, Any]) -> dict[str, Any]:
        metadata = as_object(note.get("system_note_metadata"))
        ident = note.get("id")
        return {
            "id": str(ident) if ident is not None else _digest(note.get("discussion_id"), note.get("created_at"),
                                                               note.get("author_id")),
            "note": note.get("note"),
            "system": bool(note.get("system")),
            "action": metadata.get("action"),
            "internal": bool(note.get("internal") or note.get("confidential")),
            "author": self.person(note.get("author_id")) or _named(note.get("author")),
            "created_at": note.get("created_at"),
            "updated_at": note.get("updated_at"),
        }  # fmt: skip

    def _timelog(self, log: dict[str, Any]) -> dict[str, Any]:
        ident = log.get("id")
        return {
            "id": str(ident) if ident is not None else _digest(log.get("user_id"), log.get("spent_at"),
                                                               log.get("created_at"), log.get("time_spent")),
            "user": self.person(log.get("user_id")),
            "time_spent": log.get("time_spent"),
            "spent_at": log.get("spent_at") or log.get("created_at"),
            "created_at": log.get("created_at"),
            "summary": log.get("summary"),
        }  # fmt: skip

    def _relation(self, found: dict[str, Any]) -> dict[str, Any]:
        return {
            "to": found["to"],
            "relationship": found["relationship"],
            "created_at": found["created_at"],
            "user": self.person(found["author_id"]),
        }

    def _uploads(
        self, file: SourceFile, issue: dict[str, Any], notes: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        texts = [
            (issue.get("description"), None, issue.get("created_at"), self.person(issue.get("author_id")))
        ]
        texts += [(n["note"], n["id"], n["created_at"], n["author"]) for n in notes if not n["system"]]
        for text, comment_id, created_at, user in texts:
            for link in text_links(text):
                match = _UPLOAD.search(link.url.split("?", 1)[0].split("#", 1)[0])
                if match is None:
                    continue
                path = f"uploads/{match.group('hash')}/{unquote(match.group('name'))}"
                found.setdefault(path, {
                    "id": path,
                    "name": unquote(match.group("name")),
                    "path": _located(file, path),
                    "comment_id": comment_id,
                    "created_at": created_at,
                    "user": user,
                })  # fmt: skip
        return list(found.values())


def _located(file: SourceFile, path: str) -> str:
    """Where an upload is: inside the SOURCE folder/archive its path there; for a loose
    ``tree/project/issues.ndjson`` the export's top folder is two levels up."""
    if file.container is not None or file.path is None:
        return path
    top = Path(file.path).resolve().parent.parent.parent / path
    return str(top) if top.is_file() else path


def _epic(issue: dict[str, Any]) -> list[dict[str, Any]]:
    """The group epic of an issue (Premium exports: ``epic_issue.epic``); epics are not issues of
    the project, so the link points outside the export (``&iid``)."""
    epic = as_object(as_object(issue.get("epic_issue")).get("epic"))
    if epic.get("iid") is None:
        return []
    return [{"to": f"&{epic['iid']}", "relationship": "epic", "created_at": None, "user": None}]


def _notes_in_order(issue: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(objects(issue.get("notes")), key=lambda n: str(n.get("created_at") or ""))


def _ref_key(ref: str) -> str:
    """``#12`` → ``12``; ``group/project#12`` and epics (``&5``) stay as written."""
    return ref[1:] if ref.startswith("#") else ref


def _state_event_user(issue: dict[str, Any], state: str) -> Any:
    events = [e for e in objects(issue.get("resource_state_events")) if e.get("state") == state]
    events.sort(key=lambda e: str(e.get("created_at") or ""))
    return events[-1].get("user_id") if events else None


def _named(author: Any) -> dict[str, Any] | None:
    return {"name": str(author["name"])} if isinstance(author, dict) and author.get("name") else None


def _unique_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same id twice in one issue (two notes of one discussion in the same millisecond by the
    same person) gets ``-2``, ``-3``… in order of appearance."""
    seen: dict[str, int] = {}
    for item in items:
        count = seen[item["id"]] = seen.get(item["id"], 0) + 1
        if count > 1:
            item["id"] = f"{item['id']}-{count}"
    return items


def _digest(*parts: Any) -> str:
    text = "|".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _spent(log: dict[str, Any]) -> float:
    value = log.get("time_spent")
    return float(value) if isinstance(value, int | float) else 0.0


def _issue_notes(issue: dict[str, Any]) -> list[Note]:
    notes = []
    if issue.get("iid") is None:
        notes.append(
            Note(
                "gitlab.no_iid",
                "the issue has no iid (its number in the project); it cannot be keyed",
                field="iid",
                hint=_HINT,
                severity=Severity.ERROR,
            )
        )
    negative = [log for log in objects(issue.get("timelogs")) if _spent(log) < 0]
    if negative:
        seconds = -sum(_spent(log) for log in negative)
        notes.append(
            Note(
                "gitlab.time_subtracted",
                f"{len(negative)} time log(s) subtract {seconds / 3600:g} h of time spent; Tracker worklogs "
                "cannot be negative, so they are left out and the issue's total is that much higher",
                field="timelogs",
                value=f"-{seconds:g} s",
                hint="remove the worklogs they correct after the import, or leave the totals as they are",
                severity=Severity.WARNING,
            )
        )
    return notes
