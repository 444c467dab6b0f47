"""The mapping loader's problem collector and the small checks every section of the file uses.

Each check *adds* a problem naming the key path (``source.issues.fields.created_at``) and a hint
instead of raising, so ``load_mapping`` can list every mistake of the file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Set as AbstractSet
from typing import Any

from migrator.timeutil import ISO_FORMAT, date_format_problem, load_zone


class Problems:
    """Every mistake found in the mapping file, as ``path: message (hint: ...)`` lines."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        self.items.append(f"{path}: {message}" + (f" (hint: {hint})" if hint else ""))


def check_keys(path: str, data: dict[str, Any], allowed: AbstractSet[str], problems: Problems) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
            problems.add(f"{path}.{key}" if path != "(top level)" else str(key), "unknown key", hint)


def require_dict(path: str, value: Any, problems: Problems) -> dict[str, Any] | None:
    if value is None:
        problems.add(path, "is required")
        return None
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping, got {type(value).__name__}")
        return None
    return value


def check_zone(path: str, zone: str, problems: Problems) -> None:
    try:
        load_zone(zone)
    except ValueError as exc:
        problems.add(path, str(exc))


def parse_formats(path: str, raw: Any, problems: Problems) -> list[str]:
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
            continue
        problem = date_format_problem(fmt)
        if problem is not None:
            problems.add(f"{path}[{i}]", *problem)
    return list(raw)


def opt_str(path: str, value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(path, f"must be a string, got {type(value).__name__}")
        return None
    return value
