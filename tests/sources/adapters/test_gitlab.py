"""The GitLab project export adapter read through its preset: people joined from the members file
(or named by their notes), system notes replayed into the links that still hold, uploads from
Markdown, time logs, ids for notes that have none."""

from __future__ import annotations

import json
import shutil
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from migrator.findings import Severity
from migrator.mapping.config import load_mapping
from migrator.model import Issue

from ..sources_helpers import of_kind, read_all

ROOT = Path(__file__).resolve().parents[3]
EXPORT = ROOT / "tests" / "fixtures" / "adapters" / "gitlab"
PRESET = ROOT / "mappings" / "gitlab-export.yaml"


def _read(*paths: Path) -> tuple[dict[str, Issue], list[str]]:
    issues, findings = read_all(load_mapping(PRESET), *paths)
    return {i.key or "": i for i in issues}, [f.kind for f in findings]


def test_people_are_members_or_the_name_on_their_notes() -> None:
    issues, _ = _read(EXPORT)
    parent, child = issues["1"], issues["2"]
    assert (parent.created_by.name, parent.created_by.email, parent.created_by.display) == (
        "ann",
        "ann@example.com",
        "Ann Admin",
    )
    assert parent.assignee is not None and parent.assignee.name == "ben"  # the first of two
    assert [u.name for u in parent.followers] == ["ben", "ann"]
    assert child.created_by.name == "Gone Person"  # not a member: only their note says who they were
    assert issues["3"].created_by.name == "12"  # nobody says more than the number
    assert child.resolved_by is not None and child.resolved_by.name == "ben"  # resource_state_events


def test_system_notes_are_replayed_into_the_links_that_still_hold() -> None:
    issues, _ = _read(EXPORT)
    parent, child, once = issues["1"], issues["2"], issues["3"]
    assert child.parent_key == "1"  # said only on the parent: "added #2 as child task"
    assert [(link.to_key, link.relationship) for link in parent.links] == [("group/other#7", "blocked_by")]
    assert [(link.to_key, link.relationship) for link in once.links] == [
        ("&5", "epic")
    ]  # Premium's epic_issue
    # (and no link to #1: related on 3 Jan, removed on 4 Jan)


def test_system_notes_are_history_not_comments_and_ids_are_stable() -> None:
    issues, kinds = _read(EXPORT)
    parent = issues["1"]
    assert [c.text for c in parent.comments] == [
        "Same moment, same person",
        "Same moment, same person (reply)",
    ]
    first, second = (c.source.id for c in parent.comments)
    assert second == f"{first}-2"  # same discussion, moment and author: told apart by order
    again, _ = _read(EXPORT)
    assert [c.source.id for c in again["1"].comments] == [first, second]
    assert "source.filtered" in kinds


def test_uploads_labels_priority_estimate_and_time_logs() -> None:
    issues, _ = _read(EXPORT)
    parent, child = issues["1"], issues["2"]
    assert [(a.filename, Path(a.location).name) for a in parent.attachments] == [("plan.txt", "plan.txt")]
    (missing,) = [a for c in child.comments for a in c.attachments]  # linked from a note: kept with it
    assert missing.filename == "missing.pdf"
    assert parent.tags == ["priority::2", "backend"] and parent.priority == "2"
    assert parent.fix_versions == ["Sprint 4"] and parent.original_estimation == timedelta(hours=2)
    (log,) = parent.worklogs
    assert (log.author.name, log.duration, log.start) == (
        "ben",
        timedelta(hours=1),
        datetime(2025, 1, 7, 10, tzinfo=UTC),
    )
    assert (parent.type, child.type, issues["3"].type) == ("issue", "task", "incident")


def test_the_tar_gz_is_read_in_place(tmp_path: Path) -> None:
    archive = tmp_path / "2025-01-01_acme_export.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(EXPORT.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=f"./{path.relative_to(EXPORT).as_posix()}")
    issues, _ = _read(archive)
    assert sorted(issues) == ["1", "2", "3"] and issues["1"].attachments[0].filename == "plan.txt"


def test_loose_ndjson_files_find_their_uploads_two_folders_up(tmp_path: Path) -> None:
    shutil.copytree(EXPORT, tmp_path / "export")
    project = tmp_path / "export" / "tree" / "project"
    issues, _ = _read(project / "issues.ndjson", project / "project_members.ndjson")
    (plan,) = issues["1"].attachments
    assert (
        Path(plan.location)
        == (tmp_path / "export" / "uploads").resolve() / plan.location.split("uploads/")[1]
    )
    assert Path(plan.location).is_file()


def test_a_line_that_is_not_json_is_reported_and_skipped(tmp_path: Path) -> None:
    shutil.copytree(EXPORT, tmp_path / "export")
    issues_file = tmp_path / "export" / "tree" / "project" / "issues.ndjson"
    with issues_file.open("a", encoding="utf-8") as out:
        out.write("{broken\n")
    issues, findings = read_all(load_mapping(PRESET), tmp_path / "export")
    assert len(issues) == 3
    (bad,) = of_kind(findings, "json.invalid_record")
    assert (bad.severity, bad.row) == (Severity.ERROR, 4)


def test_time_logs_that_subtract_time_are_left_out_with_a_warning(tmp_path: Path) -> None:
    shutil.copytree(EXPORT, tmp_path / "export")
    issues_file = tmp_path / "export" / "tree" / "project" / "issues.ndjson"
    lines = issues_file.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["timelogs"].append({"time_spent": -1800, "user_id": 11, "spent_at": None,
                              "created_at": "2025-01-08T10:00:00.000Z", "summary": "logged twice"})  # fmt: skip
    issues_file.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    issues, findings = read_all(load_mapping(PRESET), tmp_path / "export")
    parent = next(i for i in issues if i.key == "1")
    assert [w.duration for w in parent.worklogs] == [timedelta(hours=1)]
    (note,) = of_kind(findings, "gitlab.time_subtracted")
    assert (note.severity, note.key, note.value) == (Severity.WARNING, "1", "-1800 s")
