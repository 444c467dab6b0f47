"""The mapping file: schema, loading, and validation that reports every mistake with its key path.

A mapping file (``mappings/*.yaml``) says two things:

* how to *read* the export (``source``): which file/sheet/JSON path holds issues, comments, files,
  links and worklogs, which column or path feeds each canonical field, date formats and the
  explicit source time zone;
* how to *translate* it for Tracker (``target``, ``values``, ``users``, ``fields``): queue,
  idempotency namespace, value maps with an explicit policy for unmapped values, user resolution,
  extra global/local fields.

The ``source`` section's schema belongs to the readers (``migrator/sources/spec.py``) and is parsed
by ``source_section.py``; this module holds the rest of the schema and the loader. See
``docs/mapping.md`` for the reference with examples. Loading never raises a traceback at the user:
``load_mapping`` collects every problem and raises one ``ConfigError`` listing them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from migrator.errors import ConfigError
from migrator.limits import CLI_ONLY, LIMIT_NAMES, Limits, check_limit
from migrator.mapping.config_checks import Problems, check_keys, require_dict
from migrator.mapping.policies import DanglingPolicy, parse_dangling, parse_undated_links
from migrator.mapping.preset_section import PresetInfo, parse_preset
from migrator.mapping.safe_yaml import YamlLimitError, load_yaml
from migrator.mapping.source_section import parse_source
from migrator.mapping.undecided import Undecided, take_undecided
from migrator.sources.spec import FIELD_TYPES, ISSUE_FIELDS, SourceSpec

UNMAPPED_POLICIES = ("error", "default", "keep", "ignore")
VALUE_MAP_NAMES = ("type", "status", "priority", "resolution", "link", "components", "versions", "tags")
USER_MATCH_METHODS = ("email", "login", "name")
# The keys each section accepts (docs/mapping.md must show every one: tests/mapping/test_mapping_docs.py).
VALUES_KEYS = frozenset(VALUE_MAP_NAMES)
TOP_LEVEL_KEYS = frozenset(
    {"version", "name", "preset", "source", "target", "values", "users", "fields", "limits"}
)
TARGET_KEYS = frozenset(
    {
        "queue",
        "namespace",
        "keep_keys",
        "markup_type",
        "description_files",
        "comment_files",
        "dangling",
        "undated_links",
    }
)
# How texts show the files they embed (docs/mapping.md, "Texts in the target"): the first is the default.
DESCRIPTION_FILES = ("named", "patch")  # named: the description names them; patch: PATCH it after upload
COMMENT_FILES = ("inline", "attached")  # inline: the comment's own embedded files go to the issue first
VALUE_MAP_KEYS = frozenset({"map", "unmapped", "default", "case_sensitive"})
USERS_KEYS = frozenset({"map", "match", "fallback", "keep_original_name"})
EXTRA_FIELD_KEYS = frozenset({"target", "from", "type", "local", "map"})
# limits: the export's limits (migrator/limits.py); the two guarding the mapping itself are --limit only
LIMITS_KEYS = frozenset(LIMIT_NAMES) - frozenset(CLI_ONLY)


@dataclass
class TargetSpec:
    queue: str
    namespace: str
    keep_keys: bool = False  # import with "key" = <queue>-<source number> (source keys must be numbered)
    markup_type: str | None = "md"  # sent as markupType on descriptions/comments; None = don't send
    description_files: str = DESCRIPTION_FILES[0]  # "patch" moves updatedAt to the run's time (reported)
    comment_files: str = COMMENT_FILES[0]  # "attached": embedded files stay on their comment, named
    # History the export cannot give as it is (``mapping/policies.py``):
    dangling: DanglingPolicy = field(default_factory=DanglingPolicy)  # refs to issues outside the export
    undated_links: str = "extend"  # links between issues that never lived at the same time: extend | now


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
    map: dict[str, str | None] = field(default_factory=dict)  # source user -> Tracker login; None = nobody
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
    preset: PresetInfo | None = None  # the ``preset:`` block of a ready mapping in mappings/
    undecided: list[Undecided] = field(default_factory=list)  # every "?" left for the user

    def value_map(self, name: str) -> ValueMap | None:
        return self.values.get(name)


# ---------------------------------------------------------------------------------------------
# Loading


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
    problems = Problems()
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
    file: Path, data: Any, problems: Problems, *, queue: str | None, namespace: str | None
) -> MappingConfig | None:
    if not isinstance(data, dict):
        problems.add("(top level)", "must be a mapping with keys source, target, values, users, fields")
        return None
    check_keys("(top level)", data, TOP_LEVEL_KEYS, problems)
    overridden = frozenset(k for k, v in (("target.queue", queue), ("target.namespace", namespace)) if v)
    undecided = take_undecided(data, overridden=overridden)
    preset = parse_preset(data.get("preset"), problems)
    version = data.get("version", 1)
    if version != 1:
        problems.add("version", f"unsupported version {version!r}", "this migrator reads version: 1")
    source = parse_source(data.get("source"), problems)
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
        preset=preset,
        undecided=undecided,
    )


def _parse_target(
    raw: Any, problems: Problems, *, queue: str | None, namespace: str | None
) -> TargetSpec | None:
    data = require_dict("target", raw, problems) if raw is not None or not (queue and namespace) else {}
    if data is None:
        return None
    check_keys("target", data, TARGET_KEYS, problems)
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
        description_files=_choice("target.description_files", data, DESCRIPTION_FILES, problems),
        comment_files=_choice("target.comment_files", data, COMMENT_FILES, problems),
        dangling=parse_dangling(data.get("dangling"), problems),
        undated_links=parse_undated_links(data.get("undated_links"), problems),
    )


def _choice(path: str, data: dict[str, Any], choices: tuple[str, ...], problems: Problems) -> str:
    """One of ``choices`` (the first when absent)."""
    value = data.get(path.rsplit(".", 1)[-1], choices[0])
    if value not in choices:
        problems.add(path, f"unknown value {value!r}", f"one of {', '.join(choices)}")
        return choices[0]
    return str(value)


def _parse_values(raw: Any, problems: Problems) -> dict[str, ValueMap]:
    if not isinstance(raw, dict):
        problems.add("values", "must map a field (type, status, ...) to a value map")
        return {}
    check_keys("values", raw, VALUES_KEYS, problems)
    out: dict[str, ValueMap] = {}
    for name, spec in raw.items():
        if name not in VALUE_MAP_NAMES:
            continue
        path = f"values.{name}"
        if not isinstance(spec, dict):
            problems.add(path, "must be a mapping with 'map' and 'unmapped'")
            continue
        check_keys(path, spec, VALUE_MAP_KEYS, problems)
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


def _parse_users(raw: Any, problems: Problems) -> UsersSpec:
    if not isinstance(raw, dict):
        problems.add("users", "must be a mapping with map / match / fallback")
        return UsersSpec()
    check_keys("users", raw, USERS_KEYS, problems)
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
        map={str(k): None if v is None else str(v) for k, v in mapping.items()},
        match=list(match),
        fallback=fallback,
        keep_original_name=bool(raw.get("keep_original_name", True)),
    )


def _parse_extra_fields(raw: Any, problems: Problems) -> list[ExtraField]:
    if not isinstance(raw, list):
        problems.add("fields", "must be a list of {target, from, type, local}")
        return []
    out: list[ExtraField] = []
    for i, spec in enumerate(raw):
        path = f"fields[{i}]"
        if not isinstance(spec, dict):
            problems.add(path, "must be a mapping with target and from")
            continue
        check_keys(path, spec, EXTRA_FIELD_KEYS, problems)
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


def _scalar_map(path: str, raw: Any, what: str, problems: Problems) -> dict[Any, Any]:
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


def _parse_limits(raw: Any, problems: Problems) -> Limits:
    """The top-level ``limits:`` section (names in ``LIMITS_KEYS``; see migrator/limits.py)."""
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
