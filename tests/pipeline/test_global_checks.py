"""Checks across issues: duplicates, dangling references, parent cycles, kept-key collisions."""

from __future__ import annotations

from typing import Any

from migrator.findings import Findings, Severity
from migrator.pipeline.global_checks import GlobalIndex, find_cycles

from .pipeline_fakes import (
    issue,
    make_config,
    of_kind,
    run_checks,
)

# ---------------------------------------------------------------------- global checks


def test_clean_export_has_no_findings() -> None:
    issues = [issue("P-1", 2, links=[("P-2", "relates")]), issue("P-2", 3, parent="P-1")]
    assert list(run_checks(issues)) == []


def test_duplicate_source_key_is_reported_once_per_extra_row() -> None:
    findings = run_checks([issue("P-1", 2, id_="1"), issue("P-1", 3, id_="2"), issue("P-1", 4, id_="3")])
    dupes = of_kind(findings, "source.duplicate_key")
    assert [(f.key, f.row, f.field, f.severity) for f in dupes] == [
        ("P-1", 3, "key", Severity.ERROR),
        ("P-1", 4, "key", Severity.ERROR),
    ]


def test_duplicate_key_already_reported_by_sources_is_not_repeated() -> None:
    pre = Findings()
    pre.error("source.duplicate_key", "dup", file="issues.csv", row=3, key="P-1", field="key")
    findings = run_checks([issue("P-1", 2, id_="1"), issue("P-1", 3, id_="2")], pre=pre)
    assert len(of_kind(findings, "source.duplicate_key")) == 1


def test_duplicate_source_id_would_share_a_unique() -> None:
    findings = run_checks([issue("P-1", 2, id_="7"), issue("P-2", 3, id_="7")])
    (dupe,) = of_kind(findings, "source.duplicate_id")
    assert (dupe.row, dupe.field, dupe.value) == (3, "id", "7")


def test_link_to_issue_outside_export_is_dangling() -> None:
    findings = run_checks([issue("P-1", 2, links=[("X-9", "blocks")]), issue("P-2", 3)])
    (dangling,) = of_kind(findings, "link.dangling")
    assert (dangling.severity, dangling.key, dangling.field, dangling.value, dangling.row) == (
        Severity.ERROR,
        "P-1",
        "links",
        "X-9",
        2,
    )
    assert "blocks" in dangling.message


def test_link_to_an_issue_read_later_is_not_dangling() -> None:
    findings = run_checks([issue("P-1", 2, links=[("P-3", "relates")]), issue("P-2", 3), issue("P-3", 4)])
    assert of_kind(findings, "link.dangling") == []


def test_link_by_id_resolves_when_mapping_says_links_hold_ids() -> None:
    issues = [issue("P-1", 2, id_="100", links=[("200", "relates")]), issue("P-2", 3, id_="200")]
    assert of_kind(run_checks(issues, config=make_config(link_ref="id")), "link.dangling") == []
    assert len(of_kind(run_checks(issues, config=make_config(link_ref="key")), "link.dangling")) == 1


def test_reference_to_an_issue_the_sources_could_not_read_says_so() -> None:
    pre = Findings()
    pre.error(
        "date.unparsable", "cannot read the date", file="issues.csv", row=2, key="P-1", field="created_at"
    )
    findings = run_checks([issue("P-2", 3, parent="P-1"), issue("P-3", 4, parent="P-9")], pre=pre)
    unreadable, missing = of_kind(findings, "parent.dangling")
    assert (unreadable.key, unreadable.value) == ("P-2", "P-1") and "could not be read" in unreadable.message
    assert (missing.key, missing.value) == ("P-3", "P-9") and "not in this export" in missing.message


def test_parent_outside_export_is_dangling() -> None:
    findings = run_checks([issue("P-2", 3, parent="P-99")])
    (dangling,) = of_kind(findings, "parent.dangling")
    assert (dangling.key, dangling.field, dangling.value) == ("P-2", "parent", "P-99")


def test_parent_cycle_names_every_key_once() -> None:
    issues = [
        issue("P-1", 2, parent="P-3"),
        issue("P-2", 3, parent="P-1"),
        issue("P-3", 4, parent="P-2"),
        issue("P-4", 5, parent="P-1"),
    ]
    (cycle,) = of_kind(run_checks(issues), "parent.cycle")
    assert cycle.severity is Severity.ERROR
    assert cycle.key == "P-1" and cycle.field == "parent" and cycle.row == 2
    assert cycle.value == "P-1, P-3, P-2"
    assert "P-1 → P-3 → P-2 → P-1" in cycle.message


def test_self_parent_is_a_cycle() -> None:
    (cycle,) = of_kind(run_checks([issue("P-1", 2, parent="P-1")]), "parent.cycle")
    assert cycle.value == "P-1"


def test_cycle_through_subtask_links() -> None:
    issues = [
        issue("P-1", 2, links=[("P-2", "is subtask for")]),
        issue("P-2", 3, links=[("P-1", "is subtask for")]),
    ]
    (cycle,) = of_kind(run_checks(issues), "parent.cycle")
    assert cycle.value == "P-1, P-2"


def test_two_different_parents() -> None:
    issues = [
        issue("P-1", 2),
        issue("P-2", 3),
        issue("P-3", 4, parent="P-1", links=[("P-2", "is subtask for")]),
    ]
    (multiple,) = of_kind(run_checks(issues), "parent.multiple")
    assert (multiple.key, multiple.field) == ("P-3", "parent")


def test_find_cycles_is_linear_and_deterministic() -> None:
    chain = {f"K{i}": f"K{i + 1}" for i in range(50_000)}
    assert find_cycles(chain) == []
    assert find_cycles({"b": "c", "c": "a", "a": "b", "x": "a", "y": "y"}) == [["a", "b", "c"], ["y"]]


# ---------------------------------------------------------------------- keep_keys


def test_keep_keys_two_sources_one_target_key() -> None:
    findings = run_checks(
        [issue("A-5", 2, id_="1"), issue("B-5", 3, id_="2")],
        config=make_config(keep_keys=True),
        existing=lambda keys: {},
    )
    (dupe,) = of_kind(findings, "key.duplicate_target")
    assert (dupe.key, dupe.value, dupe.row) == ("B-5", "DEMO-5", 3)


def test_keep_keys_collision_with_existing_issue() -> None:
    asked: list[list[str]] = []

    def existing(keys: Any) -> dict[str, str | None]:
        asked.append(sorted(keys))
        return {"DEMO-2": "someone-else", "DEMO-3": "ns:jira:3"}  # DEMO-3 is ours from an earlier run

    issues = [issue("P-1", 2), issue("P-2", 3), issue("P-3", 4)]
    findings = run_checks(issues, config=make_config(keep_keys=True), existing=existing)
    assert asked == [["DEMO-1", "DEMO-2", "DEMO-3"]]
    (collision,) = of_kind(findings, "key.collision")
    assert (collision.severity, collision.key, collision.field, collision.value, collision.row) == (
        Severity.ERROR,
        "P-2",
        "key",
        "DEMO-2",
        3,
    )


def test_keep_keys_without_read_access_says_so() -> None:
    findings = run_checks([issue("P-1", 2)], config=make_config(keep_keys=True))
    (note,) = of_kind(findings, "key.collision_unchecked")
    assert note.severity is Severity.INFO


def test_no_key_lookup_without_keep_keys() -> None:
    def existing(keys: Any) -> dict[str, str | None]:
        raise AssertionError("must not search the queue")

    assert list(run_checks([issue("P-1", 2)], existing=existing)) == []


def test_global_index_memory_keeps_only_unresolved_refs() -> None:
    index = GlobalIndex(make_config(), Findings())
    for n in range(1, 1001):
        item = issue(f"P-{n}", n + 1, links=[(f"P-{n - 1}", "relates")] if n > 1 else [])
        index.add(item, None)
    assert len(index._pending) == 0
