"""Safety limits on hostile or broken input: what migrator refuses to read, and how to raise it.

Every limit has a default that no legitimate export comes near, and two ways to change it:

* the mapping's top-level ``limits:`` section (``limits: {cell_mb: 64}``) — for the limits on the
  export itself;
* ``--limit NAME=VALUE`` on ``run`` / ``validate`` / ``verify`` — any limit, and the only way to
  raise the two that guard the mapping file (``mapping_mb``, ``yaml_nodes``): they apply while the
  mapping is being read, before its ``limits:`` section exists. The command line wins over the mapping.

A limit that is hit stops with one message naming the file, row or key and the setting to raise
(exit code 2), or becomes a finding where the rest of the export can still be read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    mapping_mb: float = 4.0  # size of the mapping file
    yaml_nodes: int = 1_000_000  # YAML nodes of the mapping, each alias counted as what it expands to
    cell_mb: float = 16.0  # a CSV cell, an NDJSON line, an XML element's text (Tracker: 512,000 characters)
    json_depth: int = 100  # nesting of a JSON document, NDJSON record or XML element (exports: about 10)
    xlsx_unpacked_mb: float = 1024.0  # an .xlsx workbook's parts, decompressed, added up
    xlsx_ratio: float = 200.0  # decompressed / compressed size of any part of an .xlsx over 1 MiB

    @property
    def mapping_bytes(self) -> int:
        return int(self.mapping_mb * MIB)

    @property
    def cell_chars(self) -> int:
        return int(self.cell_mb * MIB)

    @property
    def xlsx_unpacked_bytes(self) -> int:
        return int(self.xlsx_unpacked_mb * MIB)

    def with_values(self, values: Mapping[str, float]) -> Limits:
        """A copy with some limits replaced (names and values already checked by :func:`check_limit`)."""
        changes: dict[str, Any] = dict(values)
        return replace(self, **changes)


LIMIT_NAMES = tuple(f.name for f in fields(Limits))
CLI_ONLY = ("mapping_mb", "yaml_nodes")  # they guard the reading of the mapping itself
_INTEGER = {f.name for f in fields(Limits) if f.type in ("int", int)}


def check_limit(name: str, raw: Any) -> tuple[str, float] | str:
    """``(name, value)`` for a valid limit setting, else the reason it is not one."""
    if name not in LIMIT_NAMES:
        return f"unknown limit {name!r} (limits: {', '.join(LIMIT_NAMES)})"
    value = _number(raw)
    if value is None or not math.isfinite(value) or value <= 0:
        return f"{name} must be a positive number, got {raw!r}"
    if name in _INTEGER:
        if not value.is_integer():
            return f"{name} must be a whole number, got {raw!r}"
        return name, int(value)
    return name, value


def parse_cli_limit(text: str) -> tuple[str, float]:
    """One ``--limit NAME=VALUE``; raises ValueError with the reason (argparse shows it)."""
    name, sep, raw = text.partition("=")
    if not sep:
        raise ValueError(f"expected NAME=VALUE, e.g. cell_mb=64 (limits: {', '.join(LIMIT_NAMES)})")
    checked = check_limit(name.strip(), raw.strip())
    if isinstance(checked, str):
        raise ValueError(checked)
    return checked


def raise_hint(name: str) -> str:
    """How to raise one limit, for the hint of the error it causes."""
    return f"limits: {{{name}: N}} in the mapping or --limit {name}=N"


class TooDeep(ValueError):
    """Nesting over ``json_depth``: a JSON document or record, or XML elements."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nested {depth:,} levels deep, over limits.json_depth ({limit})")
        self.hint = (
            f"exports nest about 10 levels; if this one is legitimate, raise the limit (now {limit}): "
            + raise_hint("json_depth")
        )


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        try:
            return float(raw)
        except OverflowError:  # an int too large for a float: no sensible limit either
            return None
    if isinstance(raw, str):
        try:
            return float(raw.replace("_", ""))
        except ValueError:
            return None
    return None
