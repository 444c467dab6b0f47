"""The mapping file: schema, loading, and validation that reports every mistake with its key path.

A mapping file (``mappings/*.yaml``) says two things:

* how to *read* the export (``source``): which file/sheet/JSON path holds issues, comments, files,
  links and worklogs, which column or path feeds each canonical field, date formats and the
  explicit source time zone;
* how to *translate* it for Tracker (``target``, ``values``, ``users``, ``fields``): queue,
  idempotency namespace, value maps with an explicit policy for unmapped values, user resolution,
  extra global/local fields.

See ``docs/mapping.md`` for the reference with examples. Loading never raises a traceback at the
user: ``load_mapping`` collects every problem and raises one ``ConfigError`` listing them all.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from migrator.errors import ConfigError
from migrator.limits import CLI_ONLY, Limits, check_limit
from migrator.mapping.safe_yaml import YamlLimitError, load_yaml
from migrator.timeutil import ISO_FORMAT, load_zone

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
UNMAPPED_POLICIES = ("error", "default", "keep", "ignore")
VALUE_MAP_NAMES = ("type", "status", "priority", "resolution", "link", "components", "versions", "tags")
USER_MATCH_METHODS = ("email", "login", "name")
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
    allow_absolute_paths: bool = False  # read absolute locations as they are (else: an error finding)


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
    limits: Limits = field(default_factory=Limits)  # the mapping's top-level ``limits:`` + --limit


@dataclass
class TargetSpec:
    queue: str
    namespace: str
    keep_keys: bool = False  # import with "key" = <queue>-<source number> (source keys must be numbered)
    markup_type: str | None = "md"  # sent as markupType on descriptions/comments; None = don't send


@dataclass
class ValueMap:
    """Source value -> Tracker key/name. ``unmapped`` says what happens to a value not in ``map``:
    ``error`` blocks the run; ``default`` uses ``default`` (a warning); ``keep`` sends the value as is
    (a warning if the target does not know it); ``ignore`` drops it (a warning)."""

    map: dict[str, str | None] = field(default_factory=dict)
    unmapped: str = "error"
    default: str | None = None
    case_sensitive: bool = False

    def lookup(self, value: str) -> tuple[bool, str | None]:
        """(found, target) — target None means "explicitly mapped to nothing"."""
        if value in self.map:
            return True, self.map[value]
        if not self.case_sensitive:
            folded = value.casefold()
            for k, v in self.map.items():
                if k.casefold() == folded:
                    return True, v
        return False, None


@dataclass
class UsersSpec:
    map: dict[str, str] = field(default_factory=dict)  # source name/login/e-mail -> Tracker login
    match: list[str] = field(default_factory=lambda: ["email", "login"])  # auto-match order
    fallback: str | None = None  # Tracker login for unresolved users; None = unresolved is an error
    keep_original_name: bool = True  # note "originally by <name>" in texts written by the fallback


@dataclass
class ExtraField:
    """A Tracker field filled from a canonical field (``story_points``) or ``custom.<name>``."""

    target: str
    source: str
    type: str = "string"
    local: bool = False  # a queue-local field: PATCHed after import
    map: dict[str, Any] = field(default_factory=dict)


@dataclass
class MappingConfig:
    path: Path
    source: SourceSpec
    target: TargetSpec
    values: dict[str, ValueMap]
    users: UsersSpec
    fields: list[ExtraField]
    name: str | None = None

    def value_map(self, name: str) -> ValueMap | None:
        return self.values.get(name)


# ---------------------------------------------------------------------------------------------
# Loading


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        self.items.append(f"{path}: {message}" + (f" (hint: {hint})" if hint else ""))


def load_mapping(
    path: str | Path,
    *,
    queue: str | None = None,
    namespace: str | None = None,
    limits: Mapping[str, float] | None = None,
) -> MappingConfig:
    """Read and validate a mapping file. Raises ``ConfigError`` listing every problem found.

    ``limits`` are the ``--limit`` values of the command line: they guard the reading of the file
    itself and override the mapping's own ``limits:`` section."""
    file = Path(path)
    overrides = dict(limits or {})
    data = _read_yaml(file, Limits().with_values(overrides))
    problems = _Problems()
    config = _parse_root(file, data, problems, queue=queue, namespace=namespace)
    if problems.items or config is None:
        raise ConfigError(str(file), problems.items or ["the mapping is empty"])
    config.source.limits = config.source.limits.with_values(overrides)
    return config


def _read_yaml(file: Path, limits: Limits) -> Any:
    """The YAML document of ``file``, within the size and node limits; ``ConfigError`` otherwise."""
    try:
        size = file.stat().st_size
        if size > limits.mapping_bytes:
            raise ConfigError(
                str(file),
                [
                    f"the file has {size:,} bytes, over the {limits.mapping_mb:g} MB limit for a mapping "
                    "(hint: a mapping is a few kilobytes; if this one really is that big, "
                    "pass --limit mapping_mb=N)"
                ],
            )
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            str(file), ["file not found; pass an existing mapping with --mapping (see mappings/)"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), [f"cannot read the file: {exc}"]) from None
    try:
        return load_yaml(text, max_nodes=limits.yaml_nodes)
    except YamlLimitError as exc:
        hint = "anchors and aliases (&a / *a) multiply; if the file is legitimate, pass --limit yaml_nodes=N"
        raise ConfigError(str(file), [f"line {exc.line}: {exc} (hint: {hint})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(file), [f"{where}: not valid YAML: {problem}"]) from None
    except RecursionError:
        raise ConfigError(str(file), ["the YAML is nested too deeply to read"]) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ConfigError(str(file), [f"a value cannot be read: {exc}"]) from None


def _parse_root(
    file: Path, data: Any, problems: _Problems, *, queue: str | None, namespace: str | None
) -> MappingConfig | None:
    if not isinstance(data, dict):
        problems.add("(top level)", "must be a mapping with keys source, target, values, users, fields")
        return None
    _check_keys(
        "(top level)",
        data,
        {"version", "name", "source", "target", "values", "users", "fields", "limits"},
        problems,
    )
    version = data.get("version", 1)
    if version != 1:
        problems.add("version", f"unsupported version {version!r}", "this migrator reads version: 1")
    source = _parse_source(data.get("source"), problems)
    target = _parse_target(data.get("target"), problems, queue=queue, namespace=namespace)
    values = _parse_values(data.get("values") or {}, problems)
    users = _parse_users(data.get("users") or {}, problems)
    fields_ = _parse_extra_fields(data.get("fields") or [], problems)
    limits = _parse_limits(data.get("limits") or {}, problems)
    if source is None or target is None:
        return None
    source.limits = limits
    return MappingConfig(
        path=file,
        source=source,
        target=target,
        values=values,
        users=users,
        fields=fields_,
        name=data.get("name"),
    )


def _check_keys(path: str, data: dict[str, Any], allowed: set[str], problems: _Problems) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
            problems.add(f"{path}.{key}" if path != "(top level)" else str(key), "unknown key", hint)


def _require_dict(path: str, value: Any, problems: _Problems) -> dict[str, Any] | None:
    if value is None:
        problems.add(path, "is required")
        return None
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping, got {type(value).__name__}")
        return None
    return value


def _parse_source(raw: Any, problems: _Problems) -> SourceSpec | None:
    data = _require_dict("source", raw, problems)
    if data is None:
        return None
    allowed = {
        "system",
        "timezone",
        "date_formats",
        "format",
        "encoding",
        "delimiter",
        "markup",
        "parent_ref",
        "link_ref",
        "hours_per_day",
        "issues",
        "comments",
        "attachments",
        "links",
        "worklogs",
        "files",
    }
    _check_keys("source", data, allowed, problems)
    system = data.get("system")
    if not isinstance(system, str) or not system.strip():
        problems.add("source.system", "is required: a short name of the source tracker, e.g. 'jira'")
        system = "unknown"
    zone = data.get("timezone")
    if not isinstance(zone, str):
        problems.add(
            "source.timezone",
            "is required: the time zone the export's timestamps are written in",
            "e.g. 'Europe/Moscow' or 'UTC'; migrator never guesses it",
        )
        zone = "UTC"
    else:
        _check_zone("source.timezone", zone, problems)
    formats = _parse_formats("source.date_formats", data.get("date_formats", [ISO_FORMAT]), problems)
    fmt = data.get("format")
    if fmt is not None and fmt not in FORMATS:
        problems.add("source.format", f"unknown format {fmt!r}", f"one of {', '.join(FORMATS)}")
    markup = data.get("markup", "plain")
    if markup not in MARKUPS:
        problems.add("source.markup", f"unknown markup {markup!r}", f"one of {', '.join(MARKUPS)}")
    for key in ("parent_ref", "link_ref"):
        if data.get(key, "id" if key == "parent_ref" else "key") not in ("id", "key"):
            problems.add(f"source.{key}", "must be 'id' or 'key'")
    issues = _parse_table("source.issues", data.get("issues"), "issues", problems)
    children: dict[str, TableSpec | None] = {}
    for kind in ("comments", "attachments", "links", "worklogs"):
        children[kind] = (
            _parse_table(f"source.{kind}", data[kind], kind, problems) if data.get(kind) else None
        )
    files = _parse_files(data.get("files") or {}, problems)
    return SourceSpec(
        system=system.strip(),
        timezone=zone,
        date_formats=formats,
        format=fmt,
        encoding=str(data.get("encoding", "auto")),
        delimiter=str(data.get("delimiter", "auto")),
        markup=markup,
        parent_ref=data.get("parent_ref", "id"),
        link_ref=data.get("link_ref", "key"),
        hours_per_day=float(data.get("hours_per_day", 8.0)),
        issues=issues or TableSpec(),
        comments=children["comments"],
        attachments=children["attachments"],
        links=children["links"],
        worklogs=children["worklogs"],
        files=files,
    )


def _check_zone(path: str, zone: str, problems: _Problems) -> None:
    try:
        load_zone(zone)
    except ValueError as exc:
        problems.add(path, str(exc))


def _parse_formats(path: str, raw: Any, problems: _Problems) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(f, str) for f in raw):
        problems.add(path, "must be a list of strptime formats (or 'iso')", "e.g. ['%d/%b/%y %I:%M %p', iso]")
        return [ISO_FORMAT]
    for i, fmt in enumerate(raw):
        if fmt != ISO_FORMAT and "%" not in fmt:
            problems.add(
                f"{path}[{i}]", f"{fmt!r} is not a strptime format", "e.g. '%Y-%m-%d %H:%M' or 'iso'"
            )
    return list(raw)


def _parse_table(path: str, raw: Any, kind: str, problems: _Problems) -> TableSpec | None:
    data = _require_dict(path, raw, problems)
    if data is None:
        return None
    allowed = {"file", "sheet", "records", "fields"}
    if kind == "issues":
        allowed |= {"custom"}
    else:
        allowed |= {"column", "pattern", "path"}
    if kind == "links":
        allowed |= {"columns"}
    _check_keys(path, data, allowed, problems)
    known = ISSUE_FIELDS if kind == "issues" else CHILD_FIELDS[kind]
    fields_ = _parse_field_specs(f"{path}.fields", data.get("fields") or {}, known, problems)
    custom = _parse_field_specs(f"{path}.custom", data.get("custom") or {}, None, problems)
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        problems.add(f"{path}.columns", "must map a column header to a source relationship name")
        columns = {}
    table = TableSpec(
        file=_opt_str(f"{path}.file", data.get("file"), problems),
        sheet=_opt_str(f"{path}.sheet", data.get("sheet"), problems),
        records=_opt_str(f"{path}.records", data.get("records"), problems),
        fields=fields_,
        custom=custom,
        column=_opt_str(f"{path}.column", data.get("column"), problems),
        pattern=_opt_str(f"{path}.pattern", data.get("pattern"), problems),
        path=_opt_str(f"{path}.path", data.get("path"), problems),
        columns={str(k): v for k, v in columns.items()},
    )
    _check_table_shape(path, kind, table, problems)
    return table


def _check_table_shape(path: str, kind: str, table: TableSpec, problems: _Problems) -> None:
    if kind == "issues":
        for name in REQUIRED_ISSUE_FIELDS:
            if name not in table.fields:
                problems.add(
                    f"{path}.fields.{name}", "is required", "name the column (or JSON path) that holds it"
                )
        return
    if table.column is not None:
        if not table.pattern:
            problems.add(
                f"{path}.pattern", "is required with 'column'", "e.g. '{created_at};{author};{text}'"
            )
        else:
            names = _pattern_fields(table.pattern)
            unknown = [n for n in names if n not in CHILD_FIELDS[kind]]
            for n in unknown:
                problems.add(
                    f"{path}.pattern",
                    f"unknown field {{{n}}}",
                    f"known: {', '.join(sorted(CHILD_FIELDS[kind]))}",
                )
            for n in REQUIRED_CHILD_FIELDS[kind]:
                if n not in names and not (kind == "links" and n == "from"):
                    problems.add(f"{path}.pattern", f"must contain {{{n}}}")
        return
    if table.columns:
        return
    if table.path is not None:
        required = [n for n in REQUIRED_CHILD_FIELDS[kind] if not (kind == "links" and n == "from")]
    else:
        required = list(REQUIRED_CHILD_FIELDS[kind])
        if kind != "links" and "issue" not in table.fields:
            problems.add(
                f"{path}.fields.issue",
                "is required for a separate table",
                "the column holding the issue's id (or key)",
            )
    for name in required:
        if name not in table.fields:
            problems.add(f"{path}.fields.{name}", "is required")


def _pattern_fields(pattern: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name]


def _parse_field_specs(
    path: str, raw: Any, known: set[str] | None, problems: _Problems
) -> dict[str, FieldSpec]:
    if not isinstance(raw, dict):
        problems.add(path, "must map field names to columns")
        return {}
    out: dict[str, FieldSpec] = {}
    for name, spec in raw.items():
        key = f"{path}.{name}"
        if known is not None and name not in known:
            close = difflib.get_close_matches(str(name), sorted(known), n=1)
            problems.add(
                key,
                "unknown field",
                f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}",
            )
            continue
        parsed = _parse_field_spec(key, spec, problems)
        if parsed is not None:
            out[str(name)] = parsed
    return out


def _parse_field_spec(path: str, spec: Any, problems: _Problems) -> FieldSpec | None:
    if isinstance(spec, str):
        return FieldSpec(column=spec)
    if not isinstance(spec, dict):
        problems.add(path, "must be a column name or a mapping with 'column'")
        return None
    _check_keys(path, spec, {"column", "split", "date_formats", "timezone", "default", "type"}, problems)
    column = spec.get("column")
    if not isinstance(column, str) or not column:
        problems.add(f"{path}.column", "is required")
        return None
    formats = (
        _parse_formats(f"{path}.date_formats", spec["date_formats"], problems)
        if "date_formats" in spec
        else None
    )
    zone = spec.get("timezone")
    if zone is not None:
        _check_zone(f"{path}.timezone", str(zone), problems)
    ftype = spec.get("type")
    if ftype is not None and ftype not in FIELD_TYPES:
        problems.add(f"{path}.type", f"unknown type {ftype!r}", f"one of {', '.join(FIELD_TYPES)}")
    return FieldSpec(
        column=column,
        split=spec.get("split"),
        date_formats=formats,
        timezone=zone,
        default=spec.get("default"),
        type=ftype,
    )


FILES_KEYS = {
    "directory",
    "max_size_mb",
    "download",
    "cache",
    "auth_env",
    "allowed_hosts",
    "allow_absolute_paths",
}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parse_files(raw: Any, problems: _Problems) -> AttachmentFilesSpec:
    if not isinstance(raw, dict):
        problems.add("source.files", "must be a mapping with 'directory'")
        return AttachmentFilesSpec()
    _check_keys("source.files", raw, FILES_KEYS, problems)
    size = raw.get("max_size_mb", 1024.0)
    if isinstance(size, bool) or not isinstance(size, int | float) or size <= 0:
        problems.add("source.files.max_size_mb", "must be a positive number")
        size = 1024.0
    return AttachmentFilesSpec(
        directory=_opt_str("source.files.directory", raw.get("directory"), problems),
        max_size_mb=float(size),
        download=_flag(raw, "download", "true fetches URL locations that have no local copy", problems),
        cache=_parse_cache(raw.get("cache", DEFAULT_FILES_CACHE), problems),
        auth_env=_parse_auth_env(raw.get("auth_env"), problems),
        allowed_hosts=_parse_allowed_hosts(raw.get("allowed_hosts"), problems),
        allow_absolute_paths=_flag(
            raw, "allow_absolute_paths", "true reads absolute attachment locations as they are", problems
        ),
    )


def _flag(raw: dict[str, Any], name: str, hint: str, problems: _Problems) -> bool:
    """``source.files.<name>``: true or false (default false)."""
    value = raw.get(name, False)
    if isinstance(value, bool):
        return value
    problems.add(f"source.files.{name}", "must be true or false", hint)
    return False


def _parse_cache(raw: Any, problems: _Problems) -> str:
    if not isinstance(raw, str) or not raw.strip():
        problems.add(
            "source.files.cache",
            "must be a folder name",
            f"downloads are kept in {DEFAULT_FILES_CACHE!r} by default",
        )
        return DEFAULT_FILES_CACHE
    return raw.strip()


def _parse_auth_env(raw: Any, problems: _Problems) -> str | None:
    """The *name* of an environment variable. The value is never echoed: a user who pasted the
    header itself here must not see it repeated in the error output."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not _ENV_NAME.fullmatch(raw):
        problems.add(
            "source.files.auth_env",
            "must be the name of an environment variable (letters, digits, '_'), not its value",
            "e.g. auth_env: JIRA_AUTH, with JIRA_AUTH='Bearer <token>' set in the environment; "
            "never put the token in the mapping",
        )
        return None
    return raw


def _parse_allowed_hosts(raw: Any, problems: _Problems) -> list[str] | None:
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        problems.add(
            "source.files.allowed_hosts", "must be a non-empty list of host names", "e.g. [jira.example.com]"
        )
        return None
    hosts = []
    for index, item in enumerate(items):
        host = _parse_host(f"source.files.allowed_hosts[{index}]", item, problems)
        if host is not None:
            hosts.append(host)
    return hosts


def _parse_host(path: str, item: Any, problems: _Problems) -> str | None:
    if not isinstance(item, str) or not item.strip():
        problems.add(path, "must be a host name", "e.g. jira.example.com")
        return None
    text = item.strip().lower()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https"):
            problems.add(
                path,
                f"scheme {parts.scheme!r} is not downloaded",
                "only http and https locations are downloaded",
            )
            return None
        problems.add(path, "must be a host name, not a URL", f"write {parts.hostname or 'the host name'!r}")
        return None
    if _is_ip_address(text.strip("[]")):
        return text.strip("[]")
    if any(c in text for c in "/?#@ :"):
        problems.add(
            path, f"{item!r} is not a host name", "a bare name like jira.example.com (any port matches)"
        )
        return None
    return text


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _opt_str(path: str, value: Any, problems: _Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(path, f"must be a string, got {type(value).__name__}")
        return None
    return value


def _parse_target(
    raw: Any, problems: _Problems, *, queue: str | None, namespace: str | None
) -> TargetSpec | None:
    data = _require_dict("target", raw, problems) if raw is not None or not (queue and namespace) else {}
    if data is None:
        return None
    _check_keys("target", data, {"queue", "namespace", "keep_keys", "markup_type"}, problems)
    q = queue or data.get("queue")
    ns = namespace or data.get("namespace")
    if not isinstance(q, str) or not q:
        problems.add("target.queue", "is required (or pass --queue)")
    if not isinstance(ns, str) or not ns:
        problems.add(
            "target.namespace",
            "is required (or pass --namespace)",
            "a name for this migration; it makes re-runs idempotent",
        )
    elif ":" in ns:
        problems.add("target.namespace", "must not contain ':'")
    markup_type = data.get("markup_type", "md")
    if markup_type not in (None, "md", "wf"):
        problems.add("target.markup_type", f"unknown markup type {markup_type!r}", "use md (YFM) or null")
    return TargetSpec(
        queue=str(q or ""),
        namespace=str(ns or ""),
        keep_keys=bool(data.get("keep_keys", False)),
        markup_type=markup_type,
    )


def _parse_values(raw: Any, problems: _Problems) -> dict[str, ValueMap]:
    if not isinstance(raw, dict):
        problems.add("values", "must map a field (type, status, ...) to a value map")
        return {}
    _check_keys("values", raw, set(VALUE_MAP_NAMES), problems)
    out: dict[str, ValueMap] = {}
    for name, spec in raw.items():
        if name not in VALUE_MAP_NAMES:
            continue
        path = f"values.{name}"
        if not isinstance(spec, dict):
            problems.add(path, "must be a mapping with 'map' and 'unmapped'")
            continue
        _check_keys(path, spec, {"map", "unmapped", "default", "case_sensitive"}, problems)
        mapping = _scalar_map(f"{path}.map", spec.get("map") or {}, "source values to Tracker keys", problems)
        policy = spec.get("unmapped", "error")
        if policy not in UNMAPPED_POLICIES:
            problems.add(
                f"{path}.unmapped", f"unknown policy {policy!r}", f"one of {', '.join(UNMAPPED_POLICIES)}"
            )
        default = spec.get("default")
        if policy == "default" and default is None:
            problems.add(f"{path}.default", "is required when unmapped: default")
        out[name] = ValueMap(
            map={str(k): (None if v is None else str(v)) for k, v in mapping.items()},
            unmapped=policy,
            default=None if default is None else str(default),
            case_sensitive=bool(spec.get("case_sensitive", False)),
        )
    return out


def _parse_users(raw: Any, problems: _Problems) -> UsersSpec:
    if not isinstance(raw, dict):
        problems.add("users", "must be a mapping with map / match / fallback")
        return UsersSpec()
    _check_keys("users", raw, {"map", "match", "fallback", "keep_original_name"}, problems)
    mapping = _scalar_map("users.map", raw.get("map") or {}, "source user names to Tracker logins", problems)
    match = raw.get("match", ["email", "login"])
    if not isinstance(match, list) or any(m not in USER_MATCH_METHODS for m in match):
        problems.add("users.match", f"must be a list of {', '.join(USER_MATCH_METHODS)}")
        match = ["email", "login"]
    fallback = raw.get("fallback")
    if fallback is not None and not isinstance(fallback, str):
        problems.add("users.fallback", "must be a Tracker login")
        fallback = None
    return UsersSpec(
        map={str(k): str(v) for k, v in mapping.items()},
        match=list(match),
        fallback=fallback,
        keep_original_name=bool(raw.get("keep_original_name", True)),
    )


def _parse_extra_fields(raw: Any, problems: _Problems) -> list[ExtraField]:
    if not isinstance(raw, list):
        problems.add("fields", "must be a list of {target, from, type, local}")
        return []
    out: list[ExtraField] = []
    for i, spec in enumerate(raw):
        path = f"fields[{i}]"
        if not isinstance(spec, dict):
            problems.add(path, "must be a mapping with target and from")
            continue
        _check_keys(path, spec, {"target", "from", "type", "local", "map"}, problems)
        target, source = spec.get("target"), spec.get("from")
        if not isinstance(target, str) or not target:
            problems.add(f"{path}.target", "is required: the Tracker field id (or local field key)")
            continue
        if not isinstance(source, str) or not (source in ISSUE_FIELDS or source.startswith("custom.")):
            problems.add(f"{path}.from", "must be a canonical field name or custom.<name>", f"got {source!r}")
            continue
        ftype = spec.get("type", "string")
        if ftype not in FIELD_TYPES:
            problems.add(f"{path}.type", f"unknown type {ftype!r}", f"one of {', '.join(FIELD_TYPES)}")
        out.append(
            ExtraField(
                target=target,
                source=source,
                type=ftype,
                local=bool(spec.get("local", False)),
                map=spec.get("map") or {},
            )
        )
    return out


def _scalar_map(path: str, raw: Any, what: str, problems: _Problems) -> dict[Any, Any]:
    """A map of plain values: a list or mapping as a value is a mistake (and, made of aliases,
    could expand to gigabytes when turned into text)."""
    if not isinstance(raw, dict):
        problems.add(path, f"must map {what}")
        return {}
    out: dict[Any, Any] = {}
    for key, value in raw.items():
        if isinstance(key, list | dict) or isinstance(value, list | dict):
            shape = type(key if isinstance(key, list | dict) else value).__name__
            problems.add(f"{path}.{_short(key)}", f"must map {what}: got a {shape}")
            continue
        out[key] = value
    return out


def _short(value: Any) -> str:
    text = str(value) if isinstance(value, str | int | float) else type(value).__name__
    return text if len(text) <= 40 else text[:40] + "…"


def _parse_limits(raw: Any, problems: _Problems) -> Limits:
    if not isinstance(raw, dict):
        problems.add("limits", "must map a limit name to a number", "e.g. limits: {cell_mb: 64}")
        return Limits()
    values: dict[str, float] = {}
    for name, value in raw.items():
        if name in CLI_ONLY:
            problems.add(
                f"limits.{name}",
                "guards the reading of the mapping itself, so it cannot be set inside it",
                f"pass --limit {name}=N on the command line",
            )
            continue
        checked = check_limit(str(name), value)
        if isinstance(checked, str):
            problems.add(f"limits.{name}", checked)
        else:
            values[checked[0]] = checked[1]
    return Limits().with_values(values)
