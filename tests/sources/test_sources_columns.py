"""Column candidates and optional columns: one mapping reads Jira Server and Jira Cloud CSV exports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError

from .sources_helpers import make_config, of_kind, read_all, write_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lang"

# One preset for both generations of Jira's CSV header (Server ≤ 2017 vs Cloud), see
# ../shared/reference/export-formats.md §1a.
JIRA_FIELDS: dict[str, Any] = {
    "id": "Issue id",
    "key": "Issue key",
    "summary": "Summary",
    "created_at": "Created",
    "created_by": "Reporter",
    "type": "Issue Type",
    "status": "Status",
    "parent": ["Parent id", "Parent"],
    "deadline": {"column": ["Due Date", "Due date"], "date_formats": ["%d/%b/%y %I:%M %p"]},
    "fix_versions": ["Fix Version/s", "Fix versions"],
    "components": ["Component/s", "Components"],
    "original_estimation": ["Original Estimate", "Original estimate"],
    "resolved_at": "Resolved",  # neither export has it: optional, an info finding
}


def _jira_config(tmp_path: Path) -> Any:
    source = {
        "system": "jira",
        "date_formats": ["%d/%b/%y %I:%M %p"],
        "parent_ref": "id",
        "comments": {"column": "Comment", "pattern": "{created_at};{author};{text}"},
        "links": {"columns": {"Outward issue link (Blocks)": "blocks"}},  # absent: only there when used
    }
    return make_config(tmp_path, source, fields=JIRA_FIELDS)


@pytest.mark.parametrize(
    ("name", "keys", "parent_column"),
    [
        ("jira_server.csv", ["TND-12", "TND-13"], "Parent id"),
        ("jira_cloud.csv", ["WEB-7", "WEB-8"], "Parent"),
    ],
)
def test_one_mapping_reads_server_and_cloud_headers(
    tmp_path: Path, name: str, keys: list[str], parent_column: str
) -> None:
    (first, second), findings = read_all(_jira_config(tmp_path), FIXTURES / name)
    assert [first.key, second.key] == keys
    assert second.parent_key == keys[0]  # the parent id resolved to its key, whichever column held it
    assert first.deadline is not None and first.components and first.fix_versions
    assert first.original_estimation in (timedelta(hours=2), timedelta(hours=4))
    used = {f.field: f.value for f in of_kind(findings, "source.column_used")}
    assert used["source.issues.fields.parent"] == parent_column
    absent = of_kind(findings, "source.column_absent")
    assert {f.field for f in absent} == {"source.issues.fields.resolved_at", "source.links.columns"}
    assert {f.severity.value for f in absent} == {"info"}
    assert all(f.file == name for f in absent + of_kind(findings, "source.column_used"))
    assert not findings.errors


def test_an_absent_column_close_to_a_header_is_a_warning_with_did_you_mean(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "issues.csv",
        [
            ["Issue id", "Issue key", "Summary", "Created", "Reporter", "Labels"],
            ["1", "A-1", "s", "2021-06-01", "al", "x"],
        ],
    )
    config = make_config(tmp_path, {}, fields={"tags": "Label"})
    (issue,), findings = read_all(config, path)
    (absent,) = of_kind(findings, "source.column_absent")
    assert absent.severity.value == "warning" and "did you mean 'Labels'?" in (absent.hint or "")
    assert issue.tags == []


def test_required_true_makes_an_optional_field_refuse_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "issues.csv", [["Issue id", "Issue key", "Summary", "Created", "Reporter"]])
    config = make_config(tmp_path, {}, fields={"status": {"column": ["Status", "State"], "required": True}})
    with pytest.raises(MigratorError, match=r"'Status' or 'State' \(from source.issues.fields.status\)"):
        read_all(config, path)


def test_first_of_takes_the_first_non_empty_column_per_record(tmp_path: Path) -> None:
    rows = [
        ["Issue id", "Issue key", "Summary", "Created", "Reporter", "Assignee", "Owner"],
        ["1", "A-1", "s", "2021-06-01", "al", "", "bob"],
        ["2", "A-2", "s", "2021-06-01", "al", "carol", "bob"],
    ]
    config = make_config(tmp_path, {}, fields={"assignee": {"first_of": ["Assignee", "Owner"]}})
    issues, _ = read_all(config, write_csv(tmp_path / "issues.csv", rows))
    assert [i.assignee.name if i.assignee else None for i in issues] == ["bob", "carol"]
