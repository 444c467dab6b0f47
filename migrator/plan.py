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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from migrator.model import SourceRef
from migrator.timeutil import format_tracker_datetime, parse_tracker_datetime


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
    created_at: str
    created_by: str


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

    @property
    def unique(self) -> str:
        return str(self.body["unique"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

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
        )


def make_unique(namespace: str, source: SourceRef) -> str:
    """The deterministic Tracker ``unique`` for an issue: same namespace + source identity → same value."""
    return f"{namespace}:{source.system}:{source.id}"


def link_window(a_body: dict[str, Any], b_body: dict[str, Any]) -> tuple[str, str] | None:
    """The interval in which Tracker accepts a link between two imported issues: inside *both*
    issues' [createdAt, updatedAt] (import-links rule). None when their lifetimes do not overlap."""
    lo = max(_wire_instant(a_body["createdAt"]), _wire_instant(b_body["createdAt"]))
    hi = min(
        _wire_instant(a_body.get("updatedAt") or a_body["createdAt"]),
        _wire_instant(b_body.get("updatedAt") or b_body["createdAt"]),
    )
    if lo > hi:
        return None
    return format_tracker_datetime(lo), format_tracker_datetime(hi)


def fit_link_time(created_at: str, window: tuple[str, str]) -> str:
    """``created_at`` moved into ``window`` (unchanged when already inside)."""
    lo, hi = (_wire_instant(w) for w in window)
    value = _wire_instant(created_at)
    return format_tracker_datetime(min(max(value, lo), hi))


def _wire_instant(text: str) -> datetime:
    return parse_tracker_datetime(text)
