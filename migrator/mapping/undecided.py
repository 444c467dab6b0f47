"""Decisions a mapping leaves open: the literal value ``"?"``.

``migrator init`` writes ``"?"`` where it could not decide for the user — a source value with no
plausible Tracker match, a person it could not find, the export's time zone — and presets write it
where no preset can know the answer (``source.timezone`` of an export without offsets). The file
still loads, so ``validate`` can show everything else, but every open decision is a blocking
``decision.undecided`` error until the user replaces the ``?``:

* once for a scalar (``source.timezone``, a field's ``timezone``, ``users.fallback``,
  ``target.queue``/``namespace``) — :func:`undecided_findings`;
* at every use of an undecided value (``values.<field>.map``/``default``) or person
  (``users.map``), like ``value.unmapped`` — see ``values.py`` and ``issue_context.py``.

``?`` means "undecided" only at these positions; anywhere else (a placeholder, a ``where:`` value)
it is an ordinary value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.findings import Findings

UNDECIDED = "?"
STAND_IN_ZONE = "UTC"  # dates are still read (to show everything else) while the zone is open
_TABLES = ("issues", "comments", "attachments", "links", "worklogs")


@dataclass(frozen=True)
class Undecided:
    """One open decision: its key path, and the source value or person it is about (None for a
    scalar setting)."""

    path: str
    value: str | None = None

    @property
    def scalar(self) -> bool:
        """Reported once by itself; value maps and users.map are reported where they are used."""
        return not self.path.startswith(("values.", "users.map"))

    @property
    def label(self) -> str:
        return self.path if self.value is None else f"{self.path}[{self.value!r}]"


def take_undecided(data: dict[str, Any], *, overridden: frozenset[str] = frozenset()) -> list[Undecided]:
    """Every ``"?"`` at a position that may be left open, in file order. Scalars that the loader
    would reject (a zone, the fallback login) are replaced in ``data`` by stand-ins; ``overridden``
    names the scalars the command line sets (``target.queue`` with ``--queue``)."""
    found: list[Undecided] = []
    source = data.get("source")
    if isinstance(source, dict):
        if source.get("timezone") == UNDECIDED:
            found.append(Undecided("source.timezone"))
            source["timezone"] = STAND_IN_ZONE
        for table in _TABLES:
            found.extend(_field_zones(source, table))
    values = data.get("values")
    for name, spec in values.items() if isinstance(values, dict) else ():
        if not isinstance(spec, dict):
            continue
        found.extend(_map_entries(f"values.{name}.map", spec.get("map")))
        if spec.get("default") == UNDECIDED:
            found.append(Undecided(f"values.{name}.default"))
    users = data.get("users")
    if isinstance(users, dict):
        found.extend(_map_entries("users.map", users.get("map")))
        if users.get("fallback") == UNDECIDED:
            found.append(Undecided("users.fallback"))
            users["fallback"] = None
    target = data.get("target")
    if isinstance(target, dict):
        for key in ("queue", "namespace"):
            if target.get(key) == UNDECIDED and f"target.{key}" not in overridden:
                found.append(Undecided(f"target.{key}"))
    return found


def _field_zones(source: dict[str, Any], table: str) -> list[Undecided]:
    spec = source.get(table)
    fields = spec.get("fields") if isinstance(spec, dict) else None
    found: list[Undecided] = []
    for name, field_spec in fields.items() if isinstance(fields, dict) else ():
        if isinstance(field_spec, dict) and field_spec.get("timezone") == UNDECIDED:
            found.append(Undecided(f"source.{table}.fields.{name}.timezone"))
            del field_spec["timezone"]
    return found


def _map_entries(path: str, mapping: Any) -> list[Undecided]:
    if not isinstance(mapping, dict):
        return []
    return [Undecided(path, str(key)) for key, value in mapping.items() if value == UNDECIDED]


_SCALAR_HINTS = {
    "source.timezone": "the export's times carry no offset: name the zone they were written in "
    "(an IANA name such as Europe/Moscow), or run `migrator init ... --timezone ZONE`",
    "users.fallback": "name the Tracker login that writes what unresolved people did (e.g. admin), "
    "or null to make every unresolved person an error",
    "target.queue": "name the Tracker queue (or pass --queue)",
    "target.namespace": "name this migration (or pass --namespace); re-runs with it never duplicate",
}


def undecided_findings(undecided: list[Undecided], findings: Findings, mapping_file: str) -> None:
    """One blocking ``decision.undecided`` error per open scalar decision."""
    for item in undecided:
        if not item.scalar:
            continue
        hint = _SCALAR_HINTS.get(item.path, "replace the ? with the value for this export")
        findings.error(
            "decision.undecided",
            f'{item.path} is undecided ("?"); nothing is imported until it is decided',
            file=mapping_file,
            field=item.path,
            value=UNDECIDED,
            hint=hint,
        )
