"""The schema of the mapping file's ``source:`` section: where each canonical field is read from.

The sources own this shape (it is what the readers need to know); ``migrator/mapping/source_section.py``
builds it from the YAML, checking every key. Nothing here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ISSUE_FIELDS = {
    "id",
    "key",
    "summary",
    "description",
    "type",
    "status",
    "priority",
    "resolution",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "resolved_at",
    "resolved_by",
    "assignee",
    "parent",
    "tags",
    "components",
    "affected_versions",
    "fix_versions",
    "followers",
    "deadline",
    "start",
    "end",
    "original_estimation",
    "spent",
    "story_points",
}
REQUIRED_ISSUE_FIELDS = ("id", "summary", "created_at", "created_by")
COMMENT_FIELDS = {"id", "issue", "author", "created_at", "text", "updated_at", "updated_by"}
ATTACHMENT_FIELDS = {"id", "issue", "filename", "location", "created_at", "author", "size", "comment_id"}
LINK_FIELDS = {"id", "from", "to", "relationship", "created_at", "author"}
WORKLOG_FIELDS = {"id", "issue", "author", "start", "duration", "created_at", "comment"}
REQUIRED_CHILD_FIELDS = {
    "comments": ("author", "created_at", "text"),
    "attachments": ("filename",),
    "links": ("from", "to", "relationship"),
    "worklogs": ("author", "start", "duration"),
}
CHILD_FIELDS = {
    "comments": COMMENT_FIELDS,
    "attachments": ATTACHMENT_FIELDS,
    "links": LINK_FIELDS,
    "worklogs": WORKLOG_FIELDS,
}
FORMATS = ("csv", "excel", "json", "ndjson")
MARKUPS = ("plain", "jira", "markdown", "html", "yfm")
MISSING_FILE_POLICIES = ("skip-file", "error")
FIELD_TYPES = ("string", "int", "float", "date", "datetime", "list", "user", "bool")


@dataclass
class FieldSpec:
    """Where one canonical field comes from and how to read it.

    ``column`` is a column header (CSV/Excel; a repeated header yields a list) or a dotted path
    (JSON, e.g. ``fields.assignee.name``; ``[]`` in a path flattens arrays). ``split`` splits a
    single cell into a list. ``date_formats``/``timezone`` override the source-wide ones.
    """

    column: str
    split: str | None = None
    date_formats: list[str] | None = None
    timezone: str | None = None
    default: Any = None
    type: str | None = None  # for custom fields: one of FIELD_TYPES


@dataclass
class TableSpec:
    """Where a kind of record lives: a file (glob on the name of a SOURCE argument), an Excel
    sheet, a JSON path to the array of records, or (for children) cells/arrays inside the issue.
    """

    file: str | None = None  # glob matched against SOURCE file names; None = the issues file
    sheet: str | None = None  # Excel sheet name
    records: str | None = None  # JSON: dotted path to the records array ("" = top level / NDJSON)
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    custom: dict[str, FieldSpec] = field(default_factory=dict)  # issues only: name -> column
    # Children embedded in the issue record:
    column: str | None = None  # CSV/Excel: a (repeated) column whose cells each hold one child
    pattern: str | None = None  # how such a cell is laid out, e.g. "{created_at};{author};{text}"
    path: str | None = None  # JSON: dotted path to an array inside the issue record
    # Links given as columns of the issue table: column header -> source relationship name
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.column is not None or self.path is not None or bool(self.columns)


DEFAULT_FILES_CACHE = ".migrator/files"


@dataclass
class AttachmentFilesSpec:
    """Where attachment files come from: a local ``directory`` (always tried first) and, with
    ``download``, the source system itself for ``http``/``https`` locations not found locally."""

    directory: str | None = None  # where the files are; relative to the issues file's folder
    max_size_mb: float = 1024.0  # Tracker's documented limit
    download: bool = False  # fetch URL locations that have no local copy
    cache: str = DEFAULT_FILES_CACHE  # downloaded files; relative to the current directory
    auth_env: str | None = None  # NAME of the env variable holding the Authorization header value
    allowed_hosts: list[str] | None = None  # None = any http/https host
    # A file that is missing or cannot be read or downloaded: "skip-file" imports its issue (or
    # comment) without it and names it in the text; "error" keeps the issue out of the run.
    missing: str = "skip-file"


@dataclass
class SourceSpec:
    system: str
    timezone: str
    date_formats: list[str]
    format: str | None = None  # None = by file extension
    encoding: str = "auto"
    delimiter: str = "auto"
    markup: str = "plain"
    parent_ref: str = "id"  # the parent column holds the parent's "id" or "key"
    link_ref: str = "key"  # link columns/fields hold the other issue's "id" or "key"
    hours_per_day: float = 8.0
    issues: TableSpec = field(default_factory=TableSpec)
    comments: TableSpec | None = None
    attachments: TableSpec | None = None
    links: TableSpec | None = None
    worklogs: TableSpec | None = None
    files: AttachmentFilesSpec = field(default_factory=AttachmentFilesSpec)
    # The source system's page of an issue, "{key}" standing for the reference as the export writes
    # it (e.g. "https://jira.example.com/browse/{key}"): named in lines about issues outside the export.
    issue_url: str | None = None
