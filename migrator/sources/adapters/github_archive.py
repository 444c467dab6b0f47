"""A GitHub migration archive → one record per issue (adapter ``github-archive``).

The archive (``gh gei``, ``ghe-migrator export``, the organization migrations API; a ``.tar.gz``
read in place, or its unpacked folder) keeps each kind of record in its own paginated files —
``issues_000001.json``, ``issue_comments_*``, ``issue_events_*``, ``attachments_*``, ``users_*``,
``labels_*``, ``milestones_*`` — and every reference is a URL (``user:
"https://github.com/alice"``, ``issue: ".../issues/7"``). Why code: the issue's number and state
are not fields (the URL's last segment; closed when ``closed_at`` is set), people, labels and
milestones are joined from other files by URL, comments of pull requests share the comment files,
and duplicates are only comments (``Duplicate of #3``).

A record has the same keys as the ``github`` adapter's (see :mod:`.github`), so the two presets
read alike: ``id`` (``owner/repo#n``), ``key`` (``n``; ``owner/repo#n`` when the archive holds
several repositories), ``number``, ``title``, ``body``, ``state``, ``user``/``assignee``/
``assignees``/``closed_by`` (``{login, name, email}`` from ``users_*``, the primary e-mail),
``labels[{name}]``, ``milestone{title}``, ``created_at``/``updated_at``/``closed_at`` (with the
server's offset), ``comments_data``, ``files`` (from ``attachments_*``: ``{id, name, path, url,
comment_id, created_at, user}``, ``path`` inside the archive) and ``relations``
(``duplicate_of``). Pull requests are not issues: they are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from migrator.findings import Severity
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import JsonLoader, named
from migrator.sources.adapters.github import (
    closing_actor,
    distinct_relations,
    duplicate_relations,
    issue_ref,
    key_for,
)
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Note, Record

HINT = "export the migration archive again (gh gei / ghe-migrator export) and pass the .tar.gz"
_ISSUES = "issues_*.json"
_COMMENTS = "issue_comments_*.json"
_EVENTS = "issue_events_*.json"
_ATTACHMENTS = "attachments_*.json"
_USERS = "users_*.json"
_LABELS = "labels_*.json"
_MILESTONES = "milestones_*.json"
_SCHEMA = "schema.json"
_KNOWN_SCHEMA = "1."  # archive schema versions 1.0.1, 1.1.0, 1.2.0 are read
_COMMENT_ID = re.compile(r"#issuecomment-(\d+)$")
_ARCHIVE_ROOT = "tarball://root/"


class GitHubArchiveAdapter(Adapter):
    name = "github-archive"
    companions = (_SCHEMA, _COMMENTS, _EVENTS, _ATTACHMENTS, _USERS, _LABELS, _MILESTONES)

    def records(self, given: AdapterInput) -> Iterator[Record]:
        archive = Archive(
            given,
            named(given.files, _ISSUES) or given.files,
            JsonLoader(given.encoding, self.source.limits, HINT),
        )
        yield from archive.records()


class Archive:
    """The archive's files, joined once by URL."""

    def __init__(self, given: AdapterInput, issue_files: list[SourceFile], loader: JsonLoader) -> None:
        self.given = given
        self.loader = loader
        self.issues = [
            (file, row, raw)
            for file in issue_files
            for row, raw in enumerate(self._read(file), start=1)
            if raw.get("type", "issue") == "issue" and issue_ref(raw.get("url"))
        ]
        repos = {ref[0] for _, _, raw in self.issues if (ref := issue_ref(raw.get("url")))}
        self.home = next(iter(repos)) if len(repos) == 1 else None
        self.users = {str(u.get("url")): _person(u) for u in self._all(_USERS)}
        self.labels = {str(x.get("url")): x.get("name") for x in self._all(_LABELS)}
        self.milestones = {str(x.get("url")): x.get("title") for x in self._all(_MILESTONES)}
        self.comments = self._by_issue(
            [c for c in self._all(_COMMENTS) if c.get("issue")], lambda c: c.get("issue")
        )
        self.events = self._by_issue(self._all(_EVENTS), lambda e: e.get("issue"))
        self.attachments = self._by_issue(
            self._all(_ATTACHMENTS), lambda a: a.get("issue") or a.get("issue_comment")
        )

    def records(self) -> Iterator[Record]:
        notes = self.loader.notes() + self._schema_notes()
        for file, row, raw in self.issues:
            yield Record(file.label, row, self._record(raw), nested=True, notes=notes)
            notes = []

    def _schema_notes(self) -> list[Note]:
        """An archive of a schema version this adapter was not written for is read, with a warning."""
        versions = [str(x.get("version")) for x in self._all(_SCHEMA) if x.get("version") is not None]
        unknown = [v for v in versions if not v.startswith(_KNOWN_SCHEMA)]
        if not unknown:
            return []
        return [
            Note(
                "github.archive_schema",
                f"the archive's schema version is {unknown[0]}; this adapter reads versions 1.x",
                field="schema.json",
                value=unknown[0],
                hint="check the import report closely: records may have changed shape",
                severity=Severity.WARNING,
            )
        ]

    # -- reading --------------------------------------------------------------------------------

    def _read(self, file: SourceFile) -> list[dict[str, Any]]:
        return self.loader.objects(file)

    def _all(self, pattern: str) -> list[dict[str, Any]]:
        return [item for file in named(self.given.export.files, pattern) for item in self._read(file)]

    def _by_issue(self, items: list[dict[str, Any]], url_of: Any) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            ref = issue_ref(url_of(item))
            if ref is not None and "/pull/" not in str(url_of(item)):
                out.setdefault(key_for(ref[0], ref[1], self.home), []).append(item)
        for found in out.values():
            found.sort(key=lambda x: (str(x.get("created_at") or ""), str(x.get("url"))))
        return out

    def _user(self, url: Any) -> dict[str, Any] | None:
        if not url:
            return None
        return self.users.get(str(url)) or {"login": _last_segment(url), "url": str(url)}

    # -- one record -----------------------------------------------------------------------------

    def _record(self, raw: dict[str, Any]) -> dict[str, Any]:
        repo, number = issue_ref(raw.get("url")) or ("", "")
        key = key_for(repo, number, self.home)
        events = [dict(e, actor=self._user(e.get("actor"))) for e in self.events.get(key, [])]
        comments = [self._comment(c) for c in self.comments.get(key, [])]
        state = "closed" if raw.get("closed_at") else "open"
        milestone = raw.get("milestone")
        return {
            "id": f"{repo}#{number}",
            "key": key,
            "number": int(number) if number.isdigit() else number,
            "url": raw.get("url"),
            "repository": repo,
            "title": raw.get("title"),
            "body": raw.get("body"),
            "state": state,
            "state_reason": None,
            "is_pull_request": False,
            "user": self._user(raw.get("user")),
            "assignee": self._user(raw.get("assignee")),
            "assignees": [u for u in (self._user(a) for a in raw.get("assignees") or []) if u],
            "labels": [
                {"name": self.labels.get(str(url)) or _last_segment(url)} for url in raw.get("labels") or []
            ],
            "milestone": {"title": self.milestones.get(str(milestone)) or _last_segment(milestone)}
            if milestone
            else None,
            "created_at": raw.get("created_at"),
            "updated_at": raw.get("updated_at"),
            "closed_at": raw.get("closed_at"),
            "closed_by": closing_actor(state, events),
            "parent": None,
            "comments_data": comments,
            "files": [self._file(a) for a in self.attachments.get(key, [])],
            "relations": distinct_relations(duplicate_relations(comments, events, repo, self.home), key),
        }

    def _comment(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": _comment_id(raw.get("url")),
            "url": raw.get("url"),
            "user": self._user(raw.get("user")),
            "body": raw.get("body"),
            "created_at": raw.get("created_at"),
            "updated_at": raw.get("updated_at"),
        }

    def _file(self, raw: dict[str, Any]) -> dict[str, Any]:
        location = str(raw.get("asset_url") or "")
        path = location[len(_ARCHIVE_ROOT) :] if location.startswith(_ARCHIVE_ROOT) else location
        comment = raw.get("issue_comment")
        return {
            "id": str(raw.get("url") or path),
            "name": raw.get("asset_name") or PurePosixPath(path).name,
            "path": path,
            "url": raw.get("url"),
            "content_type": raw.get("asset_content_type"),
            "comment_id": _comment_id(comment) if comment else None,
            "created_at": raw.get("created_at"),
            "user": self._user(raw.get("user")),
        }


def _person(user: dict[str, Any]) -> dict[str, Any]:
    emails = [e for e in user.get("emails") or [] if isinstance(e, dict) and e.get("address")]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    return {
        "login": user.get("login") or _last_segment(user.get("url")),
        "name": user.get("name"),
        "email": primary.get("address") if primary else None,
        "url": user.get("url"),
    }


def _comment_id(url: Any) -> str:
    match = _COMMENT_ID.search(str(url or ""))
    return match.group(1) if match else str(url or "")


def _last_segment(url: Any) -> str:
    path = urlsplit(str(url or "")).path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1])
