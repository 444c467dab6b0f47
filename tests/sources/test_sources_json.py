"""JSON documents and NDJSON: dotted paths, [] flattening, user objects, comment arrays."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.model import UserRef

from .sources_helpers import make_config, of_kind, read_all


def _jira_issue(n: int, **fields: object) -> dict[str, object]:
    return {
        "id": str(10000 + n),
        "key": f"DEMO-{n}",
        "fields": {
            "summary": f"Issue {n}",
            "created": "2021-06-01T12:00:00.000+0300",
            "reporter": {
                "name": "ivanov",
                "emailAddress": "ivanov@example.com",
                "displayName": "Иван Иванов",
            },
            "labels": ["backend", "db"],
            "components": [{"id": "1", "name": "Core"}, {"id": "2", "name": "API"}],
            "comment": {
                "comments": [
                    {
                        "id": "501",
                        "author": {"accountId": "5b10"},
                        "created": "2021-06-02T10:00:00Z",
                        "body": "a; b",
                    },
                    {"author": {"name": "petrov"}, "created": "2021-06-03T10:00:00Z", "body": "no id"},
                ]
            },
            **fields,
        },
    }


JSON_FIELDS = {
    "id": "id",
    "key": "key",
    "summary": "fields.summary",
    "created_at": "fields.created",
    "created_by": "fields.reporter",
    "tags": "fields.labels",
    "components": "fields.components[].name",
    "parent": "fields.parent.key",
    "status": "fields.status",
}
JSON_COMMENTS = {
    "path": "fields.comment.comments",
    "fields": {"id": "id", "author": "author", "created_at": "created", "text": "body"},
}


def _config(tmp_path: Path, **source: object) -> object:
    return make_config(tmp_path, {"issues": {"fields": JSON_FIELDS}, "comments": JSON_COMMENTS, **source})


def test_json_document_nested_paths_and_comment_arrays(tmp_path: Path) -> None:
    doc = {
        "data": {
            "issues": [
                _jira_issue(1, status={"name": "Open", "id": "1"}),
                _jira_issue(2, parent={"key": "DEMO-1"}),
            ]
        }
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    issues, findings = read_all(
        _config(tmp_path, format="json", **{"issues": {"records": "data.issues", "fields": JSON_FIELDS}}),
        path,
    )  # type: ignore[arg-type]
    one, two = issues
    assert one.created_at == datetime(2021, 6, 1, 9, 0, tzinfo=UTC)
    assert one.created_by == UserRef(name="ivanov", email="ivanov@example.com", display="Иван Иванов")
    assert one.tags == ["backend", "db"] and one.components == ["Core", "API"]
    assert one.status == "Open"  # an object in a text field gives its name
    assert two.parent_key == "DEMO-1" and one.parent_key is None
    assert [c.text for c in one.comments] == ["a; b", "no id"]
    assert one.comments[0].source.id == "501" and one.comments[0].author.name == "5b10"
    assert one.comments[1].source.id.startswith("10001/comment/")
    assert (one.source.file, one.source.row, two.source.row) == ("export.json", 1, 2)
    assert list(findings) == []


def test_top_level_array(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([_jira_issue(1)]), encoding="utf-8")
    (issue,), _ = read_all(_config(tmp_path), path)  # type: ignore[arg-type]
    assert issue.key == "DEMO-1"


def test_missing_records_path_is_fatal_with_the_keys_that_exist(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"data": {"items": []}}), encoding="utf-8")
    config = _config(tmp_path, issues={"records": "data.issues", "fields": JSON_FIELDS})
    with pytest.raises(MigratorError) as err:
        read_all(config, path)  # type: ignore[arg-type]
    assert "export.json: the JSON path 'data.issues' does not exist" in str(err.value)
    assert "'items'" in str(err.value)


def test_invalid_json_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"a": [1, 2', encoding="utf-8")
    with pytest.raises(MigratorError, match="not valid JSON at line 1"):
        read_all(_config(tmp_path), path)  # type: ignore[arg-type]


def test_ndjson_records_and_bad_lines(tmp_path: Path) -> None:
    lines = [json.dumps(_jira_issue(1)), "{broken", "", json.dumps(_jira_issue(2)), json.dumps([1, 2])]
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    issues, findings = read_all(_config(tmp_path), path)  # type: ignore[arg-type]
    assert [(i.key, i.source.row) for i in issues] == [("DEMO-1", 1), ("DEMO-2", 4)]
    assert [(f.kind, f.row) for f in findings] == [
        ("json.invalid_record", 2),
        ("json.invalid_record", 5),
        ("source.path_always_empty", None),  # no record has fields.parent
        ("source.path_always_empty", None),  # nor fields.status
    ]


def test_epoch_numbers_and_flattened_objects(tmp_path: Path) -> None:
    record = {
        "idReadable": "YT-1", "id": "2-1", "summary": "s", "created": 1622548800000,
        "reporter": {"login": "root", "email": "root@example.com", "name": "Root"},
        "tags": [{"name": "a"}, {"name": "b"}],
        "customFields": [{"name": "Priority", "value": {"name": "Major"}}],
    }  # fmt: skip
    path = tmp_path / "youtrack.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    config = make_config(
        tmp_path,
        {"issues": {"fields": {
            "id": "id", "key": "idReadable", "summary": "summary", "created_at": "created",
            "created_by": "reporter", "tags": "tags[].name", "priority": "customFields[].value.name",
        }}},
    )  # fmt: skip
    (issue,), findings = read_all(config, path)
    assert issue.created_at == datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
    assert issue.created_by == UserRef(name="root", email="root@example.com", display="Root")
    assert issue.tags == ["a", "b"] and issue.priority == "Major"
    assert list(findings) == []


def test_separate_comment_records_in_the_same_document(tmp_path: Path) -> None:
    doc = {
        "issues": [{"id": 1, "key": "G-1", "title": "t", "created_at": "2021-06-01T00:00:00Z", "user": {"login": "bob"}}],
        "comments": [{"issue_id": 1, "user": "ann", "created_at": "2021-06-02T00:00:00Z", "body": "hi"},
                     {"issue_id": 2, "user": "ann", "created_at": "2021-06-02T00:00:00Z", "body": "lost"}],
    }  # fmt: skip
    path = tmp_path / "gh.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    config = make_config(
        tmp_path,
        {
            "issues": {"records": "issues", "fields": {
                "id": "id", "key": "key", "summary": "title", "created_at": "created_at", "created_by": "user"}},
            "comments": {"records": "comments", "fields": {
                "issue": "issue_id", "author": "user", "created_at": "created_at", "text": "body"}},
        },
    )  # fmt: skip
    (issue,), findings = read_all(config, path)
    assert [c.text for c in issue.comments] == ["hi"]
    assert [(f.kind, f.row) for f in findings] == [("child.orphan", 2)]
    assert of_kind(findings, "child.orphan")[0].file == "gh.json"
