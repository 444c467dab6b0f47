"""Lookups, JSON in a cell, Name <email>, constants and regex extraction — the raw value of a field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.model import UserRef
from migrator.sources.extract import name_email, regex_value

from .sources_helpers import make_config, of_kind, read_all, write_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lang"
MEMBERS = {"file": "project_members.ndjson", "key": "user_id", "value": "user"}


def _gitlab(tmp_path: Path, **extra: Any) -> Any:
    return make_config(
        tmp_path,
        {"format": "ndjson", "issues": {"file": "gitlab_issues.ndjson"}, **extra},
        fields={
            "id": "iid",
            "key": "iid",
            "summary": "title",
            "created_at": "created_at",
            "created_by": {"column": "author_id", "lookup": MEMBERS},
            "assignee": {"column": "issue_assignees[].user_id", "lookup": MEMBERS},
            "tags": "label_links[].label.title",
        },
    )


def test_gitlab_author_ids_are_joined_to_the_members_file(tmp_path: Path) -> None:
    comments = {
        "path": "notes",
        "where": {"system": False},
        "fields": {
            "author": {"column": "author_id", "lookup": MEMBERS},
            "created_at": "created_at",
            "text": "note",
        },
    }
    config = _gitlab(tmp_path, comments=comments)
    issues, findings = read_all(
        config, FIXTURES / "gitlab_issues.ndjson", FIXTURES / "project_members.ndjson"
    )
    assert len(issues) == 2  # the members file is a lookup table, not an export of issues
    one = issues[0]
    assert one.created_by == UserRef(name="alice", email=None, display=None)
    assert one.assignee is not None and one.assignee.name == "bbrown"
    assert [c.author.name for c in one.comments] == ["bbrown", "99"]  # 99 left the project
    (missing,) = of_kind(findings, "lookup.missing")
    assert missing.value == "99" and missing.severity.value == "warning"


def test_a_lookup_file_that_matches_no_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MigratorError, match="lookup.file 'project_members.ndjson' matches none"):
        read_all(_gitlab(tmp_path), FIXTURES / "gitlab_issues.ndjson")


def test_trello_ids_are_joined_to_sections_of_the_same_board(tmp_path: Path) -> None:
    created = {"section": "actions", "key": "data.card.id", "where": {"type": "createCard"}}
    config = make_config(
        tmp_path,
        {"format": "json", "issues": {"records": "cards"}},
        fields={
            "id": "id",
            "key": "idShort",
            "summary": "name",
            "created_at": {"column": "id", "lookup": {**created, "value": "date"}},
            "created_by": {"column": "id", "lookup": {**created, "value": "memberCreator"}},
            "status": {"column": "idList", "lookup": {"section": "lists", "key": "id", "value": "name"}},
            "tags": {"column": "idLabels", "lookup": {"section": "labels", "key": "id", "value": "name"}},
            "followers": {"column": "idMembers", "lookup": {"section": "members", "key": "id", "value": ""}},
        },
    )
    (press, landing), findings = read_all(config, FIXTURES / "trello_board.json")
    assert press.status == "Doing" and landing.status == "Done"
    assert press.tags == ["urgent", "marketing"] and landing.tags == []
    assert press.created_by.name == "alice" and landing.created_by.name == "bobbrown"
    assert press.created_at.isoformat() == "2024-06-10T09:00:00+00:00"
    assert [f.name for f in press.followers] == ["bobbrown"]
    assert not findings.errors and not of_kind(findings, "lookup.missing")


def test_jira_cloud_account_ids_joined_to_a_users_file(tmp_path: Path) -> None:
    users = {"file": "jira_users.csv", "key": "User id", "value": "email"}
    config = make_config(
        tmp_path,
        {"date_formats": ["%d/%b/%y %I:%M %p"], "issues": {"file": "jira_cloud.csv"}},
        fields={
            "created_by": {"column": "Reporter Id", "lookup": users},
            "assignee": {"column": "Assignee Id", "lookup": users},
        },
    )
    issues, findings = read_all(config, FIXTURES / "jira_cloud.csv", FIXTURES / "jira_users.csv")
    assert [i.created_by.name for i in issues] == ["bob@example.com", "bob@example.com"]
    assert issues[0].assignee == UserRef(name="alice@example.com")
    assert issues[1].assignee is None and not findings.errors


def test_azure_devops_name_email_cells_and_constants(tmp_path: Path) -> None:
    rows = [
        ["ID", "Work Item Type", "Title", "Assigned To", "Created Date", "Created By"],
        [
            "101",
            "Bug",
            "Crash",
            "Alice Anderson <alice@example.com>",
            "2024-05-01T10:00:00",
            "bob@example.com",
        ],
    ]
    config = make_config(
        tmp_path,
        {},
        fields={
            "id": "ID",
            "key": "ID",
            "summary": "Title",
            "created_at": "Created Date",
            "created_by": "Created By",
            "assignee": {"column": "Assigned To", "parse": "name_email"},
            "type": "Work Item Type",
            "priority": {"const": "normal"},
        },
    )
    (issue,), _ = read_all(config, write_csv(tmp_path / "wi.csv", rows))
    assert issue.assignee == UserRef(
        name="alice@example.com", email="alice@example.com", display="Alice Anderson"
    )
    assert issue.priority == "normal"


def test_clickup_json_cells_become_comments_and_values(tmp_path: Path) -> None:
    comments = (
        '[{"text": "Please review", "by": "bob@example.com", "date": 1741154564000},'
        ' {"text": "Shipped", "by": "alice@example.com", "date": 1744209612000}]'
    )
    rows = [
        ["Task ID", "Task Name", "Date Created", "Attachments", "Comments", "Priority"],
        [
            "86c2x1a7q",
            "Onboarding v2",
            "1740986100000",
            '[{"title": "steps.png", "url": "https://x/steps.png"}]',
            comments,
            "2",
        ],
        ["86c2x1a8m", "Welcome screen", "1740987000000", "[]", "[]", "null"],
    ]
    config = make_config(
        tmp_path,
        {
            "comments": {
                "column": "Comments",
                "parse": "json",
                "fields": {"text": "text", "author": "by", "created_at": {"column": "date", "epoch": "ms"}},
            }
        },
        fields={
            "id": "Task ID",
            "key": "Task ID",
            "summary": "Task Name",
            "created_at": {"column": "Date Created", "epoch": "ms"},
            "created_by": {"const": "clickup"},
            "priority": {"column": "Priority", "parse": "json"},
            "tags": {"column": "Attachments", "parse": "json", "path": "[].title"},
        },
    )
    (one, two), findings = read_all(config, write_csv(tmp_path / "tasks.csv", rows))
    assert [(c.author.name, c.text) for c in one.comments] == [
        ("bob@example.com", "Please review"),
        ("alice@example.com", "Shipped"),
    ]
    assert one.comments[0].created_at.isoformat() == "2025-03-05T06:02:44+00:00"
    assert one.created_at.isoformat() == "2025-03-03T07:15:00+00:00"
    assert one.priority == "2" and two.priority is None  # JSON null is empty
    assert one.tags == ["steps.png"] and two.tags == [] and two.comments == []
    assert not findings.errors


def test_a_cell_that_is_not_json_is_reported(tmp_path: Path) -> None:
    rows = [
        ["Issue id", "Issue key", "Summary", "Created", "Reporter", "Meta"],
        ["1", "A-1", "s", "2021-06-01", "al", "{oops"],
    ]
    config = make_config(tmp_path, {}, fields={"description": {"column": "Meta", "parse": "json"}})
    (issue,), findings = read_all(config, write_csv(tmp_path / "i.csv", rows))
    (bad,) = of_kind(findings, "value.not_json")
    assert bad.row == 2 and bad.field == "source.issues.fields.description" and issue.description is None


def test_redmine_related_issues_cell_becomes_several_links(tmp_path: Path) -> None:
    rows = [
        ["#", "Subject", "Created", "Author", "Related issues"],
        ["1", "Parent work", "2021-06-01", "al", "Follows #2 (1 day), Related to #5, Blocks #3"],
        ["2", "Groundwork", "2021-06-01", "al", ""],
    ]
    config = make_config(
        tmp_path,
        {
            "link_ref": "id",
            "links": {
                "column": "Related issues",
                "regex": r"(?P<relationship>[A-Za-z ]+?) #(?P<to>\d+)",
            },
        },
        fields={"id": "#", "key": "#", "summary": "Subject", "created_at": "Created", "created_by": "Author"},
    )
    (one, _), findings = read_all(config, write_csv(tmp_path / "issues.csv", rows))
    assert [(link.relationship, link.to_key) for link in one.links] == [
        ("Follows", "2"),
        ("Related to", "5"),
        ("Blocks", "3"),
    ]


def test_name_email_and_regex_value() -> None:
    assert name_email('"Smith, John" <john@example.com>') == {
        "email": "john@example.com",
        "displayName": "Smith, John",
    }
    assert name_email("<x@example.com>") == {"email": "x@example.com"}
    assert name_email("just a name") == "just a name"
    assert regex_value(r"^\[(?P<value>.*)\]$", "[build, ios]") == "build, ios"
    assert regex_value(r"#(\d+)", "see #42") == "42"
    assert regex_value(r"\d+", "no digits") is None
