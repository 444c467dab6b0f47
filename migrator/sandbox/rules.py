"""Request-body validation: every documented import rule, plus create/edit value checks.

A :class:`Checker` turns a JSON body into the sandbox's stored representation (users as uids,
reference values as ids, times as epoch milliseconds) or raises :class:`ApiError` naming the field.
Checks that need the database (key/unique taken, duplicate link) are done by the handlers inside
the same transaction.

One room (over 500 lines): these are the API's documented validation rules, one function per
rule, and they are read side by side with the reference they cite; splitting them by object kind
would scatter the shared value checks (users, times, reference values) they all use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.errors import ApiError
from migrator.sandbox.org import Field, Org, Queue, RefIndex, User
from migrator.sandbox.store import IssueRow
from migrator.sandbox.times import format_ms, parse_ms
from migrator.timeutil import parse_duration

# relationship -> (link type id, direction as seen from the issue in the URL)
RELATIONSHIPS: dict[str, tuple[str, str]] = {
    "relates": ("relates", "outward"),
    "depends on": ("depends", "outward"),
    "is dependent by": ("depends", "inward"),
    "is parent task for": ("subtask", "outward"),
    "is subtask for": ("subtask", "inward"),
    "is duplicated by": ("duplicates", "outward"),
    "duplicates": ("duplicates", "inward"),
    "has epic": ("epic", "outward"),
    "is epic of": ("epic", "inward"),
    "clone": ("clone", "outward"),
    "original": ("clone", "inward"),
}
SYMMETRIC_LINK_TYPES = frozenset({"relates"})
EPIC_TYPE = "epic"

# value kinds of the documented issue fields (import, create and edit share them)
FIELD_KINDS: dict[str, str] = {
    "summary": "summary",
    "description": "text",
    "deadline": "date",
    "start": "date",
    "end": "date",
    "assignee": "user",
    "followers": "users",
    "access": "users",
    "votedBy": "users",
    "favoritedBy": "users",
    "affectedVersions": "versions",
    "fixVersions": "versions",
    "components": "components",
    "tags": "strings",
    "sprint": "sprints",
    "followingMaillists": "strings",
    "originalEstimation": "millis",
    "estimation": "millis",
    "spent": "millis",
    "storyPoints": "number",
}
MARKUP_FIELDS = ("markupType", "descriptionRenderType")
IMPORT_SPECIAL = (
    "queue",
    "summary",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
    "resolvedAt",
    "resolvedBy",
    "resolution",
    "status",
    "type",
    "priority",
    "key",
    "unique",
)
CREATE_SPECIAL = (
    "queue",
    "summary",
    "type",
    "priority",
    "unique",
    "parent",
    "attachmentIds",
    "descriptionAttachmentIds",
    "createdBy",
)
PATCH_FORBIDDEN = (
    "queue",
    "key",
    "status",
    "resolution",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
    "resolvedAt",
    "resolvedBy",
    "unique",
)
USER_LIST_FIELDS = ("followers", "access", "votedBy", "favoritedBy")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class IssueDraft:
    queue: Queue
    number: int | None
    unique: str | None
    created_at: int
    updated_at: int
    data: dict[str, Any]


@dataclass
class LinkDraft:
    type_id: str
    direction: str
    other: IssueRow
    created_at: int
    created_by: int
    updated_at: int
    updated_by: int


def field_kind(item: Field) -> str:
    schema_type = str(item.schema.get("type", "string"))
    items = str(item.schema.get("items", ""))
    if schema_type == "array":
        return "users" if items == "user" else "array"
    return {
        "string": "string",
        "number": "number",
        "date": "date",
        "datetime": "datetime",
        "user": "user",
        "boolean": "boolean",
    }.get(schema_type, "any")


class Checker:
    def __init__(self, cfg: SandboxConfig, org: Org, now: int) -> None:
        self.cfg = cfg
        self.org = org
        self.now = now

    # --- errors ---
    def bad(self, name: str, message: str) -> ApiError:
        return ApiError(self.cfg.validation_status, message, field=name)

    def out_of_window(self, name: str, message: str) -> ApiError:
        return ApiError(self.cfg.date_window_status, message, field=name)

    def not_found(self, name: str, message: str) -> ApiError:
        return ApiError(self.cfg.not_found_status, message, field=name)

    # --- generic readers ---
    def json_object(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ApiError(self.cfg.validation_status, "The request body must be a JSON object")
        return data

    def reject_unknown(
        self, body: dict[str, Any], known: Iterable[str], extra: Callable[[str], bool] = lambda _name: False
    ) -> None:
        if not self.cfg.reject_unknown_fields:
            return
        allowed = set(known)
        for name in body:
            if name not in allowed and not extra(name):
                raise self.bad(name, "unknown field (no such field in this organization)")

    def required(self, body: dict[str, Any], name: str) -> Any:
        value = body.get(name)
        if value is None or value == "":
            raise self.bad(name, "is required")
        return value

    def string(self, name: str, value: Any, limit: int | None = None) -> str:
        if not isinstance(value, str):
            raise self.bad(name, "must be a string")
        if limit is not None and len(value) > limit:
            raise self.bad(name, f"is {len(value)} characters long; the limit is {limit}")
        return value

    def when(self, name: str, value: Any) -> int:
        if not isinstance(value, str):
            raise self.bad(name, "must be a date-time string YYYY-MM-DDThh:mm:ss.sss±hhmm")
        try:
            return parse_ms(value)
        except ValueError as exc:
            raise self.bad(name, f"must match YYYY-MM-DDThh:mm:ss.sss±hhmm, got {value!r}") from exc

    def day(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or not _DATE_RE.match(value):
            raise self.bad(name, f"must be a date YYYY-MM-DD, got {value!r}")
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise self.bad(name, f"is not a valid date: {value!r}") from exc
        return value

    def user(self, name: str, value: Any) -> User:
        found = self.org.user_index.resolve(value)
        if found is None:
            raise self.bad(name, f"user {value!r} does not exist (give a login or a uid)")
        return found

    def users(self, name: str, value: Any) -> list[int]:
        if not isinstance(value, list):
            raise self.bad(name, "must be an array of logins or uids")
        return _dedupe(self.user(name, v).uid for v in value)

    def ref(self, name: str, value: Any, index: RefIndex[Any], what: str) -> Any:
        found = index.resolve(value)
        if found is None:
            raise self.bad(name, f"{what} {value!r} does not exist")
        return found

    def refs(self, name: str, value: Any, index: RefIndex[Any], what: str) -> list[int]:
        if not isinstance(value, list):
            raise self.bad(name, f"must be an array of {what} ids")
        return _dedupe(self.ref(name, v, index, what).id for v in value)

    def number(self, name: str, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.bad(name, "must be a number")
        return value

    def millis(self, name: str, value: Any) -> int:
        if isinstance(value, str):
            try:
                return int(parse_duration(value).total_seconds() * 1000)
            except ValueError as exc:
                raise self.bad(name, f"is not a duration: {value!r}") from exc
        number = self.number(name, value)
        if number < 0:
            raise self.bad(name, "must not be negative")
        return int(number)

    def strings(self, name: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.bad(name, "must be an array of strings")
        return list(value)

    # --- values by kind ---
    def convert(
        self, kind: str, name: str, value: Any, queue: Queue, options: tuple[Any, ...] | None = None
    ) -> Any:
        converted = self._convert(kind, name, value, queue)
        if options and kind in ("string", "array"):
            for item in converted if isinstance(converted, list) else [converted]:
                if item not in options:
                    raise self.bad(name, f"{item!r} is not one of the options {list(options)}")
        return converted

    def _convert(self, kind: str, name: str, value: Any, queue: Queue) -> Any:
        simple: dict[str, Callable[[str, Any], Any]] = {
            "text": lambda n, v: self.string(n, v, self.cfg.max_text),
            "summary": self.summary,
            "string": self.string,
            "date": self.day,
            "datetime": lambda n, v: format_ms(self.when(n, v)),
            "user": lambda n, v: self.user(n, v).uid,
            "users": self.users,
            "strings": self.strings,
            "millis": self.millis,
            "number": self.number,
            "sprints": self.sprints,
        }
        if kind in simple:
            return simple[kind](name, value)
        if kind == "versions":
            return self.refs(name, value, queue.version_index(), f"version of queue {queue.key}")
        if kind == "components":
            return self.refs(name, value, queue.component_index(), f"component of queue {queue.key}")
        if kind == "array":
            if not isinstance(value, list):
                raise self.bad(name, "must be an array")
            return value
        if kind == "boolean" and not isinstance(value, bool):
            raise self.bad(name, "must be true or false")
        return value

    def summary(self, name: str, value: Any) -> str:
        text = self.string(name, value, self.cfg.max_summary)
        if not text.strip():
            raise self.bad(name, "is required")
        return text

    def sprints(self, name: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.bad(name, "must be an array of sprint ids")
        if value:
            raise self.bad(name, f"sprint {value[0]!r} does not exist (this organization has no sprints)")
        return []

    # --- field names ---
    def global_field(self, name: str) -> Field | None:
        if name in FIELD_KINDS:
            return None
        return self.org.field_index.by_id.get(name) or self.org.field_index.by_key.get(name)

    def custom_value(
        self, name: str, value: Any, queue: Queue, allow_local: bool
    ) -> tuple[str, str, Any] | None:
        """("fields"|"local", field id, stored value) for a global/local custom field, else None."""
        item = self.global_field(name)
        section = "fields"
        if item is None and allow_local:
            item = queue.local_field(name)
            section = "local"
        if item is None:
            return None
        if item.readonly:
            raise self.bad(name, "is read-only")
        if value is None:
            return section, item.id, None
        return section, item.id, self.convert(field_kind(item), name, value, queue, item.options)

    # --- windows ---
    def not_future(self, name: str, value: int) -> None:
        if value > self.now:
            raise self.out_of_window(
                name, f"{format_ms(value)} is later than the current time {format_ms(self.now)}"
            )

    def within(self, name: str, value: int, low: int, high: int, window: str) -> None:
        if not low <= value <= high:
            raise self.out_of_window(
                name, f"{format_ms(value)} is outside {window} [{format_ms(low)}, {format_ms(high)}]"
            )

    def pair(self, body: dict[str, Any], names: tuple[str, ...]) -> bool:
        """All of ``names`` given (True), none given (False), or an error naming the missing one."""
        given = [n for n in names if body.get(n) is not None]
        if given and len(given) != len(names):
            missing = next(n for n in names if n not in given)
            raise self.bad(
                missing, f"is required together with {', '.join(given)} ({' + '.join(names)} go together)"
            )
        return bool(given)

    # --- issue import ---
    def issue_import(self, body: dict[str, Any], find_queue: Callable[[Any], Queue | None]) -> IssueDraft:
        body = self.json_object(body)
        self._reject_import_fields(body)
        queue = self.queue(body, find_queue)
        data: dict[str, Any] = {"summary": self.summary("summary", self.required(body, "summary"))}
        created_at, created_by, updated_at, updated_by = self._issue_times(body)
        data.update(createdBy=created_by, updatedBy=updated_by)
        type_key = self.issue_type(body, queue, data)
        self.status(body, queue, type_key, data)
        self.priority(body, queue, data)
        if self.pair(body, ("resolution", "resolvedAt", "resolvedBy")):
            data["resolution"] = self.resolution(body["resolution"], queue, type_key)
            resolved_at = self.when("resolvedAt", body["resolvedAt"])
            self.within(
                "resolvedAt", resolved_at, created_at, updated_at, "the issue's [createdAt, updatedAt]"
            )
            data.update(resolvedAt=resolved_at, resolvedBy=self.user("resolvedBy", body["resolvedBy"]).uid)
        self.optional_fields(body, queue, data, allow_local=self.cfg.local_fields_in_import)
        number = self.key_number(body.get("key"), queue)
        return IssueDraft(queue, number, self.unique(body), created_at, updated_at, data)

    def _reject_import_fields(self, body: dict[str, Any]) -> None:
        for name in body:
            if "--" in name and not self.cfg.local_fields_in_import:
                raise self.bad(
                    name, "local (queue) fields cannot be set on import; set them with PATCH afterwards"
                )
        self.reject_unknown(
            body,
            (*IMPORT_SPECIAL, *FIELD_KINDS, *self._markup_fields()),
            lambda n: self.global_field(n) is not None or self._local_ok(n),
        )

    def _issue_times(self, body: dict[str, Any]) -> tuple[int, int, int, int]:
        """createdAt ≤ now; updatedAt ⇔ updatedBy; createdAt ≤ updatedAt ≤ now."""
        created_at = self.when("createdAt", self.required(body, "createdAt"))
        self.not_future("createdAt", created_at)
        created_by = self.user("createdBy", self.required(body, "createdBy")).uid
        if not self.pair(body, ("updatedAt", "updatedBy")):
            default = self.now if self.cfg.import_default_updated_at == "now" else created_at
            return created_at, created_by, default, created_by
        updated_at = self.when("updatedAt", body["updatedAt"])
        updated_by = self.user("updatedBy", body["updatedBy"]).uid
        self.not_future("updatedAt", updated_at)
        if updated_at < created_at:
            raise self.out_of_window(
                "updatedAt", f"{format_ms(updated_at)} is earlier than createdAt {format_ms(created_at)}"
            )
        return created_at, created_by, updated_at, updated_by

    def _markup_fields(self) -> tuple[str, ...]:
        return MARKUP_FIELDS if self.cfg.accept_markup_type_on_import else ()

    def _local_ok(self, name: str) -> bool:
        return self.cfg.local_fields_in_import and "--" in name

    def queue(self, body: dict[str, Any], find_queue: Callable[[Any], Queue | None]) -> Queue:
        value = self.required(body, "queue")
        queue = find_queue(value)
        if queue is None:
            raise self.not_found("queue", f"queue {value!r} does not exist")
        return queue

    def issue_type(self, body: dict[str, Any], queue: Queue, data: dict[str, Any]) -> str:
        value = body.get("type")
        issue_type = self.ref(
            "type", value if value is not None else queue.default_type, self.org.type_index, "issue type"
        )
        if issue_type.key not in queue.type_keys():
            raise self.bad("type", f"issue type {issue_type.key!r} is not used in queue {queue.key}")
        data["type"] = issue_type.id
        return str(issue_type.key)

    def status(self, body: dict[str, Any], queue: Queue, type_key: str, data: dict[str, Any]) -> None:
        workflow = queue.workflow_for(type_key)
        assert workflow is not None
        value = body.get("status")
        status = self.ref(
            "status", value if value is not None else workflow.initial, self.org.status_index, "status"
        )
        if status.key not in workflow.statuses:
            raise self.bad(
                "status",
                f"status {status.key!r} is not in workflow {workflow.id!r} of issue type "
                f"{type_key!r} in queue {queue.key}",
            )
        data["status"] = status.id

    def priority(self, body: dict[str, Any], queue: Queue, data: dict[str, Any]) -> None:
        value = body.get("priority")
        if value is None:
            value = queue.default_priority or None
        if value is not None:
            data["priority"] = self.ref("priority", value, self.org.priority_index, "priority").id

    def resolution(self, value: Any, queue: Queue, type_key: str) -> int:
        resolution = self.ref("resolution", value, self.org.resolution_index, "resolution")
        allowed = queue.allowed_resolutions(type_key)
        if allowed is not None and resolution.key not in allowed:
            raise self.bad(
                "resolution",
                f"resolution {resolution.key!r} is not allowed for issue type "
                f"{type_key!r} in queue {queue.key}",
            )
        return int(resolution.id)

    def key_number(self, value: Any, queue: Queue) -> int | None:
        if value is None:
            return None
        key = self.string("key", value)
        match = re.fullmatch(re.escape(queue.key) + r"-([1-9]\d{0,9})", key)
        if match is None:
            raise self.bad(
                "key", f"{key!r} does not belong to queue {queue.key} (expected {queue.key}-<number>)"
            )
        return int(match.group(1))

    def unique(self, body: dict[str, Any]) -> str | None:
        value = body.get("unique")
        if value is None:
            return None
        return self.string("unique", value, 1024)

    def optional_fields(
        self, body: dict[str, Any], queue: Queue, data: dict[str, Any], allow_local: bool
    ) -> None:
        for name, value in body.items():
            if value is None:
                continue
            if name in FIELD_KINDS and name != "summary":
                data[name] = self.convert(FIELD_KINDS[name], name, value, queue)
            elif name in MARKUP_FIELDS:
                data[name] = self.string(name, value, 32)
            elif name not in IMPORT_SPECIAL and name not in CREATE_SPECIAL:
                custom = self.custom_value(name, value, queue, allow_local)
                if custom is not None:
                    section, field_id, stored = custom
                    data.setdefault(section, {})[field_id] = stored

    # --- ordinary create / edit ---
    def issue_create(
        self, body: dict[str, Any], find_queue: Callable[[Any], Queue | None], author: User
    ) -> IssueDraft:
        body = self.json_object(body)
        self.reject_unknown(
            body,
            (*CREATE_SPECIAL, *FIELD_KINDS, *MARKUP_FIELDS),
            lambda n: self.global_field(n) is not None or "--" in n,
        )
        queue = self.queue(body, find_queue)
        data: dict[str, Any] = {"summary": self.summary("summary", self.required(body, "summary"))}
        creator = (
            author.uid if body.get("createdBy") is None else self.user("createdBy", body["createdBy"]).uid
        )
        data.update(createdBy=creator, updatedBy=creator)
        type_key = self.issue_type(body, queue, data)
        self.status({}, queue, type_key, data)
        self.priority(body, queue, data)
        self.optional_fields(body, queue, data, allow_local=True)
        return IssueDraft(queue, None, self.unique(body), self.now, self.now, data)

    def issue_patch(self, body: dict[str, Any], issue: IssueRow, queue: Queue) -> dict[str, Any]:
        body = self.json_object(body)
        data = dict(issue.data)
        for name, value in body.items():
            if name in PATCH_FORBIDDEN:
                raise self.bad(
                    name, "cannot be changed with PATCH" + (" (use transitions)" if name == "status" else "")
                )
            if name == "type":
                self._patch_type(value, queue, data)
            elif name == "priority":
                data["priority"] = self.ref(
                    "priority", _scalar(value), self.org.priority_index, "priority"
                ).id
            elif name in FIELD_KINDS:
                self._patch_field(name, FIELD_KINDS[name], value, queue, data)
            elif name in MARKUP_FIELDS:
                data[name] = self.string(name, value, 32)
            elif name not in ("attachmentIds", "descriptionAttachmentIds"):
                self._patch_custom(name, value, queue, data)
        return data

    def _patch_type(self, value: Any, queue: Queue, data: dict[str, Any]) -> None:
        type_key = self.issue_type({"type": _scalar(value)}, queue, data)
        workflow = queue.workflow_for(type_key)
        status = self.org.status_index.by_id.get(str(data.get("status")))
        if workflow is None or status is None or status.key not in workflow.statuses:
            raise self.bad("type", f"the issue's status is not in the workflow of issue type {type_key!r}")

    def _patch_field(self, name: str, kind: str, value: Any, queue: Queue, data: dict[str, Any]) -> None:
        current = data.get(name)
        if kind == "summary":
            data[name] = self.summary(name, _scalar(value))
        elif isinstance(value, dict) and isinstance(current, list | type(None)) and kind in _LIST_KINDS:
            data[name] = self._list_edit(name, kind, value, queue, list(current or []))
        elif value is None or value == []:
            data.pop(name, None)
        else:
            data[name] = self.convert(kind, name, _scalar(value), queue)

    def _list_edit(
        self, name: str, kind: str, value: dict[str, Any], queue: Queue, current: list[Any]
    ) -> list[Any]:
        for verb, items in value.items():
            if verb == "set":
                current = self.convert(kind, name, items if isinstance(items, list) else [items], queue)
            elif verb == "add":
                current += [v for v in self.convert(kind, name, _as_list(items), queue) if v not in current]
            elif verb == "remove":
                gone = self.convert(kind, name, _as_list(items), queue)
                current = [v for v in current if v not in gone]
            elif verb == "replace":
                for pair in _as_list(items):
                    old, new = (
                        self.convert(kind, name, [pair.get(k)], queue)[0] for k in ("target", "replacement")
                    )
                    current = [new if v == old else v for v in current]
            else:
                raise self.bad(name, f"unknown edit command {verb!r} (use set, add, remove or replace)")
        return current

    def _patch_custom(self, name: str, value: Any, queue: Queue, data: dict[str, Any]) -> None:
        custom = self.custom_value(name, _scalar(value), queue, allow_local=True)
        if custom is None:
            raise self.bad(name, "unknown field (no such field in this organization)")
        section, field_id, stored = custom
        values = dict(data.get(section) or {})
        if stored is None:
            values.pop(field_id, None)
        else:
            values[field_id] = stored
        data[section] = values

    # --- children ---
    def comment_import(self, body: dict[str, Any], issue: IssueRow) -> dict[str, Any]:
        body = self.json_object(body)
        self.reject_unknown(
            body,
            (
                "text",
                "createdAt",
                "createdBy",
                "updatedAt",
                "updatedBy",
                *(("markupType", "textRenderType") if self.cfg.accept_markup_type_on_import else ()),
            ),
        )
        text = self.required(body, "text")
        data: dict[str, Any] = {"text": self.string("text", text, self.cfg.max_text)}
        if not data["text"].strip():
            raise self.bad("text", "is required")
        created_at, created_by, updated_at, updated_by = self.child_times(body, issue)
        data.update(createdAt=created_at, createdBy=created_by, updatedAt=updated_at, updatedBy=updated_by)
        for name in ("markupType", "textRenderType"):
            if body.get(name) is not None:
                data[name] = self.string(name, body[name], 32)
        return data

    def child_times(
        self,
        body: dict[str, Any],
        issue: IssueRow,
        window: tuple[int, int] | None = None,
        label: str = "the issue's [createdAt, updatedAt]",
    ) -> tuple[int, int, int, int]:
        low, high = window or (issue.created_at, issue.updated_at)
        created_at = self.when("createdAt", self.required(body, "createdAt"))
        self.not_future("createdAt", created_at)
        self.within("createdAt", created_at, low, high, label)
        created_by = self.user("createdBy", self.required(body, "createdBy")).uid
        if not self.pair(body, ("updatedAt", "updatedBy")):
            return created_at, created_by, created_at, created_by
        updated_at = self.when("updatedAt", body["updatedAt"])
        self.within("updatedAt", updated_at, created_at, high, f"[createdAt, end of {label}]")
        return created_at, created_by, updated_at, self.user("updatedBy", body["updatedBy"]).uid

    def link_import(
        self,
        body: dict[str, Any],
        issue: IssueRow,
        find_issue: Callable[[str], IssueRow | None],
        types: Callable[[IssueRow], str],
    ) -> LinkDraft:
        body = self.json_object(body)
        self.reject_unknown(
            body, ("relationship", "issue", "createdAt", "createdBy", "updatedAt", "updatedBy")
        )
        type_id, direction, other = self.link_target(body, issue, find_issue, types)
        low = max(issue.created_at, other.created_at)
        high = min(issue.updated_at, other.updated_at)
        created_at, created_by, updated_at, updated_by = self.child_times(
            body, issue, (low, high), f"both issues' windows ({issue.key} and {other.key})"
        )
        return LinkDraft(type_id, direction, other, created_at, created_by, updated_at, updated_by)

    def link_target(
        self,
        body: dict[str, Any],
        issue: IssueRow,
        find_issue: Callable[[str], IssueRow | None],
        types: Callable[[IssueRow], str],
    ) -> tuple[str, str, IssueRow]:
        relationship = self.string("relationship", self.required(body, "relationship"))
        if relationship not in RELATIONSHIPS:
            raise self.bad(
                "relationship",
                f"unknown relationship {relationship!r}; use one of {', '.join(RELATIONSHIPS)}",
            )
        type_id, direction = RELATIONSHIPS[relationship]
        if self.org.link_type_index.by_id.get(type_id) is None:
            raise self.bad("relationship", f"link type {type_id!r} does not exist in this organization")
        target = self.required(body, "issue")
        other = find_issue(
            str(target.get("key") or target.get("id")) if isinstance(target, dict) else str(target)
        )
        if other is None:
            raise self.not_found("issue", f"issue {target!r} does not exist")
        if other.seq == issue.seq:
            raise self.bad("issue", "an issue cannot be linked to itself")
        if relationship == "is epic of" and types(issue) != EPIC_TYPE:
            raise self.bad("relationship", f"'is epic of' needs {issue.key} to be an epic")
        if relationship == "has epic" and types(other) != EPIC_TYPE:
            raise self.bad("relationship", f"'has epic' needs {other.key} to be an epic")
        return type_id, direction, other

    def attachment_params(
        self, args: dict[str, str], low: int, high: int, window: str
    ) -> tuple[str, int, int]:
        filename = self.string("filename", self.required(args, "filename"), self.cfg.max_filename)
        created_at = self.when("createdAt", self.required(args, "createdAt"))
        self.not_future("createdAt", created_at)
        self.within("createdAt", created_at, low, high, window)
        created_by = self.user("createdBy", self.required(args, "createdBy")).uid
        return filename, created_at, created_by

    def worklog_import(self, body: dict[str, Any], issue: IssueRow) -> dict[str, Any]:
        body = self.json_object(body)
        self.reject_unknown(
            body, ("duration", "start", "comment", "createdAt", "createdBy", "updatedAt", "updatedBy")
        )
        data = self.worklog_values(body, require_start=True)
        created_at, created_by, updated_at, updated_by = self.child_times(body, issue)
        data.update(createdAt=created_at, createdBy=created_by, updatedAt=updated_at, updatedBy=updated_by)
        return data

    def worklog_values(self, body: dict[str, Any], require_start: bool) -> dict[str, Any]:
        duration = self.millis("duration", self.required(body, "duration"))
        if duration <= 0:
            raise self.bad("duration", "must be positive")
        start = self.required(body, "start") if require_start else body.get("start")
        data: dict[str, Any] = {
            "duration": duration,
            "start": self.when("start", start) if start else self.now,
        }
        if body.get("comment") is not None:
            data["comment"] = self.string("comment", body["comment"], self.cfg.max_text)
        return data


_LIST_KINDS = frozenset({"users", "versions", "components", "strings", "sprints"})


def _scalar(value: Any) -> Any:
    """``{"set": x}`` -> x (the edit-command form of a scalar)."""
    if isinstance(value, dict) and set(value) == {"set"}:
        return value["set"]
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _dedupe(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out
