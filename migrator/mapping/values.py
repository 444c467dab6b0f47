"""Value maps: source value -> Tracker key/name, with the ``unmapped`` policy and coverage counting.

``ValueMapper.apply`` never raises and never drops a value silently: every value that is not
translated through an explicit map entry is reported through the caller's ``report`` callback
(``value.unmapped`` / ``value.defaulted`` / ``value.kept`` / ``value.ignored``), and every
distinct source value is counted for the coverage table and the before → after distributions.

A field with no ``values.<field>`` section passes values through unchanged (how = ``identity``);
whether the target knows them is the caller's check (``value.unknown_in_target``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from migrator.findings import Severity
from migrator.mapping.config import ValueMap
from migrator.mapping.undecided import UNDECIDED
from migrator.results import ValueCoverageRow

# (severity, kind, message, value, hint)
Reporter = Callable[[Severity, str, str, str, str | None], None]

MAPPED = "mapped"
DEFAULT = "default"
KEPT = "kept"
IGNORED = "ignored"
UNMAPPED = "unmapped"
UNDECIDED_HOW = "undecided"  # the map (or the default) says "?": the user has to decide
IDENTITY = "identity"  # no value map for the field: sent as is


@dataclass(frozen=True)
class MappedValue:
    target: str | None  # None: nothing is sent for this value
    how: str  # mapped | default | kept | ignored | unmapped | undecided | identity

    @property
    def blocked(self) -> bool:
        """True when the value could not be translated and the policy makes that an error."""
        return self.how in (UNMAPPED, UNDECIDED_HOW)


class ValueMapper:
    """Applies the mapping's value maps and counts what happened to every distinct source value."""

    def __init__(self, maps: dict[str, ValueMap]) -> None:
        self._maps = maps
        self._counts: Counter[tuple[str, str, str | None, str]] = Counter()

    def has_map(self, field: str) -> bool:
        return field in self._maps

    def apply(self, field: str, value: str, report: Reporter) -> MappedValue:
        """Translate one source value of ``field`` (type, status, ..., link, components, tags)."""
        result = self._translate(field, value, report)
        self._counts[(field, value, result.target, result.how)] += 1
        return result

    def _translate(self, field: str, value: str, report: Reporter) -> MappedValue:
        vmap = self._maps.get(field)
        if vmap is None:
            return MappedValue(value, IDENTITY)
        found, target = vmap.lookup(value)
        where = f"values.{field}"
        if found and target == UNDECIDED:
            return _undecided(field, value, f"{where}.map", report)
        if found:
            return MappedValue(target, MAPPED)
        if vmap.unmapped == "default" and vmap.default == UNDECIDED:
            return _undecided(field, value, f"{where}.default", report)
        if vmap.unmapped == "default":
            report(
                Severity.WARNING,
                "value.defaulted",
                f"{field} {value!r} is not in {where}.map; the default {vmap.default!r} is used",
                value,
                f"add {value!r} to {where}.map to choose its Tracker value",
            )
            return MappedValue(vmap.default, DEFAULT)
        if vmap.unmapped == "keep":
            report(
                Severity.WARNING,
                "value.kept",
                f"{field} {value!r} is not in {where}.map and is sent unchanged",
                value,
                f"add {value!r} to {where}.map if Tracker calls it differently",
            )
            return MappedValue(value, KEPT)
        if vmap.unmapped == "ignore":
            report(
                Severity.WARNING,
                "value.ignored",
                f"{field} {value!r} is not in {where}.map and is left out",
                value,
                f"add {value!r} to {where}.map to migrate it",
            )
            return MappedValue(None, IGNORED)
        known = ", ".join(repr(k) for k in list(vmap.map)[:10]) or "none"
        report(
            Severity.ERROR,
            "value.unmapped",
            f"{field} {value!r} is not in {where}.map (unmapped: error)",
            value,
            f"add it to {where}.map, or set {where}.unmapped to default/keep/ignore (mapped so far: {known})",
        )
        return MappedValue(None, UNMAPPED)

    # ------------------------------------------------------------------ reporting

    def coverage(self) -> list[ValueCoverageRow]:
        """One row per (field, source value, target, how), most frequent first within a field."""
        rows = [
            ValueCoverageRow(field=f, source_value=v, target_value=t, how=h, count=n)
            for (f, v, t, h), n in self._counts.items()
        ]
        return sorted(rows, key=lambda r: (r.field, -r.count, r.source_value))

    def distributions(self) -> dict[str, list[tuple[str, str | None, int]]]:
        """Per field: (source value, target value, count), for the before → after charts."""
        out: dict[str, list[tuple[str, str | None, int]]] = {}
        for row in self.coverage():
            out.setdefault(row.field, []).append((row.source_value, row.target_value, row.count))
        return out


def _undecided(field: str, value: str, path: str, report: Reporter) -> MappedValue:
    report(
        Severity.ERROR,
        "decision.undecided",
        f'{field} {value!r}: {path} leaves it undecided ("?")',
        value,
        f"replace the ? in {path} with the Tracker {field} this value becomes (or null to drop it)",
    )
    return MappedValue(None, UNDECIDED_HOW)
