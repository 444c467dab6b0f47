"""The planned issue's own fields: summary, author, type/status/priority, people, tags, components
and versions, dates, extra fields, the kept key, the description — and the time window
(``updatedAt``, the resolution triple) that the children's times decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from migrator.mapping import fields as extra
from migrator.mapping.config import ExtraField
from migrator.mapping.issue_context import Catalogue, IssueContext, ms, wire
from migrator.mapping.users import Resolution
from migrator.mapping.values import IDENTITY
from migrator.model import UserRef
from migrator.plan import append_notes
from migrator.timeutil import format_date
from migrator.vocabulary import local_field_key

SUMMARY_LIMIT = 255
MAX_KEY_DIGITS = 18  # an issue number Tracker can hold (a 64-bit integer)


def _millis(value: timedelta) -> int:
    return int(round(value.total_seconds() * 1000))


class IssueFieldsPlanner:
    """Fills ``ctx.parts.body`` / ``local_fields`` of one issue, reporting to its scope."""

    def __init__(self, ctx: IssueContext) -> None:
        self.ctx = ctx

    def summary(self) -> None:
        summary = self.ctx.issue.summary or ""
        if not summary.strip():
            self.ctx.scope.error(
                "summary.empty", "the summary is empty", field="summary", hint="Tracker requires a summary"
            )
        elif len(summary) > SUMMARY_LIMIT:
            self.ctx.scope.error(
                "summary.too_long",
                f"the summary has {len(summary)} characters (Tracker allows {SUMMARY_LIMIT})",
                field="summary",
                value=summary[:60] + "…",
                hint="shorten it in the export; the full text can go in the description",
            )
        self.ctx.parts.body["summary"] = summary

    def creation(self) -> Resolution:
        body = self.ctx.parts.body
        self.ctx.check_future(self.ctx.created_at, "created_at")
        body["createdAt"] = wire(self.ctx.created_at)
        author = self.ctx.user(self.ctx.issue.created_by, "created_by")
        self.ctx.created_by = author.login
        body["createdBy"] = author.login
        return author

    def classification(self) -> str | None:
        """type, status, priority into the body; returns the resolution key (placed by ``_window``)."""
        body, issue, target = self.ctx.parts.body, self.ctx.issue, self.ctx.target
        type_key = self._reference("type", issue.type, target.has_type)
        if type_key:
            body["type"] = type_key
            if target.statuses_for_type(type_key) is None:
                self.ctx.scope.error(
                    "type.not_in_queue",
                    f"issue type {type_key!r} is not used in queue {self.ctx.cfg.target.queue}",
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
        allowed = self.ctx.target.statuses_for_type(type_key) if type_key else None
        if allowed is None or status in allowed:
            return
        self.ctx.scope.error(
            "status.not_in_workflow",
            f"status {status!r} is not in the workflow of type {type_key!r}",
            field="status",
            value=self.ctx.issue.status,
            hint=f"the workflow allows {', '.join(sorted(allowed))}; change values.status.map or the queue's workflow",
        )

    def people(self) -> None:
        body, issue = self.ctx.parts.body, self.ctx.issue
        if issue.assignee is not None:
            login = self.ctx.user(issue.assignee, "assignee").login
            if login:
                body["assignee"] = login
        followers: list[str] = []
        for index, ref in enumerate(issue.followers):
            login = self.ctx.user(ref, f"followers[{index}]").login
            if login and login not in followers:
                followers.append(login)
        if followers:
            body["followers"] = followers

    def labels(self) -> None:
        body, issue = self.ctx.parts.body, self.ctx.issue
        tags: list[str] = []
        for tag in issue.tags:
            mapped = self._tag(tag)
            if mapped and mapped not in tags:
                tags.append(mapped)
        if tags:
            body["tags"] = tags
        for key, name, values, catalogue in (
            ("components", "components", issue.components, self.ctx.t.component_ids),
            ("affectedVersions", "versions", issue.affected_versions, self.ctx.t.version_ids),
            ("fixVersions", "versions", issue.fix_versions, self.ctx.t.version_ids),
        ):
            ids = self._catalogue_ids(key, name, values, catalogue)
            if ids:
                body[key] = ids

    def _tag(self, tag: str) -> str | None:
        if not tag or not tag.strip():
            return None
        if not self.ctx.t.values.has_map("tags"):
            return tag.strip()
        return self.ctx.t.values.apply("tags", tag.strip(), self.ctx.scope.value_reporter("tags")).target

    def _catalogue_ids(
        self, key: str, map_name: str, names: Iterable[str], catalogue: Catalogue
    ) -> list[Any]:
        ids: list[Any] = []
        for name in names:
            found = self._reference(key, name, lambda v: catalogue.find(v) is not None, map_name)
            ident = catalogue.find(found) if found else None
            if ident is not None and ident not in ids:
                ids.append(ident)
        return ids

    def schedule(self) -> None:
        body, issue = self.ctx.parts.body, self.ctx.issue
        for key, value in (("deadline", issue.deadline), ("start", issue.start), ("end", issue.end)):
            if value is not None:
                body[key] = format_date(value)
        if issue.original_estimation is not None:
            body["originalEstimation"] = _millis(issue.original_estimation)
        if issue.spent is not None:
            body["spent"] = _millis(issue.spent)
        if issue.story_points is not None:
            body["storyPoints"] = float(issue.story_points)

    def extra_fields(self) -> None:
        for index, spec in enumerate(self.ctx.cfg.fields):
            raw = extra.source_value(self.ctx.issue, spec.source)
            if extra.is_blank(raw):
                continue
            self._extra_field(index, spec, raw)

    def _extra_field(self, index: int, spec: ExtraField, raw: Any) -> None:
        info = (
            self.ctx.target.local_field(spec.target)
            if spec.local
            else self.ctx.target.global_field(spec.target)
        )
        kind = "local" if spec.local else "global"
        if info is None:
            self.ctx.scope.error(
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
            self.ctx.scope.error(
                "field.bad_value", problem, field=spec.target, value=raw, hint=f"fix fields[{index}].type"
            )
            return
        problem = extra.option_problem(value, info)
        if problem:
            self.ctx.scope.error(
                "field.bad_option",
                problem,
                field=spec.target,
                value=raw,
                hint=f"add a map to fields[{index}] translating source values to the field's options",
            )
            return
        if spec.local:
            self.ctx.parts.local_fields[info.id] = value
        else:
            self.ctx.parts.body[info.id] = value

    def _extra_value(self, spec: ExtraField, value: Any) -> Any:
        if spec.type == "user":
            ref = value if isinstance(value, UserRef) else UserRef(name=str(value).strip())
            return self.ctx.user(ref, spec.target).login
        try:
            return extra.convert(value, spec.type)
        except extra.FieldValueError as exc:
            self.ctx.scope.error(
                "field.bad_value",
                f"{spec.target}: {exc}",
                field=spec.target,
                value=value,
                hint=f"the mapping declares type: {spec.type} for it",
            )
            return None

    def key(self) -> None:
        if not self.ctx.cfg.target.keep_keys:
            return
        match = re.search(r"(\d+)\s*$", self.ctx.issue.key or "")
        if match is None:
            self.ctx.scope.error(
                "key.not_numbered",
                f"source key {self.ctx.issue.key!r} has no number to keep",
                field="key",
                value=self.ctx.issue.key,
                hint="set target.keep_keys: false to let Tracker number the issues",
            )
            return
        digits = match.group(1).lstrip("0") or "0"  # not int(): it refuses more than 4,300 digits
        if len(digits) > MAX_KEY_DIGITS:
            self.ctx.scope.error(
                "key.not_numbered",
                f"the number of source key {self.ctx.issue.key[:40]!r}… has {len(digits)} digits",
                field="key",
                value=self.ctx.issue.key[:200],
                hint="set target.keep_keys: false to let Tracker number the issues",
            )
            return
        self.ctx.parts.body["key"] = f"{self.ctx.cfg.target.queue}-{digits}"

    def description(self, author: Resolution) -> None:
        text = self.ctx.t.convert_text(self.ctx.issue.description or "", self.ctx.scope, "description")
        text = self.ctx.attributed(text, author, self.ctx.issue.created_by)
        text = append_notes(text, self.ctx.parts.notes) if self.ctx.parts.notes else text
        if not text:
            return
        self.ctx.check_length(text, "description")
        self.ctx.parts.body["description"] = text
        if self.ctx.cfg.target.markup_type:
            self.ctx.parts.body["markupType"] = self.ctx.cfg.target.markup_type

    def window(self, resolution: str | None) -> None:
        """updatedAt/updatedBy and the resolution triple, inside the import API's windows."""
        body, issue = self.ctx.parts.body, self.ctx.issue
        source_updated = None
        if issue.updated_at is not None:
            source_updated = self.ctx.not_before(
                issue.updated_at, self.ctx.created_at, "updated_at", "created_at"
            )
        resolved_at = None
        if issue.resolved_at is not None:
            if resolution is None:
                self.ctx.scope.warning(
                    "resolution.missing",
                    "resolved_at is set but the issue has no resolution; resolvedAt/resolvedBy dropped",
                    field="resolved_at",
                    value=wire(ms(issue.resolved_at)),
                    hint="Tracker takes resolvedAt only with a resolution; map the resolution (values.resolution)",
                )
            else:
                resolved_at = self.ctx.not_before(
                    issue.resolved_at, self.ctx.created_at, "resolved_at", "created_at"
                )
        candidates = [self.ctx.created_at] + [a.at for a in self.ctx.parts.activities]
        candidates += [t for t in (source_updated, resolved_at) if t is not None]
        updated_at = max(candidates)
        if source_updated is not None and updated_at > source_updated:
            self.ctx.scope.info(
                "time.updated_extended",
                f"updatedAt moved from {wire(source_updated)} to {wire(updated_at)}",
                field="updated_at",
                value=wire(source_updated),
                hint="a comment, file, worklog, link or the resolution is later than the issue's last update",
            )
        updated_by = self._updated_by()
        body["updatedAt"] = wire(updated_at)
        body["updatedBy"] = updated_by
        if resolution is not None:
            self._resolution(resolution, resolved_at, updated_at, updated_by)

    def local_fields_patch(self) -> None:
        """Queue-local fields go in no ``_import`` body (Tracker refuses them there; the official
        importer PATCHes them too): their PATCH after the import moves the issue's stamps."""
        local = self.ctx.parts.local_fields
        if not local:
            return
        body = self.ctx.parts.body
        names = ", ".join(local_field_key(name) for name in local)
        self.ctx.scope.warning(
            "local_fields.updated_at_moves",
            f"the queue-local field(s) {names} cannot be imported with the issue: they are set by a PATCH "
            "after it, so Tracker shows the run's time as updatedAt and the token's user as updatedBy "
            f"(the export says {body.get('updatedAt')} by {body.get('updatedBy')})",
            field="updatedAt",
            value=body.get("updatedAt"),
            hint="map the value to a global field (fields[].local: false) to keep the export's "
            "updatedAt/updatedBy",
        )

    def _updated_by(self) -> str | None:
        if self.ctx.issue.updated_by is not None:
            return self.ctx.user(self.ctx.issue.updated_by, "updated_by").login
        latest = max(self.ctx.parts.activities, key=lambda a: a.at, default=None)
        if latest is not None and latest.by:
            return latest.by
        return self.ctx.created_by

    def _resolution(
        self, resolution: str, resolved_at: datetime | None, updated_at: datetime, updated_by: str | None
    ) -> None:
        body = self.ctx.parts.body
        if resolved_at is None:
            self.ctx.scope.warning(
                "resolution.no_date",
                f"resolution {resolution!r} has no resolved_at; the issue's updatedAt is used",
                field="resolved_at",
                value=None,
                hint="map the source's resolution date column to resolved_at",
            )
            resolved_at = updated_at
        resolved_by = updated_by
        if self.ctx.issue.resolved_by is not None:
            resolved_by = self.ctx.user(self.ctx.issue.resolved_by, "resolved_by").login
        body["resolution"] = resolution
        body["resolvedAt"] = wire(resolved_at)
        body["resolvedBy"] = resolved_by

    def _reference(
        self, field_name: str, value: str | None, exists: Callable[[str], bool], map_name: str | None = None
    ) -> str | None:
        """A value-mapped Tracker key (type/status/priority/resolution/components/...), checked against the target."""
        if value is None or not str(value).strip():
            return None
        name = map_name or field_name
        mapped = self.ctx.t.values.apply(name, str(value).strip(), self.ctx.scope.value_reporter(field_name))
        if mapped.target is None:
            return None
        if exists(mapped.target):
            return mapped.target
        how = (
            f"add {value!r} to values.{name}.map"
            if mapped.how == IDENTITY
            else f"values.{name} turns {value!r} into {mapped.target!r}; use a key/name Tracker has"
        )
        self.ctx.scope.error(
            "value.unknown_in_target",
            f"{field_name} {mapped.target!r} does not exist in the target",
            field=field_name,
            value=value,
            hint=how,
        )
        return None
