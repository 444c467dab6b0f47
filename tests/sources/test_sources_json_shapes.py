"""JSON documents of every shape: one object as the record, collections keyed by id, records at a
path that holds an object, and big arrays streamed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.sources.json_reader import read_json

from .sources_helpers import make_config, read_all

FIELDS = {"id": "id", "key": "key", "summary": "title", "created_at": "created", "created_by": "author"}


def _issue(n: int) -> dict[str, object]:
    return {
        "id": str(n),
        "key": f"T-{n}",
        "title": f"Issue {n}",
        "created": "2022-03-01T10:00:00Z",
        "author": "ana",
    }


def test_a_top_level_object_is_one_record(tmp_path: Path) -> None:
    """A JSON file per issue (or Trello's single-card export) holds the record itself."""
    path = tmp_path / "T-7.json"
    path.write_text(json.dumps(_issue(7)), encoding="utf-8")
    (issue,), _ = read_all(make_config(tmp_path, {}, fields=FIELDS), path)
    assert (issue.key, issue.source.row) == ("T-7", 1)


def test_records_at_a_path_holding_an_object_are_one_record(tmp_path: Path) -> None:
    path = tmp_path / "issue.json"
    path.write_text(json.dumps({"meta": {"v": 2}, "issue": _issue(3)}), encoding="utf-8")
    config = make_config(tmp_path, {"issues": {"records": "issue"}}, fields=FIELDS)
    (issue,), _ = read_all(config, path)
    assert issue.key == "T-3"


def test_a_collection_keyed_by_id_gives_the_key_as_a_field(tmp_path: Path) -> None:
    collection = {"101": {"title": "First", "created": "2022-03-01T10:00:00Z", "author": "ana"},
                  "102": {"title": "Second", "created": "2022-03-02T10:00:00Z", "author": "ben"}}  # fmt: skip
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"project": "X", "issues": collection}), encoding="utf-8")
    fields = {**FIELDS, "id": "$key", "key": "$key"}
    config = make_config(tmp_path, {"issues": {"records": "issues.*"}}, fields=fields)
    issues, _ = read_all(config, path)
    assert [(i.source.id, i.summary, i.source.row) for i in issues] == [
        ("101", "First", 1),
        ("102", "Second", 2),
    ]


def test_a_keyed_collection_of_plain_values_gives_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": {"7": "ana@example.com", "8": "ben@example.com"}}), encoding="utf-8")
    records = [r.values for r in read_json(path, encoding="auto", records="users.*")]
    assert records == [{"$key": "7", "$value": "ana@example.com"}, {"$key": "8", "$value": "ben@example.com"}]


def test_a_keyed_path_on_an_array_and_a_scalar_path_are_fatal(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"issues": [_issue(1)], "count": 1}), encoding="utf-8")
    with pytest.raises(
        MigratorError, match=r"'issues\.\*' needs an object keyed by id, but issues is an array"
    ):
        list(read_json(path, encoding="auto", records="issues.*"))
    with pytest.raises(MigratorError, match=r"the JSON path 'count' is a number, not an array of records"):
        list(read_json(path, encoding="auto", records="count"))


def test_a_missing_nested_path_names_the_level_and_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"data": {"items": [], "total": 0}}), encoding="utf-8")
    with pytest.raises(MigratorError) as err:
        list(read_json(path, encoding="auto", records="data.issues.all"))
    assert "the JSON path 'data.issues.all' does not exist: data (object) has no 'issues'" in str(err.value)
    assert "'items', 'total'" in str(err.value)


def test_big_arrays_are_streamed_record_by_record(tmp_path: Path) -> None:
    """The first record is handed out before the rest of the document has been parsed: a damaged
    tail is only met when the stream gets there."""
    body = ",".join(json.dumps(_issue(n)) for n in range(3000))
    path = tmp_path / "big.json"
    path.write_text('{"issues": [' + body + ', {"id": ', encoding="utf-8")
    records = read_json(path, encoding="auto", records="issues")
    assert next(records).get("key") == "T-0"
    with pytest.raises(MigratorError, match="big.json: not valid JSON at line 1"):
        list(records)


def test_non_integer_numbers_are_floats_not_decimals(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{**_issue(1), "points": 2.5}]), encoding="utf-8")
    (record,) = read_json(path, encoding="auto", records=None)
    assert type(record.get("points")) is float
