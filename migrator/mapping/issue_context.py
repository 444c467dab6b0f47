"""One issue on its way to a ``PlannedIssue``: its findings scope, the state its planners share,
and the checks both the field planner and the child planner make (users, times, text lengths).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from migrator.findings import Findings, Severity
from migrator.mapping.attachments import AttachmentFiles
from migrator.mapping.config import MappingConfig
from migrator.mapping.markup import escape_plain
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.users import FALLBACK, NOBODY, UNDECIDED_USER, Resolution, UserResolver
from migrator.mapping.values import Reporter, ValueMapper
from migrator.model import Issue, SourceRef, UserRef
from migrator.plan import make_unique
from migrator.timeutil import format_tracker_datetime, truncate_to_millis

TEXT_LIMIT = 512_000


def ms(value: datetime) -> datetime:
    """Tracker keeps milliseconds: every time is truncated to them before it is compared or sent."""
    return truncate_to_millis(value)


def wire(value: datetime) -> str:
    return format_tracker_datetime(value)


def not_migrated_note(filename: str, reason: str) -> str:
    """The line left in an issue's description (or a comment) for a file that could not be imported."""
    return f"_Attachment not migrated: {escape_plain(filename)} ({reason})_"


def originally_by(user: UserRef) -> str:
    """The note put in texts whose author became the fallback user."""
    name = user.name if not user.display or user.display == user.name else f"{user.display} ({user.name})"
    return f"_Originally by {escape_plain(name)}_"


class IssueScope:
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


class Catalogue:
    """Components or versions of the queue: lookup by name (case-insensitive) or by id. Read from
    ``load`` at the first lookup: an export without components (versions) never asks the target."""

    def __init__(self, load: Callable[[], dict[str, Any]]) -> None:
        self._load: Callable[[], dict[str, Any]] | None = load
        self._by_name: dict[str, Any] = {}
        self._ids: dict[str, Any] = {}

    def find(self, value: str) -> Any:
        if self._load is not None:
            by_name = self._load()
            self._by_name = {name.casefold(): ident for name, ident in by_name.items()}
            self._ids = {str(ident): ident for ident in by_name.values()}
            self._load = None
        if value.casefold() in self._by_name:
            return self._by_name[value.casefold()]
        return self._ids.get(value)


@dataclass
class Activity:
    """A child's timestamp and author: they decide the issue's updatedAt/updatedBy."""

    at: datetime
    by: str | None


@dataclass
class IssueParts:
    body: dict[str, Any] = field(default_factory=dict)
    local_fields: dict[str, Any] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # paragraphs appended to the description


class TransformTools(Protocol):
    """What an issue's planners use from the run-wide transformer (``IssueTransformer``)."""

    config: MappingConfig
    target: TargetInfo
    now: datetime
    values: ValueMapper
    users: UserResolver
    files: AttachmentFiles
    component_ids: Catalogue
    version_ids: Catalogue

    def convert_text(
        self, text: str, scope: IssueScope, field_name: str, where: SourceRef | None = None
    ) -> str: ...


# Fields naming who *did* something: never "nobody" (users.map: null falls back for them).
_AUTHORSHIP = re.compile(r"(^|\.)(created_by|updated_by|resolved_by|author)$")


class IssueContext:
    """The state of one issue being planned, shared by its field and child planners."""

    def __init__(self, tools: TransformTools, issue: Issue, scope: IssueScope) -> None:
        self.t = tools
        self.cfg = tools.config
        self.target = tools.target
        self.issue = issue
        self.scope = scope
        self.unique = make_unique(self.cfg.target.namespace, issue.source)
        self.created_at = ms(issue.created_at)
        self.created_by: str | None = None  # set once the author is resolved
        self.parts = IssueParts()

    def user(self, ref: UserRef, field_name: str, where: SourceRef | None = None) -> Resolution:
        authorship = _AUTHORSHIP.search(field_name) is not None
        resolution = (self.t.users.resolve_author if authorship else self.t.users.resolve)(ref)
        if resolution.method == NOBODY:
            if self.t.users.first_nobody(ref):
                self.scope.info(
                    "user.nobody",
                    f"user {ref.label()!r} is mapped to nobody: {field_name} and every other field "
                    "naming them is left empty (said once per user)",
                    field=field_name,
                    value=ref.name,
                    where=where,
                    hint="users.map sends this user to null; map them to a login to keep them",
                )
            return resolution
        if resolution.method == FALLBACK:
            self.scope.warning(
                "user.fallback",
                f"user {ref.label()!r} has no Tracker account; written as {resolution.login}",
                field=field_name,
                value=ref.name,
                where=where,
                hint=f"{resolution.evidence}; add the user to users.map to keep the author",
            )
        elif resolution.method == UNDECIDED_USER:
            self.scope.error(
                "decision.undecided",
                f'user {ref.label()!r}: {resolution.evidence} ("?")',
                field=field_name,
                value=ref.name,
                where=where,
                hint="replace the ? in users.map with their Tracker login (or null for nobody)",
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

    def check_future(self, value: datetime, field_name: str, where: SourceRef | None = None) -> None:
        if value > self.t.now:
            self.scope.error(
                "time.future",
                f"{field_name} {wire(value)} is in the future (now {wire(self.t.now)})",
                field=field_name,
                value=wire(value),
                where=where,
                hint="Tracker rejects future dates; check source.timezone and the column's date format",
            )

    def not_before(
        self,
        value: datetime,
        floor: datetime,
        field_name: str,
        floor_label: str,
        where: SourceRef | None = None,
    ) -> datetime:
        value = ms(value)
        self.check_future(value, field_name, where)
        if value >= floor:
            return value
        self.scope.warning(
            "time.clamped",
            f"{field_name} {wire(value)} is before {floor_label} {wire(floor)}; moved to {wire(floor)}",
            field=field_name,
            value=wire(value),
            where=where,
            hint="Tracker only accepts times inside the issue's [createdAt, updatedAt] window",
        )
        return floor

    def attributed(self, text: str, author: Resolution, ref: UserRef) -> str:
        if author.method != FALLBACK or not self.cfg.users.keep_original_name:
            return text
        note = originally_by(ref)
        return f"{note}\n\n{text}" if text else note

    def check_length(self, text: str, field_name: str, where: SourceRef | None = None) -> None:
        if len(text) > TEXT_LIMIT:
            self.scope.error(
                "text.too_long",
                f"{field_name} has {len(text)} characters after conversion (Tracker allows {TEXT_LIMIT})",
                field=field_name,
                value=len(text),
                where=where,
                hint="shorten the text in the export or attach it as a file",
            )
