"""The canonical model: what every source adapter produces and every later stage consumes.

Plain typed data. Values are still *source* values (source status names, source user names);
translating them to Tracker ids/keys/logins is the mapping stage's job. Every object carries its
source identity so any problem can be traced back to a file and row, and so the checkpoint ledger
can key on it.

All datetimes are timezone-aware (adapters attach the explicit source time zone); a naive
datetime anywhere past the adapter is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class SourceRef:
    """Where an object came from: the source system, its id there, and the file/row it was read from."""

    system: str
    id: str
    file: str | None = None
    row: int | None = (
        None  # 1-based data row (CSV/Excel: spreadsheet row number incl. header; JSON: record index)
    )

    def where(self) -> str:
        """Human-readable location, e.g. ``issues.csv row 12`` or ``issue PROJ-3``."""
        if self.file and self.row is not None:
            return f"{self.file} row {self.row}"
        if self.file:
            return self.file
        return f"{self.system} {self.id}"


@dataclass(frozen=True)
class UserRef:
    """A person as the export names them. ``name`` is the raw value (login, e-mail or display name)."""

    name: str
    email: str | None = None
    display: str | None = None

    def label(self) -> str:
        return self.display or self.name


@dataclass
class Attachment:
    source: SourceRef
    filename: str
    location: str  # a path relative to the attachment directory, an absolute path, or a URL
    created_at: datetime | None = None
    author: UserRef | None = None
    size: int | None = None  # bytes, if the export states it
    comment_id: str | None = None  # source id of the comment it belongs to, if any


@dataclass
class Comment:
    source: SourceRef
    author: UserRef
    created_at: datetime
    text: str
    updated_at: datetime | None = None
    updated_by: UserRef | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Link:
    """A directed relation ``from_key --relationship--> to_key`` in *source* terms (e.g. Jira 'blocks')."""

    source: SourceRef
    from_key: str
    to_key: str
    relationship: str
    created_at: datetime | None = None
    author: UserRef | None = None


@dataclass
class Worklog:
    source: SourceRef
    author: UserRef
    start: datetime
    duration: timedelta
    created_at: datetime | None = None
    comment: str | None = None


@dataclass
class Issue:
    source: SourceRef
    key: str  # the source key (e.g. PROJ-12, #5); unique within the export
    summary: str
    created_at: datetime
    created_by: UserRef
    description: str | None = None
    type: str | None = None
    status: str | None = None
    priority: str | None = None
    resolution: str | None = None
    updated_at: datetime | None = None
    updated_by: UserRef | None = None
    resolved_at: datetime | None = None
    resolved_by: UserRef | None = None
    assignee: UserRef | None = None
    parent_key: str | None = None  # source key of the parent issue
    tags: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    affected_versions: list[str] = field(default_factory=list)
    fix_versions: list[str] = field(default_factory=list)
    followers: list[UserRef] = field(default_factory=list)
    deadline: date | None = None
    start: date | None = None
    end: date | None = None
    original_estimation: timedelta | None = None
    spent: timedelta | None = None
    story_points: float | None = None
    custom: dict[str, Any] = field(default_factory=dict)  # extra source columns by mapping name
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    worklogs: list[Worklog] = field(default_factory=list)
