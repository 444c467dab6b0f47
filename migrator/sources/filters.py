"""``where:`` filters: which records (or children) of a table count, evaluated on one record.

A filter is data (:mod:`migrator.sources.spec`), never code: equality, ``in``, ``exists``,
``empty``, ``matches`` (a regular expression searched in the value's text), combined with
``all``/``any``/``not``. Values are compared by their text (``true`` = ``"true"``, ``1`` = ``"1"``)
so a filter written once reads the same in CSV and in JSON; a list value (a repeated header, a JSON
array) satisfies a test when any of its items does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from migrator.findings import Findings
from migrator.sources.records import is_empty
from migrator.sources.spec import FilterGroup, FilterTest, RecordFilter
from migrator.sources.values import as_text

Getter = Callable[[str], Any]
_MISSING = object()


def passes(spec: RecordFilter, get: Getter) -> bool:
    """True when the record read by ``get`` (path → raw value, None when absent) satisfies ``spec``."""
    if isinstance(spec, FilterGroup):
        results = (passes(part, get) for part in spec.parts)
        if spec.mode == "any":
            return any(results)
        held = all(results)
        return not held if spec.mode == "not" else held
    return _test(spec, get(spec.path))


def _test(test: FilterTest, value: Any) -> bool:
    if test.op == "exists":
        return (value is not None) == bool(test.operand)
    if test.op == "empty":
        return is_empty(value) == bool(test.operand)
    items = value if isinstance(value, list | tuple) else [value]
    if test.op == "equals":
        return any(_same(item, test.operand) for item in items)
    if test.op == "in":
        return any(_same(item, wanted) for item in items for wanted in test.operand)
    if test.op == "matches":
        pattern = _compiled(str(test.operand))
        return any(item is not None and pattern.search(_text(item)) is not None for item in items)
    raise ValueError(f"unknown filter operator {test.op!r}")


def _same(value: Any, wanted: Any) -> bool:
    if wanted is None:
        return is_empty(value)
    if value is None:
        return False
    return _text(value) == _text(wanted)


def _text(value: Any) -> str:
    return as_text(value, strip=True)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass
class FilterTally:
    """How many records each ``where:`` skipped, reported once per table (never per record)."""

    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def skip(self, where_key: str, example: str) -> None:
        self.skipped[where_key] += 1
        self.examples.setdefault(where_key, example)

    def report(self, findings: Findings) -> None:
        for where_key, count in sorted(self.skipped.items()):
            findings.info(
                "source.filtered",
                f"{count} record(s) skipped by {where_key} (first: {self.examples[where_key]})",
                field=where_key,
                value=count,
                hint="records that do not satisfy the mapping's where: filter are not imported",
            )
