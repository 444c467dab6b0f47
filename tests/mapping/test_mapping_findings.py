"""One test per finding kind the transform emits: kind, severity, location, and the resulting body."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

from migrator.findings import Finding, Severity
from migrator.mapping.config import ExtraField, UsersSpec, ValueMap
from migrator.mapping.transform import IssueTransformer
from migrator.model import Comment, Issue, Link, SourceRef, UserRef, Worklog
from migrator.plan import PlannedIssue

from .mapping_helpers import NOW, T0, TARGET, child_ref, make_config, make_issue, of_kind, transformer


def run(issue: Issue, t: IssueTransformer | None = None) -> tuple[PlannedIssue | None, list[Finding]]:
    t = t or transformer()
    return t.transform(issue), list(t.findings)


def only(findings: list[Finding], kind: str) -> Finding:
    found = of_kind(findings, kind)
    assert len(found) == 1, f"expected one {kind}, got {[f.render() for f in findings]}"
    return found[0]


def assert_located(
    finding: Finding, key: str = "PROJ-1", file: str | None = "issues.csv", row: int | None = 2
) -> None:
    assert (finding.key, finding.file, finding.row) == (key, file, row)
    assert finding.hint


# ----------------------------------------------------------------------------- summary / text


def test_summary_too_long_is_an_error() -> None:
    planned, findings = run(make_issue(summary="x" * 256))
    f = only(findings, "summary.too_long")
    assert (f.severity, f.field) == (Severity.ERROR, "summary")
    assert_located(f)
    assert planned is None


def test_summary_of_exactly_255_characters_is_fine() -> None:
    planned, findings = run(make_issue(summary="x" * 255))
    assert findings == [] and planned is not None


def test_empty_summary_is_an_error() -> None:
    planned, findings = run(make_issue(summary="   "))
    assert only(findings, "summary.empty").severity is Severity.ERROR
    assert planned is None


def test_description_too_long_after_conversion_is_an_error() -> None:
    planned, findings = run(make_issue(description="*" * 300_000))  # plain: every '*' is escaped → 600,000
    f = only(findings, "text.too_long")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "description", "600000")
    assert planned is None


def test_comment_too_long_is_an_error_on_that_comment() -> None:
    comment = Comment(SourceRef("jira", "c-1", "comments.csv", 7), UserRef("bob"), T0, "a" * 512_001)
    planned, findings = run(make_issue(comments=[comment]))
    f = only(findings, "text.too_long")
    assert (f.field, f.file, f.row, f.key) == ("comments[0].text", "comments.csv", 7, "PROJ-1")
    assert planned is None


def test_empty_comment_is_skipped_with_a_warning() -> None:
    comments = [
        Comment(child_ref("c", "1"), UserRef("bob"), T0, " \n "),
        Comment(child_ref("c", "2"), UserRef("bob"), T0, "ok"),
    ]
    planned, findings = run(make_issue(comments=comments))
    f = only(findings, "comment.empty")
    assert (f.severity, f.field) == (Severity.WARNING, "comments[0].text")
    assert planned is not None
    assert [c.body["text"] for c in planned.comments] == ["ok"]


# ----------------------------------------------------------------------------- value maps


def test_unmapped_value_with_policy_error() -> None:
    planned, findings = run(make_issue(status="Blocked"))
    f = only(findings, "value.unmapped")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "status", "Blocked")
    assert "values.status" in (f.hint or "")
    assert_located(f)
    assert planned is None


def test_unmapped_value_with_policy_default() -> None:
    planned, findings = run(make_issue(type="Spike"))
    f = only(findings, "value.defaulted")
    assert (f.severity, f.field, f.value) == (Severity.WARNING, "type", "Spike")
    assert planned is not None and planned.body["type"] == "task"


def test_unmapped_value_with_policy_keep() -> None:
    values = {"priority": ValueMap({}, "keep")}
    planned, findings = run(make_issue(priority="minor"), transformer(make_config(values=values)))
    f = only(findings, "value.kept")
    assert (f.severity, f.field, f.value) == (Severity.WARNING, "priority", "minor")
    assert planned is not None and planned.body["priority"] == "minor"


def test_unmapped_value_with_policy_ignore() -> None:
    values = {"priority": ValueMap({}, "ignore")}
    planned, findings = run(make_issue(priority="P0"), transformer(make_config(values=values)))
    f = only(findings, "value.ignored")
    assert (f.severity, f.field, f.value) == (Severity.WARNING, "priority", "P0")
    assert planned is not None and "priority" not in planned.body


def test_mapped_key_unknown_in_target() -> None:
    values = {"status": ValueMap({"Open": "opened"})}
    planned, findings = run(make_issue(status="Open"), transformer(make_config(values=values)))
    f = only(findings, "value.unknown_in_target")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "status", "Open")
    assert "'opened'" in f.message
    assert planned is None


def test_value_without_map_must_exist_in_target() -> None:
    planned, findings = run(make_issue(priority="Major"), transformer(make_config(values={})))
    f = only(findings, "value.unknown_in_target")
    assert (f.field, f.value) == ("priority", "Major")
    assert "values.priority.map" in (f.hint or "")
    assert planned is None


def test_unknown_component_and_version_names() -> None:
    planned, findings = run(make_issue(components=["Backend", "Mobile"], affected_versions=["9.9"]))
    assert [(f.field, f.value) for f in of_kind(findings, "value.unknown_in_target")] == [
        ("components", "Mobile"),
        ("affectedVersions", "9.9"),
    ]
    assert planned is None


def test_status_not_in_the_workflow_of_the_type() -> None:
    planned, findings = run(make_issue(type="Epic", status="In Progress"))
    f = only(findings, "status.not_in_workflow")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "status", "In Progress")
    assert "closed, open" in (f.hint or "")
    assert planned is None


def test_status_is_checked_against_the_queue_default_type_when_the_issue_has_none() -> None:
    values = {"status": ValueMap({"Open": "open"})}
    data = copy.deepcopy(TARGET)
    data["queues"][0]["default_type"] = "epic"
    data["statuses"].append({"key": "weird"})
    t = transformer(make_config(values={**values, "status": ValueMap({"X": "weird"})}), target_data=data)
    planned, findings = run(make_issue(status="X"), t)
    assert only(findings, "status.not_in_workflow").field == "status"
    assert planned is None


def test_type_not_used_in_the_queue() -> None:
    data = copy.deepcopy(TARGET)
    data["issue_types"].append({"key": "incident"})
    t = transformer(make_config(values={"type": ValueMap({"Incident": "incident"})}), target_data=data)
    planned, findings = run(make_issue(type="Incident"), t)
    f = only(findings, "type.not_in_queue")
    assert (f.severity, f.field) == (Severity.ERROR, "type")
    assert planned is None


# ----------------------------------------------------------------------------- extra fields


def test_field_value_of_the_wrong_type() -> None:
    t = transformer(make_config(fields=[ExtraField("businessValue", "custom.bv", "int")]))
    planned, findings = run(make_issue(custom={"bv": "a lot"}), t)
    f = only(findings, "field.bad_value")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "businessValue", "a lot")
    assert planned is None


def test_field_type_that_does_not_fit_the_tracker_schema() -> None:
    t = transformer(make_config(fields=[ExtraField("storyPoints", "custom.sp", "string")]))
    planned, findings = run(make_issue(custom={"sp": "3"}), t)
    f = only(findings, "field.bad_value")
    assert "number" in f.message and "float" in f.message
    assert planned is None


def test_field_value_outside_the_options() -> None:
    t = transformer(make_config(fields=[ExtraField("customer", "custom.c", "string", local=True)]))
    planned, findings = run(make_issue(custom={"c": "Initech"}), t)
    f = only(findings, "field.bad_option")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "customer", "Initech")
    assert "Acme" in f.message
    assert planned is None


def test_unknown_global_and_local_fields() -> None:
    t = transformer(
        make_config(fields=[ExtraField("colour", "custom.c"), ExtraField("region", "custom.r", local=True)])
    )
    planned, findings = run(make_issue(custom={"c": "red", "r": "EU"}), t)
    assert [(f.field, f.severity) for f in of_kind(findings, "field.unknown")] == [
        ("colour", Severity.ERROR),
        ("region", Severity.ERROR),
    ]
    assert planned is None


# ----------------------------------------------------------------------------- keys, users


def test_source_key_without_a_number_cannot_be_kept() -> None:
    planned, findings = run(make_issue("ROADMAP"), transformer(make_config(keep_keys=True)))
    f = only(findings, "key.not_numbered")
    assert (f.severity, f.field, f.value, f.key) == (Severity.ERROR, "key", "ROADMAP", "ROADMAP")
    assert planned is None


def test_unresolved_user_is_an_error_with_evidence() -> None:
    planned, findings = run(make_issue(assignee=UserRef("ghost", email="ghost@old.example.com")))
    f = only(findings, "user.unresolved")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "assignee", "ghost")
    assert "no Tracker user with e-mail 'ghost@old.example.com'" in f.message
    assert "no Tracker user with login 'ghost'" in f.message
    assert planned is None


def test_fallback_user_is_a_warning_and_keeps_the_original_name_in_texts() -> None:
    users = UsersSpec(map={}, match=["email"], fallback="admin")
    comment = Comment(child_ref("c", "1"), UserRef("jsmith", display="John Smith"), T0, "hello")
    issue = make_issue(created_by=UserRef("old_pm"), description="spec", comments=[comment])
    planned, findings = run(issue, transformer(make_config(users=users)))
    assert [(f.field, f.severity) for f in of_kind(findings, "user.fallback")] == [
        ("created_by", Severity.WARNING),
        ("comments[0].author", Severity.WARNING),
    ]
    assert planned is not None
    assert planned.body["createdBy"] == "admin"
    assert planned.body["description"] == "_Originally by old\\_pm_\n\nspec"
    assert planned.comments[0].body["createdBy"] == "admin"
    assert planned.comments[0].body["text"] == "_Originally by John Smith (jsmith)_\n\nhello"


def test_fallback_without_keep_original_name_leaves_texts_alone() -> None:
    users = UsersSpec(map={}, match=[], fallback="admin", keep_original_name=False)
    planned, _ = run(make_issue(description="spec"), transformer(make_config(users=users)))
    assert planned is not None and planned.body["description"] == "spec"


# ----------------------------------------------------------------------------- time


def test_created_in_the_future_is_an_error() -> None:
    planned, findings = run(make_issue(created_at=NOW + timedelta(minutes=1)))
    f = only(findings, "time.future")
    assert (f.severity, f.field, f.value) == (Severity.ERROR, "created_at", "2025-01-01T12:01:00.000+0000")
    assert planned is None


def test_updated_at_extended_by_a_later_comment_is_info() -> None:
    comment = Comment(child_ref("c", "1"), UserRef("bob"), T0 + timedelta(days=3), "late")
    planned, findings = run(make_issue(updated_at=T0 + timedelta(days=1), comments=[comment]))
    f = only(findings, "time.updated_extended")
    assert (f.severity, f.field) == (Severity.INFO, "updated_at")
    assert planned is not None
    assert planned.body["updatedAt"] == "2024-03-04T09:00:00.000+0000"
    assert planned.body["updatedBy"] == "bob"  # no source updated_by: the author of the latest activity


def test_child_before_the_issue_is_clamped_with_a_warning() -> None:
    comment = Comment(
        SourceRef("jira", "c-9", "comments.csv", 4), UserRef("bob"), T0 - timedelta(hours=1), "early"
    )
    planned, findings = run(
        make_issue(comments=[Comment(child_ref("c", "0"), UserRef("bob"), T0, "x"), comment])
    )
    f = only(findings, "time.clamped")
    assert (f.severity, f.field, f.file, f.row) == (
        Severity.WARNING,
        "comments[1].created_at",
        "comments.csv",
        4,
    )
    assert planned is not None
    assert [c.body["createdAt"] for c in planned.comments] == ["2024-03-01T09:00:00.000+0000"] * 2


def test_resolution_without_date_uses_updated_at() -> None:
    planned, findings = run(make_issue(resolution="Fixed", updated_at=T0 + timedelta(days=5)))
    f = only(findings, "resolution.no_date")
    assert (f.severity, f.field) == (Severity.WARNING, "resolved_at")
    assert planned is not None
    assert (planned.body["resolution"], planned.body["resolvedAt"], planned.body["resolvedBy"]) == (
        "fixed",
        "2024-03-06T09:00:00.000+0000",
        "alice",
    )


def test_resolved_at_without_resolution_is_dropped() -> None:
    planned, findings = run(make_issue(resolved_at=T0 + timedelta(days=1), resolved_by=UserRef("bob")))
    f = only(findings, "resolution.missing")
    assert (f.severity, f.field) == (Severity.WARNING, "resolved_at")
    assert planned is not None
    assert not {"resolution", "resolvedAt", "resolvedBy"} & set(planned.body)


# ----------------------------------------------------------------------------- worklogs, links, markup


def test_worklog_without_duration_is_skipped() -> None:
    worklog = Worklog(child_ref("w", "1"), UserRef("bob"), T0, timedelta(0))
    planned, findings = run(make_issue(worklogs=[worklog]))
    f = only(findings, "worklog.empty")
    assert (f.severity, f.field) == (Severity.WARNING, "worklogs[0].duration")
    assert planned is not None and planned.worklogs == []


def test_link_to_itself_is_skipped() -> None:
    planned, findings = run(make_issue(links=[Link(child_ref("l", "1"), "PROJ-1", "PROJ-1", "relates to")]))
    assert only(findings, "link.self").severity is Severity.WARNING
    assert planned is not None and planned.links == []


def test_link_that_does_not_touch_the_issue_is_an_error() -> None:
    planned, findings = run(make_issue(links=[Link(child_ref("l", "1"), "PROJ-7", "PROJ-8", "relates to")]))
    assert only(findings, "link.not_on_issue").severity is Severity.ERROR
    assert planned is None


def test_unmapped_and_unknown_link_relationships() -> None:
    values = {"link": ValueMap({"blocks": "blocks"})}
    links = [
        Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "blocks"),
        Link(child_ref("l", "2"), "PROJ-1", "PROJ-3", "causes"),
    ]
    planned, findings = run(make_issue(links=links), transformer(make_config(values=values)))
    assert only(findings, "value.unknown_in_target").field == "links[0].relationship"
    assert only(findings, "value.unmapped").field == "links[1].relationship"
    assert planned is None


def test_converter_failure_is_a_warning_and_keeps_the_text(monkeypatch: object) -> None:
    from migrator.mapping.markup.jira import JiraGrammar

    def broken(self: object, text: str, ctx: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(JiraGrammar, "convert", broken)  # type: ignore[attr-defined]
    t = transformer(make_config(markup="jira"))
    planned, findings = run(make_issue(description="*keep* me"), t)
    f = only(findings, "markup.lossy")
    assert (f.severity, f.value) == (Severity.WARNING, "converter_failed")
    assert planned is not None and planned.body["description"] == "\\*keep\\* me"


def test_findings_of_children_name_the_childs_file_and_row_when_it_has_them(tmp_path: Path) -> None:
    worklog = Worklog(SourceRef("jira", "w-1", "worklogs.csv", 12), UserRef("nobody"), T0, timedelta(hours=1))
    _, findings = run(make_issue(worklogs=[worklog]))
    f = only(findings, "user.unresolved")
    assert (f.file, f.row, f.key, f.field) == ("worklogs.csv", 12, "PROJ-1", "worklogs[0].author")


def test_a_field_value_that_is_not_finite_is_a_bad_value() -> None:
    for value in ("NaN", "Infinity", "1e999", float("nan"), 10**400):
        t = transformer(make_config(fields=[ExtraField("businessValue", "custom.bv", "float")]))
        planned, findings = run(make_issue(custom={"bv": value}), t)
        f = only(findings, "field.bad_value")
        assert (f.severity, f.field) == (Severity.ERROR, "businessValue"), value
        assert "NaN, Infinity or too large" in f.message or "not a number" in f.message
        assert planned is None


def test_a_kept_key_with_thousands_of_digits_is_a_finding() -> None:
    key = "PROJ-" + "9" * 5000
    issue = make_issue()
    issue.key = key
    planned, findings = run(issue, transformer(make_config(keep_keys=True)))
    f = only(findings, "key.not_numbered")
    assert (f.severity, f.field) == (Severity.ERROR, "key") and "5000 digits" in f.message
    assert planned is None
    planned, _ = run(make_issue(key="PROJ-007"), transformer(make_config(keep_keys=True)))
    assert planned is not None and planned.body["key"] == "DEMO-7"
