"""End-to-end dry runs: for each finding kind an export with exactly that defect goes through
``validate()`` (real sources, transform and pipeline) against the sandbox's default org, and the
finding (kind, row/key, field) is checked in the JSON report file. Plus: a clean export exits 0,
``--strict`` makes warnings block, validate sends no write to a live sandbox, and snapshots work
offline and seed a sandbox."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from validate_helpers import (
    HEADER,
    base_mapping,
    default_fixture,
    default_target,
    row,
    run_validate,
    where,
)

from migrator.errors import ConfigError
from migrator.findings import Findings
from migrator.mapping.config import load_mapping
from migrator.pipeline.prepared import PreparedRun, PrepareOptions
from migrator.planning import load_plan
from migrator.report.json_report import format_console_summary
from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.sandbox.faults import WRITE_KINDS
from migrator.snapshot import QueueKeyLookup, load_target_info, take_snapshot
from migrator.state import CheckpointStore
from migrator.tracker import TrackerClient, TrackerSettings

ATTACHMENT = "2021-06-02 10:00;alice@example.com;{name};{name}"


def mapping_with(**changes: Any) -> dict[str, Any]:
    """The base mapping with some parts replaced; ``__`` separates path parts (``source__files=...``)."""
    data = base_mapping()
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for name in parents:
            node = node[name]
        node[last] = value
    return data


def client_for(server: SandboxServer) -> TrackerClient:
    env = {
        "TRACKER_TOKEN": server.admin_token,
        "TRACKER_ORG_ID": server.org_id,
        "TRACKER_API_URL": server.url,
    }
    settings = TrackerSettings.from_env(env)
    assert settings is not None
    return TrackerClient(settings)


# ---------------------------------------------------------------------- clean, strict, report shape


def test_clean_export_exits_zero(tmp_path: Path) -> None:
    rows = [
        row(1),
        row(2, Parent="P-1", Comment="2021-06-02 10:00;bob@example.com;looks good"),
        row(3, **{"Link (Relates)": "P-1"}, Status="Done", Resolution="Fixed", Resolved="2021-06-04 10:00"),
    ]
    outcome = run_validate(tmp_path, rows)
    assert outcome.findings == [], outcome.findings
    assert outcome.result.exit_code == 0 and outcome.report["status"] == "ok"
    counts = outcome.report["summary"]["counts"]
    assert (counts["issues"], counts["comments"], counts["links"]) == (3, 1, 2)  # parent link + relates
    assert outcome.report["estimate"]["calls_by_kind"]["issue_import"] == 3
    assert {u["login"] for u in outcome.report["users"]} == {"alice", "bob"}
    assert {r["source_value"] for r in outcome.report["value_coverage"] if r["field"] == "status"} == {
        "Open",
        "Done",
    }
    assert outcome.report["distributions"]["type"] == [
        {"source_value": "Bug", "target_value": "bug", "count": 3}
    ]


def test_strict_turns_a_warning_into_a_blocking_finding(tmp_path: Path) -> None:
    rows = [row(1, Priority="Unknown")]
    relaxed = run_validate(tmp_path / "relaxed", rows)
    finding = relaxed.one("value.defaulted")
    assert finding["severity"] == "warning" and finding["blocking"] is False
    assert relaxed.result.exit_code == 0
    strict = run_validate(tmp_path / "strict", rows, strict=True)
    finding = strict.one("value.defaulted")
    assert finding["severity"] == "warning" and finding["blocking"] is True
    assert strict.result.exit_code == 1 and strict.report["status"] == "blocked"
    assert strict.report["summary"]["blocking"] == 1


def test_every_finding_carries_file_row_key_field_value_and_hint(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1, Status="Weird")])
    finding = outcome.one("value.unmapped")
    assert finding["file"] == "issues.csv"
    assert where(finding) == (2, "P-1", "status") and finding["value"] == "Weird"
    assert finding["hint"]
    summary = format_console_summary(outcome.result, [outcome.report_path])
    assert "value.unmapped" in summary and str(outcome.report_path) in summary


# ---------------------------------------------------------------------- found while reading the export


@pytest.mark.parametrize(
    ("kind", "cells", "expected"),
    [
        ("date.unparsable", {"Created": "yesterday"}, (2, "P-1", "created_at")),
        ("date.ambiguous", {"Created": "03/04/2021 10:00"}, (2, "P-1", "created_at")),
        ("field.required_missing", {"Reporter": ""}, (2, "P-1", "created_by")),
    ],
)
def test_source_errors(tmp_path: Path, kind: str, cells: dict[str, str], expected: tuple[Any, ...]) -> None:
    outcome = run_validate(tmp_path, [row(1, **cells)])
    finding = outcome.one(kind)
    assert finding["severity"] == "error" and where(finding) == expected
    assert outcome.result.exit_code == 1


def test_dst_gap_is_a_warning(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1, Created="2021-03-28 02:30")])  # Europe/Berlin springs forward
    finding = outcome.one("date.dst_gap")
    assert finding["severity"] == "warning" and where(finding) == (2, "P-1", "created_at")


def test_ragged_row(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1), row(2)[:-3]])
    finding = outcome.one("csv.ragged_row")
    assert finding["severity"] == "error" and (finding["row"], finding["key"]) == (3, "P-2")


def test_duplicate_source_key(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1), row(2), row(1, Summary="again")])
    finding = outcome.one("source.duplicate_key")
    assert finding["severity"] == "error" and (finding["row"], finding["key"]) == (4, "P-1")


def test_child_in_separate_file_for_an_issue_outside_the_export(tmp_path: Path) -> None:
    mapping = mapping_with(
        source__comments={
            "file": "comments*.csv",
            "fields": {"issue": "Issue key", "author": "Author", "created_at": "Created", "text": "Body"},
        }
    )
    comments = (
        "Issue key,Author,Created,Body\r\nP-1,bob@example.com,2021-06-02 10:00,fine\r\n"
        "P-404,bob@example.com,2021-06-02 10:00,lost\r\n"
    )
    outcome = run_validate(tmp_path, [row(1)], mapping=mapping, extra_files={"comments.csv": comments})
    finding = outcome.one("child.orphan")
    assert finding["severity"] == "error" and finding["file"] == "comments.csv"
    assert (finding["row"], finding["key"], finding["field"]) == (3, "P-404", "comments.issue")
    assert outcome.report["summary"]["counts"]["comments"] == 1


# ---------------------------------------------------------------------- found while translating


@pytest.mark.parametrize(
    ("kind", "cells", "expected"),
    [
        ("value.unmapped", {"Status": "Weird"}, (2, "P-1", "status")),
        ("user.unresolved", {"Reporter": "ghost@nowhere.org"}, (2, "P-1", "created_by")),
        ("summary.too_long", {"Summary": "x" * 256}, (2, "P-1", "summary")),
        ("text.too_long", {"Description": "y" * 512_001}, (2, "P-1", "description")),
        ("field.bad_value", {"Points": "many"}, (2, "P-1", "storyPoints")),
        ("field.bad_option", {"Customer": "Umbrella"}, (2, "P-1", "customer")),
        ("time.future", {"Created": "2099-01-01 10:00", "Updated": ""}, (2, "P-1", "created_at")),
    ],
)
def test_transform_errors(
    tmp_path: Path, kind: str, cells: dict[str, str], expected: tuple[Any, ...]
) -> None:
    outcome = run_validate(tmp_path, [row(1, **cells), row(2)])
    finding = outcome.one(kind)
    assert finding["severity"] == "error" and where(finding) == expected
    assert outcome.result.exit_code == 1
    assert outcome.report["summary"]["counts"]["issues_not_planned"] == 1


def test_missing_file_is_an_error_only_when_the_mapping_says_so(tmp_path: Path) -> None:
    rows = [row(1, Attachment=ATTACHMENT.format(name="gone.txt")), row(2)]
    strict = mapping_with(source__files={"directory": "files", "missing": "error"})
    refused = run_validate(tmp_path / "error", rows, mapping=strict).one("attachment.missing")
    assert refused["severity"] == "error" and where(refused) == (2, "P-1", "attachments[0].location")
    outcome = run_validate(tmp_path / "default", rows)  # source.files.missing: skip-file
    skipped = outcome.one("attachment.missing")
    assert skipped["severity"] == "warning" and where(skipped) == (2, "P-1", "attachments[0].location")
    assert outcome.result.exit_code == 0
    assert outcome.report["summary"]["counts"]["issues_not_planned"] == 0


def test_global_field_option_outside_the_allowed_list(tmp_path: Path) -> None:
    finding = run_validate(tmp_path, [row(1, Severity="S9")]).one("field.bad_option")
    assert where(finding) == (2, "P-1", "severity") and finding["value"] == "S9"


def test_unmapped_value_defaulted_is_a_counted_warning(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1, Priority="Unknown"), row(2, Priority="Unknown"), row(3)])
    assert [where(f) for f in outcome.of_kind("value.defaulted")] == [
        (2, "P-1", "priority"),
        (3, "P-2", "priority"),
    ]
    coverage = {
        (r["source_value"], r["how"]): r["count"]
        for r in outcome.report["value_coverage"]
        if r["field"] == "priority"
    }
    assert coverage == {("Unknown", "default"): 2, ("High", "mapped"): 1}


def test_unresolved_user_with_fallback_shows_evidence(tmp_path: Path) -> None:
    mapping = mapping_with(users={"match": ["email", "login"], "fallback": "admin"})
    outcome = run_validate(tmp_path, [row(1, Reporter="ghost@nowhere.org")], mapping=mapping)
    assert outcome.result.exit_code == 0
    kinds = outcome.kinds()
    assert "user.fallback" in kinds or "user.unresolved" in kinds
    (user,) = [u for u in outcome.report["users"] if u["source_name"] == "ghost@nowhere.org"]
    assert user["login"] == "admin" and user["method"] == "fallback" and user["evidence"]


def test_status_not_in_the_types_workflow(tmp_path: Path) -> None:
    fixture = default_fixture()
    demo = next(q for q in fixture["queues"] if q["key"] == "DEMO")
    demo["workflows"][0]["statuses"].remove("needInfo")
    outcome = run_validate(tmp_path, [row(1, Status="Need Info")], target=default_target(fixture=fixture))
    finding = outcome.one("status.not_in_workflow")
    assert finding["severity"] == "error" and where(finding) == (2, "P-1", "status")


def test_comment_before_the_issue_is_clamped(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1, Comment="2021-05-01 10:00;bob@example.com;too early")])
    finding = outcome.one("time.clamped")
    assert finding["severity"] == "warning" and where(finding) == (2, "P-1", "comments[0].created_at")


def test_lossy_markup_is_reported_and_summarised(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1, Description="water is H~2~O"), row(2, Description="CO~2~")])
    findings = outcome.of_kind("markup.lossy")
    assert [where(f) for f in findings] == [(2, "P-1", "description"), (3, "P-2", "description")]
    assert outcome.report["extra"]["lossy_markup"] == {"subscript": 2}


def test_attachment_too_large_unreadable_and_duplicate(tmp_path: Path) -> None:
    header = [*HEADER, "Attachment"]
    mapping = mapping_with(
        source__files={"directory": "files", "max_size_mb": 0.00001, "missing": "error"}
    )  # ~10 bytes
    rows = [
        [*row(1, Attachment=ATTACHMENT.format(name="big.txt")), ""],
        [*row(2, Attachment=ATTACHMENT.format(name="folder")), ""],
        [*row(3, Attachment=ATTACHMENT.format(name="a.txt")), ATTACHMENT.format(name="a.txt")],
    ]
    files = {"files/big.txt": "x" * 100, "files/a.txt": "tiny", "files/folder/inner.txt": "-"}
    outcome = run_validate(tmp_path, rows, mapping=mapping, extra_files=files, header=header)
    too_large = outcome.one("attachment.too_large")
    assert too_large["severity"] == "error" and (too_large["row"], too_large["key"]) == (2, "P-1")
    assert too_large["field"].startswith("attachments[0]")
    unreadable = outcome.one("attachment.unreadable")
    assert where(unreadable) == (3, "P-2", "attachments[0].location")
    duplicate = outcome.one("attachment.duplicate")
    assert duplicate["severity"] == "warning" and (duplicate["row"], duplicate["key"]) == (4, "P-3")
    counts = outcome.report["summary"]["counts"]
    assert (counts["attachments"], counts["issues_not_planned"]) == (
        3,
        2,
    )  # the export's files, planned or not
    assert counts["attachment_bytes"] == 4  # sizes are known for resolved (planned) files only


def with_key(number: int, key: str, **cells: str) -> list[str]:
    values = row(number, **cells)
    values[HEADER.index("Issue key")] = key
    return values


ISSUE_FIELDS = base_mapping()["source"]["issues"]["fields"]
KEEP_KEYS = {"target": {"queue": "DEMO", "namespace": "e2e", "keep_keys": True}}


@pytest.mark.parametrize(
    ("kind", "rows", "changes", "expected"),
    [
        ("key.not_numbered", [with_key(1, "ABC")], KEEP_KEYS, (2, "ABC", "key")),
        ("cell.pattern_mismatch", [row(1, Attachment="just-a-name")], {}, (2, "P-1", "Attachment")),
        (
            "value.unknown_in_target",
            [row(1)],
            {"values__type": {"map": {"Bug": "defect"}, "unmapped": "error"}},
            (2, "P-1", "type"),
        ),
        (
            "value.unmapped",
            [row(1), row(2, **{"Link (Relates)": "P-1"})],
            {"values__link": {"map": {}, "unmapped": "error"}},
            (3, "P-2", "links[0].relationship"),
        ),
        (
            "duration.unparsable",
            [row(1, Points="abc")],
            {"source__issues__fields": {**ISSUE_FIELDS, "original_estimation": "Points"}, "fields": []},
            (2, "P-1", "original_estimation"),
        ),
        (
            "number.unparsable",
            [row(1, Points="abc")],
            {"source__issues__fields": {**ISSUE_FIELDS, "story_points": "Points"}, "fields": []},
            (2, "P-1", "story_points"),
        ),
        (
            "field.unknown",
            [row(1, Severity="S1")],
            {"fields": [{"target": "noSuchField", "from": "custom.severity", "type": "string"}]},
            (2, "P-1", "noSuchField"),
        ),
        (
            "date.unparsable",
            [row(1, Comment="garbage;bob@example.com;hi")],
            {},
            (2, "P-1", "comments.created_at"),
        ),
        ("field.required_missing", [row(1, Summary="")], {}, (2, "P-1", "summary")),
        (
            "parent.multiple",
            [row(1), row(2), row(3, Parent="P-1", **{"Link (Relates)": "P-2"})],
            {"values__link": {"map": {"relates to": "is subtask for"}, "unmapped": "error"}},
            (4, "P-3", "parent"),
        ),
    ],
)
def test_more_error_kinds(
    tmp_path: Path, kind: str, rows: list[list[str]], changes: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    outcome = run_validate(tmp_path, rows, mapping=mapping_with(**changes), existing_keys=lambda keys: {})
    finding = outcome.one(kind)
    assert finding["severity"] == "error" and where(finding) == expected
    assert outcome.result.exit_code == 1 and outcome.report["summary"]["by_kind"][kind]["blocking"] == 1


# ---------------------------------------------------------------------- global checks


def test_link_to_an_issue_outside_the_export(tmp_path: Path) -> None:
    outcome = run_validate(tmp_path, [row(1), row(2, **{"Link (Relates)": "X-9"})])
    finding = outcome.one("link.dangling")
    assert (
        finding["severity"] == "error" and where(finding) == (3, "P-2", "links") and finding["value"] == "X-9"
    )


def test_parent_outside_the_export(tmp_path: Path) -> None:
    finding = run_validate(tmp_path, [row(1, Parent="P-77")]).one("parent.dangling")
    assert (
        finding["severity"] == "error"
        and where(finding) == (2, "P-1", "parent")
        and finding["value"] == "P-77"
    )


def test_parent_cycle_names_every_key(tmp_path: Path) -> None:
    rows = [row(1, Parent="P-3"), row(2, Parent="P-1"), row(3, Parent="P-2"), row(4, Parent="P-1")]
    finding = run_validate(tmp_path, rows).one("parent.cycle")
    assert finding["severity"] == "error" and where(finding) == (2, "P-1", "parent")
    assert finding["value"] == "P-1, P-3, P-2"


def test_keep_keys_two_issues_one_target_key(tmp_path: Path) -> None:
    mapping = mapping_with(target={"queue": "DEMO", "namespace": "e2e", "keep_keys": True})
    rows = [row(1), [*row(2)[:1], "Q-1", *row(2)[2:]]]
    outcome = run_validate(tmp_path, rows, mapping=mapping, existing_keys=lambda keys: {})
    finding = outcome.one("key.duplicate_target")
    assert where(finding) == (3, "Q-1", "key") and finding["value"] == "DEMO-1"


def test_keep_keys_offline_says_collisions_were_not_checked(tmp_path: Path) -> None:
    mapping = mapping_with(target={"queue": "DEMO", "namespace": "e2e", "keep_keys": True})
    outcome = run_validate(tmp_path, [row(1)], mapping=mapping)
    assert outcome.one("key.collision_unchecked")["severity"] == "info"
    assert outcome.result.exit_code == 0


# ---------------------------------------------------------------------- run: one pass into the ledger


def test_run_streams_the_plan_into_the_ledger_and_gets_the_same_result(tmp_path: Path) -> None:
    rows = [
        row(1, Comment="2021-06-02 10:00;bob@example.com;hi"),
        row(2, Parent="P-1"),
        row(3, **{"Link (Relates)": "X-1"}),
    ]
    reference = run_validate(tmp_path / "validate", rows)
    config = load_mapping(tmp_path / "validate" / "mapping.yaml")
    findings = Findings()
    prepared = PreparedRun(
        config,
        [tmp_path / "validate" / "issues.csv"],
        default_target(),
        findings,
        PrepareOptions(source_label="issues.csv", target_label="sandbox default fixture"),
    )
    with CheckpointStore(tmp_path / "state.sqlite") as store:
        stats = load_plan(store, prepared.planned(), config.target.namespace, config.target.queue)
    result = prepared.finish()
    assert (
        stats.issues == 3
    )  # a global check (the dangling link) cannot un-plan a streamed issue: it blocks the run
    assert [(f.kind, f.row) for f in result.findings] == [(f["kind"], f["row"]) for f in reference.findings]
    assert result.counts == reference.result.counts and result.exit_code == 1
    assert (
        format_console_summary(result).splitlines()[3:]
        == format_console_summary(reference.result).splitlines()[3:]
    )


# ---------------------------------------------------------------------- against a live sandbox


def import_existing_issue(client: TrackerClient, key: str, unique: str) -> None:
    client.import_issue(
        {
            "queue": "DEMO",
            "key": key,
            "summary": "already here",
            "unique": unique,
            "createdAt": "2020-01-01T00:00:00.000+0000",
            "createdBy": "admin",
        }
    )


def test_key_collision_with_an_issue_already_in_the_queue(tmp_path: Path, sandbox: SandboxServer) -> None:
    client = client_for(sandbox)
    import_existing_issue(client, "DEMO-2", "someone-else:1")
    import_existing_issue(client, "DEMO-3", "e2e:jira:3")  # ours, from an earlier run: not a collision
    mapping = mapping_with(target={"queue": "DEMO", "namespace": "e2e", "keep_keys": True})
    lookup = QueueKeyLookup(client, "DEMO")
    outcome = run_validate(
        tmp_path,
        [row(1), row(2), row(3)],
        mapping=mapping,
        target=load_target_info(client, "DEMO"),
        existing_keys=lookup,
    )
    finding = outcome.one("key.collision")
    assert (
        finding["severity"] == "error"
        and where(finding) == (3, "P-2", "key")
        and finding["value"] == "DEMO-2"
    )


def test_validate_sends_no_write_request(tmp_path: Path, sandbox: SandboxServer) -> None:
    client = client_for(sandbox)
    import_existing_issue(client, "DEMO-9", "other:9")
    sandbox.reset_stats()
    mapping = mapping_with(target={"queue": "DEMO", "namespace": "e2e", "keep_keys": True})
    rows = [
        row(1, Comment="2021-06-02 10:00;bob@example.com;hi", **{"Link (Relates)": "P-2"}),
        row(2, Parent="P-1"),
    ]
    outcome = run_validate(
        tmp_path,
        rows,
        mapping=mapping,
        target=load_target_info(client, "DEMO"),
        existing_keys=QueueKeyLookup(client, "DEMO"),
    )
    assert outcome.result.exit_code == 0, outcome.findings
    stats = sandbox.stats()
    assert stats["requests"] > 0
    assert set(stats["by_kind"]) & WRITE_KINDS == set(), stats
    assert set(stats["by_method"]) <= {"GET", "POST"}, stats
    post_kinds = {"search", "count", "find_by_unique"}
    posts = stats["by_method"].get("POST", 0)
    assert posts == sum(n for kind, n in stats["by_kind"].items() if kind in post_kinds), stats
    assert client.count_issues(queue="DEMO") == 1  # nothing was created


def test_snapshot_offline_validation_and_seeding_a_sandbox(tmp_path: Path, sandbox: SandboxServer) -> None:
    client = client_for(sandbox)
    snapshot = tmp_path / "target.json"
    take_snapshot(client, "DEMO", snapshot)
    data = json.loads(snapshot.read_text(encoding="utf-8"))
    assert "token" not in json.dumps(data["users"])
    assert {q["key"] for q in data["queues"]} == {"DEMO"}
    offline = run_validate(
        tmp_path / "offline", [row(1, Status="Weird"), row(2)], target=load_target_info(snapshot, "DEMO")
    )
    live = run_validate(
        tmp_path / "live", [row(1, Status="Weird"), row(2)], target=load_target_info(client, "DEMO")
    )
    assert [(f["kind"], f["row"]) for f in offline.findings] == [(f["kind"], f["row"]) for f in live.findings]
    with SandboxServer(SandboxConfig(fixture=snapshot, data=tmp_path / "seeded.sqlite")) as seeded:
        seeded_target = load_target_info(client_for(seeded), "DEMO")
        again = run_validate(tmp_path / "seeded", [row(1)], target=seeded_target)
        assert again.result.exit_code == 0


def test_load_target_info_unknown_queue_is_a_config_error(tmp_path: Path) -> None:
    snapshot = tmp_path / "target.json"
    snapshot.write_text(json.dumps(copy.deepcopy(default_fixture())), encoding="utf-8")
    with pytest.raises(ConfigError, match="NOPE"):
        load_target_info(snapshot, "NOPE")
    assert load_target_info(snapshot, "STAGE").queue_key == "STAGE"
