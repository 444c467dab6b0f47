"""The Jira adapters: CSV (people with account ids and display names, Parent by type), XML (links
by type and direction, "-1" for nobody, attachment URLs) and REST JSON (file shapes, custom field
names, truncated pages, parent kinds, ADF work log comments) — on the fixtures and on small
exports written here."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.sources.adapters import AdapterInput, adapter_class
from migrator.sources.adapters.jira_json import adf_text
from migrator.sources.inputs import resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, SourceSpec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "adapters"
ANN = "5b10a2844c20165700ede111"
BEN = "712020:0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


def records(adapter: str, paths: list[Path], tmp_path: Path) -> dict[str, Record]:
    """The adapter's records by issue key."""
    export = resolve_sources(paths, ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(system="jira", timezone="UTC", date_formats=["iso"], adapter=adapter)
    found = adapter_class(adapter)(source).records(AdapterInput(export.files, export, "auto"))
    return {str(r.get("key")): r for r in found}


def jira(record: Record) -> dict[str, Any]:
    derived = record.get("jira")
    assert isinstance(derived, dict)
    return derived


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_people_get_their_display_name_wherever_an_account_id_names_them(tmp_path: Path) -> None:
    found = records("jira_csv", [FIXTURES / "jira_csv" / "Jira.csv"], tmp_path)
    story, subtask = jira(found["KAN-2"]), jira(found["KAN-3"])
    ann, ben = {"accountId": ANN, "displayName": "Ann Archer"}, {"accountId": BEN, "displayName": "Ben Baker"}
    assert (story["assignee"], story["reporter"], story["watchers"]) == (ann, ben, [ann, ben])
    assert subtask["assignee"] is None and subtask["reporter"] == ben  # " Ben Baker": the name is trimmed
    assert subtask["comments"] == [
        {"created": "04/Mar/25 9:00 AM", "author": ann, "text": "Looks like the 2 GB limit; see KAN-2."}
    ]
    assert story["comments"][1]["author"] == {"accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"}
    assert story["worklogs"] == [
        {"comment": "Spike; two formats", "started": "02/Mar/25 1:00 PM", "author": ben, "seconds": "5400"}
    ]
    (attachment,) = story["attachments"]
    assert (attachment["id"], attachment["filename"]) == ("10500", "report;v2.csv")  # ';' in a file name
    assert (
        found["KAN-2"].get("Outward issue link (Blocks)") == "KAN-3"
    )  # every column is kept for the mapping


def test_csv_parent_is_named_by_the_childs_type_and_given_as_a_key(tmp_path: Path) -> None:
    found = records("jira_csv", [FIXTURES / "jira_csv" / "Jira.csv"], tmp_path)
    assert jira(found["KAN-3"])["parent"] == [{"to": "KAN-2", "relationship": "Parent (Subtask)"}]
    assert jira(found["KAN-2"])["parent"] == [{"to": "KAN-1", "relationship": "Parent (Story)"}]
    assert jira(found["KAN-1"])["parent"] == []


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_csv_server_export_names_logins_and_keeps_an_unknown_parent_id(tmp_path: Path) -> None:
    """Server writes user names and no "… Id" columns; a parent outside the file stays its id."""
    header = [
        "Summary",
        "Issue key",
        "Issue id",
        "Issue Type",
        "Assignee",
        "Parent id",
        "Comment",
        "Log Work",
    ]
    rows = [["s", "PAY-2", "12", "Sub-task", "jsmith", "99", "01/Mar/24 9:00 AM;;deleted user", "x;y"]]
    record = records("jira_csv", [_write_csv(tmp_path / "export.csv", header, rows)], tmp_path)["PAY-2"]
    derived = jira(record)
    assert derived["assignee"] == {"login": "jsmith"}
    assert derived["parent"] == [{"to": "99", "relationship": "Parent (Sub-task)"}]
    assert derived["comments"][0]["author"] is None  # the mapping gives it a default
    (note,) = record.notes
    assert (note.kind, note.field) == ("cell.pattern_mismatch", "Log Work") and derived["worklogs"] == []


def test_csv_epic_link_by_key_or_by_id_becomes_the_epics_key(tmp_path: Path) -> None:
    header = ["Summary", "Issue key", "Issue id", "Issue Type", "Custom field (Epic Link)"]
    rows = [
        ["a", "M-2", "21", "Story", "M-1"],
        ["b", "M-3", "22", "Story", "20"],
        ["e", "M-1", "20", "Epic", ""],
    ]
    found = records("jira_csv", [_write_csv(tmp_path / "export.csv", header, rows)], tmp_path)
    assert [jira(found[k])["parent"] for k in ("M-2", "M-3")] == [
        [{"to": "M-1", "relationship": "Epic Link"}]
    ] * 2


def test_csv_without_issue_id_and_key_is_not_a_jira_export(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "tasks.csv", ["Title", "Owner"], [["a", "b"]])
    with pytest.raises(MigratorError, match="tasks.csv: not a Jira CSV export — no column 'Issue id'"):
        records("jira_csv", [path], tmp_path)


# -- XML -------------------------------------------------------------------------------------------


def test_xml_links_epic_and_parent_are_one_list(tmp_path: Path) -> None:
    found = records("jira_xml", [FIXTURES / "jira_xml" / "SearchRequest.xml"], tmp_path)
    assert jira(found["KAN-2"])["links"] == [
        {"to": "KAN-3", "relationship": "Blocks (outward)"},
        {"to": "OPS-77", "relationship": "Relates (outward)"},
        {"to": "KAN-1", "relationship": "Epic Link"},
    ]
    assert jira(found["KAN-3"])["links"] == [
        {"to": "KAN-2", "relationship": "Blocks (inward)"},
        {"to": "KAN-2", "relationship": "Parent (Subtask)"},
    ]
    assert (
        found["KAN-2"].get("id") == "10101"
        and jira(found["KAN-2"])["custom"]["Story point estimate"] == "5.0"
    )
    assert jira(found["KAN-2"])["components"] == [] and jira(found["KAN-2"])["labels"] == []  # always there


def test_xml_minus_one_means_nobody_and_people_get_display_names(tmp_path: Path) -> None:
    found = records("jira_xml", [FIXTURES / "jira_xml" / "SearchRequest.xml"], tmp_path)
    subtask = jira(found["KAN-3"])
    assert subtask["assignee"] is None and subtask["resolution"] is None  # "-1" Unassigned / Unresolved
    assert jira(found["KAN-2"])["resolution"] == "Done"
    assert subtask["comments"][0]["author"] == {"accountId": ANN, "displayName": "Ann Archer"}
    (attachment,) = jira(found["KAN-2"])["attachments"]
    assert attachment["url"] == "https://kanban.atlassian.net/secure/attachment/10500/report%20v2.csv"
    assert [n.kind for n in found["KAN-3"].notes] == ["jira.replaced_characters"]  # an emoji Jira lost


def test_xml_that_is_not_rss_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bugs.xml"
    path.write_text("<bugzilla><bug><bug_id>1</bug_id></bug></bugzilla>", encoding="utf-8")
    with pytest.raises(MigratorError, match="bugs.xml: cannot be read as a Jira XML export"):
        records("jira_xml", [path], tmp_path)


# -- REST JSON -------------------------------------------------------------------------------------


def test_json_custom_fields_are_named_and_truncated_pages_are_said(tmp_path: Path) -> None:
    found = records("jira_json", [FIXTURES / "jira_json" / "search.json"], tmp_path)
    story, subtask = jira(found["KAN-2"]), jira(found["KAN-3"])
    assert story["custom"] == {
        "Story point estimate": 5.0,
        "Sprint": ["KAN Sprint 1"],
    }  # names from expand=names
    assert subtask["custom"] == {"Epic Link": "KAN-1", "Risk": "High risk"}  # an option's value
    (note,) = found["KAN-3"].notes
    assert (note.kind, note.value) == ("jira.comments_truncated", "1/3")
    assert subtask["worklogs"][0]["comment"] == "Repro\nwith 3 GB" and subtask["environment"] == "Windows 11"


def test_json_parent_kinds_come_from_the_hierarchy(tmp_path: Path) -> None:
    """A sub-task's parent is the canonical parent; an epic stays a link."""
    found = records("jira_json", [FIXTURES / "jira_json" / "search.json"], tmp_path)
    assert jira(found["KAN-3"])["parent"] == "KAN-2" and jira(found["KAN-2"])["parent"] is None
    assert jira(found["KAN-3"])["links"] == [
        {"to": "KAN-2", "relationship": "Blocks (inward)"},
        {"to": "KAN-1", "relationship": "Epic Link"},
    ]


def _issue(key: str, **fields: Any) -> dict[str, Any]:
    return {"id": key.split("-")[1], "key": key, "fields": {"summary": key, **fields}}


def test_json_reads_lists_single_issues_and_a_field_file_by_their_shape(tmp_path: Path) -> None:
    epic_child = _issue(
        "D-2", customfield_1=3.0, parent={"key": "D-1", "fields": {"issuetype": {"hierarchyLevel": 1}}}
    )
    (tmp_path / "list.json").write_text(json.dumps([epic_child]), encoding="utf-8")
    initiative_child = _issue("D-1", parent={"key": "D-0", "fields": {"issuetype": {"hierarchyLevel": 2}}})
    (tmp_path / "one.json").write_text(json.dumps(initiative_child), encoding="utf-8")
    fields = [{"id": "customfield_1", "name": "Story Points", "custom": True, "schema": {"type": "number"}}]
    (tmp_path / "field.json").write_text(json.dumps(fields), encoding="utf-8")
    found = records("jira_json", sorted(tmp_path.glob("*.json")), tmp_path)
    assert sorted(found) == ["D-1", "D-2"]  # field.json is not an issue
    assert jira(found["D-2"])["custom"] == {"Story Points": 3.0}
    assert jira(found["D-2"])["links"] == [{"to": "D-1", "relationship": "Parent (epic)"}]
    assert jira(found["D-1"])["links"] == [{"to": "D-0", "relationship": "Parent (level 2)"}]


def test_json_custom_fields_nobody_names_are_said_once(tmp_path: Path) -> None:
    pages = [{"issues": [_issue("D-1", customfield_9=1), _issue("D-2", customfield_9=2)]}]
    (tmp_path / "page.json").write_text(json.dumps(pages[0]), encoding="utf-8")
    found = records("jira_json", [tmp_path / "page.json"], tmp_path)
    assert [n.kind for r in found.values() for n in r.notes] == ["jira.field_names_missing"]
    assert jira(found["D-1"])["custom"] == {"customfield_9": 1}


def test_json_v2_wiki_bodies_read_as_adf_are_an_error_said_once(tmp_path: Path) -> None:
    page = {"issues": [_issue("D-1", description="h2. Steps"), _issue("D-2", description="*bold*")]}
    (tmp_path / "page.json").write_text(json.dumps(page), encoding="utf-8")
    export = resolve_sources([tmp_path / "page.json"], ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(
        system="jira", timezone="UTC", date_formats=["iso"], adapter="jira_json", markup="adf"
    )
    found = list(adapter_class("jira_json")(source).records(AdapterInput(export.files, export, "auto")))
    assert [(n.kind, n.severity.value) for r in found for n in r.notes] == [
        ("jira.wiki_markup_body", "error")
    ]
    source.markup = "jira"
    again = list(adapter_class("jira_json")(source).records(AdapterInput(export.files, export, "auto")))
    assert [n for r in again for n in r.notes] == []


def test_json_that_is_not_a_jira_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cards.json").write_text(json.dumps({"cards": []}), encoding="utf-8")
    with pytest.raises(MigratorError, match="cards.json: not a Jira REST export"):
        records("jira_json", [tmp_path / "cards.json"], tmp_path)


def test_json_nested_past_the_limit_or_broken_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text('{"issues": [' + "[" * 500 + "]" * 500 + "]}", encoding="utf-8")
    with pytest.raises(MigratorError, match="deep.json: the JSON is nested"):
        records("jira_json", [tmp_path / "deep.json"], tmp_path)
    (tmp_path / "deep.json").unlink()
    (tmp_path / "cut.json").write_text('{"issues": [{"key": "A-1", "fields": {', encoding="utf-8")
    with pytest.raises(MigratorError, match="cut.json"):
        records("jira_json", [tmp_path / "cut.json"], tmp_path)


def test_adf_text_keeps_the_words_and_the_lines() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Hi "}, {"type": "mention", "attrs": {"text": "@Ann"}}]},
            {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "one"}]}]}]},
        ],
    }  # fmt: skip
    assert adf_text(doc) == "Hi @Ann\none"


def test_csv_in_a_folder_source_is_read_like_the_file(tmp_path: Path) -> None:
    """`run samples/jira-cloud-csv/` hands the adapter the folder's CSV: the same records."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "jira_csv", folder)
    assert records("jira_csv", [folder], tmp_path).keys() == {"KAN-1", "KAN-2", "KAN-3"}
