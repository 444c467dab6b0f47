"""The Asana adapter on its fixture (tests/fixtures/adapters/asana/): nested subtasks flattened,
the exported project's section, comments out of the stories, files and e-mails joined by gid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.limits import Limits
from migrator.sources.adapters import AdapterInput
from migrator.sources.adapters.asana import AsanaAdapter
from migrator.sources.inputs import resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, SourceSpec

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "adapters" / "asana"


def _records(tmp_path: Path, *paths: Path, limits: Limits | None = None) -> dict[str, Record]:
    export = resolve_sources(list(paths), ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(
        system="asana", timezone="UTC", date_formats=["iso"], adapter="asana", limits=limits or Limits()
    )
    issues = [f for f in export.files if f.name.startswith("Site") or f.name.startswith("project")]
    records = AsanaAdapter(source).records(AdapterInput(issues, export, "auto"))
    return {str(r.get("id")): r for r in records}


@pytest.fixture
def tasks(tmp_path: Path) -> dict[str, Record]:
    return _records(tmp_path, *sorted(FIXTURE.iterdir()))


def test_nested_subtasks_are_records_of_their_own_with_their_parent(tasks: dict[str, Record]) -> None:
    assert list(tasks) == ["100", "101", "102", "103"]  # depth first, in the export's order
    assert tasks["101"].get("parent") == "100"
    assert tasks["102"].get("parent") == "101"  # nested two levels, no parent key in the export
    assert tasks["100"].get("subtasks") == ["101"]
    assert tasks["100"].get("parent") is None


def test_the_section_is_the_one_in_the_exported_project(tasks: dict[str, Record]) -> None:
    # task 100 is in Ops (section Later) and Site (Doing); most top-level tasks are in Site
    assert tasks["100"].get("section") == "Doing"
    assert tasks["103"].get("section") == "To do"
    assert tasks["101"].get("section") is None


def test_comments_are_the_comment_stories_oldest_first(tasks: dict[str, Record]) -> None:
    (comment,) = tasks["100"].get("comments")
    assert comment["id"] == "5002" and comment["text"] == "Looks good"
    assert comment["author"]["name"] == "Ben Brook"
    assert comment["html"] == "<body>Looks good</body>"  # no html_text: the text, escaped


def test_descriptions_are_html_whichever_the_export_gives(tasks: dict[str, Record], tmp_path: Path) -> None:
    assert tasks["100"].get("html") == "<body>Go <strong>live</strong>.</body>"  # html_notes
    plain = {"data": [{"gid": "1", "name": "x", "notes": "a < b\nsecond line"}]}
    (tmp_path / "project.json").write_text(json.dumps(plain), encoding="utf-8")
    (task,) = _records(tmp_path, tmp_path / "project.json").values()
    assert task.get("html") == "<body>a &lt; b<br>second line</body>"


def test_the_creator_comes_from_the_task_or_a_story_at_its_creation(tasks: dict[str, Record]) -> None:
    assert tasks["103"].get("created_by")["name"] == "Ben Brook"  # the task says it
    assert tasks["100"].get("created_by")["name"] == "Ann Archer"  # the story written at creation
    (note,) = tasks["100"].notes
    assert note.kind == "asana.creator_from_story" and note.value == "Ann Archer"
    assert tasks["101"].get("created_by") is None and not tasks["101"].notes


def test_files_hosted_by_asana_are_attachments_others_web_links(tasks: dict[str, Record]) -> None:
    (attachment,) = tasks["100"].get("attachments")
    assert attachment["filename"] == "brief.pdf" and attachment["path"] == "700/brief.pdf"
    assert attachment["url"] == "https://files.example/700/brief.pdf"
    assert tasks["100"].get("web_links") == [{"name": "Plan", "url": "https://docs.example/plan"}]
    assert tasks["103"].get("attachments") == []


def test_attachments_keyed_by_task_gid_are_read_too(tmp_path: Path) -> None:
    keyed = {
        "103": [{"gid": "702", "name": "post.txt", "host": "asana", "download_url": "https://f.example/x"}]
    }
    (tmp_path / "attachments.json").write_text(json.dumps(keyed), encoding="utf-8")
    tasks = _records(tmp_path, FIXTURE / "Site.json", tmp_path / "attachments.json")
    assert [a["filename"] for a in tasks["103"].get("attachments")] == ["post.txt"]


def test_dependencies_are_links_from_both_ends(tasks: dict[str, Record]) -> None:
    assert tasks["100"].get("links") == [{"to": "103", "relationship": "blocks"}]
    assert tasks["103"].get("links") == [{"to": "100", "relationship": "is blocked by"}]


def test_people_gain_the_email_users_json_gives(tasks: dict[str, Record]) -> None:
    assert tasks["100"].get("assignee") == {
        "gid": "11",
        "name": "Ann Archer",
        "resource_type": "user",
        "email": "ann@example.com",
    }
    assert [f.get("email") for f in tasks["100"].get("followers")] == ["ann@example.com", None]


def test_a_file_that_is_not_a_project_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "project.json").write_text('{"tasks": []}', encoding="utf-8")
    with pytest.raises(MigratorError, match="not an Asana project export"):
        _records(tmp_path, tmp_path / "project.json")
    (tmp_path / "project.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(MigratorError, match="not valid JSON at line 1"):
        _records(tmp_path, tmp_path / "project.json")


def _nested(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.mark.parametrize("name", ["project.json", "users.json", "attachments.json"])
def test_json_deeper_than_the_limit_is_refused_naming_the_file(tmp_path: Path, name: str) -> None:
    # the task files and both companions are read within limits.json_depth, before the parser sees them
    site = {"data": [{"gid": "1", "name": "x"}]}
    deep = {"data": [{"gid": "2", "name": "deep", "custom_fields": _nested(30)}]}  # 33 levels in all
    (tmp_path / "Site.json").write_text(json.dumps(site), encoding="utf-8")
    (tmp_path / name).write_text(json.dumps(deep), encoding="utf-8")
    paths = (tmp_path / "Site.json", tmp_path / name)
    message = rf"^{name}: the JSON is nested 33 levels deep, over limits.json_depth \(20\)"
    with pytest.raises(MigratorError, match=message) as raised:
        _records(tmp_path, *paths, limits=Limits(json_depth=20))
    assert "json_depth" in (raised.value.hint or "")
    assert "1" in _records(tmp_path, *paths, limits=Limits(json_depth=40))  # a raised limit reads it


def test_pages_written_back_to_back_are_all_read(tmp_path: Path) -> None:
    pages = '{"data": [{"gid": "1", "name": "a"}]}\n{"data": [{"gid": "2", "name": "b"}]}\n'
    (tmp_path / "project.json").write_text(pages, encoding="utf-8")
    assert list(_records(tmp_path, tmp_path / "project.json")) == ["1", "2"]
