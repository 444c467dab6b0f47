"""The delta kinds: what a newer export changed in objects already imported (``migrator/delta.py``).

Each is written through Tracker's *ordinary* API (the ``_import`` endpoints only create) and is
idempotent by construction: the write reads the target and sends only what still differs from the
plan, and ``find`` (reconciliation after an unknown outcome, or the check after a conflict) reads
it back and says whether the target already matches.

* :class:`IssueUpdateKind` — PATCH of the changed fields (with the issue's ``version``), a workflow
  transition for a changed status, and, when children newer than the issue's window wait to be
  imported and nothing else moved ``updatedAt``, the window opening (add, then remove the tag
  :data:`~migrator.delta.WINDOW_MARKER`);
* :class:`CommentEditKind` — PATCH of an imported comment's text;

Texts are written as the import writes them (``execution/texts.py``): rendered from the stored spans
with the ledger's keys and file ids, and compared with the target as rendered — an unchanged
description whose references name issues by their Tracker keys is never PATCHed. A description
that shows files (``target.description_files: patch``) is left to its own PATCH row
(``kinds.DescriptionKind``), which comes after the files it shows.
* :class:`RemovalKind` — DELETE of a child the export no longer has (``--delete-missing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from migrator.delta import (
    FIXED_FIELDS,
    NOT_COMPARED,
    RESOLUTION_STAMPS,
    TRANSITION_FIELDS,
    WINDOW_MARKER,
    WINDOW_STAMPS,
    parse_removal,
)
from migrator.execution import texts
from migrator.execution.api import TrackerApi
from migrator.execution.kinds import Chain, Context, ObjectKind, Unresolved
from migrator.execution.matching import (
    as_list,
    issue_field_matches,
    normalize_text,
    ref_matches,
    value_matches,
)
from migrator.plan import PlannedComment, PlannedIssue
from migrator.state import LedgerRow
from migrator.timeutil import parse_tracker_datetime
from migrator.tracker.errors import Conflict, NotFound
from migrator.vocabulary import Kind, Status

# Fields an issue_update never PATCHes: identity and history stamps, and what a transition sets.
_NOT_PATCHED = frozenset(
    (*FIXED_FIELDS, *WINDOW_STAMPS, *RESOLUTION_STAMPS, *TRANSITION_FIELDS, *NOT_COMPARED)
)
# Children whose dates must fit the issue's [createdAt, updatedAt] when they are imported.
_WINDOWED: tuple[Kind, ...] = (Kind.COMMENT, Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT, Kind.WORKLOG)
# A stale ``version`` (someone edited the issue meanwhile): read it again and recompute, this often.
_STALE_RETRIES = 3


class IssueUpdateKind(ObjectKind):
    kind = Kind.ISSUE_UPDATE

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        return planned

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        return _IssueUpdate(ctx, row, chain).apply

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        update = _IssueUpdate(ctx, row, chain)
        if update.outstanding(ctx.client.get_issue(update.key)):
            return False
        ctx.store.mark_done(row.id, None, update.key, reconciled=True)
        return True

    def target_of(self, result: Any, chain: Chain) -> tuple[str | None, str | None]:
        return None, chain.target_key


class _IssueUpdate:
    """Bring one imported issue to its newer plan (see the module docstring)."""

    def __init__(self, ctx: Context, row: LedgerRow, chain: Chain) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.row = row
        self.chain = chain
        self.planned = chain.planned
        self.key = ctx.issue_key(row, chain)
        stored = ctx.store.view().delta_payload(Kind.ISSUE_UPDATE, row.issue_key, row.source_id) or {}
        self.clear = [str(name) for name in stored.get("clear") or []]

    # ---------------------------------------------------------------- what still differs

    def patch_body(self, issue: Mapping[str, Any]) -> dict[str, Any]:
        """The PATCH that makes ``issue`` show the planned fields (empty when it already does)."""
        users = self.ctx.users
        body: dict[str, Any] = {}
        for name, planned in self.planned.body.items():
            if name in _NOT_PATCHED or (name == "description" and self.planned.description_patch):
                continue
            value = (
                texts.final_description(self.ctx.store, self.planned) if name == "description" else planned
            )
            if not issue_field_matches(users, name, value, issue.get(name)):
                body[name] = value
        for name, value in self.planned.local_fields.items():
            if not value_matches(users, value, issue.get(name)):
                body[name] = value
        for name in self.clear:
            gone = name not in self.planned.body and name not in self.planned.local_fields
            if gone and issue.get(name) not in (None, [], ""):
                body[name] = None
        if "description" in body and self.planned.body.get("markupType") is not None:
            body["markupType"] = self.planned.body["markupType"]
        return body

    def status_differs(self, issue: Mapping[str, Any]) -> bool:
        wanted = self.planned.body.get("status")
        return wanted is not None and not ref_matches(wanted, issue.get("status"))

    def window_needed(self) -> datetime | None:
        """The latest date of a child of this issue still to be imported (links: as they will be
        dated), which the issue's updatedAt must reach first."""
        dates = [d for row in self.chain.rows if row.status != Status.DONE for d in self._dates(row)]
        dates += self._link_dates()
        return max(dates) if dates else None

    def window_short(self, issue: Mapping[str, Any]) -> bool:
        needed = self.window_needed()
        updated = _instant(issue.get("updatedAt"))
        return needed is not None and updated is not None and updated < needed

    def outstanding(self, issue: Mapping[str, Any]) -> bool:
        """Is anything of this update not in the target yet?"""
        return bool(
            self.patch_body(issue)
            or self.status_differs(issue)
            or WINDOW_MARKER in _tags(issue)
            or self.window_short(issue)
        )

    # ---------------------------------------------------------------- the write

    def apply(self) -> Any:
        """PATCH, transition, window — each only if still needed; a stale version is read again."""
        for attempt in range(1, _STALE_RETRIES + 1):
            issue = self.client.get_issue(self.key)
            try:
                return self._apply(issue)
            except Conflict:
                if attempt == _STALE_RETRIES:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    def _apply(self, issue: Mapping[str, Any]) -> Any:
        body = self.patch_body(issue)
        if body:
            issue = self.client.patch_issue(self.key, body, version=_version(issue))
        if self.status_differs(issue):
            self._transition(issue)
            issue = self.client.get_issue(self.key)
        if WINDOW_MARKER in _tags(issue):  # left over from an interrupted window opening
            issue = self._tag("remove", issue)
        if self.window_short(issue):
            issue = self._tag("remove", self._tag("add", issue))
        return issue

    def _transition(self, issue: Mapping[str, Any]) -> None:
        wanted = self.planned.body["status"]
        transitions = self.client.get_transitions(self.key)
        match = next(
            (t for t in transitions if isinstance(t, Mapping) and ref_matches(wanted, t.get("to"))), None
        )
        if match is None:
            current = _display(issue.get("status"))
            offered = ", ".join(
                sorted(str(_display(t.get("to"))) for t in transitions if isinstance(t, Mapping))
            )
            raise Unresolved(
                f"{self.key}: the workflow has no transition from {current} to {wanted} "
                f"(from {current}: {offered or 'none'}); change the status by hand or map it differently",
                final=True,
            )
        screen: dict[str, Any] = {}
        if self.planned.body.get("resolution") is not None:
            screen["resolution"] = self.planned.body["resolution"]
        self.client.execute_transition(self.key, str(match["id"]), screen)

    def _tag(self, verb: str, issue: Mapping[str, Any]) -> Any:
        return self.client.patch_issue(self.key, {"tags": {verb: [WINDOW_MARKER]}}, version=_version(issue))

    # ---------------------------------------------------------------- dates of what is still to come

    def _dates(self, row: LedgerRow) -> Iterable[datetime]:
        planned = self.planned
        values: list[Any] = []
        if row.kind == Kind.COMMENT:
            values = [
                (c.body.get("createdAt"), c.body.get("updatedAt"))
                for c in planned.comments
                if c.source_id == row.source_id
            ]
        elif row.kind == Kind.ATTACHMENT:
            values = [a.created_at for a in planned.attachments if a.source_id == row.source_id]
        elif row.kind == Kind.COMMENT_ATTACHMENT:
            values = [
                a.created_at for c in planned.comments for a in c.attachments if a.source_id == row.source_id
            ]
        elif row.kind == Kind.WORKLOG:
            values = [w.body.get("createdAt") for w in planned.worklogs if w.source_id == row.source_id]
        return [d for d in map(_instant, _flatten(values)) if d is not None]

    def _link_dates(self) -> list[datetime]:
        """The planned dates of unfinished links at either end of this issue (``pipeline/link_dates.py``
        dated each inside both issues' planned windows; an undated link needs no window)."""
        store, dates = self.ctx.store, []
        for owner_key, link_id in store.unfinished_links_touching(self.row.issue_key):
            owner = self.planned if owner_key == self.planned.source_key else store.load_issue(owner_key)
            link = next((link for link in owner.links if link.source_id == link_id), None)
            when = None if link is None else _instant(link.created_at)
            if when is not None:
                dates.append(when)
        return dates


class CommentEditKind(ObjectKind):
    """A PATCH of an imported comment's text (the comment keeps its author and date)."""

    kind = Kind.COMMENT_EDIT

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        for comment in planned.comments:
            if comment.source_id == row.parent_source_id:
                return comment
        raise KeyError(f"comment {row.parent_source_id} is not in the stored plan of {planned.source_key}")

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client = ctx.issue_key(row, chain), ctx.client
        comment_id = self._target(row, chain)
        waiting = texts.waiting_for(ctx.store, chain.planned, payload.pointers)
        if waiting is not None:
            raise Unresolved(waiting, final=False)
        text = self._text(ctx, chain, payload)
        return lambda: client.patch_comment(key, comment_id, {"text": text})

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        """Exactly the edited text (as rendered now): the text before the edit may differ from it
        only in an issue it names, which the looser matching of imports would take for it."""
        key, comment_id = ctx.issue_key(row, chain), self._target(row, chain)
        current = next(
            (
                c
                for c in ctx.client.list_comments(key) or []
                if isinstance(c, Mapping) and str(c.get("id")) == comment_id
            ),
            None,
        )
        wanted = self._text(ctx, chain, payload)
        if current is None or normalize_text(current.get("text")) != normalize_text(wanted):
            return False
        ctx.store.mark_done(row.id, comment_id, key, reconciled=True)
        return True

    def target_of(self, result: Any, chain: Chain) -> tuple[str | None, str | None]:
        found = result.get("id") if isinstance(result, Mapping) else None
        return (None if found is None else str(found)), chain.target_key

    def blocked_reason(self, row: LedgerRow, chain: Chain) -> str | None:
        if row.parent_source_id in chain.comment_targets:
            return None
        return f"comment {row.parent_source_id} is not in the target"

    @staticmethod
    def _text(ctx: Context, chain: Chain, comment: PlannedComment) -> str:
        """The comment's text as the import writes it (references and shown files resolved)."""
        return str(texts.comment_body(ctx.store, chain.planned, comment).get("text", ""))

    def _target(self, row: LedgerRow, chain: Chain) -> str:
        comment_id = chain.comment_targets.get(row.parent_source_id or "")
        if comment_id is None:
            raise Unresolved(f"comment {row.parent_source_id} is not in the target", final=True)
        return comment_id


class RemovalKind(ObjectKind):
    """A DELETE of a child the export no longer has; an object already gone counts as deleted."""

    kind = Kind.REMOVAL
    _LISTINGS: ClassVar[dict[Kind, Callable[[TrackerApi, str], list[Any]]]] = {
        Kind.COMMENT: lambda client, key: client.list_comments(key),
        Kind.ATTACHMENT: lambda client, key: client.list_attachments(key),
        Kind.COMMENT_ATTACHMENT: lambda client, key: client.list_attachments(key),
        Kind.WORKLOG: lambda client, key: client.list_worklogs(key),
        Kind.LINK: lambda client, key: client.list_links(key),
    }

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        return parse_removal(row.source_id)

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client = ctx.issue_key(row, chain), ctx.client
        kind, target_id, _source_id = payload
        deletes: dict[Kind, Callable[[str, str], None]] = {
            Kind.COMMENT: client.delete_comment,
            Kind.ATTACHMENT: client.delete_attachment,
            Kind.COMMENT_ATTACHMENT: client.delete_attachment,
            Kind.WORKLOG: client.delete_worklog,
            Kind.LINK: client.delete_link,
        }
        delete = deletes[kind]

        def call() -> dict[str, Any]:
            try:
                delete(key, target_id)
            except NotFound:  # already gone (deleted by hand, or with its comment): the goal is reached
                return {"id": target_id, "already_gone": True}
            return {"id": target_id}

        return call

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        key = ctx.issue_key(row, chain)
        kind, target_id, _source_id = payload
        listed = self._LISTINGS[kind](ctx.client, key) or []
        if any(isinstance(item, Mapping) and str(item.get("id")) == target_id for item in listed):
            return False
        ctx.store.mark_done(row.id, target_id, key, reconciled=True)
        return True


def _version(issue: Mapping[str, Any]) -> int | None:
    value = issue.get("version")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _tags(issue: Mapping[str, Any]) -> list[str]:
    return [str(t) for t in as_list(issue.get("tags"))]


def _display(ref: Any) -> Any:
    if isinstance(ref, Mapping):
        return ref.get("key") or ref.get("display") or ref.get("id")
    return ref


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_tracker_datetime(str(value))
    except ValueError:
        return None


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(value if isinstance(value, tuple) else [value])
    return out
