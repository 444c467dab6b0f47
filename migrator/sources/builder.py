"""Records → canonical ``Issue`` (with its children): field types, required fields, stable ids.

Identity rules (the checkpoint ledger keys on them; they must not change between runs of the same
export, nor when something is appended to it):

* ``Issue.source.id`` = the ``id`` field; ``Issue.key`` = the ``key`` field, or the id.
* A child with an ``id`` field keeps it. Otherwise its id is derived from its content, scoped to
  the issue: ``{issue_id}/comment/{sha1(created_at|author|text)[:16]}`` (created_at as UTC ISO
  8601, author as the raw user name), ``{issue_id}/attachment/{sha1(filename|location|created_at)}``,
  ``{issue_id}/worklog/{sha1(author|start|duration seconds)}``; links ``{from}|{relationship}|{to}``.
  Exact duplicates inside one issue get ``#2``, ``#3``… in reading order, so appending a child
  never renames an existing one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from migrator.findings import Findings
from migrator.model import Attachment, Comment, Issue, Link, SourceRef, UserRef, Worklog
from migrator.sources.children import Mismatch, RawChild
from migrator.sources.extract import Extractor, RecordView
from migrator.sources.records import Record, is_empty
from migrator.sources.spec import (
    REQUIRED_CHILD_FIELDS,
    REQUIRED_ISSUE_FIELDS,
    FieldSpec,
    SourceSpec,
    TableSpec,
)
from migrator.sources.values import ValueReader, Where

ISSUE_KINDS: dict[str, str] = {
    "id": "string", "key": "string", "summary": "string", "description": "text", "type": "string",
    "status": "string", "priority": "string", "resolution": "string", "parent": "string",
    "created_at": "datetime", "updated_at": "datetime", "resolved_at": "datetime",
    "created_by": "user", "updated_by": "user", "resolved_by": "user", "assignee": "user",
    "followers": "users", "tags": "list", "components": "list", "affected_versions": "list",
    "fix_versions": "list", "deadline": "date", "start": "date", "end": "date",
    "original_estimation": "duration", "spent": "duration", "story_points": "float",
}  # fmt: skip
CHILD_KINDS: dict[str, dict[str, str]] = {
    "comments": {
        "id": "string", "issue": "string", "author": "user", "created_at": "datetime", "text": "text",
        "updated_at": "datetime", "updated_by": "user",
    },
    "attachments": {
        "id": "string", "issue": "string", "filename": "string", "location": "string",
        "created_at": "datetime", "author": "user", "size": "int", "comment_id": "string",
    },
    "links": {
        "id": "string", "from": "string", "to": "string", "relationship": "string",
        "created_at": "datetime", "author": "user",
    },
    "worklogs": {
        "id": "string", "issue": "string", "author": "user", "start": "datetime", "duration": "duration",
        "created_at": "datetime", "comment": "text",
    },
}  # fmt: skip
CUSTOM_KINDS = {
    "string": "string", "int": "int", "float": "float", "date": "date", "datetime": "datetime",
    "list": "list", "user": "user", "bool": "bool",
}  # fmt: skip
_LIST_FIELDS = ("tags", "components", "affected_versions", "fix_versions", "followers")
_PLAIN_FIELDS = (
    "description", "type", "status", "priority", "resolution", "updated_at", "updated_by", "resolved_at",
    "resolved_by", "assignee", "deadline", "start", "end", "original_estimation", "spent", "story_points",
)  # fmt: skip
_PREVIEW = 200


def _columns(spec: FieldSpec) -> str:
    names = spec.candidates
    if not names:
        return "the field"
    return "column " + " or ".join(repr(n) for n in names)


def _has_fallback(spec: FieldSpec) -> bool:
    return spec.default is not None or spec.const is not None


class RefResolver:
    """Turns a reference to another issue (parent, link target) into that issue's *key*.

    With ``*_ref: id`` the id→key map of the whole export is needed; it is built by a pre-pass
    over the issues (one small dict entry per issue). An id not in the export is kept as given
    and reported as ``source.unresolved_ref`` (warning).
    """

    def __init__(self, source: SourceSpec, id_to_key: Mapping[str, str] | None, findings: Findings) -> None:
        self._source = source
        self._id_to_key = id_to_key
        self._findings = findings

    def to_key(self, value: str, mode: str, where: Where, field: str) -> str:
        if mode != "id" or self._id_to_key is None:
            return value
        key = self._id_to_key.get(value)
        if key is not None:
            return key
        self._findings.warning(
            "source.unresolved_ref",
            f"no issue in the export has the id {value!r}; the value is kept as a key",
            file=where.file, row=where.row, key=where.key, field=field, value=value,
            hint=f"check source.{'parent_ref' if field == 'parent' else 'link_ref'} (id or key)",
        )  # fmt: skip
        return value


@dataclass
class _Ids:
    """Child ids within one issue: exact duplicates get ``#2``, ``#3``… in reading order."""

    seen: dict[str, int]

    def take(self, base: str) -> str:
        count = self.seen.get(base, 0) + 1
        self.seen[base] = count
        return base if count == 1 else f"{base}#{count}"


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def _seconds(value: timedelta | None) -> str:
    return f"{value.total_seconds():g}" if value is not None else ""


@dataclass(frozen=True)
class _ChildFields:
    """What reading a child of one kind from one table needs, the same for every child."""

    kinds: dict[str, str]  # canonical field → value kind
    labels: dict[str, str]  # canonical field → its name in findings (``comments.author``)
    fallbacks: tuple[str, ...]  # fields with a default or a constant: read even when the child lacks them
    required: tuple[str, ...]

    @classmethod
    def of(cls, kind: str, table: TableSpec) -> _ChildFields:
        kinds = CHILD_KINDS[kind]
        return cls(
            kinds=kinds,
            labels={name: f"{kind}.{name}" for name in kinds},
            fallbacks=tuple(n for n, s in table.fields.items() if _has_fallback(s)),
            required=tuple(n for n in REQUIRED_CHILD_FIELDS[kind] if not (kind == "links" and n == "from")),
        )


class IssueBuilder:
    def __init__(
        self,
        source: SourceSpec,
        findings: Findings,
        values: ValueReader,
        refs: RefResolver,
        extractor: Extractor,
    ) -> None:
        self._source = source
        self._findings = findings
        self._values = values
        self._refs = refs
        self._extract = extractor
        # identity is read again, with reporting, later
        self._silent = ValueReader(source, Findings())
        self._silent_extract = extractor.silent()
        # labels and look-ups that are the same for every record, made once (not per cell)
        self._labels = {name: f"source.issues.fields.{name}" for name in source.issues.fields}
        self._child_fields: dict[tuple[str, int], tuple[TableSpec, _ChildFields]] = {}
        self._makers: dict[str, Callable[[Issue, TableSpec, RawChild, Where, _Ids], Any]] = {
            "comments": self._comment,
            "attachments": self._attachment,
            "links": self._link,
            "worklogs": self._worklog,
        }

    # -- issue ----------------------------------------------------------------------------------

    def identity(self, record: Record) -> tuple[str | None, str | None]:
        """(id, key) of an issue record, without reporting anything."""
        fields = self._source.issues.fields
        where = Where(record.file, record.row, None, record.nested)
        view = RecordView(record)

        def read(name: str) -> Any:
            raw = self._silent_extract.raw(view, fields[name], where, name)
            return self._silent.read("string", raw, fields[name], where, name)

        ident = read("id")
        key = read("key") if "key" in fields else None
        return ident, key or ident

    def build_issue(self, record: Record, ident: str | None, key: str | None) -> Issue | None:
        """The issue's own fields; None (after reporting) if a required field is missing or unreadable."""
        where = Where(record.file, record.row, key, record.nested)
        view = RecordView(record)
        fields, labels = self._source.issues.fields, self._labels
        raws = {name: self._extract.raw(view, spec, where, labels[name]) for name, spec in fields.items()}
        values = {
            name: self._values.read(ISSUE_KINDS[name], raws[name], spec, where, name)
            for name, spec in fields.items()
            if name not in ("id", "key")
        }
        values["id"], values["key"] = ident, key
        missing = [n for n in REQUIRED_ISSUE_FIELDS if values.get(n) is None]
        for name in missing:
            spec = self._source.issues.fields[name]
            if is_empty(raws.get(name)):
                self._findings.error(
                    "field.required_missing", f"the required field {name!r} is empty; the issue is skipped",
                    file=record.file, row=record.row, key=key, field=name,
                    hint=f"fill {_columns(spec)} in the export, or give the field a default in the mapping",
                )  # fmt: skip
        if missing or ident is None or key is None:
            return None
        issue = Issue(
            source=SourceRef(self._source.system, ident, record.file, record.row),
            key=key,
            summary=values["summary"],
            created_at=values["created_at"],
            created_by=values["created_by"],
        )
        for name in _PLAIN_FIELDS:
            if values.get(name) is not None:
                setattr(issue, name, values[name])
        for name in _LIST_FIELDS:
            setattr(issue, name, values.get(name) or [])
        if values.get("parent"):
            issue.parent_key = self._refs.to_key(values["parent"], self._source.parent_ref, where, "parent")
        issue.custom = self._custom(view, where)
        return issue

    def _custom(self, view: RecordView, where: Where) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in self._source.issues.custom.items():
            kind = CUSTOM_KINDS.get(spec.type or "", "raw")
            raw = self._extract.raw(view, spec, where, f"source.issues.custom.{name}")
            value = self._values.read(kind, raw, spec, where, f"custom.{name}")
            if value is not None and value != []:
                out[name] = value
        return out

    # -- children -------------------------------------------------------------------------------

    def attach(self, issue: Issue, kind: str, table: TableSpec, items: Iterable[RawChild | Mismatch]) -> None:
        """Convert raw children of ``kind`` and add them to ``issue`` (ids allocated in order)."""
        ids = _Ids({})
        make = self._makers[kind]
        for item in items:
            if isinstance(item, Mismatch):
                self._mismatch(issue, kind, table, item)
                continue
            where = Where(item.file, item.row, issue.key, item.nested)
            child = make(issue, table, item, where, ids)
            if child is not None:
                getattr(issue, kind).append(child)

    def bind_attachments_to_comments(self, issue: Issue) -> None:
        """Files with a ``comment_id`` move into that comment's ``attachments``."""
        comments = {c.source.id: c for c in issue.comments}
        kept: list[Attachment] = []
        for attachment in issue.attachments:
            owner = comments.get(attachment.comment_id) if attachment.comment_id else None
            if owner is not None:
                owner.attachments.append(attachment)
                continue
            if attachment.comment_id:
                self._findings.warning(
                    "attachment.comment_unknown",
                    "the file names a comment that this issue does not have; it is attached to the issue",
                    where=attachment.source, key=issue.key, field="attachments.comment_id",
                    value=attachment.comment_id, hint="check the comment ids in the export",
                )  # fmt: skip
            kept.append(attachment)
        issue.attachments = kept

    def _mismatch(self, issue: Issue, kind: str, table: TableSpec, item: Mismatch) -> None:
        self._findings.error(
            "cell.pattern_mismatch",
            f"a {kind[:-1]} cell {item.reason or f'does not fit the pattern {table.pattern!r}'}; it is skipped",
            file=issue.source.file, row=issue.source.row, key=issue.key, field=item.column,
            value=item.cell[:_PREVIEW], hint="fix the cell, or the pattern in the mapping",
        )  # fmt: skip

    def _child_values(
        self, kind: str, table: TableSpec, item: RawChild, where: Where
    ) -> dict[str, Any] | None:
        """Typed values of one child; None (after reporting) when a required one is missing."""
        plan = self._fields_of(kind, table)
        names = list(item.values) + [n for n in plan.fallbacks if n not in item.values]
        out: dict[str, Any] = {}
        read, specs = self._values.read, table.fields
        for name in names:
            label = plan.labels.get(name)
            if label is not None:
                out[name] = read(plan.kinds[name], item.values.get(name), specs.get(name), where, label)
        missing = [n for n in plan.required if out.get(n) is None]
        for name in missing:
            if is_empty(item.values.get(name)):
                self._findings.error(
                    "field.required_missing", f"the {kind[:-1]}'s required field {name!r} is empty; it is skipped",
                    file=item.file, row=item.row, key=where.key, field=f"{kind}.{name}",
                    hint="fill it in the export, or give the field a default in the mapping",
                )  # fmt: skip
        return None if missing else out

    def _fields_of(self, kind: str, table: TableSpec) -> _ChildFields:
        known = self._child_fields.get((kind, id(table)))
        if known is not None and known[0] is table:
            return known[1]
        plan = _ChildFields.of(kind, table)
        self._child_fields[(kind, id(table))] = (table, plan)  # the table is kept: its id is not reused
        return plan

    def _child_ref(self, item: RawChild, explicit: str | None, ids: _Ids, base: str) -> SourceRef:
        return SourceRef(self._source.system, ids.take(explicit or base), item.file, item.row)

    def _comment(
        self, issue: Issue, table: TableSpec, item: RawChild, where: Where, ids: _Ids
    ) -> Comment | None:
        v = self._child_values("comments", table, item, where)
        if v is None:
            return None
        author: UserRef = v["author"]
        base = f"{issue.source.id}/comment/{_digest(_iso(v['created_at']), author.name, v['text'])}"
        return Comment(
            source=self._child_ref(item, v.get("id"), ids, base),
            author=author,
            created_at=v["created_at"],
            text=v["text"],
            updated_at=v.get("updated_at"),
            updated_by=v.get("updated_by"),
        )

    def _attachment(
        self, issue: Issue, table: TableSpec, item: RawChild, where: Where, ids: _Ids
    ) -> Attachment | None:
        v = self._child_values("attachments", table, item, where)
        if v is None:
            return None
        location = v.get("location") or v["filename"]
        base = f"{issue.source.id}/attachment/{_digest(v['filename'], location, _iso(v.get('created_at')))}"
        return Attachment(
            source=self._child_ref(item, v.get("id"), ids, base),
            filename=v["filename"],
            location=location,
            created_at=v.get("created_at"),
            author=v.get("author"),
            size=v.get("size"),
            comment_id=v.get("comment_id"),
        )

    def _worklog(
        self, issue: Issue, table: TableSpec, item: RawChild, where: Where, ids: _Ids
    ) -> Worklog | None:
        v = self._child_values("worklogs", table, item, where)
        if v is None:
            return None
        author: UserRef = v["author"]
        base = f"{issue.source.id}/worklog/{_digest(author.name, _iso(v['start']), _seconds(v['duration']))}"
        return Worklog(
            source=self._child_ref(item, v.get("id"), ids, base),
            author=author,
            start=v["start"],
            duration=v["duration"],
            created_at=v.get("created_at"),
            comment=v.get("comment"),
        )

    def _link(self, issue: Issue, table: TableSpec, item: RawChild, where: Where, ids: _Ids) -> Link | None:
        v = self._child_values("links", table, item, where)
        if v is None:
            return None
        to_key = self._refs.to_key(v["to"], self._source.link_ref, where, "links.to")
        relationship = v["relationship"]
        base = f"{issue.key}|{relationship}|{to_key}"
        return Link(
            source=self._child_ref(item, v.get("id"), ids, base),
            from_key=issue.key,
            to_key=to_key,
            relationship=relationship,
            created_at=v.get("created_at"),
            author=v.get("author"),
        )
