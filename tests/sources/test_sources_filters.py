"""where: filters on records and children — GitHub pull requests, GitLab system notes, Trello
actions that are not comments, Redmine journal entries that only change fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrator.sources.filters import passes
from migrator.sources.records import resolve_path
from migrator.sources.spec import FilterGroup, FilterTest

from .sources_helpers import make_config, of_kind, read_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lang"


def test_github_pull_requests_are_skipped_with_their_comments(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        {
            "format": "json",
            "issues": {"file": "github_issues.json", "where": {"pull_request": {"exists": False}}},
            "comments": {
                "file": "github_comments.json",
                "fields": {
                    "issue": "issue_number",
                    "author": "user.login",
                    "created_at": "created_at",
                    "text": "body",
                },
            },
        },
        fields={
            "id": "id",
            "key": "number",
            "summary": "title",
            "created_at": "created_at",
            "created_by": "user.login",
        },
    )
    issues, findings = read_all(config, FIXTURES / "github_issues.json", FIXTURES / "github_comments.json")
    assert [i.key for i in issues] == ["1", "3"]
    assert [c.text for c in issues[0].comments] == ["Reproduced on 2.3"]
    assert not of_kind(findings, "child.orphan")  # the PR's comment went with the PR
    filtered = {f.field: f.value for f in of_kind(findings, "source.filtered")}
    assert filtered == {
        "source.issues.where": "1",
        "source.issues.where (the comments of skipped issues)": "1",
    }
    assert {f.severity.value for f in of_kind(findings, "source.filtered")} == {"info"}


def test_gitlab_system_notes_are_not_comments(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        {
            "format": "ndjson",
            "issues": {"file": "gitlab_issues.ndjson"},
            "comments": {
                "path": "notes",
                "where": {"system": False},
                "fields": {"author": "author.name", "created_at": "created_at", "text": "note"},
            },
        },
        fields={
            "id": "iid",
            "key": "iid",
            "summary": "title",
            "created_at": "created_at",
            "created_by": "author_id",
        },
    )
    issues, findings = read_all(config, FIXTURES / "gitlab_issues.ndjson")
    assert [[c.text for c in i.comments] for i in issues] == [
        ["Profiled it: the N+1 query", "Closing in favour of #7"],
        [],
    ]
    (filtered,) = of_kind(findings, "source.filtered")
    assert filtered.field == "source.comments.where" and filtered.value == "2"


def test_trello_comments_are_the_comment_actions(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        {
            "format": "json",
            "issues": {"records": "cards"},
            "comments": {
                "records": "actions",
                "where": {"type": "commentCard"},
                "fields": {
                    "issue": "data.card.id",
                    "id": "id",
                    "author": "memberCreator",
                    "created_at": "date",
                    "text": "data.text",
                },
            },
        },
        fields={
            "id": "id",
            "key": "idShort",
            "summary": "name",
            "created_at": "dateLastActivity",
            "created_by": {"const": "trello"},
        },
    )
    issues, findings = read_all(config, FIXTURES / "trello_board.json")
    assert [[(c.author.name, c.text) for c in i.comments] for i in issues] == [
        [("bobbrown", "First draft is in the doc")],
        [],
    ]
    (filtered,) = of_kind(findings, "source.filtered")
    assert (filtered.field, filtered.value) == ("source.comments.where", "3")


REDMINE_ISSUE = {
    "id": 212,
    "subject": "Sync orders to 1C",
    "created_on": "2025-01-15T07:00:00Z",
    "author": {"id": 5, "name": "Alice Anderson"},
    "journals": [
        {
            "id": 901,
            "user": {"id": 7, "name": "Boris Braun"},
            "notes": "",
            "created_on": "2025-01-16T08:00:00Z",
            "details": [
                {"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"},
                {"property": "attr", "name": "assigned_to_id", "old_value": None, "new_value": "7"},
            ],
        },
        {
            "id": 902,
            "user": {"id": 5, "name": "Alice Anderson"},
            "notes": "Mapping table is in the wiki",
            "created_on": "2025-01-17T08:00:00Z",
            "details": [],
        },
    ],
}


def _redmine(tmp_path: Path, comments: dict[str, Any]) -> Any:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"issues": [REDMINE_ISSUE]}), encoding="utf-8")
    fields = {"id": "id", "author": "user.name", "created_at": "created_on", "text": "notes"}
    config = make_config(
        tmp_path,
        {
            "format": "json",
            "issues": {"records": "issues"},
            "comments": {"path": "journals", "fields": fields, **comments},
        },
        fields={
            "id": "id",
            "key": "id",
            "summary": "subject",
            "created_at": "created_on",
            "created_by": "author.name",
        },
    )
    return read_all(config, path)


def test_redmine_journal_entries_that_only_change_fields_are_skipped(tmp_path: Path) -> None:
    (issue,), findings = _redmine(tmp_path, {"where": {"notes": {"empty": False}}})
    assert [c.text for c in issue.comments] == ["Mapping table is in the wiki"]
    assert of_kind(findings, "source.filtered")[0].value == "1"


def test_redmine_field_changes_can_become_a_comment_listing_them(tmp_path: Path) -> None:
    (issue,), findings = _redmine(tmp_path, {"changes": True})
    assert [c.text for c in issue.comments] == [
        "Changed:\n- status_id: 1 → 2\n- assigned_to_id: — → 7",
        "Mapping table is in the wiki",
    ]
    assert not findings.errors


RECORD = {
    "type": "commentCard",
    "labels": [{"name": "bug"}, {"name": "ui"}],
    "system": False,
    "n": 3,
    "pr": None,
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (FilterTest("type", "equals", "commentCard"), True),
        (FilterTest("type", "in", ("createCard", "updateCard")), False),
        (FilterTest("labels[].name", "equals", "ui"), True),  # any item of a list
        (FilterTest("system", "equals", False), True),  # compared as text: false == "false"
        (FilterTest("n", "equals", "3"), True),
        (FilterTest("pr", "exists", False), True),
        (FilterTest("missing", "empty", True), True),
        (FilterTest("type", "matches", r"^comment"), True),
        (FilterGroup("not", (FilterTest("type", "equals", "commentCard"),)), False),
        (FilterGroup("any", (FilterTest("n", "equals", 4), FilterTest("system", "equals", "false"))), True),
    ],
)
def test_filter_operators(spec: Any, expected: bool) -> None:
    assert passes(spec, lambda path: resolve_path(RECORD, path)) is expected
