"""The Trac JSON-RPC adapter read through its preset: positional answers and ``__jsonclass__``
dates, comments grouped with their changes, plugin links and duplicates; and the query CSV preset."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from migrator.findings import Severity
from migrator.mapping.config import load_mapping
from migrator.model import Issue
from migrator.sources.adapters.trac import rpc_value

from ..sources_helpers import of_kind, read_all, write_csv

ROOT = Path(__file__).resolve().parents[3]
DUMP = ROOT / "tests" / "fixtures" / "adapters" / "trac"


def _dump(*paths: Path) -> dict[str, Issue]:
    issues, _ = read_all(load_mapping(ROOT / "mappings" / "trac-json.yaml"), *paths)
    return {i.key or "": i for i in issues}


def test_rpc_dates_are_utc() -> None:
    assert rpc_value({"__jsonclass__": ["datetime", "2025-01-19T22:00:00"]}) == "2025-01-19T22:00:00Z"
    assert (
        rpc_value({"__jsonclass__": ["datetime", "2025-01-19T22:00:00+01:00"]}) == "2025-01-19T22:00:00+01:00"
    )
    assert rpc_value("plain") == "plain"
    issue = _dump(DUMP)["21"]
    assert issue.created_at == datetime(2025, 1, 1, 10, tzinfo=UTC)


def test_comments_are_change_sets_with_text() -> None:
    issue = _dump(DUMP)["21"]
    assert [(c.author.name, c.text) for c in issue.comments] == [
        ("ann", "Reproduced.")
    ]  # the empty one is history
    assert issue.comments[0].source.id.endswith("2025-01-03T10:00:00Z#2")


def test_links_parents_lists_and_files() -> None:
    issues = _dump(DUMP)
    child, duplicate = issues["21"], issues["22"]
    assert child.parent_key == "20"  # the first of "20, 19"
    assert sorted((link.to_key, link.relationship) for link in child.links) == [
        ("19", "parent"),
        ("22", "blocked_by"),
    ]
    assert sorted((link.to_key, link.relationship) for link in duplicate.links) == [
        ("20", "duplicate_of"),  # "dup of ticket:20" in the closing comment
        ("21", "blocking"),
    ]
    assert [u.name for u in child.followers] == ["ben@example.com", "carl"]
    assert child.tags == ["ui", "regression"]
    (shot,) = child.attachments
    assert (shot.filename, shot.size, shot.author.name if shot.author else None) == ("shot.png", 12, "ann")
    assert Path(shot.location).is_file()


def test_an_entry_without_ticket_get_is_reported(tmp_path: Path) -> None:
    tickets = json.loads((DUMP / "tickets.json").read_text(encoding="utf-8"))
    tickets.append({"id": 99, "changeLog": []})
    (tmp_path / "tickets.json").write_text(json.dumps(tickets), encoding="utf-8")
    issues, findings = read_all(load_mapping(ROOT / "mappings" / "trac-json.yaml"), tmp_path / "tickets.json")
    assert len(issues) == 3
    (note,) = of_kind(findings, "trac.no_ticket")
    assert (note.severity, note.row) == (Severity.ERROR, 4)


HEADER = ["id", "Summary", "Status", "Type", "Priority", "Created", "Modified", "Reporter", "Owner", "Cc",
          "Keywords", "Blocked By", "Blocking", "Parent Tickets", "Description"]  # fmt: skip


def _csv_preset(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "mappings" / "trac-csv.yaml").read_text(encoding="utf-8"))
    data["source"]["timezone"] = "Australia/Sydney"  # the decision the preset leaves to the user
    path = tmp_path / "trac-csv.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_csv_labels_babel_dates_and_placeholders(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["5", "Parent", "assigned", "task", "major", "Jan 20, 2025, 9:00:00\u202fAM", "Apr 7, 2025 1:10:00 PM",
         "alice", "bob@…", "carol@…, dave", "a b", "", "6", "", "text"],
        ["6", "Child", "new", "defect", "minor", "01/21/25 09:00:00", "2025-04-07T13:10:00+10:00",
         "h.schmidt@…", "somebody", "", "", "5", "", "5, 4", ""],
    ]  # fmt: skip
    write_csv(tmp_path / "query.csv", rows)
    issues, findings = read_all(load_mapping(_csv_preset(tmp_path)), tmp_path / "query.csv")
    parent, child = issues
    assert parent.created_at == datetime(2025, 1, 19, 22, tzinfo=UTC)  # 9:00 in Sydney (AEDT, +11)
    assert child.updated_at == datetime(2025, 4, 7, 3, 10, tzinfo=UTC)  # ISO with its own offset
    assert parent.assignee is not None and parent.assignee.name == "bob@…"  # users.map decides who that is
    assert [u.name for u in parent.followers] == ["carol@…", "dave"]
    assert child.created_by.name == "h.schmidt@…" and child.assignee is None  # "somebody" is nobody
    assert child.parent_key == "5" and parent.tags == ["a", "b"]
    assert [(link.to_key, link.relationship) for link in parent.links] == [("6", "blocking")]
    assert [(link.to_key, link.relationship) for link in child.links] == [("5", "blocked_by")]
    assert not of_kind(findings, "date.unparsable")


def test_csv_of_old_trac_names_its_columns_by_field_name(tmp_path: Path) -> None:
    header = ["id", "summary", "status", "time", "changetime", "reporter", "owner"]
    write_csv(
        tmp_path / "query.csv",
        [header, ["7", "Old", "new", "01/21/25 09:00:00", "01/22/25 09:00:00", "x", ""]],
    )
    (issue,), findings = read_all(load_mapping(_csv_preset(tmp_path)), tmp_path / "query.csv")
    assert (issue.summary, issue.created_at) == ("Old", datetime(2025, 1, 20, 22, tzinfo=UTC))
    assert not [f for f in findings if f.severity == Severity.ERROR]
