"""Links and parents to issues outside the export, by ``target.dangling``: existing | text | drop | error."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any

from migrator.findings import Findings, Severity
from migrator.mapping.config import MappingConfig
from migrator.mapping.policies import DanglingPolicy
from migrator.model import Issue
from migrator.pipeline.prepared import PreparedRun, PrepareOptions, Stages
from migrator.plan import ExistingIssue, PlannedIssue, PlanRevisions
from migrator.timeutil import format_tracker_datetime

from .pipeline_fakes import T0, TARGET, FakeTransformer, issue, make_config, of_kind, reader_of


class DatedTransformer(FakeTransformer):
    """The fake transform, with a window: created at T0 + (row) days, updated a day later."""

    def transform(self, item: Issue) -> PlannedIssue | None:
        planned = super().transform(item)
        if planned is not None:
            created = T0 + timedelta(days=item.source.row or 0)
            planned.body["createdAt"] = format_tracker_datetime(created)
            planned.body["updatedAt"] = format_tracker_datetime(created + timedelta(days=1))
            for link in planned.links:
                link.created_at = planned.body["createdAt"]
        return planned


def config_with(links: list[str], parent: list[str] | None = None, url: str | None = None) -> MappingConfig:
    config = make_config()
    config.target.dangling = DanglingPolicy(links=links, parent=parent or links)
    config.source.issue_url = url
    return config


def prepare(
    issues: list[Issue], config: MappingConfig, existing: Any = None, pre: Findings | None = None
) -> tuple[Findings, PlanRevisions, list[PlannedIssue]]:
    findings = Findings()
    prepared = PreparedRun(
        config,
        [Path("issues.csv")],
        TARGET,
        findings,
        PrepareOptions(existing_issues=existing),
        Stages(reader_of(issues, pre), DatedTransformer),
    )
    plans = list(prepared.planned())
    return findings, prepared.revisions, [prepared.revisions.apply(p) for p in plans]


class Lookup:
    """An ``ExistingIssues`` lookup answering from a dict, recording what it was asked."""

    def __init__(self, known: dict[tuple[str, str], ExistingIssue]) -> None:
        self.known = known
        self.asked: list[list[tuple[str, str]]] = []

    def __call__(self, refs: Collection[tuple[str, str]]) -> dict[tuple[str, str], ExistingIssue]:
        self.asked.append(list(refs))
        return {ref: self.known[ref] for ref in refs if ref in self.known}


def existing(key: str, created_days: float, updated_days: float) -> ExistingIssue:
    return ExistingIssue(
        key,
        format_tracker_datetime(T0 + timedelta(days=created_days)),
        format_tracker_datetime(T0 + timedelta(days=updated_days)),
        "ledger old.state.sqlite (namespace old)",
    )


def test_drop_leaves_the_link_out_with_a_warning() -> None:
    findings, revisions, plans = prepare([issue("P-1", 2, links=[("X-9", "blocks")])], config_with(["drop"]))
    assert plans[0].links == []
    (dropped,) = of_kind(findings, "link.dangling_dropped")
    assert (dropped.severity, dropped.key, dropped.field, dropped.value) == (
        Severity.WARNING,
        "P-1",
        "links",
        "X-9",
    )
    assert of_kind(findings, "link.dangling") == []
    assert "description" not in plans[0].body


def test_text_names_the_old_key_and_url_in_the_description() -> None:
    config = config_with(["text"], url="https://jira.example.com/browse/{key}")
    item = issue("P-1", 2, links=[("X-9", "blocks")], parent="X-3")
    findings, _revisions, plans = prepare([item], config)
    assert plans[0].links == []  # neither the link nor the parent link is imported
    assert plans[0].body["description"] == (
        "_Link not migrated: blocks X-9 (https://jira.example.com/browse/X-9), not in this export_\n\n"
        "_Parent not migrated: X-3 (https://jira.example.com/browse/X-3), not in this export_"
    )
    assert plans[0].body["markupType"] == "md"
    assert [f.kind for f in findings] == ["link.dangling_text", "parent.dangling_text"]


def test_policies_per_field() -> None:
    config = config_with(["drop"], parent=["error"])
    findings, _, _ = prepare([issue("P-1", 2, links=[("X-9", "relates")], parent="X-3")], config)
    assert [(f.kind, f.severity) for f in findings] == [
        ("link.dangling_dropped", Severity.WARNING),
        ("parent.dangling", Severity.ERROR),
    ]


def test_existing_links_to_the_issue_already_in_tracker() -> None:
    lookup = Lookup({("X-9", "key"): existing("DEMO-9", 0, 30)})
    findings, _, plans = prepare(
        [issue("P-1", 2, links=[("X-9", "relates")])], config_with(["existing"]), lookup
    )
    assert lookup.asked == [[("X-9", "key")]]
    (link,) = plans[0].links
    assert (link.to_source_key, link.to_target_key) == ("X-9", "DEMO-9")
    (resolved,) = of_kind(findings, "link.dangling_existing")
    assert (
        resolved.severity is Severity.INFO and "DEMO-9" in resolved.message and "ledger" in resolved.message
    )


def test_existing_not_found_falls_back_to_the_next_strategy() -> None:
    lookup = Lookup({})
    findings, _, plans = prepare(
        [issue("P-1", 2, links=[("X-9", "relates")])], config_with(["existing", "text"]), lookup
    )
    assert plans[0].links == [] and "X-9" in plans[0].body["description"]
    assert [f.kind for f in findings] == ["link.dangling_text"]


def test_existing_that_ended_before_the_issue_began_cannot_be_dated_and_is_an_error() -> None:
    lookup = Lookup({("X-9", "key"): existing("DEMO-9", -30, -20)})  # P-1 was created at T0 + 2 days
    findings, _, plans = prepare(
        [issue("P-1", 2, links=[("X-9", "relates")])], config_with(["existing"]), lookup
    )
    (error,) = of_kind(findings, "link.dangling")
    assert error.severity is Severity.ERROR
    assert "DEMO-9" in error.message and "before P-1 was created" in error.message
    assert plans[0].links[0].to_target_key is None


def test_existing_without_a_target_to_search_says_so() -> None:
    findings, _, _ = prepare([issue("P-1", 2, links=[("X-9", "relates")])], config_with(["existing"]))
    (error,) = of_kind(findings, "link.dangling")
    assert "not searched" in error.message


def test_an_id_reference_is_looked_up_as_an_id() -> None:
    config = config_with(["existing"])
    config.source.link_ref = "id"
    lookup = Lookup({("900", "id"): existing("DEMO-900", 0, 30)})
    _, _, plans = prepare([issue("P-1", 2, links=[("900", "relates")])], config, lookup)
    assert plans[0].links[0].to_target_key == "DEMO-900"


def test_a_reference_to_an_unreadable_issue_stays_an_error_whatever_the_policy() -> None:
    pre = Findings()
    pre.error(
        "date.unparsable", "cannot read the date", file="issues.csv", row=3, key="P-2", field="created_at"
    )
    findings, revisions, plans = prepare(
        [issue("P-1", 2, links=[("P-2", "relates")])], config_with(["drop"]), pre=pre
    )
    (error,) = of_kind(findings, "link.dangling")
    assert "could not be read" in error.message
    assert [link.to_source_key for link in plans[0].links] == ["P-2"] and revisions.links == {}
