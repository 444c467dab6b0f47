"""The ``source:`` section of a mapping file: YAML → :class:`migrator.sources.spec.SourceSpec`.

Every key is checked (unknown keys with a "did you mean", required fields per kind of table, child
patterns, the ``files:`` download settings); problems are collected, never raised.
"""

from __future__ import annotations

import ipaddress
import re
import string
from typing import Any
from urllib.parse import urlsplit

from migrator.mapping.config_checks import (
    Problems,
    check_keys,
    check_zone,
    opt_str,
    parse_formats,
    require_dict,
)
from migrator.mapping.markup.references import issue_page_template
from migrator.mapping.source_fields import (
    parse_changes,
    parse_date_locale,
    parse_field_specs,
    parse_filter,
    parse_placeholders,
    parse_regex,
)
from migrator.mapping.source_texts import parse_base_url, parse_markup, parse_references
from migrator.sources.spec import (
    CHILD_FIELDS,
    DEFAULT_ARCHIVE_CACHE,
    DEFAULT_FILES_CACHE,
    FORMATS,
    ISSUE_FIELDS,
    MISSING_FILE_POLICIES,
    REQUIRED_CHILD_FIELDS,
    REQUIRED_ISSUE_FIELDS,
    ArchiveSpec,
    AttachmentFilesSpec,
    SourceSpec,
    TableSpec,
)
from migrator.timeutil import ISO_FORMAT

SOURCE_KEYS = frozenset(
    {
        "system",
        "timezone",
        "date_formats",
        "date_locale",
        "format",
        "encoding",
        "delimiter",
        "markup",
        "base_url",
        "references",
        "parent_ref",
        "link_ref",
        "hours_per_day",
        "placeholders",
        "issues",
        "comments",
        "attachments",
        "links",
        "worklogs",
        "files",
        "adapter",  # readers: a registered adapter turns the export into records
        "archives",  # readers: how SOURCE archives are extracted
        "issue_url",
    }
)
# Keys of source.issues / source.<children>: every table; issues only; children only; links only.
TABLE_KEYS = frozenset({"file", "sheet", "records", "fields", "where"})
ISSUE_TABLE_KEYS = frozenset({"custom"})
CHILD_TABLE_KEYS = frozenset({"column", "pattern", "regex", "parse", "path", "optional"})
LINK_TABLE_KEYS = frozenset({"columns"})
COMMENT_TABLE_KEYS = frozenset({"changes"})


def parse_source(raw: Any, problems: Problems) -> SourceSpec | None:
    data = require_dict("source", raw, problems)
    if data is None:
        return None
    check_keys("source", data, SOURCE_KEYS, problems)
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
        check_zone("source.timezone", zone, problems)
    formats = parse_formats("source.date_formats", data.get("date_formats", [ISO_FORMAT]), problems)
    fmt = data.get("format")
    if fmt is not None and fmt not in FORMATS:
        problems.add("source.format", f"unknown format {fmt!r}", f"one of {', '.join(FORMATS)}")
    markups = parse_markup(data.get("markup", "plain"), problems)
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
    base_url = parse_base_url(data.get("base_url"), problems)
    return SourceSpec(
        system=system.strip(),
        timezone=zone,
        date_formats=formats,
        format=fmt,
        encoding=str(data.get("encoding", "auto")),
        delimiter=str(data.get("delimiter", "auto")),
        markup=markups.default,
        markup_by_field=markups.by_field,
        base_url=base_url,
        references=parse_references(data.get("references"), problems),
        parent_ref=data.get("parent_ref", "id"),
        link_ref=data.get("link_ref", "key"),
        hours_per_day=float(data.get("hours_per_day", 8.0)),
        placeholders=parse_placeholders("source.placeholders", data.get("placeholders"), problems) or (),
        date_locale=parse_date_locale("source.date_locale", data.get("date_locale"), problems),
        issues=issues or TableSpec(),
        comments=children["comments"],
        attachments=children["attachments"],
        links=children["links"],
        worklogs=children["worklogs"],
        files=files,
        adapter=_parse_adapter(data.get("adapter"), problems),
        archives=_parse_archives(data.get("archives") or {}, problems),
        issue_url=_parse_issue_url(data.get("issue_url"), problems)
        or (issue_page_template(system.strip(), base_url) if base_url else None),
    )


def _parse_table(path: str, raw: Any, kind: str, problems: Problems) -> TableSpec | None:
    data = require_dict(path, raw, problems)
    if data is None:
        return None
    allowed = TABLE_KEYS | (ISSUE_TABLE_KEYS if kind == "issues" else CHILD_TABLE_KEYS)
    if kind == "links":
        allowed |= LINK_TABLE_KEYS
    if kind == "comments":
        allowed |= COMMENT_TABLE_KEYS
    check_keys(path, data, allowed, problems)
    known = ISSUE_FIELDS if kind == "issues" else CHILD_FIELDS[kind]
    fields_ = parse_field_specs(f"{path}.fields", data.get("fields") or {}, known, problems)
    custom = parse_field_specs(f"{path}.custom", data.get("custom") or {}, None, problems)
    parse = data.get("parse")
    if parse is not None and parse != "json":
        problems.add(
            f"{path}.parse", f"unknown value {parse!r}", "json: each cell holds a JSON array of children"
        )
        parse = None
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        problems.add(f"{path}.columns", "must map a column header to a source relationship name")
        columns = {}
    for header in columns:
        if str(header).count("*") > 1:
            problems.add(
                f"{path}.columns",
                f"the header pattern {header!r} has more than one '*'",
                "a pattern has one '*' (e.g. 'Outward issue link (*)'); its relationship may name it with '*'",
            )
    candidates = _child_columns(f"{path}.column", data.get("column"), problems)
    table = TableSpec(
        file=opt_str(f"{path}.file", data.get("file"), problems),
        sheet=opt_str(f"{path}.sheet", data.get("sheet"), problems),
        records=opt_str(f"{path}.records", data.get("records"), problems),
        fields=fields_,
        custom=custom,
        column=candidates[0] if candidates else None,
        column_candidates=candidates,
        pattern=opt_str(f"{path}.pattern", data.get("pattern"), problems),
        path=opt_str(f"{path}.path", data.get("path"), problems),
        columns={str(k): v for k, v in columns.items()},
        where=parse_filter(f"{path}.where", data.get("where"), problems),
        regex=parse_regex(f"{path}.regex", data.get("regex"), problems),
        parse=parse,
        changes=parse_changes(f"{path}.changes", data.get("changes"), problems),
        optional=_optional_table(f"{path}.optional", data, problems),
    )
    _check_table_shape(path, kind, table, problems)
    return table


def _child_columns(path: str, value: Any, problems: Problems) -> tuple[str, ...]:
    """``column: Comment`` or candidates ``column: [Comment, Comentario]`` (the first the header has)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        problems.add(path, "must be a column name or a list of candidate names", "e.g. [Comment, Comentario]")
        return ()
    return tuple(items)


def _optional_table(path: str, data: dict[str, Any], problems: Problems) -> bool:
    value = data.get("optional", False)
    if not isinstance(value, bool):
        problems.add(path, "must be true or false")
        return False
    if value and not data.get("file"):
        problems.add(
            path, "applies to a separate table's 'file' only", "give 'file', or leave 'optional' out"
        )
        return False
    return value


def _check_table_shape(path: str, kind: str, table: TableSpec, problems: Problems) -> None:
    if kind == "issues":
        for name in REQUIRED_ISSUE_FIELDS:
            if name not in table.fields:
                problems.add(
                    f"{path}.fields.{name}", "is required", "name the column (or JSON path) that holds it"
                )
        return
    if table.column is not None:
        given = [k for k in ("pattern", "regex", "parse") if getattr(table, k)]
        if len(given) != 1:
            problems.add(
                f"{path}.pattern",
                "is required with 'column'" if not given else f"give only one of {', '.join(given)}",
                "e.g. '{created_at};{author};{text}', or regex: '(?P<relationship>...) #(?P<to>\\d+)', "
                "or parse: json with fields",
            )
        elif table.regex:
            _check_regex_children(path, kind, table, table.regex, problems)
        elif table.parse:
            _check_required_fields(path, kind, table, problems)
        else:
            names = _pattern_fields(table.pattern or "")
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
    if table.path is None and kind != "links" and "issue" not in table.fields:
        problems.add(
            f"{path}.fields.issue",
            "is required for a separate table",
            "the column holding the issue's id (or key)",
        )
    _check_required_fields(path, kind, table, problems, embedded=table.path is not None)


def _check_required_fields(
    path: str, kind: str, table: TableSpec, problems: Problems, *, embedded: bool = True
) -> None:
    for name in REQUIRED_CHILD_FIELDS[kind]:
        if embedded and kind == "links" and name == "from":
            continue
        if name not in table.fields:
            problems.add(f"{path}.fields.{name}", "is required")


def _check_regex_children(path: str, kind: str, table: TableSpec, regex: str, problems: Problems) -> None:
    """A child regex names its fields as groups (``(?P<to>\\d+)``); ``fields`` may add constants."""
    groups = set(re.compile(regex).groupindex)
    for name in sorted(groups - CHILD_FIELDS[kind]):
        problems.add(
            f"{path}.regex", f"unknown group (?P<{name}>…)", f"known: {', '.join(sorted(CHILD_FIELDS[kind]))}"
        )
    for name in REQUIRED_CHILD_FIELDS[kind]:
        if name not in groups and name not in table.fields and not (kind == "links" and name == "from"):
            problems.add(f"{path}.regex", f"must have a group (?P<{name}>…) or a field {name!r}")


def _pattern_fields(pattern: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name]


FILES_KEYS = frozenset(
    {
        "directory",
        "max_size_mb",
        "download",
        "cache",
        "auth_env",
        "allowed_hosts",
        "allow_absolute_paths",
        "missing",
    }
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parse_files(raw: Any, problems: Problems) -> AttachmentFilesSpec:
    if not isinstance(raw, dict):
        problems.add("source.files", "must be a mapping with 'directory'")
        return AttachmentFilesSpec()
    check_keys("source.files", raw, FILES_KEYS, problems)
    size = raw.get("max_size_mb", 1024.0)
    if isinstance(size, bool) or not isinstance(size, int | float) or size <= 0:
        problems.add("source.files.max_size_mb", "must be a positive number")
        size = 1024.0
    return AttachmentFilesSpec(
        directory=opt_str("source.files.directory", raw.get("directory"), problems),
        max_size_mb=float(size),
        download=_flag(raw, "download", "true fetches URL locations that have no local copy", problems),
        cache=_parse_cache(raw.get("cache", DEFAULT_FILES_CACHE), problems),
        auth_env=_parse_auth_env(raw.get("auth_env"), problems),
        allowed_hosts=_parse_allowed_hosts(raw.get("allowed_hosts"), problems),
        allow_absolute_paths=_flag(
            raw, "allow_absolute_paths", "true reads absolute attachment locations as they are", problems
        ),
        missing=_parse_missing_policy(raw.get("missing", "skip-file"), problems),
    )


def _flag(raw: dict[str, Any], name: str, hint: str, problems: Problems) -> bool:
    """``source.files.<name>``: true or false (default false)."""
    value = raw.get(name, False)
    if isinstance(value, bool):
        return value
    problems.add(f"source.files.{name}", "must be true or false", hint)
    return False


def _parse_missing_policy(raw: Any, problems: Problems) -> str:
    if raw not in MISSING_FILE_POLICIES:
        problems.add(
            "source.files.missing",
            f"unknown policy {raw!r}",
            "skip-file (import the issue without the file and name it in the text) or error",
        )
        return "skip-file"
    return str(raw)


def _parse_issue_url(raw: Any, problems: Problems) -> str | None:
    """``source.issue_url``: an http(s) URL template with ``{key}``."""
    if raw is None:
        return None
    if not isinstance(raw, str) or "{key}" not in raw or urlsplit(raw).scheme not in ("http", "https"):
        problems.add(
            "source.issue_url",
            "must be an http(s) URL with {key} where the issue's key goes",
            "e.g. https://jira.example.com/browse/{key}",
        )
        return None
    try:
        raw.format(key="K-1")
    except (KeyError, IndexError, ValueError):
        problems.add(
            "source.issue_url", "may contain no placeholder but {key}", "write a literal brace as {{ or }}"
        )
        return None
    return raw


def _parse_cache(raw: Any, problems: Problems) -> str:
    if not isinstance(raw, str) or not raw.strip():
        problems.add(
            "source.files.cache",
            "must be a folder name",
            f"downloads are kept in {DEFAULT_FILES_CACHE!r} by default",
        )
        return DEFAULT_FILES_CACHE
    return raw.strip()


def _parse_auth_env(raw: Any, problems: Problems) -> str | None:
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


def _parse_allowed_hosts(raw: Any, problems: Problems) -> list[str] | None:
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


def _parse_host(path: str, item: Any, problems: Problems) -> str | None:
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


# -- readers: how the export is opened (adapter, archives) ------------------------------------------

ARCHIVES_KEYS = frozenset({"cache", "max_member_mb", "max_total_mb"})
_ADAPTER_NAME = re.compile(r"[a-z][a-z0-9_-]*")


def _parse_adapter(raw: Any, problems: Problems) -> str | None:
    """The adapter's name; whether one is registered under it is checked when the export is read
    (the mapping does not import the readers)."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not _ADAPTER_NAME.fullmatch(raw):
        problems.add("source.adapter", "must be an adapter's name", "e.g. adapter: trello")
        return None
    return raw


def _parse_archives(raw: Any, problems: Problems) -> ArchiveSpec:
    if not isinstance(raw, dict):
        problems.add("source.archives", "must be a mapping", "e.g. archives: {cache: .migrator/archives}")
        return ArchiveSpec()
    check_keys("source.archives", raw, ARCHIVES_KEYS, problems)
    defaults = ArchiveSpec()
    cache = raw.get("cache", DEFAULT_ARCHIVE_CACHE)
    if not isinstance(cache, str) or not cache.strip():
        problems.add("source.archives.cache", "must be a folder name", f"default {DEFAULT_ARCHIVE_CACHE!r}")
        cache = DEFAULT_ARCHIVE_CACHE
    sizes = {}
    for key in ("max_member_mb", "max_total_mb"):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.add(f"source.archives.{key}", "must be a positive number of megabytes")
            value = getattr(defaults, key)
        sizes[key] = float(value)
    return ArchiveSpec(cache=cache.strip(), **sizes)
