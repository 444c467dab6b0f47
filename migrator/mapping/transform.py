"""Canonical ``Issue`` -> API-ready ``PlannedIssue``: the bodies the ``_import`` endpoints take.

``IssueTransformer.transform(issue)`` applies the mapping (value maps, users, markup, extra
fields), enforces the import API's rules (lengths, the issue's time window, resolution pairing)
and reports — never silently fixes — everything it had to change. It returns ``None`` when the
issue has any error; a returned ``PlannedIssue`` is complete (nothing in it was dropped because of
an error). Every finding names the issue's file/row/key and the field (``comments[3].created_at``).

The full rule list, and every finding kind, is in ``docs/mapping.md``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from migrator.findings import Findings, Severity
from migrator.mapping import fields as extra
from migrator.mapping.attachments import MAX_FILENAME, AttachmentFiles, FileProblem
from migrator.mapping.config import ExtraField, MappingConfig
from migrator.mapping.markup import MarkupConverter, escape_plain
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.users import FALLBACK, Resolution, UserResolver
from migrator.mapping.values import IDENTITY, Reporter, ValueMapper
from migrator.model import Attachment, Comment, Issue, Link, SourceRef, UserRef, Worklog
from migrator.plan import (
    INVERSE_RELATIONSHIP,
    PlannedAttachment,
    PlannedComment,
    PlannedIssue,
    PlannedLink,
    PlannedWorklog,
    make_unique,
)
from migrator.report.model import UserRow, ValueCoverageRow
from migrator.timeutil import (
    format_date,
    format_iso_duration,
    format_tracker_datetime,
    now_utc,
    truncate_to_millis,
)

SUMMARY_LIMIT = 255
MAX_KEY_DIGITS = 18  # an issue number Tracker can hold (a 64-bit integer)
TEXT_LIMIT = 512_000
PARENT_RELATIONSHIP = "is subtask for"
BODY_ORDER = (
    "queue",
    "unique",
    "key",
    "summary",
    "description",
    "markupType",
    "type",
    "status",
    "priority",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
    "resolution",
    "resolvedAt",
    "resolvedBy",
    "assignee",
    "followers",
    "tags",
    "components",
    "affectedVersions",
    "fixVersions",
    "deadline",
    "start",
    "end",
    "originalEstimation",
    "spent",
    "storyPoints",
)


def canonical_link_id(this_key: str, relationship: str, other_key: str) -> str:
    """The ledger id of a link, the same from both ends: the lexicographically smaller source key
    is the ``from`` side (the relationship inverted when the pair is flipped)."""
    if this_key <= other_key:
        return f"link:{this_key}|{relationship}|{other_key}"
    return f"link:{other_key}|{INVERSE_RELATIONSHIP[relationship]}|{this_key}"


def originally_by(user: UserRef) -> str:
    """The note put in texts whose author became the fallback user."""
    name = user.name if not user.display or user.display == user.name else f"{user.display} ({user.name})"
    return f"_Originally by {escape_plain(name)}_"


def _ms(value: datetime) -> datetime:
    return truncate_to_millis(value)


def _wire(value: datetime) -> str:
    return format_tracker_datetime(value)


def _millis(value: timedelta) -> int:
    return int(round(value.total_seconds() * 1000))


# =============================================================================================


class IssueTransformer:
    """Transforms canonical issues into planned imports; collects coverage, users and lossiness
    across every issue it sees (see ``coverage``, ``user_rows``, ``distributions``, ``lossy``)."""

    def __init__(
        self,
        config: MappingConfig,
        target: TargetInfo,
        findings: Findings,
        *,
        source_dir: Path | None,
        now: datetime | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``env`` (default: the process environment) holds ``source.files.auth_env``."""
        self.config = config
        self.target = target
        self.findings = findings
        self.now = _ms(now or now_utc())
        self.values = ValueMapper(config.values)
        self.users = UserResolver(config.users, target.users())
        self.markup = MarkupConverter(config.source.markup, user_login=self.users.mention_login)
        self.files = AttachmentFiles.from_spec(
            config.source.files, Path(source_dir or "."), os.environ if env is None else env
        )
        self.lossy: Counter[str] = Counter()
        self.component_ids = _Catalogue(target.components())
        self.version_ids = _Catalogue(target.versions())

    def transform(self, issue: Issue) -> PlannedIssue | None:
        """The planned import of ``issue``, or None when it has errors (all recorded in findings)."""
        scope = _Scope(self.findings, issue)
        planned = _IssueBuilder(self, issue, scope).build()
        return planned if scope.errors == 0 else None

    @property
    def coverage(self) -> list[ValueCoverageRow]:
        return self.values.coverage()

    @property
    def user_rows(self) -> list[UserRow]:
        return self.users.rows()

    @property
    def distributions(self) -> dict[str, list[tuple[str, str | None, int]]]:
        return self.values.distributions()

    def convert_text(self, text: str, scope: _Scope, field_name: str, where: SourceRef | None = None) -> str:
        """Source markup -> YFM, counting (and reporting) lossy constructs."""
        result = self.markup.convert(text)
        if result.lossy:
            self.lossy.update(result.lossy)
            kinds = ", ".join(sorted(set(result.lossy)))
            severity = Severity.WARNING if "converter_failed" in result.lossy else Severity.INFO
            scope.report(
                severity,
                "markup.lossy",
                f"{self.config.source.markup} markup converted with losses: {kinds}",
                field=field_name,
                value=kinds,
                where=where,
                hint="see docs/mapping.md (Markup) for what each kind means",
            )
        return result.text


class _Catalogue:
    """Components or versions of the queue: lookup by name (case-insensitive) or by id."""

    def __init__(self, by_name: dict[str, Any]) -> None:
        self._by_name = {name.casefold(): ident for name, ident in by_name.items()}
        self._ids = {str(ident): ident for ident in by_name.values()}

    def find(self, value: str) -> Any:
        if value.casefold() in self._by_name:
            return self._by_name[value.casefold()]
        return self._ids.get(value)


class _Scope:
    """Findings for one issue: location filled in, errors counted."""

    def __init__(self, findings: Findings, issue: Issue) -> None:
        self.findings = findings
        self.issue = issue
        self.errors = 0

    def report(
        self,
        severity: Severity,
        kind: str,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
        where: SourceRef | None = None,
    ) -> None:
        ref = where if where is not None and where.file else self.issue.source
        self.findings.add(
            severity, kind, message, where=ref, key=self.issue.key, field=field, value=value, hint=hint
        )
        if severity is Severity.ERROR:
            self.errors += 1

    def error(self, kind: str, message: str, **kw: Any) -> None:
        self.report(Severity.ERROR, kind, message, **kw)

    def warning(self, kind: str, message: str, **kw: Any) -> None:
        self.report(Severity.WARNING, kind, message, **kw)

    def info(self, kind: str, message: str, **kw: Any) -> None:
        self.report(Severity.INFO, kind, message, **kw)

    def value_reporter(self, field: str, where: SourceRef | None = None) -> Reporter:
        def report(severity: Severity, kind: str, message: str, value: str, hint: str | None) -> None:
            self.report(severity, kind, message, field=field, value=value, hint=hint, where=where)

        return report


@dataclass
class _Activity:
    """A child's timestamp and author: they decide the issue's updatedAt/updatedBy."""

    at: datetime
    by: str | None


@dataclass
class _CommentDraft:
    planned: PlannedComment
    created_at: datetime
    author: str | None


@dataclass
class _Parts:
    body: dict[str, Any] = field(default_factory=dict)
    local_fields: dict[str, Any] = field(default_factory=dict)
    activities: list[_Activity] = field(default_factory=list)


# =============================================================================================


class _IssueBuilder:
    """Builds one PlannedIssue (one instance per issue; all per-issue state lives here)."""

    def __init__(self, owner: IssueTransformer, issue: Issue, scope: _Scope) -> None:
        self.t = owner
        self.cfg = owner.config
        self.target = owner.target
        self.issue = issue
        self.scope = scope
        self.unique = make_unique(self.cfg.target.namespace, issue.source)
        self.created_at = _ms(issue.created_at)
        self.created_by: str | None = None
        self.parts = _Parts()
        self._files_seen: set[tuple[str, int, str]] = set()

    # ------------------------------------------------------------------ top level

    def build(self) -> PlannedIssue:
        body = self.parts.body
        body["queue"] = self.cfg.target.queue
        body["unique"] = self.unique
        self._summary()
        author = self._creation()
        resolution = self._classification()
        self._people()
        self._labels()
        self._schedule()
        self._extra_fields()
        self._key()
        comments, loose_files = self._comments()
        attachments = self._issue_attachments(loose_files)
        worklogs = self._worklogs()
        links = self._links()
        self._window(resolution)
        self._description(author)
        extras = {k: v for k, v in body.items() if k not in BODY_ORDER}
        ordered = {k: body[k] for k in BODY_ORDER if k in body} | extras
        return PlannedIssue(
            source=self.issue.source,
            source_key=self.issue.key,
            body=ordered,
            local_fields=self.parts.local_fields,
            comments=[d.planned for d in comments],
            attachments=attachments,
            worklogs=worklogs,
            links=links,
            parent_key=self.issue.parent_key,
        )

    # ------------------------------------------------------------------ helpers

    def _user(self, ref: UserRef, field_name: str, where: SourceRef | None = None) -> Resolution:
        resolution = self.t.users.resolve(ref)
        if resolution.method == FALLBACK:
            self.scope.warning(
                "user.fallback",
                f"user {ref.label()!r} has no Tracker account; written as {resolution.login}",
                field=field_name,
                value=ref.name,
                where=where,
                hint=f"{resolution.evidence}; add the user to users.map to keep the author",
            )
        elif not resolution.ok:
            self.scope.error(
                "user.unresolved",
                f"user {ref.label()!r} cannot be matched to a Tracker user: {resolution.evidence}",
                field=field_name,
                value=ref.name,
                where=where,
                hint="add the user to users.map, invite them to Tracker, or set users.fallback",
            )
        return resolution

    def _check_future(self, value: datetime, field_name: str, where: SourceRef | None = None) -> None:
        if value > self.t.now:
            self.scope.error(
                "time.future",
                f"{field_name} {_wire(value)} is in the future (now {_wire(self.t.now)})",
                field=field_name,
                value=_wire(value),
                where=where,
                hint="Tracker rejects future dates; check source.timezone and the column's date format",
            )

    def _not_before(
        self,
        value: datetime,
        floor: datetime,
        field_name: str,
        floor_label: str,
        where: SourceRef | None = None,
    ) -> datetime:
        value = _ms(value)
        self._check_future(value, field_name, where)
        if value >= floor:
            return value
        self.scope.warning(
            "time.clamped",
            f"{field_name} {_wire(value)} is before {floor_label} {_wire(floor)}; moved to {_wire(floor)}",
            field=field_name,
            value=_wire(value),
            where=where,
            hint="Tracker only accepts times inside the issue's [createdAt, updatedAt] window",
        )
        return floor

    def _reference(
        self, field_name: str, value: str | None, exists: Callable[[str], bool], map_name: str | None = None
    ) -> str | None:
        """A value-mapped Tracker key (type/status/priority/resolution/components/...), checked against the target."""
        if value is None or not str(value).strip():
            return None
        name = map_name or field_name
        mapped = self.t.values.apply(name, str(value).strip(), self.scope.value_reporter(field_name))
        if mapped.target is None:
            return None
        if exists(mapped.target):
            return mapped.target
        how = (
            f"add {value!r} to values.{name}.map"
            if mapped.how == IDENTITY
            else f"values.{name} turns {value!r} into {mapped.target!r}; use a key/name Tracker has"
        )
        self.scope.error(
            "value.unknown_in_target",
            f"{field_name} {mapped.target!r} does not exist in the target",
            field=field_name,
            value=value,
            hint=how,
        )
        return None

    # ------------------------------------------------------------------ issue fields

    def _summary(self) -> None:
        summary = self.issue.summary or ""
        if not summary.strip():
            self.scope.error(
                "summary.empty", "the summary is empty", field="summary", hint="Tracker requires a summary"
            )
        elif len(summary) > SUMMARY_LIMIT:
            self.scope.error(
                "summary.too_long",
                f"the summary has {len(summary)} characters (Tracker allows {SUMMARY_LIMIT})",
                field="summary",
                value=summary[:60] + "…",
                hint="shorten it in the export; the full text can go in the description",
            )
        self.parts.body["summary"] = summary

    def _creation(self) -> Resolution:
        body = self.parts.body
        self._check_future(self.created_at, "created_at")
        body["createdAt"] = _wire(self.created_at)
        author = self._user(self.issue.created_by, "created_by")
        self.created_by = author.login
        body["createdBy"] = author.login
        return author

    def _classification(self) -> str | None:
        """type, status, priority into the body; returns the resolution key (placed by ``_window``)."""
        body, issue, target = self.parts.body, self.issue, self.target
        type_key = self._reference("type", issue.type, target.has_type)
        if type_key:
            body["type"] = type_key
            if target.statuses_for_type(type_key) is None:
                self.scope.error(
                    "type.not_in_queue",
                    f"issue type {type_key!r} is not used in queue {self.cfg.target.queue}",
                    field="type",
                    value=issue.type,
                    hint="add the type to the queue, or map it to one the queue has",
                )
        status = self._reference("status", issue.status, target.has_status)
        if status:
            body["status"] = status
            self._check_workflow(status, type_key or target.default_type())
        priority = self._reference("priority", issue.priority, target.has_priority)
        if priority:
            body["priority"] = priority
        return self._reference("resolution", issue.resolution, target.has_resolution)

    def _check_workflow(self, status: str, type_key: str | None) -> None:
        allowed = self.target.statuses_for_type(type_key) if type_key else None
        if allowed is None or status in allowed:
            return
        self.scope.error(
            "status.not_in_workflow",
            f"status {status!r} is not in the workflow of type {type_key!r}",
            field="status",
            value=self.issue.status,
            hint=f"the workflow allows {', '.join(sorted(allowed))}; change values.status.map or the queue's workflow",
        )

    def _people(self) -> None:
        body, issue = self.parts.body, self.issue
        if issue.assignee is not None:
            login = self._user(issue.assignee, "assignee").login
            if login:
                body["assignee"] = login
        followers: list[str] = []
        for index, ref in enumerate(issue.followers):
            login = self._user(ref, f"followers[{index}]").login
            if login and login not in followers:
                followers.append(login)
        if followers:
            body["followers"] = followers

    def _labels(self) -> None:
        body, issue = self.parts.body, self.issue
        tags: list[str] = []
        for tag in issue.tags:
            mapped = self._tag(tag)
            if mapped and mapped not in tags:
                tags.append(mapped)
        if tags:
            body["tags"] = tags
        for key, name, values, catalogue in (
            ("components", "components", issue.components, self.t.component_ids),
            ("affectedVersions", "versions", issue.affected_versions, self.t.version_ids),
            ("fixVersions", "versions", issue.fix_versions, self.t.version_ids),
        ):
            ids = self._catalogue_ids(key, name, values, catalogue)
            if ids:
                body[key] = ids

    def _tag(self, tag: str) -> str | None:
        if not tag or not tag.strip():
            return None
        if not self.t.values.has_map("tags"):
            return tag.strip()
        return self.t.values.apply("tags", tag.strip(), self.scope.value_reporter("tags")).target

    def _catalogue_ids(
        self, key: str, map_name: str, names: Iterable[str], catalogue: _Catalogue
    ) -> list[Any]:
        ids: list[Any] = []
        for name in names:
            found = self._reference(key, name, lambda v: catalogue.find(v) is not None, map_name)
            ident = catalogue.find(found) if found else None
            if ident is not None and ident not in ids:
                ids.append(ident)
        return ids

    def _schedule(self) -> None:
        body, issue = self.parts.body, self.issue
        for key, value in (("deadline", issue.deadline), ("start", issue.start), ("end", issue.end)):
            if value is not None:
                body[key] = format_date(value)
        if issue.original_estimation is not None:
            body["originalEstimation"] = _millis(issue.original_estimation)
        if issue.spent is not None:
            body["spent"] = _millis(issue.spent)
        if issue.story_points is not None:
            body["storyPoints"] = float(issue.story_points)

    def _extra_fields(self) -> None:
        for index, spec in enumerate(self.cfg.fields):
            raw = extra.source_value(self.issue, spec.source)
            if extra.is_empty(raw):
                continue
            self._extra_field(index, spec, raw)

    def _extra_field(self, index: int, spec: ExtraField, raw: Any) -> None:
        info = self.target.local_field(spec.target) if spec.local else self.target.global_field(spec.target)
        kind = "local" if spec.local else "global"
        if info is None:
            self.scope.error(
                "field.unknown",
                f"the target has no {kind} field {spec.target!r}",
                field=spec.target,
                value=spec.target,
                hint=f"fields[{index}].target must be a Tracker {'local field key of the queue' if spec.local else 'field id'}"
                + ("" if spec.local else " (a queue-local field needs local: true)"),
            )
            return
        value = self._extra_value(spec, extra.apply_map(raw, spec.map))
        if value is None:
            return
        problem = extra.schema_problem(spec.type, info)
        if problem:
            self.scope.error(
                "field.bad_value", problem, field=spec.target, value=raw, hint=f"fix fields[{index}].type"
            )
            return
        problem = extra.option_problem(value, info)
        if problem:
            self.scope.error(
                "field.bad_option",
                problem,
                field=spec.target,
                value=raw,
                hint=f"add a map to fields[{index}] translating source values to the field's options",
            )
            return
        if spec.local:
            self.parts.local_fields[info.id] = value
        else:
            self.parts.body[info.id] = value

    def _extra_value(self, spec: ExtraField, value: Any) -> Any:
        if spec.type == "user":
            ref = value if isinstance(value, UserRef) else UserRef(name=str(value).strip())
            return self._user(ref, spec.target).login
        try:
            return extra.convert(value, spec.type)
        except extra.FieldValueError as exc:
            self.scope.error(
                "field.bad_value",
                f"{spec.target}: {exc}",
                field=spec.target,
                value=value,
                hint=f"the mapping declares type: {spec.type} for it",
            )
            return None

    def _key(self) -> None:
        if not self.cfg.target.keep_keys:
            return
        match = re.search(r"(\d+)\s*$", self.issue.key or "")
        if match is None:
            self.scope.error(
                "key.not_numbered",
                f"source key {self.issue.key!r} has no number to keep",
                field="key",
                value=self.issue.key,
                hint="set target.keep_keys: false to let Tracker number the issues",
            )
            return
        digits = match.group(1).lstrip("0") or "0"  # not int(): it refuses more than 4,300 digits
        if len(digits) > MAX_KEY_DIGITS:
            self.scope.error(
                "key.not_numbered",
                f"the number of source key {self.issue.key[:40]!r}… has {len(digits)} digits",
                field="key",
                value=self.issue.key[:200],
                hint="set target.keep_keys: false to let Tracker number the issues",
            )
            return
        self.parts.body["key"] = f"{self.cfg.target.queue}-{digits}"

    def _description(self, author: Resolution) -> None:
        text = self.t.convert_text(self.issue.description or "", self.scope, "description")
        text = self._attributed(text, author, self.issue.created_by)
        if not text:
            return
        self._check_length(text, "description")
        self.parts.body["description"] = text
        if self.cfg.target.markup_type:
            self.parts.body["markupType"] = self.cfg.target.markup_type

    def _attributed(self, text: str, author: Resolution, ref: UserRef) -> str:
        if author.method != FALLBACK or not self.cfg.users.keep_original_name:
            return text
        note = originally_by(ref)
        return f"{note}\n\n{text}" if text else note

    def _check_length(self, text: str, field_name: str, where: SourceRef | None = None) -> None:
        if len(text) > TEXT_LIMIT:
            self.scope.error(
                "text.too_long",
                f"{field_name} has {len(text)} characters after conversion (Tracker allows {TEXT_LIMIT})",
                field=field_name,
                value=len(text),
                where=where,
                hint="shorten the text in the export or attach it as a file",
            )

    # ------------------------------------------------------------------ window

    def _window(self, resolution: str | None) -> None:
        """updatedAt/updatedBy and the resolution triple, inside the import API's windows."""
        body, issue = self.parts.body, self.issue
        source_updated = None
        if issue.updated_at is not None:
            source_updated = self._not_before(issue.updated_at, self.created_at, "updated_at", "created_at")
        resolved_at = None
        if issue.resolved_at is not None:
            if resolution is None:
                self.scope.warning(
                    "resolution.missing",
                    "resolved_at is set but the issue has no resolution; resolvedAt/resolvedBy dropped",
                    field="resolved_at",
                    value=_wire(_ms(issue.resolved_at)),
                    hint="Tracker takes resolvedAt only with a resolution; map the resolution (values.resolution)",
                )
            else:
                resolved_at = self._not_before(
                    issue.resolved_at, self.created_at, "resolved_at", "created_at"
                )
        candidates = [self.created_at] + [a.at for a in self.parts.activities]
        candidates += [t for t in (source_updated, resolved_at) if t is not None]
        updated_at = max(candidates)
        if source_updated is not None and updated_at > source_updated:
            self.scope.info(
                "time.updated_extended",
                f"updatedAt moved from {_wire(source_updated)} to {_wire(updated_at)}",
                field="updated_at",
                value=_wire(source_updated),
                hint="a comment, file, worklog, link or the resolution is later than the issue's last update",
            )
        updated_by = self._updated_by()
        body["updatedAt"] = _wire(updated_at)
        body["updatedBy"] = updated_by
        if resolution is not None:
            self._resolution(resolution, resolved_at, updated_at, updated_by)

    def _updated_by(self) -> str | None:
        if self.issue.updated_by is not None:
            return self._user(self.issue.updated_by, "updated_by").login
        latest = max(self.parts.activities, key=lambda a: a.at, default=None)
        if latest is not None and latest.by:
            return latest.by
        return self.created_by

    def _resolution(
        self, resolution: str, resolved_at: datetime | None, updated_at: datetime, updated_by: str | None
    ) -> None:
        body = self.parts.body
        if resolved_at is None:
            self.scope.warning(
                "resolution.no_date",
                f"resolution {resolution!r} has no resolved_at; the issue's updatedAt is used",
                field="resolved_at",
                value=None,
                hint="map the source's resolution date column to resolved_at",
            )
            resolved_at = updated_at
        resolved_by = updated_by
        if self.issue.resolved_by is not None:
            resolved_by = self._user(self.issue.resolved_by, "resolved_by").login
        body["resolution"] = resolution
        body["resolvedAt"] = _wire(resolved_at)
        body["resolvedBy"] = resolved_by

    # ------------------------------------------------------------------ comments

    def _comments(self) -> tuple[list[_CommentDraft], list[tuple[Attachment, str]]]:
        """Planned comments in createdAt order, and files that end up issue-level (of skipped or
        unknown comments) with the field path they are reported under."""
        by_comment: dict[str, list[tuple[Attachment, str]]] = {}
        loose: list[tuple[Attachment, str]] = []
        for index, att in enumerate(self.issue.attachments):
            if att.comment_id is None:
                continue
            by_comment.setdefault(att.comment_id, []).append((att, f"attachments[{index}]"))
        drafts: list[_CommentDraft] = []
        order = sorted(enumerate(self.issue.comments), key=lambda pair: _ms(pair[1].created_at))
        for index, comment in order:
            files = [(a, f"comments[{index}].attachments[{j}]") for j, a in enumerate(comment.attachments)]
            files += by_comment.pop(comment.source.id, [])
            draft = self._comment(index, comment)
            if draft is None:
                loose.extend(files)
                continue
            draft.planned.attachments = self._attachments(
                files, draft.created_at, "the comment's createdAt", draft.author
            )
            drafts.append(draft)
        for comment_id, files in by_comment.items():
            for att, path in files:
                self.scope.warning(
                    "attachment.comment_missing",
                    f"file {att.filename!r} belongs to comment {comment_id!r}, which the issue does not have",
                    field=f"{path}.comment_id",
                    value=comment_id,
                    where=att.source,
                    hint="the file is attached to the issue instead",
                )
                loose.append((att, path))
        return drafts, loose

    def _comment(self, index: int, comment: Comment) -> _CommentDraft | None:
        prefix, where = f"comments[{index}]", comment.source
        author = self._user(comment.author, f"{prefix}.author", where)
        created = self._not_before(
            comment.created_at, self.created_at, f"{prefix}.created_at", "the issue's createdAt", where
        )
        text = self.t.convert_text(comment.text or "", self.scope, f"{prefix}.text", where)
        if not text.strip():
            files = len(comment.attachments)
            self.scope.warning(
                "comment.empty",
                "the comment has no text and is skipped" + (" (its files go to the issue)" if files else ""),
                field=f"{prefix}.text",
                where=where,
                hint="Tracker does not accept comments without text",
            )
            return None
        text = self._attributed(text, author, comment.author)
        self._check_length(text, f"{prefix}.text", where)
        body: dict[str, Any] = {"text": text, "createdAt": _wire(created), "createdBy": author.login}
        self.parts.activities.append(_Activity(created, author.login))
        if comment.updated_at is not None:
            updated = self._not_before(
                comment.updated_at, created, f"{prefix}.updated_at", "the comment's createdAt", where
            )
            editor = (
                self._user(comment.updated_by, f"{prefix}.updated_by", where).login
                if comment.updated_by
                else author.login
            )
            body["updatedAt"] = _wire(updated)
            body["updatedBy"] = editor
            self.parts.activities.append(_Activity(updated, editor))
        if self.cfg.target.markup_type:
            body["markupType"] = self.cfg.target.markup_type
        planned = PlannedComment(source_id=f"{self.unique}/comment:{comment.source.id}", body=body)
        return _CommentDraft(planned, created, author.login)

    # ------------------------------------------------------------------ attachments

    def _issue_attachments(self, loose: list[tuple[Attachment, str]]) -> list[PlannedAttachment]:
        files = [
            (a, f"attachments[{i}]") for i, a in enumerate(self.issue.attachments) if a.comment_id is None
        ]
        return self._attachments(files + loose, self.created_at, "the issue's createdAt", self.created_by)

    def _attachments(
        self, files: list[tuple[Attachment, str]], floor: datetime, floor_label: str, default_by: str | None
    ) -> list[PlannedAttachment]:
        planned = []
        for att, path in files:
            item = self._attachment(att, path, floor, floor_label, default_by)
            if item is not None:
                planned.append(item)
        return planned

    def _attachment(
        self, att: Attachment, path: str, floor: datetime, floor_label: str, default_by: str | None
    ) -> PlannedAttachment | None:
        where = att.source
        filename = (att.filename or "").strip() or Path(att.location or "").name
        if len(filename) > MAX_FILENAME:
            self.scope.error(
                "attachment.name_too_long",
                f"the file name has {len(filename)} characters (Tracker allows {MAX_FILENAME})",
                field=f"{path}.filename",
                value=filename[:60] + "…",
                where=where,
                hint="rename the file in the export",
            )
        found = self.t.files.resolve(att)
        if isinstance(found, FileProblem):
            self.scope.error(
                found.kind,
                found.message,
                field=f"{path}.location",
                value=att.location,
                where=where,
                hint=found.hint,
            )
            return None
        self._check_size(att, found.size, path)
        fingerprint = (filename, found.size, found.sha256)
        if fingerprint in self._files_seen:
            self.scope.warning(
                "attachment.duplicate",
                f"{filename!r} ({found.size} bytes) is attached twice; imported once",
                field=path,
                value=filename,
                where=where,
                hint="same name, size and SHA-256 as an earlier file of the issue",
            )
            return None
        self._files_seen.add(fingerprint)
        created = self._not_before(att.created_at or floor, floor, f"{path}.created_at", floor_label, where)
        by = self._user(att.author, f"{path}.author", where).login if att.author else default_by
        self.parts.activities.append(_Activity(created, by))
        return PlannedAttachment(
            source_id=f"{self.unique}/attachment:{att.source.id}",
            filename=filename,
            path=str(found.path),
            created_at=_wire(created),
            created_by=by or "",
            size=found.size,
            sha256=found.sha256,
        )

    def _check_size(self, att: Attachment, actual: int, path: str) -> None:
        if att.size is not None and att.size != actual:
            self.scope.warning(
                "attachment.size_mismatch",
                f"the export says {att.size} bytes, the file has {actual}",
                field=f"{path}.size",
                value=att.size,
                where=att.source,
                hint="the file may be truncated or a different version",
            )

    # ------------------------------------------------------------------ worklogs

    def _worklogs(self) -> list[PlannedWorklog]:
        planned = []
        for index, worklog in enumerate(self.issue.worklogs):
            item = self._worklog(index, worklog)
            if item is not None:
                planned.append(item)
        return planned

    def _worklog(self, index: int, worklog: Worklog) -> PlannedWorklog | None:
        prefix, where = f"worklogs[{index}]", worklog.source
        if worklog.duration.total_seconds() <= 0:
            self.scope.warning(
                "worklog.empty",
                f"the worklog's duration is {worklog.duration}; skipped",
                field=f"{prefix}.duration",
                value=str(worklog.duration),
                where=where,
                hint="Tracker needs a positive duration",
            )
            return None
        author = self._user(worklog.author, f"{prefix}.author", where).login
        start = _ms(worklog.start)
        self._check_future(start, f"{prefix}.start", where)
        created = self._not_before(
            worklog.created_at or start,
            self.created_at,
            f"{prefix}.created_at",
            "the issue's createdAt",
            where,
        )
        self.parts.activities.append(_Activity(created, author))
        body: dict[str, Any] = {
            "start": _wire(start),
            "duration": format_iso_duration(worklog.duration),
            "createdAt": _wire(created),
            "createdBy": author,
        }
        if worklog.comment and worklog.comment.strip():
            body["comment"] = worklog.comment
        return PlannedWorklog(source_id=f"{self.unique}/worklog:{worklog.source.id}", body=body)

    # ------------------------------------------------------------------ links

    def _links(self) -> list[PlannedLink]:
        planned: dict[str, PlannedLink] = {}
        for index, link in enumerate(self.issue.links):
            self._link(index, link, planned)
        if self.issue.parent_key:
            self._add_link(
                planned,
                self.issue.parent_key,
                PARENT_RELATIONSHIP,
                self.created_at,
                self.created_by,
                "parent",
            )
        return list(planned.values())

    def _link(self, index: int, link: Link, planned: dict[str, PlannedLink]) -> None:
        prefix, where, key = f"links[{index}]", link.source, self.issue.key
        relationship = self._relationship(link.relationship, f"{prefix}.relationship", where)
        if relationship is None:
            return
        if link.from_key == key:
            other, seen_here = link.to_key, relationship
        elif link.to_key == key:
            other, seen_here = link.from_key, INVERSE_RELATIONSHIP[relationship]
        else:
            self.scope.error(
                "link.not_on_issue",
                f"link {link.from_key} -> {link.to_key} does not involve this issue",
                field=prefix,
                value=f"{link.from_key} {link.relationship} {link.to_key}",
                where=where,
                hint="the source adapter attached the link to the wrong issue",
            )
            return
        if other == key:
            self.scope.warning(
                "link.self", "the issue links to itself; skipped", field=prefix, value=other, where=where
            )
            return
        created = self._not_before(
            link.created_at or self.created_at,
            self.created_at,
            f"{prefix}.created_at",
            "the issue's createdAt",
            where,
        )
        by = self._user(link.author, f"{prefix}.author", where).login if link.author else self.created_by
        self._add_link(planned, other, seen_here, created, by, prefix)

    def _relationship(self, value: str, field_name: str, where: SourceRef) -> str | None:
        if not value or not value.strip():
            return None
        mapped = self.t.values.apply("link", value.strip(), self.scope.value_reporter(field_name, where))
        if mapped.target is None:
            return None
        if mapped.target in INVERSE_RELATIONSHIP and mapped.target in self.target.link_relationships():
            return mapped.target
        self.scope.error(
            "value.unknown_in_target",
            f"link relationship {mapped.target!r} is not one Tracker can import",
            field=field_name,
            value=value,
            where=where,
            hint=f"map it in values.link.map to one of: {', '.join(sorted(self.target.link_relationships()))}",
        )
        return None

    def _add_link(
        self,
        planned: dict[str, PlannedLink],
        other: str,
        relationship: str,
        created: datetime,
        by: str | None,
        label: str,
    ) -> None:
        if relationship not in self.target.link_relationships():
            self.scope.error(
                "value.unknown_in_target",
                f"the target has no link type for {relationship!r}",
                field=label,
                value=relationship,
                hint="add the link type in Tracker",
            )
            return
        source_id = canonical_link_id(self.issue.key, relationship, other)
        if source_id in planned:
            return
        self.parts.activities.append(_Activity(created, by))
        planned[source_id] = PlannedLink(
            source_id=source_id,
            to_source_key=other,
            relationship=relationship,
            created_at=_wire(created),
            created_by=by or "",
        )
