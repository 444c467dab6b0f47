"""Extra Tracker fields (``fields:`` in the mapping): read the source value, convert it to the
declared type, and check it against the target field's schema and options.

Conversion problems raise :class:`FieldValueError` (reported as ``field.bad_value``); schema and
option checks return a problem text (``field.bad_value`` / ``field.bad_option``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from migrator.mapping.target_info import FieldInfo
from migrator.model import Issue, UserRef
from migrator.timeutil import format_date, format_tracker_datetime

# Our declared type -> Tracker schema types it can fill.
SCHEMA_TYPES: dict[str, set[str]] = {
    "string": {"string", "text"},
    "int": {"number", "integer", "int", "float"},
    "float": {"number", "float", "double"},
    "date": {"date"},
    "datetime": {"datetime", "date-time"},
    "list": {"array"},
    "user": {"user"},
    "bool": {"boolean", "bool"},
}
_KNOWN_SCHEMA_TYPES = set().union(*SCHEMA_TYPES.values())
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class FieldValueError(ValueError):
    """The source value cannot be read as the declared type."""


def source_value(issue: Issue, source: str) -> Any:
    """The value of a canonical field (``story_points``) or ``custom.<name>`` on ``issue``."""
    if source.startswith("custom."):
        return issue.custom.get(source.removeprefix("custom."))
    if source == "id":
        return issue.source.id
    if source == "parent":
        return issue.parent_key
    return getattr(issue, source, None)


def is_blank(value: Any) -> bool:
    """No value to fill a field with: None, whitespace, or a collection of such."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set):
        return all(is_blank(v) for v in value)
    return False


def apply_map(value: Any, mapping: Mapping[str, Any]) -> Any:
    """The mapping's ``map`` for the field, applied to the value (each element of a list)."""
    if not mapping:
        return value
    if isinstance(value, list | tuple):
        return [mapping.get(str(v), v) for v in value]
    return mapping.get(str(value), value)


def convert(value: Any, ftype: str) -> Any:
    """Convert a source value to the JSON value for a field of declared type ``ftype``
    (``user`` values are resolved by the caller)."""
    converter = _CONVERTERS.get(ftype)
    if converter is None:
        raise FieldValueError(f"unknown field type {ftype!r}")
    return converter(value)


def _to_string(value: Any) -> str:
    if isinstance(value, list | tuple):
        raise FieldValueError("is a list; declare type: list")
    if isinstance(value, UserRef):
        return value.label()
    if isinstance(value, datetime):
        return format_tracker_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value).strip()


def _to_int(value: Any) -> int:
    number = _to_float(value)
    if not number.is_integer():
        raise FieldValueError(f"{value!r} is not a whole number")
    return int(number)


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or isinstance(value, list | tuple):
        raise FieldValueError(f"{_short(value)} is not a number")
    try:
        number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldValueError(f"{_short(value)} is not a number") from None
    if not math.isfinite(number):  # JSON cannot carry NaN or Infinity: the write would fail
        raise FieldValueError(f"{_short(value)} is NaN, Infinity or too large for a number field")
    return number


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 10_000 else "a huge integer"
    return text if len(text) <= 60 else text[:60] + "…"


def _to_date(value: Any) -> str:
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    try:
        return format_date(date.fromisoformat(str(value).strip()[:10]))
    except ValueError:
        raise FieldValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _to_datetime(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if not isinstance(value, datetime):
        raise FieldValueError(f"{value!r} is not a date-time")
    if value.tzinfo is None:
        raise FieldValueError(
            f"{value.isoformat()} has no time zone; give the column a timezone in the mapping"
        )
    return format_tracker_datetime(value)


def _to_list(value: Any) -> list[str]:
    items = list(value) if isinstance(value, list | tuple | set) else [value]
    return [_to_string(v) for v in items if not is_blank(v)]


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldValueError(f"{value!r} is not a yes/no value")


_CONVERTERS = {
    "string": _to_string,
    "int": _to_int,
    "float": _to_float,
    "date": _to_date,
    "datetime": _to_datetime,
    "list": _to_list,
    "bool": _to_bool,
    "user": _to_string,
}


def schema_problem(ftype: str, info: FieldInfo) -> str | None:
    """Why a value of declared type ``ftype`` cannot fill the Tracker field (None when it can)."""
    kind = str(info.schema.get("type") or "")
    if kind not in _KNOWN_SCHEMA_TYPES or kind in SCHEMA_TYPES.get(ftype, set()):
        return None
    wanted = [t for t, kinds in SCHEMA_TYPES.items() if kind in kinds]
    return f"the Tracker field {info.id} holds {kind} values; declare type: {' or '.join(wanted)}"


def option_problem(value: Any, info: FieldInfo) -> str | None:
    """Which value is outside the field's fixed options (None when all are allowed or there are none)."""
    if not info.options:
        return None
    allowed = {str(o.get("value", o.get("name")) if isinstance(o, Mapping) else o) for o in info.options}
    values = value if isinstance(value, list) else [value]
    bad = [str(v) for v in values if str(v) not in allowed]
    if not bad:
        return None
    return (
        f"{', '.join(repr(b) for b in bad)} not among the options of {info.id} ({', '.join(sorted(allowed))})"
    )
