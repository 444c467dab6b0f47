"""The YouTrack REST adapter: custom fields by name, links by the phrase of their direction, the
Subtask link as the parent, deleted comments and removed files left out, work items joined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.limits import Limits
from migrator.sources.adapters import AdapterInput, adapter_class
from migrator.sources.inputs import resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, AttachmentFilesSpec, SourceSpec

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "adapters" / "youtrack"


def _records(tmp_path: Path, *paths: Path, limits: Limits | None = None) -> dict[str, Record]:
    export = resolve_sources(list(paths) or [FIXTURE], ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(
        system="youtrack", timezone="UTC", date_formats=["iso"], adapter="youtrack",
        files=AttachmentFilesSpec(directory="attachments"), limits=limits or Limits(),
    )  # fmt: skip
    records = adapter_class("youtrack")(source).records(AdapterInput(export.find("*.json"), export, "auto"))
    return {str(r.get("key")): r for r in records}


def test_custom_fields_are_read_by_name(tmp_path: Path) -> None:
    epic = _records(tmp_path)["WEB-1"]
    assert epic.get("id") == "2-1"
    assert epic.get("custom.State") == "Open" and epic.get("state_resolved") is False
    assert epic.get("custom.Type") == "Epic"
    assert epic.get("custom.Assignee") == {
        "id": "1-1",
        "login": "ana",
        "name": "Ana Lima",
        "email": "ana@example.org",
    }
    assert epic.get("custom.Fix versions") == ["1.0", "1.1"]
    assert epic.get("custom.Estimation") == 960  # minutes
    assert epic.get("tags") == ["checkout"]


def test_links_take_the_phrase_of_their_direction_and_subtask_is_the_parent(tmp_path: Path) -> None:
    issues = _records(tmp_path)
    child = issues["WEB-2"]
    assert child.get("parent") == "WEB-1"
    assert [(x["to"], x["relationship"]) for x in child.get("links")] == [
        ("OTHER-9", "relates to"),
        ("WEB-3", "depends on"),
    ]
    assert [(x["to"], x["relationship"]) for x in issues["WEB-3"].get("links")] == [
        ("WEB-2", "is required for")
    ]
    assert issues["WEB-1"].get("links") == [] and issues["WEB-1"].get("parent") is None  # the parent side


def test_deleted_comments_and_removed_files_are_left_out(tmp_path: Path) -> None:
    epic = _records(tmp_path)["WEB-1"]
    assert [c["text"] for c in epic.get("comments")] == ["kept"]
    (attachment,) = epic.get("attachments")
    assert (attachment["path"], attachment["comment_id"]) == ("8-1/plan.md", "4-1")
    assert attachment["author"]["login"] == "ana"


def test_work_items_are_joined_by_readable_id(tmp_path: Path) -> None:
    issues = _records(tmp_path)
    (item,) = issues["WEB-3"].get("work_items")
    assert (item["minutes"], item["date"], item["text"], item["author"]["login"]) == (
        90,
        1736467200000,
        "spike",
        "bo",
    )
    assert issues["WEB-2"].get("work_items") == []


def test_a_single_issue_answer_and_unknown_json(tmp_path: Path) -> None:
    one = json.loads((FIXTURE / "issues.json").read_text(encoding="utf-8"))[2]
    path = tmp_path / "WEB-3.json"
    path.write_text(json.dumps(one), encoding="utf-8")
    assert list(_records(tmp_path, path)) == ["WEB-3"]
    other = tmp_path / "projects.json"
    other.write_text(json.dumps([{"shortName": "WEB"}]), encoding="utf-8")
    with pytest.raises(MigratorError, match="projects.json: not a YouTrack answer"):
        _records(tmp_path, other)


def test_json_deeper_than_the_mappings_limit_is_refused_naming_the_file(tmp_path: Path) -> None:
    deep = [{"idReadable": "WEB-9", "summary": "x", "customFields": json.loads("[" * 30 + "]" * 30)}]
    (tmp_path / "issues.json").write_text(json.dumps(deep), encoding="utf-8")
    with pytest.raises(
        MigratorError,
        match=r"^issues\.json: the JSON is nested 32 levels deep, over limits.json_depth \(20\)",
    ):
        _records(tmp_path, tmp_path / "issues.json", limits=Limits(json_depth=20))
    assert list(_records(tmp_path, tmp_path / "issues.json")) == ["WEB-9"]  # within the default
