"""The record path language: keys, ``[]``, ``[field=value]`` filters, XML attributes and text,
and paths that read into JSON held by a CSV cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.sources.records import Record, parse_path, resolve_path

from .sources_helpers import BASE_HEADER, make_config, of_kind, read_all, write_csv

CUSTOM = {
    "customfield": [
        {
            "@id": "customfield_10002",
            "customfieldname": "Story Points",
            "customfieldvalues": {"customfieldvalue": "3.0"},
        },
        {
            "@id": "customfield_10008",
            "customfieldname": "Epic Link",
            "customfieldvalues": {"customfieldvalue": "WEB-1"},
        },
    ]
}


def test_filter_keeps_the_items_whose_field_equals_the_value() -> None:
    path = "customfields.customfield[customfieldname=Story Points].customfieldvalues.customfieldvalue"
    assert resolve_path({"customfields": CUSTOM}, path) == ["3.0"]
    assert resolve_path(
        {"customfields": CUSTOM}, "customfields.customfield[@id=customfield_10008].customfieldname"
    ) == ["Epic Link"]
    assert (
        resolve_path({"customfields": CUSTOM}, "customfields.customfield[customfieldname=Sprint].@id") == []
    )


def test_a_filter_value_may_contain_dots() -> None:
    data = {
        "f": [{"@key": "com.pyxis.greenhopper.jira:gh-epic-link", "v": "E-1"}, {"@key": "other", "v": "x"}]
    }
    assert resolve_path(data, "f[@key=com.pyxis.greenhopper.jira:gh-epic-link].v") == ["E-1"]
    assert [s.name for s in parse_path("a.f[@key=x.y.z].v")] == ["a", "f", "v"]


def test_an_element_with_attributes_reads_as_its_text_unless_children_are_asked_for() -> None:
    data = {"key": {"@id": "30012", "#text": "WEB-3"}, "comments": {"comment": {"@id": "1", "#text": "hi"}}}
    assert resolve_path(data, "key") == "WEB-3"
    assert resolve_path(data, "key.@id") == "30012"
    assert resolve_path(data, "comments.comment[]") == ["hi"]
    assert resolve_path(data, "comments.comment[]", elements=True) == [{"@id": "1", "#text": "hi"}]


def test_a_broken_filter_is_a_clear_error() -> None:
    with pytest.raises(MigratorError, match=r"the filter \[name\] must read \[field=value\]"):
        parse_path("items[name].x")


def test_paths_read_into_json_cells_of_a_csv(tmp_path: Path) -> None:
    """ClickUp writes comments and attachments as JSON inside CSV cells."""
    comments = [
        {"text": "first", "by": "ana@example.com", "date": "2023-04-18T18:17:38Z"},
        {"text": "second", "by": "ben@example.com", "date": "2023-04-19T08:00:00Z"},
    ]
    rows = [
        [*BASE_HEADER, "Comments", "Attachments"],
        [
            "1",
            "CU-1",
            "With JSON",
            "2023-04-18T10:00:00",
            "ana",
            json.dumps(comments),
            '[{"title": "a.png", "url": "u"}]',
        ],
        ["2", "CU-2", "Broken cell", "2023-04-18T10:00:00", "ana", "[]", "[{'title': 'b.png'}]"],
    ]
    path = write_csv(tmp_path / "tasks.csv", rows)
    config = make_config(
        tmp_path,
        {
            "comments": {
                "path": "Comments",
                "fields": {"author": "by", "created_at": "date", "text": "text"},
            },
            "issues": {"custom": {"files": {"column": "Attachments[].title", "type": "list"}}},
        },
    )
    (first, second), findings = read_all(config, path)
    assert [(c.author.name, c.text) for c in first.comments] == [
        ("ana@example.com", "first"),
        ("ben@example.com", "second"),
    ]
    assert first.custom == {"files": ["a.png"]}
    assert second.comments == [] and second.custom == {}
    (bad,) = of_kind(findings, "json.invalid_cell")
    assert (bad.severity, bad.row, bad.key, bad.field) == (Severity.WARNING, 3, "CU-2", "Attachments")


def test_a_path_into_a_cell_names_a_column_the_header_must_have(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "tasks.csv", [BASE_HEADER, ["1", "CU-1", "x", "2023-04-18T10:00:00", "ana"]])
    custom = {"files": {"column": "Attachments[].title", "required": True}}  # custom fields are optional
    config = make_config(tmp_path, {"issues": {"custom": custom}})
    with pytest.raises(MigratorError, match=r"'Attachments\[\]\.title' \(from source.issues.custom.files\)"):
        read_all(config, path)


def test_table_record_reads_the_longest_header_first() -> None:
    record = Record("t.csv", 2, {"A": '{"b": 1}', "A.b": "plain"})
    assert record.get("A.b") == "plain"  # an exact header wins
    assert record.get("A.c") is None
