"""The schema of the mapping file's ``source:`` section: where each canonical field is read from.

The sources own this shape (it is what the readers need to know); ``migrator/mapping/source_section.py``
builds it from the YAML, checking every key. Nothing here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.limits import Limits

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
FORMATS = ("csv", "excel", "json", "ndjson", "xml")
MISSING_FILE_POLICIES = ("skip-file", "error")
FIELD_TYPES = ("string", "int", "float", "date", "datetime", "list", "user", "bool")

# -- the mapping language: how one value is found, filtered and read (issue 9 "lang") -------------
PARSERS = ("json", "name_email")  # FieldSpec.parse / TableSpec.parse
UNITS = {"ms": 0.001, "seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": None}  # None: hours_per_day
EPOCHS = ("s", "ms")
FILTER_OPERATORS = ("equals", "in", "exists", "matches", "empty")
FILTER_COMBINATORS = ("not", "any", "all")


@dataclass(frozen=True)
class FilterTest:
    """One test of a ``where:`` filter: the value at ``path`` ``op`` ``operand``."""

    path: str
    op: str  # one of FILTER_OPERATORS
    operand: Any = None


@dataclass(frozen=True)
class FilterGroup:
    """``all`` of / ``any`` of / ``not`` (all of) the parts."""

    mode: str  # all | any | not
    parts: tuple[FilterTest | FilterGroup, ...]


RecordFilter = FilterTest | FilterGroup


@dataclass(frozen=True)
class LookupSpec:
    """Replace an id by a value joined from another table: ``file`` (a glob on the SOURCE file
    names) and/or ``section`` (a dotted JSON path to an array — in ``file``, or in the file the
    record itself comes from). ``key`` and ``value`` are columns/paths of the lookup table's
    records; ``value: ""`` takes the whole record (e.g. a user object with login and e-mail)."""

    key: str
    value: str
    file: str | None = None
    section: str | None = None
    where: RecordFilter | None = None  # only the lookup records satisfying it (Trello: type createCard)


@dataclass(frozen=True)
class ChangesSpec:
    """Field changes of a history entry (Redmine journal ``details``) written as comment text:
    ``path`` is the array of changes inside the child, ``field``/``old``/``new`` paths in each."""

    path: str = "details"
    field: str = "name"
    old: str = "old_value"
    new: str = "new_value"


@dataclass
class FieldSpec:
    """Where one canonical field comes from and how to read it.

    ``column`` is a column header (CSV/Excel; a repeated header yields a list) or a dotted path
    (JSON, e.g. ``fields.assignee.name``; ``[]`` in a path flattens arrays). ``split`` splits a
    single cell into a list. ``date_formats``/``timezone`` override the source-wide ones.

    ``columns`` holds every candidate: the first one the file has wins (Jira Server ``Due Date`` vs
    Cloud ``Due date``); with ``first_non_empty`` the first candidate with a value in *this record*
    wins (``first_of``). ``column`` is the first candidate ("" for a ``const`` field).
    """

    column: str
    split: str | None = None
    date_formats: list[str] | None = None
    timezone: str | None = None
    default: Any = None
    type: str | None = None  # for custom fields: one of FIELD_TYPES
    columns: tuple[str, ...] = ()  # every candidate column/path; () = (column,)
    first_non_empty: bool = False  # first_of: the first candidate with a value in the record
    const: Any = None  # a constant instead of a column
    required: bool | None = None  # None: required only for the canonical required fields
    parse: str | None = None  # json | name_email (PARSERS)
    path: str | None = None  # with parse: json — a dotted path into the parsed value
    regex: str | None = None  # keep what the pattern matches (group "value", else group 1, else all)
    lookup: LookupSpec | None = None
    placeholders: tuple[str, ...] | None = None  # values meaning "empty"; None = source.placeholders
    unit: str | None = None  # durations given as bare numbers: one of UNITS (default seconds)
    epoch: str | None = None  # dates given as numbers: s | ms (JSON numbers: guessed, see values.py)
    date_locale: str | None = None  # month/weekday names in this language; None = source.date_locale

    @property
    def candidates(self) -> tuple[str, ...]:
        return self.columns or ((self.column,) if self.column else ())


@dataclass
class TableSpec:
    """Where a kind of record lives: a file (glob on the name of a SOURCE argument), an Excel
    sheet, a JSON path to the array of records, or (for children) cells/arrays inside the issue.
    """

    file: str | None = None  # glob matched against SOURCE file names; None = the issues file
    sheet: str | None = None  # Excel sheet name
    records: str | None = (
        None  # JSON: path to the records ("a.b" array/object, "a.b.*" keyed); XML: element path
    )
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    custom: dict[str, FieldSpec] = field(default_factory=dict)  # issues only: name -> column
    # Children embedded in the issue record:
    column: str | None = None  # CSV/Excel: a (repeated) column whose cells each hold one child
    column_candidates: tuple[str, ...] = ()  # every candidate header for ``column`` (the first found wins)
    pattern: str | None = None  # how such a cell is laid out, e.g. "{created_at};{author};{text}"
    path: str | None = None  # JSON: dotted path to an array inside the issue record
    # Links given as columns of the issue table: column header -> source relationship name
    columns: dict[str, str] = field(default_factory=dict)
    # The mapping language (issue 9): which records count, and other ways to find children.
    where: RecordFilter | None = None  # records (or children) for which this is false are skipped
    regex: str | None = None  # children from a cell: each match of this pattern is one child
    parse: str | None = None  # "json": the ``column`` cell holds a JSON array of children
    changes: ChangesSpec | None = None  # comments only: field changes appended to the text
    optional: bool = False  # a separate child table whose ``file`` may match nothing (no such children)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The candidate headers of ``column`` (Jira's ``Comment`` vs Spanish ``Comentario``)."""
        return self.column_candidates or ((self.column,) if self.column is not None else ())

    @property
    def embedded(self) -> bool:
        return self.column is not None or self.path is not None or bool(self.columns)

    @property
    def pattern_cells(self) -> bool:
        """Children from cells of ``column`` (by ``pattern``, ``regex`` or ``parse: json``)."""
        return self.column is not None and bool(self.pattern or self.regex or self.parse)


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
    allow_absolute_paths: bool = False  # read absolute locations as they are (else: an error finding)
    # A file that is missing or cannot be read or downloaded: "skip-file" imports its issue (or
    # comment) without it and names it in the text; "error" keeps the issue out of the run.
    missing: str = "skip-file"


# -- readers: archives and adapters (the "readers" part of the source section) ----------------------

DEFAULT_ARCHIVE_CACHE = ".migrator/archives"


@dataclass
class ArchiveSpec:
    """How SOURCE archives (.zip, .tar.gz) are read in place: members are extracted on first use
    into ``cache`` (relative to the current directory), within the size limits."""

    cache: str = DEFAULT_ARCHIVE_CACHE
    max_member_mb: float = 8192.0  # one member, as really written (headers can lie)
    max_total_mb: float = 65536.0  # everything extracted from one archive in one run


TEXT_FIELDS = ("description", "comments")  # the text fields whose markup a mapping may choose one by one


@dataclass(frozen=True)
class ReferencesSpec:
    """Which issue references the texts hold (``source.references``); read by the mapping stage."""

    styles: tuple[str, ...] | None = None  # None = the usual ones of ``source.system``
    project_keys: tuple[str, ...] = ()  # empty = the export's own keys (any KEY-N, told apart later)
    repository: str | None = None  # "owner/repo" whose "owner/repo#12" means "#12"


@dataclass
class SourceSpec:
    system: str
    timezone: str
    date_formats: list[str]
    format: str | None = None  # None = by file extension
    encoding: str = "auto"
    delimiter: str = "auto"
    markup: str = "plain"  # the markup of every text field not named in ``markup_by_field``
    markup_by_field: dict[str, str] = field(default_factory=dict)  # TEXT_FIELDS name -> markup
    base_url: str | None = None  # the old tracker: its issue pages are references; unmigrated ones link there
    references: ReferencesSpec = field(default_factory=ReferencesSpec)
    parent_ref: str = "id"  # the parent column holds the parent's "id" or "key"
    link_ref: str = "key"  # link columns/fields hold the other issue's "id" or "key"
    hours_per_day: float = 8.0
    placeholders: tuple[str, ...] = ()  # values that mean "empty" in every field ("Unassigned", "nobody@*")
    date_locale: str | None = None  # language of month/weekday names in dates ("es": 21/abr/26)
    issues: TableSpec = field(default_factory=TableSpec)
    comments: TableSpec | None = None
    attachments: TableSpec | None = None
    links: TableSpec | None = None
    worklogs: TableSpec | None = None
    files: AttachmentFilesSpec = field(default_factory=AttachmentFilesSpec)
    # readers: how the export is opened (see migrator/sources/adapters, migrator/sources/inputs.py)
    adapter: str | None = None  # a registered adapter turns the export into issue records
    archives: ArchiveSpec = field(default_factory=ArchiveSpec)
    limits: Limits = field(default_factory=Limits)  # the mapping's top-level ``limits:`` + --limit
    # The source system's page of an issue, "{key}" standing for the reference as the export writes
    # it (e.g. "https://jira.example.com/browse/{key}"): named in lines about issues outside the export.
    # Default: the system's issue page under ``base_url`` (when both are known).
    issue_url: str | None = None

    def markup_of(self, text_field: str) -> str:
        """The markup of ``description`` or ``comments``."""
        return self.markup_by_field.get(text_field, self.markup)


def field_specs(source: SourceSpec) -> list[tuple[str, str | None, FieldSpec]]:
    """Every field spec of the section as (mapping key, child kind or None for issues, spec)."""
    out: list[tuple[str, str | None, FieldSpec]] = []
    for name, spec in source.issues.fields.items():
        out.append((f"source.issues.fields.{name}", None, spec))
    for name, spec in source.issues.custom.items():
        out.append((f"source.issues.custom.{name}", None, spec))
    for kind in ("comments", "attachments", "links", "worklogs"):
        table: TableSpec | None = getattr(source, kind)
        for name, spec in (table.fields if table is not None else {}).items():
            out.append((f"source.{kind}.fields.{name}", kind, spec))
    return out
