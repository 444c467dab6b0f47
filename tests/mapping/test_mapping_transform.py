"""IssueTransformer: the exact ``_import`` bodies, and what is collected across issues."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from migrator.findings import Findings
from migrator.mapping.config import ExtraField, UsersSpec, ValueMap
from migrator.model import Attachment, Comment, Link, UserRef, Worklog
from migrator.plan import PlannedIssue

from .mapping_helpers import T0, TARGET, child_ref, make_config, make_issue, of_kind, transformer


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "files" / "10001").mkdir(parents=True)
    (tmp_path / "files" / "10001" / "shot.png").write_bytes(b"PNGDATA")
    (tmp_path / "files" / "log.txt").write_bytes(b"log text")
    return tmp_path


def full_issue() -> object:
    return make_issue(
        "PROJ-12",
        description="Hello *world*\r\n * a\r\n * b",
        type="Bug",
        status="In Progress",
        priority="High",
        resolution="Fixed",
        updated_at=T0 + timedelta(days=2),
        updated_by=UserRef("bob"),
        resolved_at=T0 + timedelta(days=1),
        resolved_by=UserRef("x", email="alice@example.com"),
        assignee=UserRef("bob"),
        followers=[UserRef("bob"), UserRef("jsmith")],
        tags=["backend", "urgent", "backend"],
        components=["Backend"],
        affected_versions=["1.0"],
        fix_versions=["2.0"],
        deadline=date(2024, 4, 1),
        start=date(2024, 3, 2),
        end=date(2024, 3, 20),
        original_estimation=timedelta(hours=3),
        spent=timedelta(minutes=90),
        story_points=5,
        custom={"sev": "S2", "customer": "Acme"},
        parent_key="PROJ-10",
        comments=[
            Comment(child_ref("c", "2"), UserRef("bob"), T0 + timedelta(hours=5), "second"),
            Comment(
                child_ref("c", "1"),
                UserRef("alice"),
                T0 + timedelta(hours=1),
                "first {{code}}",
                updated_at=T0 + timedelta(hours=2),
            ),
        ],
        attachments=[
            Attachment(
                child_ref("a", "1"),
                "shot.png",
                "https://jira.example.com/secure/attachment/10001/shot.png",
                T0 + timedelta(hours=1),
                UserRef("bob"),
            ),
            Attachment(child_ref("a", "2"), "log.txt", "log.txt", comment_id="c-2"),
        ],
        links=[
            Link(
                child_ref("l", "1"), "PROJ-12", "PROJ-3", "blocks", T0 + timedelta(hours=3), UserRef("alice")
            )
        ],
        worklogs=[
            Worklog(
                child_ref("w", "1"),
                UserRef("bob"),
                T0 + timedelta(hours=4),
                timedelta(hours=1, minutes=30),
                comment="did it",
            )
        ],
    )


def test_full_issue_import_bodies_are_exact(files: Path) -> None:
    config = make_config(
        markup="jira",
        fields=[
            ExtraField("storyPoints", "story_points", "float"),
            ExtraField("severity", "custom.sev", "string"),
            ExtraField("customer", "custom.customer", "string", local=True),
        ],
    )
    t = transformer(config, source_dir=files)
    planned = t.transform(full_issue())  # type: ignore[arg-type]

    assert [f.kind for f in t.findings] == ["local_fields.updated_at_moves"]  # the customer field
    assert planned is not None
    assert planned.body == {
        "queue": "DEMO",
        "unique": "test:jira:10012",
        "summary": "Issue PROJ-12",
        "description": "Hello **world**\n\n- a\n- b",
        "markupType": "md",
        "type": "bug",
        "status": "inProgress",
        "priority": "critical",
        "createdAt": "2024-03-01T09:00:00.000+0000",
        "createdBy": "alice",
        "updatedAt": "2024-03-03T09:00:00.000+0000",
        "updatedBy": "bob",
        "resolution": "fixed",
        "resolvedAt": "2024-03-02T09:00:00.000+0000",
        "resolvedBy": "alice",
        "assignee": "bob",
        "followers": ["bob", "alice"],
        "tags": ["backend", "urgent"],
        "components": [11],
        "affectedVersions": [21],
        "fixVersions": [22],
        "deadline": "2024-04-01",
        "start": "2024-03-02",
        "end": "2024-03-20",
        "originalEstimation": 10_800_000,
        "spent": 5_400_000,
        "storyPoints": 5.0,
        "severity": "S2",
    }
    assert list(planned.body)[:4] == ["queue", "unique", "summary", "description"]
    assert planned.local_fields == {"5f0c0ffee0c0ffee0c0ffee0--customer": "Acme"}
    assert planned.parent_key == "PROJ-10"

    # comments in createdAt order; the file of comment c-2 travels with it
    assert [c.body for c in planned.comments] == [
        {
            "text": "first `code`",
            "createdAt": "2024-03-01T10:00:00.000+0000",
            "createdBy": "alice",
            "updatedAt": "2024-03-01T11:00:00.000+0000",
            "updatedBy": "alice",
            "markupType": "md",
        },
        {
            "text": "second",
            "createdAt": "2024-03-01T14:00:00.000+0000",
            "createdBy": "bob",
            "markupType": "md",
        },
    ]
    assert [c.source_id for c in planned.comments] == [
        "test:jira:10012/comment:c-1",
        "test:jira:10012/comment:c-2",
    ]
    (comment_file,) = planned.comments[1].attachments
    assert (comment_file.filename, comment_file.created_at, comment_file.created_by, comment_file.size) == (
        "log.txt",
        "2024-03-01T14:00:00.000+0000",
        "bob",
        8,
    )
    assert comment_file.path == str(files / "files" / "log.txt")

    (issue_file,) = planned.attachments
    assert issue_file.path == str(files / "files" / "10001" / "shot.png")
    assert issue_file.sha256 == "2d4566582844690f8634a8b2534ea5221560038c6c0650c99140759bad603ae2"
    assert (issue_file.size, issue_file.created_at, issue_file.created_by) == (
        7,
        "2024-03-01T10:00:00.000+0000",
        "bob",
    )

    assert [w.body for w in planned.worklogs] == [
        {
            "start": "2024-03-01T13:00:00.000+0000",
            "duration": "PT1H30M",
            "createdAt": "2024-03-01T13:00:00.000+0000",
            "createdBy": "bob",
            "comment": "did it",
        }
    ]
    assert [
        (lk.source_id, lk.to_source_key, lk.relationship, lk.created_at, lk.created_by)
        for lk in planned.links
    ] == [
        (
            "link:PROJ-12|is dependent by|PROJ-3",
            "PROJ-3",
            "is dependent by",
            "2024-03-01T12:00:00.000+0000",
            "alice",
        ),
        (
            "link:PROJ-10|is parent task for|PROJ-12",
            "PROJ-10",
            "is subtask for",
            "2024-03-01T09:00:00.000+0000",
            "alice",
        ),
    ]
    # the plan survives its own serialisation (the executor stores it)
    assert PlannedIssue.from_dict(planned.to_dict()) == planned


def test_minimal_issue_has_only_the_required_fields_and_the_window() -> None:
    planned = transformer().transform(make_issue())
    assert planned is not None
    assert planned.body == {
        "queue": "DEMO",
        "unique": "test:jira:1001",
        "summary": "Issue PROJ-1",
        "createdAt": "2024-03-01T09:00:00.000+0000",
        "createdBy": "alice",
        "updatedAt": "2024-03-01T09:00:00.000+0000",
        "updatedBy": "alice",
    }
    assert (planned.comments, planned.attachments, planned.worklogs, planned.links) == ([], [], [], [])


def test_estimates_are_milliseconds_and_round_to_the_millisecond() -> None:
    issue = make_issue(original_estimation=timedelta(days=1, seconds=1.0004), spent=timedelta(milliseconds=1))
    planned = transformer().transform(issue)
    assert planned is not None
    assert planned.body["originalEstimation"] == 86_401_000
    assert planned.body["spent"] == 1


def test_markup_type_is_left_out_when_not_configured() -> None:
    planned = transformer(make_config(markup_type=None)).transform(
        make_issue(description="text", comments=[Comment(child_ref("c", "1"), UserRef("bob"), T0, "hi")])
    )
    assert planned is not None
    assert "markupType" not in planned.body
    assert "markupType" not in planned.comments[0].body


def test_keep_keys_uses_the_number_of_the_source_key() -> None:
    planned = transformer(make_config(keep_keys=True)).transform(make_issue("PROJ-0042"))
    assert planned is not None
    assert planned.body["key"] == "DEMO-42"


def test_timestamps_are_utc_milliseconds() -> None:
    from datetime import datetime, timezone

    moscow = timezone(timedelta(hours=3))
    planned = transformer().transform(
        make_issue(created_at=datetime(2024, 3, 1, 12, 0, 0, 123987, tzinfo=moscow))
    )
    assert planned is not None
    assert planned.body["createdAt"] == "2024-03-01T09:00:00.123+0000"


def test_components_and_versions_by_value_map_name_or_id() -> None:
    values = {
        "components": ValueMap({"BE": "backend", "Web": "12"}),
        "versions": ValueMap({"v1": "1.0"}, "keep"),
    }
    t = transformer(make_config(values=values))
    planned = t.transform(make_issue(components=["BE", "Web", "BE"], fix_versions=["v1", "2.0"]))
    assert planned is not None
    assert planned.body["components"] == [11, 12]
    assert planned.body["fixVersions"] == [21, 22]
    assert [f.kind for f in t.findings] == ["value.kept"]


def test_tags_go_through_the_tags_map_when_there_is_one() -> None:
    values = {"tags": ValueMap({"be": "backend", "noise": None}, "ignore")}
    t = transformer(make_config(values=values))
    planned = t.transform(make_issue(tags=["be", "noise", "other"]))
    assert planned is not None
    assert planned.body["tags"] == ["backend"]
    assert [(f.kind, f.value) for f in t.findings] == [("value.ignored", "other")]


def test_extra_fields_convert_to_their_declared_type() -> None:
    from datetime import UTC, datetime

    config = make_config(
        fields=[
            ExtraField("businessValue", "custom.bv", "int"),
            ExtraField("reviewer", "custom.rev", "user"),
            ExtraField("dueAt", "custom.due", "datetime"),
            ExtraField("budget", "custom.budget", "float", local=True),
            ExtraField("severity", "custom.sev", "string", map={"blocker": "S1"}),
        ]
    )
    issue = make_issue(
        custom={
            "bv": "12",
            "rev": "bob@example.com",
            "due": datetime(2024, 5, 1, 10, tzinfo=UTC),
            "budget": "1,5",
            "sev": "blocker",
        }
    )
    t = transformer(config)
    planned = t.transform(issue)
    assert [f.kind for f in t.findings] == ["local_fields.updated_at_moves"]  # the budget field
    assert planned is not None
    assert (
        planned.body["businessValue"],
        planned.body["reviewer"],
        planned.body["dueAt"],
        planned.body["severity"],
    ) == (12, "bob", "2024-05-01T10:00:00.000+0000", "S1")
    assert planned.local_fields == {"5f0c0ffee0c0ffee0c0ffee0--budget": 1.5}


def test_empty_extra_field_values_are_not_sent() -> None:
    t = transformer(
        make_config(fields=[ExtraField("severity", "custom.sev"), ExtraField("nope", "custom.none")])
    )
    planned = t.transform(make_issue(custom={"sev": "  "}))
    assert planned is not None and "severity" not in planned.body
    assert list(t.findings) == []


def test_an_issue_with_errors_is_not_planned_and_every_error_is_reported() -> None:
    t = transformer()
    planned = t.transform(
        make_issue(summary="", status="Weird", created_by=UserRef("ghost"), resolution="Nope")
    )
    assert planned is None
    assert sorted(f.kind for f in t.findings.errors) == [
        "summary.empty",
        "user.unresolved",
        "value.unmapped",
        "value.unmapped",
    ]


def test_coverage_distributions_and_user_rows_are_collected_across_issues() -> None:
    t = transformer()
    for number, status in enumerate(["Open", "Open", "Done", "Open"], start=1):
        t.transform(make_issue(f"PROJ-{number}", status=status, priority="Urgent"))
    coverage = {(r.field, r.source_value): (r.target_value, r.how, r.count) for r in t.coverage}
    assert coverage[("status", "Open")] == ("open", "mapped", 3)
    assert coverage[("status", "Done")] == ("closed", "mapped", 1)
    assert coverage[("priority", "Urgent")] == ("normal", "default", 4)
    assert t.distributions["status"] == [("Open", "open", 3), ("Done", "closed", 1)]
    (row,) = t.user_rows
    assert (row.source_name, row.login, row.method, row.count) == (
        "jsmith",
        "alice",
        "explicit",
        4,
    )  # one reference per issue


def test_lossy_markup_is_counted_and_reported_per_text() -> None:
    t = transformer(make_config(markup="jira"))
    t.transform(
        make_issue(
            description="H~2~O and [~ghost]",
            comments=[Comment(child_ref("c", "1"), UserRef("bob"), T0, "{color:#123456}x{color}")],
        )
    )
    assert t.lossy == {"subscript": 1, "mention_unmapped": 1, "color": 1}
    assert [(f.field, f.value, f.severity.value) for f in of_kind(t.findings, "markup.lossy")] == [
        ("comments[0].text", "color", "info"),
        ("description", "mention_unmapped, subscript", "info"),
    ]


def test_the_default_sandbox_fixture_works_as_a_target() -> None:
    import yaml

    import migrator

    fixture = Path(migrator.__file__).parent / "sandbox" / "default_fixture.yaml"
    data = yaml.safe_load(fixture.read_text(encoding="utf-8"))
    config = make_config(fields=[ExtraField("customer", "custom.customer", local=True)])
    t = transformer(config, target_data=data)
    planned = t.transform(
        make_issue(
            type="Story",
            status="Resolved",
            resolution="Fixed",
            components=["Docs"],
            custom={"customer": "Initech"},
        )
    )
    assert [f.kind for f in t.findings] == ["resolution.no_date", "local_fields.updated_at_moves"]
    assert planned is not None
    assert planned.body["components"] == [3]
    (local_id,) = planned.local_fields
    assert local_id.endswith("--customer") and len(local_id.split("--")[0]) == 24
    assert TARGET["queues"][0]["key"] == "DEMO"


def test_a_local_field_announces_that_its_patch_moves_the_issue_stamps(files: Path) -> None:
    """Local fields are PATCHed after the import (no _import body takes them): the issue's
    updatedAt/updatedBy become the run's time and the token's user — a warning naming the issue, the
    fields and the export's stamps. Without local fields there is nothing to announce."""
    local = make_config(
        fields=[
            ExtraField("customer", "custom.customer", "string", local=True),
            ExtraField("budget", "custom.budget", "float", local=True),
            ExtraField("severity", "custom.sev", "string"),
        ]
    )
    issue = full_issue()
    issue.custom["budget"] = "2.5"
    t = transformer(local, source_dir=files)
    planned = t.transform(issue)  # type: ignore[arg-type]
    assert planned is not None
    [finding] = [f for f in t.findings if f.kind == "local_fields.updated_at_moves"]
    assert finding.severity == "warning" and finding.key == "PROJ-12" and finding.field == "updatedAt"
    assert "customer, budget" in finding.message
    assert "the run's time as updatedAt and the token's user as updatedBy" in finding.message
    stamps = f"the export says {planned.body['updatedAt']} by {planned.body['updatedBy']}"
    assert stamps in finding.message and finding.value == planned.body["updatedAt"]

    only_global = make_config(fields=[ExtraField("severity", "custom.sev", "string")])
    t = transformer(only_global, source_dir=files)
    assert t.transform(full_issue()) is not None  # type: ignore[arg-type]
    assert [f.kind for f in t.findings if f.kind.startswith("local_fields.")] == []


def test_users_map_null_leaves_the_assignee_empty_and_says_so_once() -> None:
    findings = Findings()
    users = UsersSpec(map={"jsmith": "alice", "Unassigned": None, "ghost": None}, fallback="admin")
    t = transformer(make_config(users=users), findings=findings)
    first = t.transform(make_issue("PROJ-1", assignee=UserRef("Unassigned")))
    second = t.transform(make_issue("PROJ-2", assignee=UserRef("Unassigned"), created_by=UserRef("ghost")))
    assert first is not None and second is not None
    assert "assignee" not in first.body and "assignee" not in second.body
    assert second.body["createdBy"] == "admin"  # an author cannot be nobody: the fallback writes it
    nobody = [f for f in findings if f.kind == "user.nobody"]
    assert [(f.severity.value, f.value) for f in nobody] == [("info", "Unassigned")]  # once per user
    assert not [f for f in findings if f.severity.value == "error"]
