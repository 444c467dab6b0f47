"""Target-shaped, API-ready objects produced by the mapping stage and consumed by the executor.

A ``PlannedIssue`` body is exactly the JSON the ``_import`` endpoint takes: dates formatted for
Tracker (UTC, ms), users as logins, reference values as Tracker keys, the deterministic ``unique``
set. Only values that depend on *other* target objects are resolved at run time by the executor:
the target key of a linked issue and the target id of a comment that owns a file.

A description or comment that points at other issues or embeds files carries :class:`TextPointers`:
its body holds the text with nothing resolved, and the executor renders the final text when it
sends it, from the ledger (target keys of issues, target ids of files) — see ``migrator/textspans.py``.

Every planned object has a ``source_id`` that is stable across runs of the same export: it is the
key of its row in the checkpoint ledger, which is what makes re-runs exactly-once.

Some decisions need the whole export (a link's date depends on both of its issues): they are
``PlanRevisions``, applied to the planned issues once the export has been read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, TypeVar

from migrator.model import SourceRef
from migrator.spill import DiskMap

Revision = TypeVar("Revision")  # as read: ``IssueRevision``, ``LinkRevision``
Stored = TypeVar("Stored")  # a revision as stored: a tuple


@dataclass
class TextPointers:
    """What a text needs to be rendered at send time: its spans (``textspans.spans_to_json``, offsets
    into the body's text) and the files of its issue it shows (their source ids: each is sent
    before the text, and the text waits for them)."""

    spans: list[dict[str, Any]]
    shows: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TextPointers | None:
        return None if data is None else cls(spans=list(data["spans"]), shows=list(data.get("shows", [])))


@dataclass
class PlannedAttachment:
    source_id: str
    filename: str
    path: str  # resolved local file path (or URL when the mapping allows fetching)
    created_at: str  # Tracker wire format
    created_by: str  # Tracker login
    size: int | None = None  # bytes; known after resolution
    sha256: str | None = None  # hex digest of the file, for verify


@dataclass
class PlannedComment:
    source_id: str
    body: dict[str, Any]  # {"text", "createdAt", "createdBy", ["updatedAt", "updatedBy"], ["markupType"]}
    attachments: list[PlannedAttachment] = field(default_factory=list)
    pointers: TextPointers | None = None  # references / embedded files in body["text"]


@dataclass
class PlannedLink:
    source_id: str
    to_source_key: str  # the *source* key of the other issue; executor resolves its target key
    relationship: str  # Tracker relationship, e.g. "depends on" (``migrator.vocabulary.RELATIONSHIPS``)
    # Inside both issues' windows once the plan is revised (``PlanRevisions``). None = undated: created
    # as an ordinary link at the moment of the run — only when the mapping asks for it
    # (``target.undated_links: now``).
    created_at: str | None
    created_by: str
    # The other issue is outside this plan but already in Tracker (``target.dangling: existing``).
    to_target_key: str | None = None


@dataclass
class PlannedWorklog:
    source_id: str
    body: dict[str, Any]  # {"start", "duration" (ISO 8601), "createdAt", "createdBy", ["comment"]}


@dataclass
class PlannedIssue:
    source: SourceRef
    source_key: str
    body: dict[str, Any]  # the /issues/_import body, incl. "queue" and "unique"
    local_fields: dict[str, Any] = field(
        default_factory=dict
    )  # local field id -> value, PATCHed after import
    comments: list[PlannedComment] = field(default_factory=list)  # in createdAt order
    attachments: list[PlannedAttachment] = field(default_factory=list)  # issue-level files
    worklogs: list[PlannedWorklog] = field(default_factory=list)
    links: list[PlannedLink] = field(default_factory=list)  # outgoing links (parent link included)
    parent_key: str | None = None  # source key of the parent, for parents-before-children ordering
    description_pointers: TextPointers | None = None  # references / embedded files in body["description"]
    description_patch: bool = False  # the description is PATCHed once its files are in (moves updatedAt)
    # An undated link of this issue is planned (``target.undated_links: now``): Tracker will set its
    # updatedAt/updatedBy to the moment of the run and the importing user, which verify then expects.
    touched_by_run: bool = False

    @property
    def unique(self) -> str:
        return str(self.body["unique"])

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON values (what the ledger stores): :func:`plain_dict`."""
        return plain_dict(self)

    def to_json(self) -> str:
        """``json.dumps(self.to_dict(), ensure_ascii=False)``, the same text, without building the
        intermediate dicts: the encoder (in C) asks :func:`_plan_fields` only for the plan's objects."""
        return _PLAN_ENCODER.encode(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedIssue:
        return cls(
            source=SourceRef(**data["source"]),
            source_key=data["source_key"],
            body=data["body"],
            local_fields=data.get("local_fields", {}),
            comments=[
                PlannedComment(
                    source_id=c["source_id"],
                    body=c["body"],
                    attachments=[PlannedAttachment(**a) for a in c.get("attachments", [])],
                    pointers=TextPointers.from_dict(c.get("pointers")),
                )
                for c in data.get("comments", [])
            ],
            attachments=[PlannedAttachment(**a) for a in data.get("attachments", [])],
            worklogs=[PlannedWorklog(**w) for w in data.get("worklogs", [])],
            links=[PlannedLink(**link) for link in data.get("links", [])],
            parent_key=data.get("parent_key"),
            description_pointers=TextPointers.from_dict(data.get("description_pointers")),
            description_patch=bool(data.get("description_patch", False)),
            touched_by_run=bool(data.get("touched_by_run", False)),
        )


def plain_dict(obj: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` for the plan, without its deep copies (about half of the time a plan
    load spent storing): nested dataclasses — fields, and items of list fields — become dicts;
    every other value (payload dicts, strings, numbers) is shared, not copied. The result is only
    serialized, never changed. Payload dicts are JSON values by the plan contract, so a dataclass
    hidden inside one would fail loudly in ``json.dumps`` rather than be stored wrong."""
    return {name: _plain(getattr(obj, name)) for name in _field_names(obj.__class__)}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(type(value), "__dataclass_fields__"):
        return plain_dict(value)
    return value


_PLAN_TYPES = (
    PlannedIssue,
    PlannedComment,
    PlannedAttachment,
    PlannedWorklog,
    PlannedLink,
    TextPointers,
    SourceRef,
)


def _plan_fields(value: Any) -> dict[str, Any]:
    """One plan object's fields, in declaration order (what :func:`plain_dict` gives for it); any
    other value is not JSON, and fails as ``json.dumps`` would."""
    kind: type = type(value)
    if kind not in _PLAN_TYPES:
        raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")
    return {name: getattr(value, name) for name in _field_names(kind)}


_PLAN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_plan_fields)


def make_unique(namespace: str, source: SourceRef) -> str:
    """The deterministic Tracker ``unique`` for an issue: same namespace + source identity → same value."""
    return f"{namespace}:{source.system}:{source.id}"


def append_notes(text: str, notes: list[str]) -> str:
    """``text`` with each note as a paragraph of its own at the end (the notes alone when it is empty)."""
    return "\n\n".join([text, *notes] if text else notes)


# ------------------------------------------------------------------------ revisions across issues


@dataclass(frozen=True)
class ExistingIssue:
    """An issue outside this export that is already in Tracker (imported by an earlier run or
    namespace): a link or parent pointing at it can be imported as a link to it."""

    target_key: str
    created_at: str  # its window in the target, Tracker format
    updated_at: str
    found_by: str  # how it was found, for the report: a ledger file, a ``unique``, a kept key


@dataclass(slots=True)
class LinkRevision:
    owner: str  # source key of the issue that imports the link (the first to list it)
    drop: bool = False  # not imported (a dangling link with policy drop or text)
    to_target_key: str | None = None  # the other end is this issue already in Tracker
    redated: bool = False
    created_at: str | None = None  # with ``redated``: the planned date (None = undated)


@dataclass(slots=True)
class IssueRevision:
    updated_at: str | None = None  # a later updatedAt, so that a link can be dated inside both windows
    notes: list[str] = field(default_factory=list)  # paragraphs appended to the description
    touched_by_run: bool = False  # one of its links is undated (see ``PlannedIssue.touched_by_run``)


# The revisions as stored (``PlanRevisions``): plain values pickle several times faster, and smaller,
# than the dataclasses.
_StoredLink = tuple[str, bool, str | None, bool, str | None]
_StoredIssue = tuple[str | None, tuple[str, ...], bool]


def _stored_link(revision: LinkRevision) -> _StoredLink:
    return revision.owner, revision.drop, revision.to_target_key, revision.redated, revision.created_at


def _link_revision(stored: _StoredLink) -> LinkRevision:
    return LinkRevision(*stored)


def _stored_issue(revision: IssueRevision) -> _StoredIssue:
    return revision.updated_at, tuple(revision.notes), revision.touched_by_run


def _issue_revision(stored: _StoredIssue) -> IssueRevision:
    updated_at, notes, touched_by_run = stored
    return IssueRevision(updated_at, list(notes), touched_by_run)


def _keep(stored: DiskMap[Stored], key: str, value: Stored, *, new: bool) -> None:
    """A changed revision stored back; a new one without looking its key up again."""
    if new:
        stored.put_new(key, value)
    else:
        stored[key] = value


class _Revised(Mapping[str, Revision]):
    """A read-only view of stored revisions as their dataclasses (``PlanRevisions.issues``, ``.links``)."""

    def __init__(self, stored: DiskMap[Stored], revision: Callable[[Stored], Revision]) -> None:
        self._stored = stored
        self._revision = revision

    def __getitem__(self, key: str) -> Revision:
        return self._revision(self._stored[key])

    def __contains__(self, key: object) -> bool:
        return key in self._stored

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)


class PlanRevisions:
    """What planning *across* issues changes in planned issues. It is decided once the whole export
    has been read (a link's date depends on an issue that may come later in the stream), and the
    same export and mapping always give the same revisions, so a resumed run plans the same bodies.

    ``run`` applies them to the stored plan before anything is executed (``planning.load_plan``);
    ``verify`` applies them to the issues it compares; ``validate`` reports each as a finding.

    A large export has a revision for a fifth of its issues and links (a window extended, a link
    redated): as objects they were a few hundred bytes each, the largest holder of a 400,000-issue
    run. They are kept on disk (``migrator.spill``) as plain tuples, changed through the methods
    below (each reads the revision, changes it and stores it back); ``issues`` and ``links`` read
    them as :class:`IssueRevision` / :class:`LinkRevision`, copies that changing does not store.
    """

    def __init__(self, markup_type: str | None = None) -> None:
        self.markup_type = markup_type  # sent with a description that only the notes make non-empty
        self._issues: DiskMap[_StoredIssue] = DiskMap()
        self._links: DiskMap[_StoredLink] = DiskMap()  # by link source id
        self.issues: Mapping[str, IssueRevision] = _Revised(self._issues, _issue_revision)
        self.links: Mapping[str, LinkRevision] = _Revised(self._links, _link_revision)

    # -------------------------------------------------------------- changes

    def extend_issue(self, key: str, updated_at: str) -> None:
        """The issue's ``updatedAt`` becomes ``updated_at`` (a link is dated inside its window)."""
        revision, new = self._issue(key)
        revision.updated_at = updated_at
        _keep(self._issues, key, _stored_issue(revision), new=new)

    def add_note(self, key: str, note: str) -> None:
        """A paragraph appended to the issue's description (a reference that is not imported)."""
        revision, new = self._issue(key)
        revision.notes.append(note)
        _keep(self._issues, key, _stored_issue(revision), new=new)

    def touch_issue(self, key: str) -> None:
        """One of the issue's links is undated (``IssueRevision.touched_by_run``)."""
        revision, new = self._issue(key)
        revision.touched_by_run = True
        _keep(self._issues, key, _stored_issue(revision), new=new)

    def drop_link(self, source_id: str, owner: str) -> None:
        """The link is not imported."""
        revision, new = self._link(source_id, owner)
        revision.drop = True
        _keep(self._links, source_id, _stored_link(revision), new=new)

    def link_to_existing(self, source_id: str, owner: str, target_key: str) -> None:
        """The link's other end is ``target_key``, an issue already in Tracker."""
        revision, new = self._link(source_id, owner)
        revision.to_target_key = target_key
        _keep(self._links, source_id, _stored_link(revision), new=new)

    def redate_link(self, source_id: str, owner: str, created_at: str | None) -> None:
        """The link is created at ``created_at`` (None: undated, at the moment of the run)."""
        revision, new = self._link(source_id, owner)
        revision.redated, revision.created_at = True, created_at
        _keep(self._links, source_id, _stored_link(revision), new=new)

    def _issue(self, key: str) -> tuple[IssueRevision, bool]:
        """The issue's revision so far, and whether it is new (none stored yet)."""
        revision = self.issue_revision(key)
        return (IssueRevision(), True) if revision is None else (revision, False)

    def _link(self, source_id: str, owner: str) -> tuple[LinkRevision, bool]:
        """As :meth:`_issue`; a new one names ``owner`` (the first revision's owner stays)."""
        revision = self.link_revision(source_id)
        return (LinkRevision(owner), True) if revision is None else (revision, False)

    # -------------------------------------------------------------- reading

    def issue_revision(self, key: str) -> IssueRevision | None:
        """``issues.get(key)``: one look-up of the stored tuple (most keys have no revision)."""
        stored = self._issues.get(key)
        return None if stored is None else _issue_revision(stored)

    def link_revision(self, source_id: str) -> LinkRevision | None:
        """``links.get(source_id)``, one look-up (as :meth:`issue_revision`)."""
        stored = self._links.get(source_id)
        return None if stored is None else _link_revision(stored)

    def touched(self) -> set[str]:
        """Source keys of the issues whose stored plan changes."""
        return set(self._issues) | {stored[0] for _source_id, stored in self._links.items_in_order()}

    def apply(self, issue: PlannedIssue) -> PlannedIssue:
        """Revise ``issue`` in place (and return it)."""
        kept: list[PlannedLink] = []
        for link in issue.links:
            change = self.link_revision(link.source_id)
            if change is not None and change.drop:
                continue
            if change is not None and change.to_target_key is not None:
                link.to_target_key = change.to_target_key
            if change is not None and change.redated:
                link.created_at = change.created_at
            kept.append(link)
        issue.links = kept
        revision = self.issue_revision(issue.source_key)
        if revision is None:
            return issue
        if revision.updated_at is not None:
            issue.body["updatedAt"] = revision.updated_at
        if revision.notes:
            issue.body["description"] = append_notes(str(issue.body.get("description") or ""), revision.notes)
            if self.markup_type and "markupType" not in issue.body:
                issue.body["markupType"] = self.markup_type
        if revision.touched_by_run:
            issue.touched_by_run = True
        return issue
