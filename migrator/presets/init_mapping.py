"""``migrator init``: a complete mapping for one export, written from a preset.

The preset's file is kept as it is — its comments, key order and ``source:`` section — except for
what ``init`` decides: ``source.timezone``, ``target``, and the ``values`` and ``users`` sections,
which list every distinct value and person of the export with its count and its best match in the
target (:mod:`migrator.presets.matching`), each with a comment saying how it matched and how sure
that is. Lines to look at carry ``REVIEW``; what ``init`` could not decide is ``"?"``, which
``validate`` blocks on (``decision.undecided``). The ``preset:`` block is left out (the result is the
user's mapping, not a preset). The result is loaded back before it is written: it must say what
was decided.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from migrator.errors import MigratorError
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.undecided import UNDECIDED
from migrator.presets.matching import (
    LIKELY,
    REVIEW,
    SURE,
    UNDECIDED_LEVEL,
    Choice,
    TargetCatalogue,
    match_person,
    match_value,
)
from migrator.presets.registry import Preset
from migrator.presets.survey import Person, Survey

MAPPED_FIELDS = ("type", "status", "priority", "resolution", "link", "components", "versions")
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_ZONE_LINE = re.compile(r"^  timezone\s*:.*$", re.M)
_SYSTEM_LINE = re.compile(r"^  system\s*:.*$", re.M)


@dataclass(frozen=True)
class ZoneDecision:
    zone: str | None  # None: ask the user (init does on a terminal), else "?"
    how: str
    level: str


def zone_decision(facts: Survey, given: str | None) -> ZoneDecision:
    """UTC when every time carries its offset; ``--timezone`` otherwise; else it must be asked."""
    if facts.timezone_verdict() == "offsets":
        return ZoneDecision(
            "UTC",
            f"every time in the export carries its offset or is an epoch ({facts.zoned_times} seen)",
            SURE,
        )
    if given:
        return ZoneDecision(given, "given with --timezone", SURE)
    why = f"{facts.naive_times} times carry no offset" if facts.naive_times else "the export gives dates only"
    return ZoneDecision(None, why, UNDECIDED_LEVEL)


@dataclass
class Entry:
    source: str
    count: int
    choice: Choice
    note: str = ""  # e-mail / display name of a person


@dataclass
class InitResult:
    text: str
    entries: int
    review: list[str] = field(default_factory=list)  # "values.status 'QA Review': fuzzy …"
    undecided: list[str] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)


def build_mapping(
    preset: Preset,
    facts: Survey,
    catalogue: TargetCatalogue,
    *,
    zone: ZoneDecision,
    queue: str | None,
    namespace: str | None,
    sources: Sequence[Path],
) -> InitResult:
    """The mapping text and what a user should review in it."""
    config = preset.config
    values = {
        name: [
            Entry(value, count, match_value(name, value, config, catalogue))
            for value, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        for name, counter in facts.values.items()
        if name in MAPPED_FIELDS
    }
    people = [
        Entry(p.name, p.count, match_person(p, config, catalogue.info), _person_note(p)) for p in facts.people
    ]
    original = preset.path.read_text(encoding="utf-8")
    # every key of the preset's target (a dangling-link policy too), with --queue/--namespace
    preset_target = (yaml.safe_load(original) or {}).get("target") or {}
    target = {
        "queue": queue or config.target.queue,
        "namespace": namespace or config.target.namespace,
        "keep_keys": config.target.keep_keys,
        "markup_type": config.target.markup_type,
    }
    target |= {k: v for k, v in preset_target.items() if k not in target}
    blocks = {
        "target": _target_block(target),
        "values": _values_block(values, config),
        "users": _users_block(people, config),
    }
    header = _header(preset, sources)
    text = header + _splice(original, blocks, zone)
    result = InitResult(text, sum(len(v) for v in values.values()) + len(people))
    _tally(result, values, people, zone)
    _check(text, zone, values, people, target, preset.path)
    return result


def _person_note(person: Person) -> str:
    return ", ".join(x for x in (person.display, person.email) if x and x != person.name)


def _tally(
    result: InitResult, values: dict[str, list[Entry]], people: list[Entry], zone: ZoneDecision
) -> None:
    levels = {SURE: 0, LIKELY: 0, REVIEW: 0, UNDECIDED_LEVEL: 0}
    for where, entry in [
        *((f"values.{n}.map", e) for n, es in values.items() for e in es),
        *(("users.map", e) for e in people),
    ]:
        levels[entry.choice.level] += 1
        line = f"{where} {entry.source!r}: {entry.choice.how}"
        if entry.choice.target == UNDECIDED:
            result.undecided.append(line)
        elif entry.choice.review:
            result.review.append(line + f" → {scalar(entry.choice.target)}")
    if zone.zone is None or zone.zone == UNDECIDED:
        result.undecided.append(f"source.timezone: {zone.how}")
    result.levels = levels


# -- the blocks init writes ---------------------------------------------------------------------------


def scalar(value: Any) -> str:
    """A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    try:
        plain_ok = yaml.safe_load(f"k: {text}") == {"k": text} and text.strip() == text and "#" not in text
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok and text and text != UNDECIDED else json.dumps(text, ensure_ascii=False)


def _comment(count: int, choice: Choice, note: str = "") -> str:
    flag = "REVIEW " if choice.review else ""
    who = f" ({note})" if note else ""
    level = {SURE: "sure", LIKELY: "likely", REVIEW: "check it", UNDECIDED_LEVEL: "decide: replace the ?"}[
        choice.level
    ]
    return f"# {flag}×{count}{who} — {choice.how}; {level}"


def _target_block(target: dict[str, Any]) -> list[str]:
    return ["target:"] + [f"  {key}: {_flow(value)}" for key, value in target.items()]


def _flow(value: Any) -> str:
    """A scalar, or a list/mapping written as JSON (YAML's flow style)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else scalar(value)


def _values_block(values: dict[str, list[Entry]], config: MappingConfig) -> list[str]:
    lines = [
        "values:",
        "  # Every distinct value of the export, with its count and its best match in the target.",
        '  # Lines marked REVIEW are guesses; "?" is undecided and blocks validate until replaced.',
    ]
    for name, entries in values.items():
        vmap = config.values.get(name)
        lines.append(f"  {name}:")
        lines.append("    map:")
        width = max(len(scalar(e.source)) + len(scalar(e.choice.target)) for e in entries) + 8
        for entry in entries:
            pair = f"      {scalar(entry.source)}: {scalar(entry.choice.target)}"
            lines.append(f"{pair.ljust(width)} {_comment(entry.count, entry.choice)}")
        lines.append(f"    unmapped: {vmap.unmapped if vmap else 'error'}")
        if vmap is not None and vmap.unmapped == "default" and vmap.default is not None:
            lines.append(f"    default: {scalar(vmap.default)}")
    for name, vmap in config.values.items():  # the preset's maps of fields the export has no value for
        if name in values:
            continue
        body: dict[str, Any] = {"map": dict(vmap.map), "unmapped": vmap.unmapped}
        if vmap.default is not None:
            body["default"] = vmap.default
        lines.append(
            f"  {name}: {json.dumps(body, ensure_ascii=False)}   # from the preset; no such value in the export"
        )
    return lines


def _users_block(people: list[Entry], config: MappingConfig) -> list[str]:
    users = config.users
    lines = [
        "users:",
        "  # Everyone the export names, with how often and the Tracker login they become.",
        "  map:" if people else "  map: {}",
    ]
    if people:
        width = max(len(scalar(e.source)) + len(scalar(e.choice.target)) for e in people) + 6
        for entry in people:
            pair = f"    {scalar(entry.source)}: {scalar(entry.choice.target)}"
            lines.append(f"{pair.ljust(width)} {_comment(entry.count, entry.choice, entry.note)}")
    lines.append(f"  match: [{', '.join(users.match)}]")
    lines.append(f"  fallback: {scalar(users.fallback)}")
    lines.append(f"  keep_original_name: {scalar(users.keep_original_name)}")
    return lines


def _header(preset: Preset, sources: Sequence[Path]) -> str:
    names = ", ".join(p.name for p in sources)
    return (
        f"# Written by `migrator init` from the preset {preset.name} ({preset.info.title}) for {names}.\n"
        '# Review the lines marked REVIEW and replace every "?"; then: migrator validate EXPORT --mapping THIS\n'
    )


# -- splicing them into the preset's text -------------------------------------------------------------


def _splice(original: str, blocks: dict[str, list[str]], zone: ZoneDecision) -> str:
    """The preset's text with ``preset:`` dropped, ``target``/``values``/``users`` replaced (or
    appended) and the ``source.timezone`` line decided."""
    lines = original.splitlines()
    starts = _block_starts(lines)
    out: list[str] = []
    done: set[str] = set()
    for index, (key, begin, end) in enumerate(starts):
        if index == 0:
            out.extend(lines[:begin])
        chunk = lines[begin:end]
        if key == "preset":
            continue
        if key in blocks:
            out.extend(_leading_comments(chunk))
            out.extend(blocks[key])
            out.append("")
            done.add(key)
        elif key == "source":
            out.extend(_decide_zone("\n".join(chunk), zone).splitlines())
        else:
            out.extend(chunk)
    for key, block in blocks.items():
        if key not in done:
            out.extend(["", *block])
    return "\n".join(out).rstrip() + "\n"


def _block_starts(lines: list[str]) -> list[tuple[str, int, int]]:
    """(key, first line, end) of each top-level block. Comment lines just above a key belong to its
    block, except above the first key: that is the file's header, which stays."""
    keys = [(m.group(1), i) for i, line in enumerate(lines) if (m := _TOP_KEY.match(line))]
    starts: list[tuple[str, int]] = []
    for number, (key, at) in enumerate(keys):
        begin = at
        if number > 0:
            floor = keys[number - 1][1] + 1
            while begin > floor and lines[begin - 1].startswith("#"):
                begin -= 1
        starts.append((key, begin))
    ends = [begin for _, begin in starts[1:]] + [len(lines)]
    return [(key, begin, end) for (key, begin), end in zip(starts, ends, strict=True)]


def _leading_comments(chunk: list[str]) -> list[str]:
    return [line for line in _until_key(chunk) if line.startswith("#")]


def _until_key(chunk: list[str]) -> list[str]:
    out: list[str] = []
    for line in chunk:
        if _TOP_KEY.match(line):
            break
        out.append(line)
    return out


def _decide_zone(source_text: str, zone: ZoneDecision) -> str:
    value = scalar(zone.zone if zone.zone else UNDECIDED)
    comment = "REVIEW " if zone.level == UNDECIDED_LEVEL else ""
    line = f"  timezone: {value}   # {comment}{zone.how}"
    if _ZONE_LINE.search(source_text):
        return _ZONE_LINE.sub(lambda _: line, source_text, count=1)
    if _SYSTEM_LINE.search(source_text):
        return _SYSTEM_LINE.sub(lambda m: m.group(0) + "\n" + line, source_text, count=1)
    return source_text.replace("source:", "source:\n" + line, 1)


def _check(
    text: str,
    zone: ZoneDecision,
    values: dict[str, list[Entry]],
    people: list[Entry],
    target: dict[str, Any],
    preset_path: Path,
) -> None:
    """The written mapping must load and say what was decided (a preset whose layout the splice
    misreads is a bug to fix there, never a silently different mapping)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="migrator-init-") as folder:
        path = Path(folder) / "mapping.yaml"
        path.write_text(text, encoding="utf-8")
        config = load_mapping(path)
    problems: list[str] = []
    undecided = {u.path for u in config.undecided}
    expect_zone = zone.zone if zone.zone and zone.zone != UNDECIDED else None
    if (expect_zone is None) != ("source.timezone" in undecided) or (
        expect_zone and config.source.timezone != expect_zone
    ):
        problems.append("source.timezone")
    if (config.target.queue, config.target.namespace) != (target["queue"], target["namespace"]):
        problems.append("target")
    for name, entries in values.items():
        got = config.values[name].map if name in config.values else {}
        if any(got.get(e.source, "<missing>") != e.choice.target for e in entries):
            problems.append(f"values.{name}")
    if any(config.users.map.get(e.source, "<missing>") != e.choice.target for e in people):
        problems.append("users.map")
    if problems:
        raise MigratorError(
            f"init: the mapping written from {preset_path.name} does not read back as decided ({', '.join(problems)})",
            hint="the preset's layout is unusual (a flow-style section?); report it with the preset's name",
        )
