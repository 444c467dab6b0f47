"""GitHub REST API dumps → one record per issue (adapter ``github``).

Why code and not mapping keys: the REST API spreads an issue over calls whose answers say which
issue they belong to only through their *file name* or a URL — ``sub_issues/3.json`` lists the
children of #3, ``blocked_by/7.json`` what blocks #7, comments carry an ``issue_url`` — and GitHub
keeps uploaded files and duplicates only as Markdown (``[log](https://github.com/user-attachments/
files/…)``, a comment ``Duplicate of #7``). One issue's links and files come from several places.

Files, found by name among the SOURCE files or in the SOURCE folder/archive:

=============================  ==================================================================
``issues*.json``               ``GET /repos/{o}/{r}/issues?state=all`` — arrays, one per page (back
                               to back in one file, as ``gh api --paginate`` writes them, or one
                               file per page), or a search result ``{"items": […]}``
``comments*.json``             ``GET /repos/{o}/{r}/issues/comments`` (comments embedded in an issue
                               as ``comments_data`` are read too)
``events*.json``               ``GET /repos/{o}/{r}/issues/events`` (optional): who closed an issue,
                               duplicates marked and unmarked
``sub_issues/<n>.json``        ``GET …/issues/{n}/sub_issues`` (or ``parent_issue_url`` on the issue)
``blocked_by/<n>.json``        ``GET …/issues/{n}/dependencies/blocked_by``
``blocking/<n>.json``          ``GET …/issues/{n}/dependencies/blocking``
=============================  ==================================================================

A record is the issue as GitHub returns it, plus: ``id`` (text), ``key`` (the number as text),
``is_pull_request`` (the issues endpoint returns pull requests too), ``parent`` (the parent's
key), ``comments_data`` (the issue's comments, oldest first, ``id`` as text), ``files`` (uploads
linked from the body or a comment: ``{id, name, path, url, comment_id, created_at, user}``;
``path`` is the URL's path after ``user-attachments/``, where a download of the files puts them)
and ``relations`` (``{to, relationship, created_at, user}`` with ``blocked_by``, ``blocking``,
``duplicate_of``, ``sub_issue``). Keys of issues in another repository are ``owner/repo#n``.

An image upload has no file name (``assets/<uuid>``): it is named by its uuid, with the extension
its content shows (``.png``…) when the file is there. Pages that overlap (an issue listed twice)
keep its latest version (info ``github.duplicate_issue``); comments GitHub counts but the export
lacks are a ``github.comments_missing`` warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from migrator.findings import Severity
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import JsonLoader, as_object, named, objects, stem_number
from migrator.sources.adapters.text_links import text_links
from migrator.sources.inputs import SourceFile
from migrator.sources.records import Note, Record

HINT = "save the API answers as returned (gh api --paginate 'repos/OWNER/REPO/issues?state=all')"
_ISSUES = "issues*.json"
_COMMENTS = ("comments*.json",)
_EVENTS = ("events*.json",)
_SUB_ISSUES = "*sub_issues/*.json"
_BLOCKED_BY = "*blocked_by/*.json"
_BLOCKING = "*blocking/*.json"

_API_ISSUE = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/(?:issues|pulls)/(?P<number>\d+)")
_WEB_ISSUE = re.compile(r"^https?://[^/]+/(?P<repo>[^/]+/[^/]+)/(?:issues|pull)/(?P<number>\d+)")
_API_REPO = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/?$")
_DUPLICATE = re.compile(r"^\s*duplicate\s+of\s+(?P<ref>\S+)", re.IGNORECASE)
_SHORT_REF = re.compile(r"^(?:(?P<repo>[\w.-]+/[\w.-]+))?#(?P<number>\d+)$")
_UPLOADS = (  # (URL pattern, prefix of the local path)
    (re.compile(r"^https?://[^/]+/user-attachments/(?P<path>(?:assets|files)/[^?#]+)"), ""),
    (re.compile(r"^https?://[^/]+/[^/]+/[^/]+/(?P<path>files/\d+/[^/?#]+)$"), ""),
    (
        re.compile(r"^https?://(?:private-)?user-images\.githubusercontent\.com/(?P<path>[^?#]+)"),
        "user-images/",
    ),
)
_SIGNATURES = (
    (b"\x89PNG", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"%PDF", ".pdf"),
    (b"RIFF", ".webp"),
)


class GitHubRestAdapter(Adapter):
    name = "github"
    companions = (*_COMMENTS, *_EVENTS, _SUB_ISSUES, _BLOCKED_BY, _BLOCKING)

    def records(self, given: AdapterInput) -> Iterator[Record]:
        issue_files = named(given.files, _ISSUES)
        dump = RestDump(self, given, issue_files or [f for f in given.files if f.basename.endswith(".json")])
        yield from dump.records()


# -- references: repositories, numbers, keys -------------------------------------------------------


def issue_ref(url: Any) -> tuple[str, str] | None:
    """``(owner/repo, number)`` of an issue or pull request URL (API or web), else None."""
    text = str(url or "")
    match = _API_ISSUE.search(text) or _WEB_ISSUE.search(text)
    return (match.group("repo"), match.group("number")) if match else None


def repo_of(issue: dict[str, Any]) -> str | None:
    """The issue's ``owner/repo``, from ``repository_url`` or its own URL."""
    match = _API_REPO.search(str(issue.get("repository_url") or ""))
    if match:
        return match.group("repo")
    ref = issue_ref(issue.get("url")) or issue_ref(issue.get("html_url"))
    return ref[0] if ref else None


def key_for(repo: str | None, number: Any, home: str | None) -> str:
    """An issue's key: its number when it is in the home repository (or the reference names no
    repository), ``owner/repo#n`` otherwise — also for every issue when there is no single home
    (an archive of several repositories)."""
    if repo is None or (home is not None and repo.casefold() == home.casefold()):
        return str(number)
    return f"{repo}#{number}"


def duplicate_target(body: Any, base: str | None, home: str | None) -> str | None:
    """The key a comment marks its issue a duplicate of (``Duplicate of #7``, ``… owner/repo#7``,
    ``… <issue URL>`` on its first line — GitHub's own convention), else None. ``#7`` is an issue
    of ``base``, the repository of the commented issue."""
    first = next((line for line in str(body or "").splitlines() if line.strip()), "")
    match = _DUPLICATE.match(first)
    if match is None:
        return None
    ref = match.group("ref").rstrip(".,;:!)")
    short = _SHORT_REF.match(ref)
    if short is not None:
        return key_for(short.group("repo") or base, short.group("number"), home)
    found = issue_ref(ref)
    return key_for(found[0], found[1], home) if found else None


def duplicate_relations(
    comments: list[dict[str, Any]], events: list[dict[str, Any]], base: str | None, home: str | None
) -> list[dict[str, Any]]:
    """``duplicate_of`` relations from "Duplicate of …" comments, except those made before the
    issue was last unmarked as a duplicate (an ``unmarked_as_duplicate`` event)."""
    unmarked = max(
        (str(e.get("created_at")) for e in events if e.get("event") == "unmarked_as_duplicate"), default=""
    )
    out = []
    for comment in comments:
        target = duplicate_target(comment.get("body"), base, home)
        if target is not None and str(comment.get("created_at") or "") > unmarked:
            out.append(relation(target, "duplicate_of", comment.get("created_at"), comment.get("user")))
    return out


def distinct_relations(relations: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Each (other issue, relationship) once, the first one kept; none to the issue itself."""
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for item in relations:
        unique.setdefault((item["to"], item["relationship"]), item)
    return [r for r in unique.values() if r["to"] != key]


def relation(to: str, relationship: str, created_at: Any = None, user: Any = None) -> dict[str, Any]:
    return {"to": to, "relationship": relationship, "created_at": created_at, "user": user}


def closing_actor(state: Any, events: list[dict[str, Any]]) -> Any:
    """The actor of the last ``closed`` event of a closed issue (events oldest first)."""
    if state != "closed":
        return None
    closed = [e for e in events if e.get("event") == "closed"]
    return closed[-1].get("actor") if closed else None


# -- uploads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    path: str  # where a download of the files puts it: the URL's path after user-attachments/
    url: str
    label: str


def uploads_in(text: Any) -> list[Upload]:
    """GitHub upload URLs the text links to (files, image assets, old user-images)."""
    out = []
    for link in text_links(str(text or "")):
        for pattern, prefix in _UPLOADS:
            match = pattern.match(link.url)
            if match is not None:
                out.append(Upload(prefix + unquote(match.group("path")).strip("/"), link.url, link.label))
                break
    return out


def sniffed_extension(path: Path | None) -> str:
    """``.png``, ``.jpg``… from the file's first bytes; "" when unknown or absent."""
    if path is None or not path.is_file():
        return ""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"RIFF") and head[8:12] != b"WEBP":
        return ""
    return next((ext for magic, ext in _SIGNATURES if head.startswith(magic)), "")


# -- the dump --------------------------------------------------------------------------------------


@dataclass
class _Issue:
    raw: dict[str, Any]
    file: SourceFile
    row: int
    repo: str | None
    notes: list[Note] = field(default_factory=list)


class RestDump:
    """Every file of one REST dump, joined once; :meth:`records` gives one record per issue."""

    def __init__(self, adapter: Adapter, given: AdapterInput, issue_files: list[SourceFile]) -> None:
        self.source = adapter.source
        self.given = given
        self.loader = JsonLoader(given.encoding, adapter.source.limits, HINT)
        self.issue_files = issue_files
        self.issues = self._issues(issue_files)
        self.home = next((i.repo for i in self.issues.values() if i.repo), None)
        self.comments = self._comments()
        self.has_comment_source = bool(self._find(_COMMENTS)) or any(
            "comments_data" in i.raw for i in self.issues.values()
        )
        self.events = self._events()
        self.parents, self.relations = self._relations()

    def records(self) -> Iterator[Record]:
        pending = self.loader.notes() + self._dump_notes()  # on the first issue (a PR may be filtered out)
        for key, issue in self.issues.items():
            values, notes = self._record(key, issue)
            if pending and not values["is_pull_request"]:
                notes, pending = pending + notes, []
            yield Record(issue.file.label, issue.row, values, nested=True, notes=issue.notes + notes)

    # -- reading --------------------------------------------------------------------------------

    def _find(self, patterns: Iterable[str]) -> list[SourceFile]:
        """Files by base name (``comments*.json``) or, for a pattern with a folder, by path."""
        issue_ids = {id(f) for f in self.issue_files}
        found = {
            id(f): f
            for p in patterns
            for f in (self.given.export.find(p) if "/" in p else named(self.given.export.files, p))
            if id(f) not in issue_ids
        }
        return list(found.values())

    def _issues(self, files: list[SourceFile]) -> dict[str, _Issue]:
        out: dict[str, _Issue] = {}
        for file in files:
            for row, raw in enumerate(self.loader.objects(file, items_key="items"), start=1):
                number = raw.get("number")
                if number is None:
                    continue
                key = str(number)
                issue = _Issue(raw, file, row, repo_of(raw))
                earlier = out.get(key)
                if earlier is not None:
                    newer = str(raw.get("updated_at") or "") >= str(earlier.raw.get("updated_at") or "")
                    kept = issue if newer else earlier
                    kept.notes.append(
                        Note(
                            "github.duplicate_issue",
                            f"issue #{key} is listed twice (pages taken while issues changed); the one "
                            "updated last is kept",
                            field="number",
                            value=key,
                            severity=Severity.INFO,
                        )
                    )
                    out[key] = kept
                else:
                    out[key] = issue
        return out

    def _comments(self) -> dict[str, list[dict[str, Any]]]:
        by_key: dict[str, dict[str, dict[str, Any]]] = {}
        for key, issue in self.issues.items():
            for comment in objects(issue.raw.get("comments_data")):
                by_key.setdefault(key, {})[str(comment.get("id"))] = comment
        for file in self._find(_COMMENTS):
            for comment in self.loader.objects(file):
                ref = issue_ref(comment.get("issue_url")) or issue_ref(comment.get("html_url"))
                if ref is None:
                    continue
                key = key_for(ref[0], ref[1], self.home)
                by_key.setdefault(key, {})[str(comment.get("id"))] = comment
        return {
            key: sorted(found.values(), key=lambda c: (str(c.get("created_at") or ""), str(c.get("id"))))
            for key, found in by_key.items()
        }

    def _events(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for file in self._find(_EVENTS):
            for event in self.loader.objects(file):
                issue = as_object(event.get("issue"))
                ref = issue_ref(issue.get("url")) or issue_ref(issue.get("html_url"))
                number = issue.get("number")
                key = key_for(ref[0], ref[1], self.home) if ref else (str(number) if number else None)
                if key is not None:
                    out.setdefault(key, []).append(event)
        for events in out.values():
            events.sort(key=lambda e: (str(e.get("created_at") or ""), str(e.get("id"))))
        return out

    def _per_issue(self, pattern: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(issue number, the issues listed) of each dump named after an issue (``blocked_by/7.json``)."""
        for file in self._find([pattern]):
            number = stem_number(file)
            if number is not None:
                yield number, self.loader.objects(file)

    def _relations(self) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
        parents: dict[str, str] = {}
        relations: dict[str, list[dict[str, Any]]] = {}
        for key, issue in self.issues.items():
            ref = issue_ref(issue.raw.get("parent_issue_url"))
            if ref is not None:
                parents[key] = key_for(ref[0], ref[1], self.home)
        for parent, children in self._per_issue(_SUB_ISSUES):
            for child in children:
                child_key = key_for(repo_of(child), child.get("number"), self.home)
                if child_key in self.issues:
                    parents.setdefault(child_key, parent)
                else:
                    relations.setdefault(parent, []).append(relation(child_key, "sub_issue"))
        for pattern, relationship in ((_BLOCKED_BY, "blocked_by"), (_BLOCKING, "blocking")):
            for number, others in self._per_issue(pattern):
                for other in others:
                    to = key_for(repo_of(other), other.get("number"), self.home)
                    relations.setdefault(number, []).append(relation(to, relationship))
        return parents, relations

    # -- one record -----------------------------------------------------------------------------

    def _record(self, key: str, issue: _Issue) -> tuple[dict[str, Any], list[Note]]:
        raw = issue.raw
        comments = [dict(c, id=str(c.get("id"))) for c in self.comments.get(key, [])]
        events = self.events.get(key, [])
        values = dict(raw)
        values.update(
            id=str(raw.get("id") or raw.get("node_id") or raw.get("url") or key),
            key=key,
            is_pull_request="pull_request" in raw,
            parent=self.parents.get(key),
            comments_data=comments,
            files=self._files(raw, comments),
            relations=distinct_relations(
                [*self.relations.get(key, []), *duplicate_relations(comments, events, issue.repo, self.home)],
                key,
            ),
            closed_by=raw.get("closed_by") or closing_actor(raw.get("state"), events),
        )
        return values, self._comment_notes(key, raw, comments)

    def _files(self, raw: dict[str, Any], comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        texts = [(raw.get("body"), None, raw.get("created_at"), raw.get("user"))]
        texts += [(c.get("body"), c["id"], c.get("created_at"), c.get("user")) for c in comments]
        for body, comment_id, created_at, user in texts:
            for upload in uploads_in(body):
                if upload.path in found:
                    continue
                found[upload.path] = {
                    "id": upload.path,
                    "name": self._file_name(upload),
                    "path": upload.path,
                    "url": upload.url,
                    "label": upload.label,
                    "comment_id": comment_id,
                    "created_at": created_at,
                    "user": user,
                }
        return list(found.values())

    def _file_name(self, upload: Upload) -> str:
        name = upload.path.rsplit("/", 1)[-1]
        if "." in name or not upload.path.startswith("assets/"):
            return name
        return name + sniffed_extension(self._local(upload.path))

    def _local(self, path: str) -> Path | None:
        """The local copy of an upload, if the export has it (to look at its content)."""
        directory = self.source.files.directory
        if self.given.export.containers:
            return self.given.export.attachment_path(path, "", directory)
        if not self.issue_files:
            return None
        base = self.issue_files[0].local_path().parent
        candidate = (base / directory / path) if directory else base / path
        return candidate if candidate.is_file() else None

    # -- notes ----------------------------------------------------------------------------------

    def _comment_notes(self, key: str, raw: dict[str, Any], comments: list[dict[str, Any]]) -> list[Note]:
        counted = raw.get("comments")
        if not self.has_comment_source or not isinstance(counted, int) or counted <= len(comments):
            return []
        return [
            Note(
                "github.comments_missing",
                f"GitHub counts {counted} comments on #{key} but the export holds {len(comments)}",
                field="comments",
                value=f"{len(comments)} of {counted}",
                hint="fetch every page of /repos/{o}/{r}/issues/comments (gh api --paginate)",
                severity=Severity.WARNING,
            )
        ]

    def _dump_notes(self) -> list[Note]:
        if self.has_comment_source:
            return []
        counted = sum(
            1
            for i in self.issues.values()
            if isinstance(i.raw.get("comments"), int)
            and i.raw["comments"] > 0
            and "pull_request" not in i.raw
        )
        if not counted:
            return []
        return [
            Note(
                "github.comments_not_exported",
                f"{counted} issue(s) have comments, but the export has no comments*.json",
                field="comments",
                value=str(counted),
                hint="add GET /repos/{o}/{r}/issues/comments (gh api --paginate) saved as comments.json",
                severity=Severity.WARNING,
            )
        ]
