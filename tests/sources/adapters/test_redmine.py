"""The Redmine REST adapter: list pages merged with per-issue answers, people from users.json,
relations seen from each issue, time entries joined, files recognised by content."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits
from migrator.sources.adapters import AdapterInput, adapter_class
from migrator.sources.inputs import resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, AttachmentFilesSpec, SourceSpec

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "adapters" / "redmine"


def _records(tmp_path: Path, *paths: Path, limits: Limits | None = None) -> list[Record]:
    export = resolve_sources(list(paths) or [FIXTURE], ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(
        system="redmine", timezone="UTC", date_formats=["iso"], adapter="redmine",
        files=AttachmentFilesSpec(directory="attachments"), limits=limits or Limits(),
    )  # fmt: skip
    return list(adapter_class("redmine")(source).records(AdapterInput(export.find("*.json"), export, "auto")))


def _by_id(records: list[Record]) -> dict[str, Record]:
    return {str(r.get("id")): r for r in records}


def test_list_and_per_issue_answers_are_merged_once_per_issue(tmp_path: Path) -> None:
    records = _records(tmp_path)
    assert [r.get("id") for r in records] == ["10", "11", "12"]
    issues = _by_id(records)
    assert issues["10"].file.endswith("issues/10.json") and issues["10"].row == 1  # its own answer wins
    assert issues["12"].file.endswith("issues_page1.json") and issues["12"].row == 3  # known from the list
    assert issues["10"].get("parent_id") == "12"
    assert issues["10"].get("custom") == {"Browser": "Firefox", "OS": ["Linux", "macOS"]}


def test_people_get_logins_and_emails_from_the_users_answer(tmp_path: Path) -> None:
    issue = _by_id(_records(tmp_path))["10"]
    assert issue.get("author") == {
        "id": "3",
        "name": "Ana Lima",
        "login": "alima",
        "email": "ana@example.org",
    }
    assert issue.get("journals")[0]["user"] == {"id": "4", "name": "Bo Chen"}  # not in users.json: as written
    assert issue.get("watchers") == [{"id": "4", "name": "Bo Chen"}]
    assert issue.get("attachments")[0]["path"] == "501/trace.txt"


def test_relations_are_seen_from_each_issue(tmp_path: Path) -> None:
    issues = _by_id(_records(tmp_path))
    assert [(x["to"], x["relationship"]) for x in issues["10"].get("links")] == [
        ("11", "blocked"),
        ("11", "precedes"),
    ]
    assert [(x["to"], x["relationship"]) for x in issues["11"].get("links")] == [
        ("10", "blocks"),
        ("10", "follows"),
        ("40", "copied_from"),  # another project's issue: still a link, its target is outside
    ]


def test_time_entries_are_joined_and_the_rest_reported(tmp_path: Path) -> None:
    records = _records(tmp_path)
    issues = _by_id(records)
    assert [(e["hours"], e["spent_on"]) for e in issues["10"].get("time_entries")] == [(1.5, "2025-01-11")]
    outside = [n for n in records[0].notes if n.kind == "redmine.time_entries_outside"]
    assert [(n.value, n.severity) for n in outside] == [("1", Severity.WARNING)]


def test_an_issue_known_from_the_list_only_is_a_warning(tmp_path: Path) -> None:
    issues = _by_id(_records(tmp_path))
    assert [n.kind for n in issues["12"].notes] == ["redmine.no_journals"]
    assert not issues["11"].notes  # has its own answer, with no journals


def test_a_list_only_export_warns_once(tmp_path: Path) -> None:
    records = _records(tmp_path, FIXTURE / "issues_page1.json")
    assert [[n.kind for n in r.notes] for r in records] == [["redmine.no_journals"], [], []]


def test_answers_collected_in_one_array_are_recognised_by_content(tmp_path: Path) -> None:
    details = [json.loads((FIXTURE / "issues" / f"{n}.json").read_text(encoding="utf-8")) for n in (10, 11)]
    users = json.loads((FIXTURE / "users.json").read_text(encoding="utf-8"))["users"]
    combined = tmp_path / "dump.json"
    combined.write_text(json.dumps([*details, *users]), encoding="utf-8")
    records = _records(tmp_path, combined)
    assert [r.get("id") for r in records] == ["10", "11"]
    assert records[0].get("author")["login"] == "alima"


def test_attachments_and_metadata_answers_are_not_read_but_other_json_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(FIXTURE, folder)
    (folder / "attachments" / "501").mkdir(parents=True)
    (folder / "attachments" / "501" / "data.json").write_text('{"not": "redmine"}', encoding="utf-8")
    assert len(_records(tmp_path, folder)) == 3
    (folder / "notes.json").write_text('{"not": "redmine"}', encoding="utf-8")
    with pytest.raises(MigratorError, match=r"notes.json: not a Redmine REST answer"):
        _records(tmp_path, folder)


@pytest.mark.parametrize("broken", ["{", '"text"'])
def test_unreadable_files_are_errors_naming_them(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "issues.json"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(MigratorError, match="issues.json"):
        _records(tmp_path, path)


def test_json_deeper_than_the_mappings_limit_is_refused_naming_the_file(tmp_path: Path) -> None:
    deep = {"issues": [{"id": 1, "subject": "x", "custom_fields": json.loads("[" * 30 + "]" * 30)}]}
    (tmp_path / "issues.json").write_text(json.dumps(deep), encoding="utf-8")
    with pytest.raises(
        MigratorError,
        match=r"^issues\.json: the JSON is nested 33 levels deep, over limits.json_depth \(20\)",
    ):
        _records(tmp_path, tmp_path / "issues.json", limits=Limits(json_depth=20))
    assert [r.get("id") for r in _records(tmp_path, tmp_path / "issues.json")] == ["1"]  # within the default
