"""Asana project JSON ("Export/Print → JSON") → one record per task and subtask.

Why code, not mapping keys: the export nests subtasks inside their parent's ``subtasks[]`` to any
depth (a record path reads one level), the files of a task come from a second file keyed by task
gid (the export lists none), and dependencies are two arrays (``dependencies``, ``dependents``)
that are both links. Shape (../shared/reference/export-formats.md §7, and the API's task object):

* the issues file: ``{"data": [task, …]}`` (or a bare ``[task, …]``); a task has ``gid``, ``name``,
  ``notes``/``html_notes``, ``assignee``/``followers`` (``{gid, name}``), ``created_at``,
  ``modified_at``, ``completed``, ``completed_at``, ``due_on``/``due_at``, ``start_on``,
  ``memberships[{project, section}]``, ``tags[{name}]``, ``custom_fields[]``, ``parent``,
  ``stories[]`` (comments *and* system history) and ``subtasks[]`` (full tasks, recursively);
* ``attachments*.json`` (optional): ``GET /attachments?parent=<task gid>`` per task, saved as an
  object keyed by task gid (``{"<gid>": [attachment, …]}``), or the answers' ``data`` arrays in
  one list (each attachment names its task in ``parent.gid``); the files themselves downloaded
  into ``attachments/<attachment gid>/<name>``;
* ``users*.json`` (optional): ``GET /users?workspace=<gid>&opt_fields=name,email`` — adds e-mails
  to the ``{gid, name}`` people of the export (the export has none).

A task record keeps every key of the task (read with record paths) and adds:

================  ==============================================================================
``id``            the task gid
``parent``        the parent's gid (``parent.gid``, else the task it is nested in)
``section``       the task's section in the exported project (the project most top-level tasks
                  belong to); subtasks usually have none
``created_by``    ``created_by`` when the task has it, else the author of a story written at the
                  task's creation time (``asana.creator_from_story``, info), else absent
``html``          ``html_notes``, else ``notes`` as HTML (escaped, line breaks kept): one markup
                  for every description, whichever the export gives
``comments``      stories of ``type: comment``, oldest first: ``{id, text, html (as above, from
                  html_text / text), author, created_at}``
``attachments``   ``{id, filename, path: <gid>/<name>, url, size, created_at, host}`` — files
                  Asana hosts; files kept elsewhere (Google Drive, Dropbox, …) are ``web_links``
``links``         ``{to: <gid>, relationship: is blocked by | blocks}`` from ``dependencies`` and
                  ``dependents``
``people``        every ``{gid, name}`` object gains ``email`` from ``users*.json`` when known
================  ==============================================================================
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import json_documents
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Note, Record

HINT = "export the project again (⌄ → Export/Print → JSON)"
ATTACHMENTS = "attachments*.json"
USERS = "users*.json"
_PEOPLE_KEYS = ("assignee", "created_by", "completed_by", "followers", "hearts", "likes")


class AsanaAdapter(Adapter):
    name = "asana"
    companions = (ATTACHMENTS, USERS)

    def records(self, given: AdapterInput) -> Iterator[Record]:
        limits = self.source.limits
        files = _attachments(given, limits)
        emails = _emails(given, limits)
        companions = {id(f) for pattern in self.companions for f in given.export.find(pattern)}
        for file in given.files:
            if id(file) in companions:  # given as an issue file too (e.g. a folder's every file)
                continue
            tasks = [
                task for data in _documents([file], given.encoding, limits) for task in _tasks(file, data)
            ]
            yield from Project(file.label, tasks, files, emails).records()


class Project:
    """One project export: its tasks flattened, with what each record needs joined in."""

    def __init__(
        self,
        label: str,
        tasks: list[dict[str, Any]],
        files: Mapping[str, list[dict[str, Any]]],
        emails: Mapping[str, str],
    ) -> None:
        self.label = label
        self.tasks = tasks
        self.files = files
        self.emails = emails
        self.project = _main_project(tasks)

    def records(self) -> Iterator[Record]:
        row = 0
        for task, nested_in in _flatten(self.tasks):
            row += 1
            notes: list[Note] = []
            values = self._record(task, nested_in, notes)
            yield Record(self.label, row, values, nested=True, notes=notes)

    def _record(self, task: dict[str, Any], nested_in: str | None, notes: list[Note]) -> dict[str, Any]:
        values = {k: _with_emails(v, self.emails) for k, v in task.items() if k != "subtasks"}
        gid = str(task.get("gid", ""))
        values["id"] = gid
        parent = task.get("parent")
        parent_gid = parent.get("gid") if isinstance(parent, Mapping) else None
        if parent_gid or nested_in:
            values["parent"] = str(parent_gid or nested_in)
        values["subtasks"] = [str(s.get("gid")) for s in _objects(task.get("subtasks"))]
        section = self._section(task)
        if section is not None:
            values["section"] = section
        stories = [_with_emails(s, self.emails) for s in _objects(task.get("stories"))]
        creator = self._creator(task, stories, notes)
        if creator is not None:
            values["created_by"] = creator
        values["html"] = _html(task.get("html_notes"), task.get("notes"))
        values["comments"] = [_comment(s) for s in _sorted(stories) if s.get("type") == "comment"]
        hosted, elsewhere = _split_files(self.files.get(gid, []) + _objects(task.get("attachments")))
        values["attachments"] = [_attachment(a) for a in hosted]
        values["web_links"] = [{"name": a.get("name"), "url": _url(a)} for a in elsewhere]
        values["links"] = [
            {"to": str(d.get("gid")), "relationship": relationship}
            for key, relationship in (("dependencies", "is blocked by"), ("dependents", "blocks"))
            for d in _objects(task.get(key))
            if d.get("gid")
        ]
        return values

    def _section(self, task: Mapping[str, Any]) -> str | None:
        sections = [
            (m.get("project") or {}, m.get("section") or {})
            for m in _objects(task.get("memberships"))
            if isinstance(m.get("section"), Mapping)
        ]
        for project, section in sections:
            if project.get("gid") == self.project:
                return _text(section.get("name"))
        return _text(sections[0][1].get("name")) if sections else None

    def _creator(
        self, task: Mapping[str, Any], stories: list[dict[str, Any]], notes: list[Note]
    ) -> Any | None:
        if isinstance(task.get("created_by"), Mapping):
            return _with_emails(task["created_by"], self.emails)
        created = task.get("created_at")
        for story in _sorted(stories):
            if story.get("created_at") == created and isinstance(story.get("created_by"), Mapping):
                notes.append(
                    Note(
                        "asana.creator_from_story",
                        "the export does not say who created the task; the author of the story written "
                        f"at its creation ({story.get('resource_subtype') or story.get('type')}) is used",
                        field="created_by",
                        value=_text(story["created_by"].get("name")),
                        severity=Severity.INFO,
                    )
                )
                return story["created_by"]
        return None


def _flatten(
    tasks: list[dict[str, Any]], parent: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Depth first: a task, then its subtasks (and theirs), each with the gid it is nested in."""
    for task in tasks:
        yield task, parent
        yield from _flatten(_objects(task.get("subtasks")), str(task.get("gid")))


def _main_project(tasks: list[dict[str, Any]]) -> str | None:
    """The exported project: the one most top-level tasks are members of."""
    counts = Counter(
        (m.get("project") or {}).get("gid")
        for task in tasks
        for m in _objects(task.get("memberships"))
        if isinstance(m.get("project"), Mapping)
    )
    return counts.most_common(1)[0][0] if counts else None


def _comment(story: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": story.get("gid"),
        "text": story.get("text"),
        "html": _html(story.get("html_text"), story.get("text")),
        "author": story.get("created_by"),
        "created_at": story.get("created_at"),
    }


def _html(rich: Any, plain: Any) -> str | None:
    """Asana's rich text when it is there, else the plain text as HTML (so one markup reads both)."""
    if isinstance(rich, str) and rich.strip():
        return rich
    if not isinstance(plain, str) or not plain.strip():
        return None
    return "<body>" + html.escape(plain).replace("\n", "<br>") + "</body>"


def _split_files(found: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    unique = list({str(a.get("gid")): a for a in found if a.get("gid")}.values())
    hosted = [a for a in unique if (a.get("host") or "asana") == "asana"]
    return hosted, [a for a in unique if a not in hosted]


def _attachment(item: Mapping[str, Any]) -> dict[str, Any]:
    gid, name = str(item.get("gid")), _text(item.get("name")) or str(item.get("gid"))
    return {
        "id": gid,
        "filename": name,
        "path": f"{gid}/{name}",
        "url": _url(item),
        "size": item.get("size"),
        "created_at": item.get("created_at"),
        "host": item.get("host"),
    }


def _url(item: Mapping[str, Any]) -> Any:
    return item.get("download_url") or item.get("view_url") or item.get("permanent_url")


def _sorted(stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(stories, key=lambda s: str(s.get("created_at") or ""))


def _with_emails(value: Any, emails: Mapping[str, str]) -> Any:
    """People objects (``{gid, name, resource_type: user}``) with the e-mail ``users*.json`` gives."""
    if isinstance(value, list):
        return [_with_emails(v, emails) for v in value]
    if not isinstance(value, Mapping):
        return value
    out = dict(value)
    gid = str(out.get("gid", ""))
    if gid in emails and not out.get("email") and out.get("resource_type", "user") == "user":
        out["email"] = emails[gid]
    for key in _PEOPLE_KEYS:
        if key in out:
            out[key] = _with_emails(out[key], emails)
    return out


def _tasks(file: SourceFile, data: Any) -> list[dict[str, Any]]:
    tasks = data.get("data") if isinstance(data, Mapping) else data
    if not isinstance(tasks, list):
        raise MigratorError(
            f"{file.label}: not an Asana project export (no 'data' array of tasks at the top level)",
            hint=f"{HINT}, or give the tasks as a JSON array",
        )
    return _objects(tasks)


def _attachments(given: AdapterInput, limits: Limits) -> dict[str, list[dict[str, Any]]]:
    """Attachments by task gid, from every ``attachments*.json`` of the export."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for data in _documents(given.export.find(ATTACHMENTS), given.encoding, limits):
        if isinstance(data, Mapping) and not isinstance(data.get("data"), list):
            pairs = [(str(gid), item) for gid, items in data.items() for item in _objects(items)]
        else:
            items = data.get("data") if isinstance(data, Mapping) else data
            pairs = [(str((item.get("parent") or {}).get("gid")), item) for item in _objects(items)]
        for gid, item in pairs:
            by_task.setdefault(gid, []).append(item)
    return by_task


def _emails(given: AdapterInput, limits: Limits) -> dict[str, str]:
    emails: dict[str, str] = {}
    for data in _documents(given.export.find(USERS), given.encoding, limits):
        users = data.get("data") if isinstance(data, Mapping) else data
        for user in _objects(users):
            if user.get("gid") and user.get("email"):
                emails[str(user["gid"])] = str(user["email"])
    return emails


def _documents(files: list[SourceFile], encoding: str, limits: Limits) -> Iterator[Any]:
    """The files' JSON documents (one each, or API pages written back to back), read within the
    mapping's ``limits`` like every reader: nesting over ``limits.json_depth`` is a ``MigratorError``
    naming the file, before the parser sees it."""
    for file in files:
        yield from json_documents(file, encoding, HINT, limits)


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None
