"""The ``preset:`` block of a mapping file: what a ready mapping in ``mappings/`` is for.

A preset is an ordinary mapping file with one more top-level block that says which tracker and
export it reads (``title``, ``tracker``), where its bundled sample is (``sample``), how ``migrator
inspect`` recognises the export (``detect``), and what it carries over and what it cannot
(``carries``, ``cannot`` — the README's "Supported sources" table is generated from these). The
block changes nothing about how the export is read; ``docs/mapping.md`` ("Presets") shows every key.

Like the rest of the loader, every mistake is collected as a problem naming its key path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.mapping.config_checks import Problems, check_keys, require_dict
from migrator.sources.spec import FORMATS

PRESET_KEYS = frozenset({"title", "tracker", "sample", "detect", "carries", "cannot"})
# The conditions of ``detect:`` (all given ones must hold); ``not:`` takes the same conditions.
DETECT_CONDITION_KEYS = frozenset(
    {"format", "columns_all", "columns_any", "paths_all", "paths_any", "files_all", "files_any"}
)
DETECT_KEYS = DETECT_CONDITION_KEYS | {"records", "not"}
# What a preset carries over, in the order of the README's Supported sources table.
CARRIES_ORDER = (
    "issues",
    "comments",
    "files",
    "links",
    "hierarchy",
    "worklogs",
    "watchers",
    "custom_fields",
    "history",
)
CARRIES_KEYS = frozenset(CARRIES_ORDER)
CARRY_LEVELS = ("yes", "partial", "no")
DETECT_FORMATS = (*FORMATS, "folder", "archive")


@dataclass(frozen=True)
class DetectConditions:
    """Conditions on an export. Each ``columns_*`` item is a tuple of accepted spellings of one
    header (Jira Server ``Due Date`` / Cloud ``Due date``); paths are record paths; files are globs
    on the names of the export's files (members of a folder/archive by their path inside it)."""

    format: str | None = None
    columns_all: tuple[tuple[str, ...], ...] = ()
    columns_any: tuple[tuple[str, ...], ...] = ()
    paths_all: tuple[str, ...] = ()
    paths_any: tuple[str, ...] = ()
    files_all: tuple[str, ...] = ()
    files_any: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self == DetectConditions()


@dataclass(frozen=True)
class DetectSpec:
    """The signature ``inspect`` recognises: ``when`` must hold, ``unless`` must not (``not:``);
    ``records`` is where the records are for ``paths_*`` (default: ``source.issues.records``)."""

    when: DetectConditions = field(default_factory=DetectConditions)
    unless: DetectConditions | None = None
    records: str | None = None


@dataclass(frozen=True)
class PresetInfo:
    title: str
    tracker: str
    sample: str | None = None  # the bundled sample folder, relative to the repository root
    detect: DetectSpec = field(default_factory=DetectSpec)
    carries: dict[str, str] = field(default_factory=dict)  # CARRIES_KEYS -> yes | partial | no
    cannot: tuple[str, ...] = ()  # one line each: what it cannot carry over, and why


def parse_preset(raw: Any, problems: Problems) -> PresetInfo | None:
    if raw is None:
        return None
    data = require_dict("preset", raw, problems)
    if data is None:
        return None
    check_keys("preset", data, PRESET_KEYS, problems)
    title = _text("preset.title", data.get("title"), problems, required=True)
    tracker = _text("preset.tracker", data.get("tracker"), problems, required=True)
    sample = _text("preset.sample", data.get("sample"), problems, required=False)
    return PresetInfo(
        title=title or "",
        tracker=tracker or "",
        sample=sample,
        detect=_parse_detect(data.get("detect"), problems),
        carries=_parse_carries(data.get("carries"), problems),
        cannot=_parse_cannot(data.get("cannot"), problems),
    )


def _text(path: str, value: Any, problems: Problems, *, required: bool) -> str | None:
    if value is None:
        if required:
            problems.add(path, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "must be a non-empty string")
        return None
    return value.strip()


def _parse_detect(raw: Any, problems: Problems) -> DetectSpec:
    if raw is None:
        return DetectSpec()
    data = require_dict("preset.detect", raw, problems)
    if data is None:
        return DetectSpec()
    check_keys("preset.detect", data, DETECT_KEYS, problems)
    when = _parse_conditions("preset.detect", data, problems)
    unless = None
    if data.get("not") is not None:
        negated = require_dict("preset.detect.not", data["not"], problems)
        if negated is not None:
            check_keys("preset.detect.not", negated, DETECT_CONDITION_KEYS, problems)
            unless = _parse_conditions("preset.detect.not", negated, problems)
    records = data.get("records")
    if records is not None and not isinstance(records, str):
        problems.add("preset.detect.records", "must be a record path (e.g. issues, rss.channel.item)")
        records = None
    if when.empty and data:
        problems.add("preset.detect", "has no condition", "give format, columns_all, paths_all, files_any, …")
    return DetectSpec(when=when, unless=unless, records=records)


def _parse_conditions(path: str, data: dict[str, Any], problems: Problems) -> DetectConditions:
    fmt = data.get("format")
    if fmt is not None and fmt not in DETECT_FORMATS:
        problems.add(f"{path}.format", f"unknown format {fmt!r}", f"one of {', '.join(DETECT_FORMATS)}")
        fmt = None
    return DetectConditions(
        format=fmt,
        columns_all=_columns(f"{path}.columns_all", data.get("columns_all"), problems),
        columns_any=_columns(f"{path}.columns_any", data.get("columns_any"), problems),
        paths_all=_strings(f"{path}.paths_all", data.get("paths_all"), problems),
        paths_any=_strings(f"{path}.paths_any", data.get("paths_any"), problems),
        files_all=_strings(f"{path}.files_all", data.get("files_all"), problems),
        files_any=_strings(f"{path}.files_any", data.get("files_any"), problems),
    )


def _strings(path: str, raw: Any, problems: Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        problems.add(path, "must be a list of strings")
        return ()
    return tuple(x.strip() for x in raw)


def _columns(path: str, raw: Any, problems: Problems) -> tuple[tuple[str, ...], ...]:
    """Each item: a header, or a list of its accepted spellings."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, "must be a list of headers (an item may list several spellings)")
        return ()
    out: list[tuple[str, ...]] = []
    for i, item in enumerate(raw):
        spellings = [item] if isinstance(item, str) else item
        if not isinstance(spellings, list) or not spellings or not all(isinstance(s, str) for s in spellings):
            problems.add(f"{path}[{i}]", "must be a header or a list of its spellings")
            continue
        out.append(tuple(s.strip() for s in spellings))
    return tuple(out)


def _parse_carries(raw: Any, problems: Problems) -> dict[str, str]:
    if raw is None:
        return {}
    data = require_dict("preset.carries", raw, problems)
    if data is None:
        return {}
    check_keys("preset.carries", data, CARRIES_KEYS, problems)
    out: dict[str, str] = {}
    for key in sorted(CARRIES_KEYS & set(data)):
        value = data[key]
        level = ("yes" if value else "no") if isinstance(value, bool) else value
        if level not in CARRY_LEVELS:
            problems.add(f"preset.carries.{key}", f"must be one of {', '.join(CARRY_LEVELS)}, got {value!r}")
            continue
        out[key] = level
    return out


def _parse_cannot(raw: Any, problems: Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        problems.add("preset.cannot", "must be a list of lines: what cannot be carried over, and why")
        return ()
    return tuple(x.strip() for x in raw)
