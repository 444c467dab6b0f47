"""ValueMapper: the four unmapped policies, explicit nulls, case, identity, coverage counting."""

from __future__ import annotations

from migrator.findings import Severity
from migrator.mapping.config import ValueMap
from migrator.mapping.values import ValueMapper


class Recorder:
    def __init__(self) -> None:
        self.items: list[tuple[Severity, str, str]] = []

    def __call__(self, severity: Severity, kind: str, message: str, value: str, hint: str | None) -> None:
        assert hint
        self.items.append((severity, kind, value))


def apply(vmap: ValueMap | None, value: str) -> tuple[str | None, str, list[tuple[Severity, str, str]]]:
    mapper = ValueMapper({"status": vmap} if vmap else {})
    rec = Recorder()
    result = mapper.apply("status", value, rec)
    return result.target, result.how, rec.items


def test_mapped_values_report_nothing() -> None:
    assert apply(ValueMap({"Open": "open"}), "Open") == ("open", "mapped", [])


def test_lookup_ignores_case_unless_told_otherwise() -> None:
    assert apply(ValueMap({"Open": "open"}), "OPEN")[0] == "open"
    assert apply(ValueMap({"Open": "open"}, case_sensitive=True), "OPEN")[1] == "unmapped"


def test_explicit_null_drops_the_value_silently() -> None:
    assert apply(ValueMap({"Triage": None}), "Triage") == (None, "mapped", [])


def test_policy_error() -> None:
    assert apply(ValueMap({}, "error"), "X") == (None, "unmapped", [(Severity.ERROR, "value.unmapped", "X")])


def test_policy_default() -> None:
    assert apply(ValueMap({}, "default", "open"), "X") == (
        "open",
        "default",
        [(Severity.WARNING, "value.defaulted", "X")],
    )


def test_policy_keep() -> None:
    assert apply(ValueMap({}, "keep"), "X") == ("X", "kept", [(Severity.WARNING, "value.kept", "X")])


def test_policy_ignore() -> None:
    assert apply(ValueMap({}, "ignore"), "X") == (None, "ignored", [(Severity.WARNING, "value.ignored", "X")])


def test_no_map_passes_values_through() -> None:
    assert apply(None, "open") == ("open", "identity", [])


def test_coverage_and_distributions_count_every_distinct_value() -> None:
    mapper = ValueMapper({"status": ValueMap({"Open": "open"}, "default", "open")})
    rec = Recorder()
    for value in ["Open", "Open", "Weird", "Open"]:
        mapper.apply("status", value, rec)
    mapper.apply("type", "Bug", rec)
    rows = [(r.field, r.source_value, r.target_value, r.how, r.count) for r in mapper.coverage()]
    assert rows == [
        ("status", "Open", "open", "mapped", 3),
        ("status", "Weird", "open", "default", 1),
        ("type", "Bug", "Bug", "identity", 1),
    ]
    assert mapper.distributions() == {
        "status": [("Open", "open", 3), ("Weird", "open", 1)],
        "type": [("Bug", "Bug", 1)],
    }
