"""The ``"?"`` marker: a mapping with open decisions loads, and ``validate`` blocks on each one with a
``decision.undecided`` error naming its key path and value (once for a scalar, at every use of an
undecided value or person); everything else is still checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from validate_helpers import default_target

from migrator.findings import Finding
from migrator.mapping.config import load_mapping
from migrator.pipeline.prepared import PrepareOptions
from migrator.validate import validate

CSV = (
    "Key,Summary,Created,Author,Status,Due\r\n"
    "A-1,First,2024-03-01 10:00,alice,Open,2024-04-01 00:00\r\n"
    "A-2,Second,2024-03-02 10:00,jdoe,QA Review,\r\n"
    "A-3,Third,2024-03-03 10:00,jdoe,QA Review,\r\n"
    "A-4,Fourth,2024-03-04 10:00,nobody-known,Weird,\r\n"
)


def _mapping(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "version": 1,
        "source": {
            "system": "demo",
            "timezone": "?",
            "date_formats": ["%Y-%m-%d %H:%M"],
            "issues": {
                "fields": {
                    "id": "Key",
                    "summary": "Summary",
                    "created_at": "Created",
                    "created_by": "Author",
                    "status": "Status",
                    "deadline": {"column": "Due", "timezone": "?"},
                }
            },
        },
        "target": {"queue": "DEMO", "namespace": "undecided"},
        "values": {
            "status": {"map": {"Open": "open", "QA Review": "?"}, "unmapped": "default", "default": "?"}
        },
        "users": {"map": {"jdoe": "?"}, "match": ["login"], "fallback": "?"},
    }
    data.update(changes)
    return data


def _validate(tmp_path: Path, mapping: dict[str, object]) -> list[Finding]:
    (tmp_path / "issues.csv").write_text(CSV, encoding="utf-8")
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    config = load_mapping(path)
    result = validate(config, [tmp_path / "issues.csv"], default_target(), PrepareOptions())
    return [f for f in result.findings if f.kind == "decision.undecided"]


def test_a_mapping_with_open_decisions_loads_and_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(_mapping()), encoding="utf-8")
    config = load_mapping(path)
    labels = [u.label for u in config.undecided]
    assert labels == [
        "source.timezone",
        "source.issues.fields.deadline.timezone",
        "values.status.map['QA Review']",
        "values.status.default",
        "users.map['jdoe']",
        "users.fallback",
    ]
    assert config.source.timezone == "UTC"  # a stand-in, so every date is still read
    assert config.users.fallback is None


def test_validate_blocks_on_every_open_decision_naming_key_and_value(tmp_path: Path) -> None:
    found = _validate(tmp_path, _mapping())
    scalars = sorted(f.field or "" for f in found if f.value == "?")
    assert scalars == ["source.issues.fields.deadline.timezone", "source.timezone", "users.fallback"]
    status = [(f.key, f.value) for f in found if f.field == "status"]
    assert status == [("A-2", "QA Review"), ("A-3", "QA Review"), ("A-4", "Weird")]
    assert "values.status.map" in next(f.message for f in found if f.value == "QA Review")
    assert "values.status.default" in next(f.message for f in found if f.value == "Weird")
    people = [(f.key, f.field, f.value) for f in found if f.value == "jdoe"]
    assert people == [("A-2", "created_by", "jdoe"), ("A-3", "created_by", "jdoe")]
    assert all(f.severity.value == "error" and f.hint for f in found)


def test_decided_values_raise_no_undecided_finding(tmp_path: Path) -> None:
    mapping = _mapping()
    source = mapping["source"]
    assert isinstance(source, dict)
    source["timezone"] = "Europe/Moscow"
    source["issues"]["fields"]["deadline"] = "Due"
    mapping["values"] = {"status": {"map": {"Open": "open", "QA Review": "inProgress", "Weird": "open"}}}
    mapping["users"] = {"map": {"jdoe": "bob"}, "match": ["login"], "fallback": "admin"}
    assert _validate(tmp_path, mapping) == []


def test_a_question_mark_elsewhere_is_an_ordinary_value(tmp_path: Path) -> None:
    mapping = _mapping()
    source = mapping["source"]
    assert isinstance(source, dict)
    source["placeholders"] = ["?"]
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    config = load_mapping(path)
    assert config.source.placeholders == ("?",)
    assert "source.placeholders" not in [u.path for u in config.undecided]


def test_an_undecided_queue_is_decided_by_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(_mapping(target={"queue": "?", "namespace": "n"})), encoding="utf-8")
    assert "target.queue" in [u.path for u in load_mapping(path).undecided]
    assert "target.queue" not in [u.path for u in load_mapping(path, queue="DEMO").undecided]


def test_run_refuses_an_undecided_queue_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migrator.cli import main

    (tmp_path / "issues.csv").write_text(CSV, encoding="utf-8")
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(_mapping(target={"queue": "?", "namespace": "n"})), encoding="utf-8")
    code = main(["validate", str(tmp_path / "issues.csv"), "--mapping", str(path)])
    assert code == 2
    assert "target.queue is undecided" in capsys.readouterr().err
