"""One field of the ``source:`` section, and the record filters (``where:``): YAML → spec objects.

A field is a column name (or JSON path), a list of candidate columns, or a mapping that says how
to find and read the value (``column``/``first_of``/``const``, ``parse``, ``regex``, ``lookup``,
``placeholders``, ``unit``, ``epoch``, ``date_locale``…). Every key is checked and every problem
collected (never raised), like the rest of the mapping loader.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from migrator.mapping.config_checks import Problems, check_keys, check_zone, opt_str, parse_formats
from migrator.sources.spec import (
    EPOCHS,
    FIELD_TYPES,
    FILTER_COMBINATORS,
    FILTER_OPERATORS,
    PARSERS,
    UNITS,
    ChangesSpec,
    FieldSpec,
    FilterGroup,
    FilterTest,
    LookupSpec,
    RecordFilter,
)
from migrator.timeutil import check_date_locale

FIELD_SPEC_KEYS = frozenset(
    {
        "column",
        "first_of",
        "const",
        "required",
        "optional",
        "split",
        "date_formats",
        "date_locale",
        "timezone",
        "default",
        "type",
        "parse",
        "path",
        "regex",
        "lookup",
        "placeholders",
        "unit",
        "epoch",
    }
)
LOOKUP_KEYS = frozenset({"file", "section", "key", "value", "where"})
FILTER_TEST_KEYS = frozenset(FILTER_OPERATORS) | {"not"}
CHANGES_KEYS = frozenset({"path", "field", "old", "new"})
_SOURCE_KEYS = ("column", "first_of", "const")


def parse_field_specs(
    path: str, raw: Any, known: set[str] | None, problems: Problems
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
        parsed = parse_field_spec(key, spec, problems)
        if parsed is not None:
            out[str(name)] = parsed
    return out


def parse_field_spec(path: str, spec: Any, problems: Problems) -> FieldSpec | None:
    if isinstance(spec, str):
        return FieldSpec(column=spec)
    if isinstance(spec, list):
        names = _names(path, spec, problems)
        return FieldSpec(column=names[0], columns=names) if names else None
    if not isinstance(spec, dict):
        problems.add(path, "must be a column name, a list of column names, or a mapping with 'column'")
        return None
    check_keys(path, spec, FIELD_SPEC_KEYS, problems)
    found, first_non_empty = _sources(path, spec, problems)
    if found is None:
        return None
    columns = found
    formats = (
        parse_formats(f"{path}.date_formats", spec["date_formats"], problems)
        if "date_formats" in spec
        else None
    )
    zone = spec.get("timezone")
    if zone is not None:
        check_zone(f"{path}.timezone", str(zone), problems)
    ftype = spec.get("type")
    if ftype is not None and ftype not in FIELD_TYPES:
        problems.add(f"{path}.type", f"unknown type {ftype!r}", f"one of {', '.join(FIELD_TYPES)}")
    return FieldSpec(
        column=columns[0] if columns else "",
        columns=columns,
        first_non_empty=first_non_empty,
        const=spec.get("const"),
        required=_required(path, spec, problems),
        split=spec.get("split"),
        date_formats=formats,
        timezone=zone,
        default=spec.get("default"),
        type=ftype,
        parse=_choice(f"{path}.parse", spec.get("parse"), PARSERS, problems),
        path=opt_str(f"{path}.path", spec.get("path"), problems),
        regex=parse_regex(f"{path}.regex", spec.get("regex"), problems),
        lookup=_lookup(f"{path}.lookup", spec.get("lookup"), problems),
        placeholders=parse_placeholders(f"{path}.placeholders", spec.get("placeholders"), problems),
        unit=_choice(f"{path}.unit", spec.get("unit"), tuple(UNITS), problems),
        epoch=_choice(f"{path}.epoch", spec.get("epoch"), EPOCHS, problems),
        date_locale=parse_date_locale(f"{path}.date_locale", spec.get("date_locale"), problems),
    )


def _sources(path: str, spec: dict[str, Any], problems: Problems) -> tuple[tuple[str, ...] | None, bool]:
    """The candidate columns (and whether the first non-empty one wins), or None when unusable."""
    given = [key for key in _SOURCE_KEYS if key in spec]
    if len(given) != 1:
        message = "is required" if not given else f"give only one of {', '.join(given)}"
        problems.add(
            f"{path}.column", message, "a column name (or a list), first_of: [A, B], or const: value"
        )
        return None, False
    if given == ["const"]:
        if spec["const"] is None:
            problems.add(f"{path}.const", "must be a value", "e.g. const: Bug")
            return None, False
        return (), False
    key = given[0]
    raw = spec[key]
    columns = _names(f"{path}.{key}", [raw] if isinstance(raw, str) else raw, problems)
    return (columns or None), key == "first_of"


def _names(path: str, raw: Any, problems: Problems) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(c, str) and c for c in raw):
        problems.add(path, "must be a column name or a non-empty list of column names")
        return ()
    return tuple(raw)


def _required(path: str, spec: dict[str, Any], problems: Problems) -> bool | None:
    required, optional = spec.get("required"), spec.get("optional")
    for key, value in (("required", required), ("optional", optional)):
        if value is not None and not isinstance(value, bool):
            problems.add(f"{path}.{key}", "must be true or false")
            return None
    if required is not None and optional is not None and required == optional:
        problems.add(f"{path}.optional", "contradicts 'required'", "give one of them")
        return None
    if required is not None:
        return bool(required)
    return None if optional is None else not optional


def _choice(path: str, value: Any, allowed: tuple[str, ...], problems: Problems) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        problems.add(path, f"unknown value {value!r}", f"one of {', '.join(allowed)}")
        return None
    return str(value)


def parse_regex(path: str, value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.add(path, "must be a regular expression")
        return None
    try:
        re.compile(value)
    except re.error as exc:
        problems.add(path, f"not a valid regular expression: {exc}", "quote it in single quotes in YAML")
        return None
    return value


def parse_placeholders(path: str, value: Any, problems: Problems) -> tuple[str, ...] | None:
    """Values that mean "empty"; YAML ``null``/numbers in the list are taken as their text."""
    if value is None:
        return None
    if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
        problems.add(
            path, "must be a list of values meaning 'empty'", "e.g. [Unassigned, 'nobody@*', '[]', NaN]"
        )
        return None
    return tuple("null" if v is None else str(v) for v in value)


def parse_date_locale(path: str, value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(path, "must be a language code", "e.g. es, ru, de, fr, pt, ja")
        return None
    try:
        check_date_locale(value)
    except ValueError as exc:
        problems.add(path, str(exc), "a CLDR language code such as es, ru, de, fr, pt, ja, pt_BR")
        return None
    return value


def _lookup(path: str, raw: Any, problems: Problems) -> LookupSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping with file or section, key and value")
        return None
    check_keys(path, raw, LOOKUP_KEYS, problems)
    file = opt_str(f"{path}.file", raw.get("file"), problems)
    section = opt_str(f"{path}.section", raw.get("section"), problems)
    key, value = raw.get("key"), raw.get("value", "")
    ok = True
    if file is None and section is None:
        problems.add(
            path, "needs 'file' (a second SOURCE file) or 'section' (an array in the same JSON file)"
        )
        ok = False
    if not isinstance(key, str) or not key:
        problems.add(f"{path}.key", "is required: the column/path of the lookup table holding the id")
        ok = False
    if not isinstance(value, str):
        problems.add(f"{path}.value", "must be a column/path ('' = the whole record)")
        ok = False
    if not ok:
        return None
    where = parse_filter(f"{path}.where", raw.get("where"), problems)
    return LookupSpec(key=str(key), value=str(value), file=file, section=section, where=where)


def parse_changes(path: str, raw: Any, problems: Problems) -> ChangesSpec | None:
    if raw is None or raw is False:
        return None
    if raw is True:
        return ChangesSpec()
    if not isinstance(raw, dict):
        problems.add(path, "must be true or a mapping with path, field, old, new")
        return None
    check_keys(path, raw, CHANGES_KEYS, problems)
    values = {k: raw[k] for k in CHANGES_KEYS if k in raw}
    for key, value in values.items():
        if not isinstance(value, str) or not value:
            problems.add(f"{path}.{key}", "must be a path")
            return None
    return ChangesSpec(**values)


# -- where: ----------------------------------------------------------------------------------


def parse_filter(path: str, raw: Any, problems: Problems) -> RecordFilter | None:
    """``{path: value | {op: operand}, not: {...}, any: [{...}], all: [{...}]}`` — all must hold."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        problems.add(path, "must map paths to conditions", "e.g. where: {pull_request: {exists: false}}")
        return None
    parts: list[RecordFilter] = []
    for key, value in raw.items():
        part = _filter_part(f"{path}.{key}", str(key), value, problems)
        if part is not None:
            parts.append(part)
    return parts[0] if len(parts) == 1 else FilterGroup("all", tuple(parts))


def _filter_part(path: str, key: str, value: Any, problems: Problems) -> RecordFilter | None:
    if key in FILTER_COMBINATORS:
        items = value if isinstance(value, list) else [value]
        if key == "not" and isinstance(value, list):
            problems.add(path, "must be one mapping of conditions")
            return None
        inner = [parse_filter(f"{path}[{i}]", item, problems) for i, item in enumerate(items)]
        if not inner or any(i is None for i in inner):
            return None
        return FilterGroup(key, tuple(i for i in inner if i is not None))
    if not isinstance(value, dict):
        return FilterTest(key, "equals", value)
    check_keys(path, value, FILTER_TEST_KEYS, problems)
    tests: list[RecordFilter] = []
    for op, operand in value.items():
        test = _test(f"{path}.{op}", key, str(op), operand, problems)
        if test is not None:
            tests.append(test)
    if not tests:
        problems.add(path, "needs a condition", f"one of {', '.join(FILTER_OPERATORS)}")
        return None
    return tests[0] if len(tests) == 1 else FilterGroup("all", tuple(tests))


def _test(path: str, key: str, op: str, operand: Any, problems: Problems) -> RecordFilter | None:
    if op == "not":
        inner = _filter_part(path, key, operand, problems)
        return None if inner is None else FilterGroup("not", (inner,))
    if op not in FILTER_OPERATORS:
        return None  # reported by check_keys
    if op in ("exists", "empty") and not isinstance(operand, bool):
        problems.add(path, "must be true or false")
        return None
    if op == "in" and not isinstance(operand, list):
        problems.add(path, "must be a list of values", "e.g. in: [commentCard, updateCard]")
        return None
    if op == "matches" and parse_regex(path, operand, problems) is None:
        return None
    return FilterTest(key, op, tuple(operand) if op == "in" else operand)
