"""Everything the executor knows about one object kind, one small class per kind.

An :class:`ObjectKind` answers, for a ledger row of its kind: what is the planned payload, which
call writes it, how is it found in the target when a write's outcome is unknown, and which target
id/key a successful write returned. Kinds found through a listing of the issue's objects
(comments, files, worklogs, links) derive from :class:`ListedKind` and only say how to list and how
to match; the listing, the one-to-one claim and its caching are shared.

The scheduler and the attempt (``scheduler.py``, ``attempt.py``) never branch on a row's kind:
they ask :func:`migrator.execution.registry.kind_of` (which also knows the delta kinds of
``updates.py``).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from migrator.execution import texts
from migrator.execution.api import TrackerApi
from migrator.execution.matching import (
    UserDirectory,
    attachment_matches,
    comment_matches,
    normalize_text,
    relationship_matches,
    value_matches,
    worklog_matches,
)
from migrator.plan import PlannedAttachment, PlannedComment, PlannedIssue, PlannedLink
from migrator.state import CheckpointStore, LedgerRow
from migrator.vocabulary import Kind, Status

# Kinds whose rows belong to an issue and may already be in the target when the issue was found there.
ISSUE_CHILDREN: tuple[Kind, ...] = (
    Kind.COMMENT,
    Kind.ATTACHMENT,
    Kind.COMMENT_ATTACHMENT,
    Kind.WORKLOG,
    Kind.LINK,
)


class Unresolved(Exception):  # noqa: N818 - control flow
    """The object cannot be sent yet/at all; ``final`` = fail it, else leave it pending with the reason."""

    def __init__(self, reason: str, *, final: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass
class Chain:
    """One issue's work in one phase: its plan, its rows, what is known of its target objects."""

    planned: PlannedIssue
    rows: list[LedgerRow]
    target_key: str | None = None
    comment_targets: dict[str, str] = field(default_factory=dict)  # comment source id -> target id
    failed_comments: dict[str, str] = field(default_factory=dict)  # comment source id -> reason
    listings: dict[Kind, list[Any]] = field(default_factory=dict)  # claim family -> the target's objects
    sent_key: str | None = None  # the key the issue's import asked for (texts name the issue by it)

    def listing(self, family: Kind, read: Callable[[], list[Any]]) -> list[Any]:
        """The target's objects of ``family``, read once until this chain writes one."""
        if family not in self.listings:
            self.listings[family] = list(read() or [])
        return self.listings[family]


@dataclass(frozen=True)
class Context:
    """What every kind may consult: the target, the ledger, the org's users."""

    client: TrackerApi
    store: CheckpointStore
    users: UserDirectory

    def issue_key(self, row: LedgerRow, chain: Chain) -> str:
        """The target key of the row's issue (raises :class:`Unresolved` while it is not imported)."""
        if chain.target_key is None:
            target = self.store.issue_target(row.issue_key)
            if target is None or target.status != Status.DONE or not target.target_key:
                detail = target.last_error if target is not None and target.last_error else "not imported"
                raise Unresolved(f"issue {row.issue_key} is not in the target ({detail})", final=False)
            chain.target_key = target.target_key
        return chain.target_key

    def other_key(self, link: PlannedLink) -> str:
        """The target key of a link's other issue (raises :class:`Unresolved` while it is not imported)."""
        target = self.store.issue_target(link.to_source_key)
        if target is None:
            raise Unresolved(f"the other issue {link.to_source_key} is not in this plan", final=False)
        if target.status != Status.DONE or not target.target_key:
            why = f"{target.status}: {target.last_error}" if target.last_error else target.status
            raise Unresolved(f"the other issue {link.to_source_key} is not imported ({why})", final=False)
        return target.target_key


class ObjectKind(ABC):
    """One kind of planned object, as the executor writes and reconciles it."""

    kind: ClassVar[Kind]
    # Kinds whose target ids live in one id space (a claim in one excludes the others); the first
    # names the listing. Empty for kinds not found through a listing.
    family: ClassVar[tuple[Kind, ...]] = ()
    # A 409 on the write means the object is already in the target (it is then looked up).
    conflict_means_present: ClassVar[bool] = False

    @abstractmethod
    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        """The planned object of ``row`` in its issue's stored plan."""

    @abstractmethod
    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        """The write as a zero-argument call (raises :class:`Unresolved` when it cannot be made)."""

    @abstractmethod
    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        """Is the object in the target? If so, the row is marked done with the target id it claims."""

    def target_of(self, result: Any, chain: Chain) -> tuple[str | None, str | None]:
        """(target id, target key) from a successful write's response."""
        result = _first(result)
        if not isinstance(result, Mapping):
            return None, chain.target_key
        return _str_or_none(result.get("id")), chain.target_key

    def unconfirmed_conflict(self, chain: Chain) -> str | None:
        """After a 409 the lookup did not find the object: None = the 409 itself proves it is
        there (links); otherwise why the row fails."""
        return None

    def remember(self, row: LedgerRow, chain: Chain) -> None:
        """Note what later rows of the chain need from this one (called for every row at chain start)."""
        return None

    def blocked_reason(self, row: LedgerRow, chain: Chain) -> str | None:
        """Why the row cannot be attempted because an object it depends on failed (None: it can)."""
        return None

    def settled(self, ctx: Context, row: LedgerRow, chain: Chain, ok: bool) -> None:
        """The row's attempt is over (``ok``: it is done); record what later rows need."""
        return None

    def wrote(self, chain: Chain) -> None:
        """A write of this kind is about to be sent: the cached listing of its family is stale."""
        if self.family:
            chain.listings.pop(self.family[0], None)


class ListedKind(ObjectKind):
    """A kind found by listing its issue's objects of the family and claiming the first match."""

    claim_within_issue: ClassVar[bool] = True  # target ids are unique per issue (links: org-wide)

    @abstractmethod
    def items(self, planned: PlannedIssue, row: LedgerRow) -> Iterable[Any]:
        """The planned objects of this kind the row may name."""

    @abstractmethod
    def listing(self, client: TrackerApi, key: str) -> list[Any]:
        """The target's objects of the family on issue ``key``."""

    @abstractmethod
    def matcher(self, ctx: Context, payload: Any) -> Callable[[Mapping[str, Any]], bool]:
        """Is a listed target object this planned one?"""

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        for item in self.items(planned, row):
            if item.source_id == row.source_id:
                return item
        raise KeyError(f"{row.kind} {row.source_id} is not in the stored plan of {planned.source_key}")

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        key = ctx.issue_key(row, chain)
        match = self.matcher(ctx, payload)
        client = ctx.client
        items = chain.listing(self.family[0], lambda: self.listing(client, key))
        candidates = [
            str(item.get("id")) for item in items or [] if isinstance(item, Mapping) and match(item)
        ]
        scope = row.issue_key if self.claim_within_issue else None
        return ctx.store.claim(row.id, self.family, candidates, issue_key=scope, target_key=key) is not None


class IssueKind(ObjectKind):
    kind = Kind.ISSUE
    conflict_means_present = True

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        return planned.body

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        client, body = ctx.client, texts.issue_body(ctx.store, chain.planned)
        chain.sent_key = body.get("key")
        return lambda: client.import_issue(body)

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        """By ``unique``. Found, not created by our last call: whatever of its children this ledger
        has not confirmed may exist as well (a killed run, a lost or second state file) — look first.
        Found under another key than planned (a lost state file): texts name it by that key now."""
        found = ctx.client.find_by_unique(chain.planned.unique)
        if not found:
            return False
        key = str(found.get("key"))
        ctx.store.mark_done(row.id, str(found.get("id")), key, reconciled=True)
        chain.target_key = key
        if ctx.store.planned_key(row.issue_key) not in (None, key):
            ctx.store.replan_key(row.issue_key, key)
        ctx.store.mark_children_unsure(row.issue_key, ISSUE_CHILDREN)
        return True

    def target_of(self, result: Any, chain: Chain) -> tuple[str | None, str | None]:
        result = _first(result)
        if not isinstance(result, Mapping):
            return None, None
        chain.target_key = str(result.get("key")) if result.get("key") is not None else None
        return _str_or_none(result.get("id")), chain.target_key

    def unconfirmed_conflict(self, chain: Chain) -> str | None:
        key = chain.sent_key
        if key:
            return (
                f"no issue has unique {chain.planned.unique!r}: its planned key {key} is taken by another "
                "issue. It is not renumbered, as texts already name it by that key; free the key (move that "
                "issue to another queue) and run again with --retry-failed, or import into an empty queue"
            )
        return f"no issue has unique {chain.planned.unique!r}"


@dataclass(frozen=True)
class _CommentToSend:
    """A comment's payload: the planned comment and its issue (its text is rendered from both)."""

    comment: PlannedComment
    issue: PlannedIssue


class CommentKind(ListedKind):
    kind = Kind.COMMENT
    family = (Kind.COMMENT,)

    def items(self, planned: PlannedIssue, row: LedgerRow) -> Iterable[Any]:
        return planned.comments

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        return _CommentToSend(super().payload(planned, row), planned)

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client, comment, issue = ctx.issue_key(row, chain), ctx.client, payload.comment, payload.issue
        waiting = texts.waiting_for(ctx.store, issue, comment.pointers)
        if waiting is not None:
            raise Unresolved(waiting, final=False)
        body = texts.comment_body(ctx.store, issue, comment)
        return lambda: client.import_comment(key, body)

    def listing(self, client: TrackerApi, key: str) -> list[Any]:
        return client.list_comments(key)

    def matcher(self, ctx: Context, payload: Any) -> Callable[[Mapping[str, Any]], bool]:
        """The comment's author and time, and its text as rendered now — or naming the same issues
        by other keys (``texts.same_text``: written by a run whose state file is gone)."""
        users, body = ctx.users, payload.comment.body
        same_text = texts.comment_check(ctx.store, payload.issue, payload.comment)
        return lambda item: (
            comment_matches(users, item, {**body, "text": item.get("text")}) and same_text(item.get("text"))
        )

    def remember(self, row: LedgerRow, chain: Chain) -> None:
        if row.status == Status.DONE and row.target_id is not None:
            chain.comment_targets[row.source_id] = row.target_id

    def settled(self, ctx: Context, row: LedgerRow, chain: Chain, ok: bool) -> None:
        current = ctx.store.get_row(row.id)
        if ok and current.target_id is not None:
            chain.comment_targets[row.source_id] = current.target_id
        else:
            chain.failed_comments[row.source_id] = current.last_error or current.status


class AttachmentKind(ListedKind):
    """An issue-level file."""

    kind = Kind.ATTACHMENT
    family = (Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT)

    def items(self, planned: PlannedIssue, row: LedgerRow) -> Iterable[Any]:
        return planned.attachments

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key = ctx.issue_key(row, chain)
        attachment: PlannedAttachment = payload
        if not os.path.isfile(attachment.path):
            raise Unresolved(
                f"file {attachment.path!r} ({attachment.filename}) is not a readable local file", final=True
            )
        comment_id = self.comment_id(row, chain)
        client = ctx.client
        return lambda: client.import_attachment(
            key,
            attachment.path,
            attachment.filename,
            attachment.created_at,
            attachment.created_by,
            comment_id=comment_id,
        )

    def comment_id(self, row: LedgerRow, chain: Chain) -> str | None:
        """The target id of the comment that owns the file (None: an issue-level file)."""
        return None

    def listing(self, client: TrackerApi, key: str) -> list[Any]:
        return client.list_attachments(key)

    def matcher(self, ctx: Context, payload: Any) -> Callable[[Mapping[str, Any]], bool]:
        users = ctx.users
        return lambda item: attachment_matches(users, item, payload)


class CommentAttachmentKind(AttachmentKind):
    """A file that belongs to a comment: sent after its comment, with the comment's target id."""

    kind = Kind.COMMENT_ATTACHMENT

    def items(self, planned: PlannedIssue, row: LedgerRow) -> Iterable[Any]:
        return [a for c in planned.comments if c.source_id == row.parent_source_id for a in c.attachments]

    def comment_id(self, row: LedgerRow, chain: Chain) -> str | None:
        comment_id = chain.comment_targets.get(row.parent_source_id or "")
        if comment_id is None:
            raise Unresolved(f"comment {row.parent_source_id} is not in the target", final=True)
        return comment_id

    def blocked_reason(self, row: LedgerRow, chain: Chain) -> str | None:
        if row.parent_source_id in chain.comment_targets:
            return None
        reason = chain.failed_comments.get(row.parent_source_id or "", "its comment was not imported")
        return f"comment {row.parent_source_id} failed: {reason}"


class WorklogKind(ListedKind):
    kind = Kind.WORKLOG
    family = (Kind.WORKLOG,)

    def items(self, planned: PlannedIssue, row: LedgerRow) -> Iterable[Any]:
        return planned.worklogs

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client = ctx.issue_key(row, chain), ctx.client
        return lambda: client.import_worklog(key, payload.body)

    def listing(self, client: TrackerApi, key: str) -> list[Any]:
        return client.list_worklogs(key)

    def matcher(self, ctx: Context, payload: Any) -> Callable[[Mapping[str, Any]], bool]:
        users, body = ctx.users, payload.body
        return lambda item: worklog_matches(users, item, body)


class LinkKind(ListedKind):
    """A link, imported from the issue that listed it first; a 409 says it is already there.

    Its date was planned inside both issues' windows (``planning``); it is sent as planned."""

    kind = Kind.LINK
    family = (Kind.LINK,)
    conflict_means_present = True
    claim_within_issue = False

    def items(self, planned: PlannedIssue, row: LedgerRow) -> Iterable[Any]:
        return planned.links

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client = ctx.issue_key(row, chain), ctx.client
        link: PlannedLink = payload
        other = self.other_key(ctx, link)
        if link.created_at is None:
            # Planned undated (the mapping's ``target.undated_links: now``, reported by validate).
            return lambda: client.create_link(key, link.relationship, other)
        body = {
            "relationship": link.relationship,
            "issue": other,
            "createdAt": link.created_at,
            "createdBy": link.created_by,
        }
        return lambda: client.import_link(key, body)

    @staticmethod
    def other_key(ctx: Context, link: PlannedLink) -> str:
        """The other issue's target key: an issue of this plan once it is imported, or an issue
        already in Tracker that the plan names (``target.dangling: existing``)."""
        return link.to_target_key or ctx.other_key(link)

    def listing(self, client: TrackerApi, key: str) -> list[Any]:
        return client.list_links(key)

    def matcher(self, ctx: Context, payload: Any) -> Callable[[Mapping[str, Any]], bool]:
        other, relationship = self.other_key(ctx, payload), payload.relationship
        return lambda item: relationship_matches(item, relationship, other)


class DescriptionKind(ObjectKind):
    """The PATCH that lets a description show its files (``target.description_files: patch``):
    after every file of the issue; it moves the issue's ``updatedAt`` (planned and reported). A
    delta run plans another such row when the description changed (``delta.py``)."""

    kind = Kind.DESCRIPTION

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        return planned

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client = ctx.issue_key(row, chain), ctx.client
        waiting = texts.waiting_for(ctx.store, payload, payload.description_pointers)
        if waiting is not None:
            raise Unresolved(waiting, final=False)
        body = {"description": texts.final_description(ctx.store, payload)}
        if "markupType" in payload.body:
            body["markupType"] = payload.body["markupType"]
        return lambda: client.patch_issue(key, body)

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        """The PATCH is only skipped when the issue already shows the final description (its files
        as rendered now; issues named by any key — ``texts.same_text``). A delta's PATCH of a changed
        description (``delta.py``: its row id is not the issue's key) wants exactly that text: the
        text it replaces may differ from it only in an issue it names."""
        key = ctx.issue_key(row, chain)
        issue = ctx.client.get_issue(key)
        current = issue.get("description")
        if row.source_id == row.issue_key:
            shown = texts.description_check(ctx.store, payload)(current)
        else:
            shown = normalize_text(current) == normalize_text(texts.final_description(ctx.store, payload))
        if not shown:
            return False
        ctx.store.mark_done(row.id, None, key, reconciled=True)
        return True

    def target_of(self, result: Any, chain: Chain) -> tuple[str | None, str | None]:
        return None, chain.target_key


class LocalFieldsKind(ObjectKind):
    """The PATCH of queue-local fields, last: it is idempotent, and touches the issue."""

    kind = Kind.LOCAL_FIELDS

    def payload(self, planned: PlannedIssue, row: LedgerRow) -> Any:
        return planned.local_fields

    def write(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> Callable[[], Any]:
        key, client = ctx.issue_key(row, chain), ctx.client
        return lambda: client.patch_issue(key, payload)

    def find(self, ctx: Context, row: LedgerRow, chain: Chain, payload: Any) -> bool:
        """The PATCH is only skipped when the issue already shows every value."""
        key = ctx.issue_key(row, chain)
        issue = ctx.client.get_issue(key)
        if not all(value_matches(ctx.users, value, issue.get(name)) for name, value in payload.items()):
            return False
        ctx.store.mark_done(row.id, None, key, reconciled=True)
        return True

    def target_of(self, result: Any, chain: Chain) -> tuple[str | None, str | None]:
        return None, chain.target_key


def _first(result: Any) -> Any:
    if isinstance(result, list):
        return result[0] if result else None
    return result


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
