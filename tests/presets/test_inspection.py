"""``migrator inspect``: the facts of an export read through its preset (text and ``--json``),
checked against the bundled Jira sample's ``expected.yaml`` and small exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from migrator.cli import main
from migrator.presets.survey import text_shape

from .presets_helpers import FIXTURE_PRESETS, ROOT, SPRINT_CSV, json_issues, write

JIRA = ROOT / "samples" / "jira"


def _inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["inspect", *args])
    return code, capsys.readouterr().out


def test_the_jira_sample_facts_match_its_expected_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    expected = yaml.safe_load((JIRA / "expected.yaml").read_text(encoding="utf-8"))
    code, out = _inspect(capsys, str(JIRA / "issues.csv"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["preset"]["name"] == "jira-csv" and data["preset"]["how"] == "detected"
    counts, want = data["counts"], expected["counts"]
    assert (counts["issues"], counts["comments"], counts["worklogs"]) == (
        want["issues"],
        want["comments"],
        want["worklogs"],
    )
    assert counts["files"] == {"present": 9, "missing": 0, "to_download": 0}
    assert counts["parents"] == {"inside": 4, "outside": 0}
    for name in ("status", "type", "priority"):
        assert data["values"][name] == expected["values"][name]
    people = {p["name"]: p for p in data["people"]}
    assert set(people) == {"jsmith", "mpetrova", "a.kuznetsov", "dave@example.com", "o.volkov"}
    assert data["timezone"]["evidence"] == "naive" and data["timezone"]["naive_times"] > 0
    created = next(d for d in data["dates"] if d["field"] == "created_at")
    assert set(created["shapes"]) == {"99/Mon/99 99:99 AM", "99/Mon/99 99:99 PM"}
    fill = next(t for t in data["tables"] if t["kind"] == "issues")["fill"]
    assert fill["Summary"] == 1.0 and fill["Security Level"] == 0.0
    assert data["cannot"] and data["blocking"] == []


def test_the_text_says_what_was_recognised_and_what_would_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "export.csv", SPRINT_CSV)
    code, out = _inspect(capsys, str(path), "--preset", str(FIXTURE_PRESETS / "csv-specific.yaml"))
    assert code == 0
    assert "Preset: csv-specific" in out and "given with --preset" in out
    assert "Issues: 4 (0 with a parent)" in out
    assert "status (4): Open ×1, Closed ×1, In Arbeit ×1, Alt (2024) ×1" in out
    assert "time zone: 4 times of day carry no offset" in out
    assert "value.unmapped ×1: status 'In Arbeit': not in values.status.map" in out
    assert "decision.undecided ×1: source.timezone is undecided" in out


def test_offsets_in_every_time_are_evidence_for_utc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "dump.json", json_issues(3))
    code, out = _inspect(capsys, str(path), "--preset", str(FIXTURE_PRESETS / "json-issues.yaml"), "--json")
    tz = json.loads(out)["timezone"]
    assert code == 0 and (tz["evidence"], tz["zoned_times"], tz["naive_times"]) == ("offsets", 3, 0)
    assert json.loads(out)["dates"][0]["offsets"] == {"+0300": 3}


def test_no_recognisable_export_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "notes.csv", "Foo,Bar\r\n1,2\r\n")
    assert main(["inspect", str(path)]) == 2
    assert "no preset recognises this export" in capsys.readouterr().err


def test_date_shapes() -> None:
    assert text_shape("23/Nov/21 1:36 PM") == "99/Mon/99 99:99 PM"
    assert text_shape("2024-03-01T10:00:00.000+0300") == "9999-99-99T99:99:99.999+9999"
    assert text_shape("11 Nov 2022") == "99 Mon 9999"


@pytest.mark.parametrize("command", ["inspect", "init"])
def test_an_asana_export_nested_too_deep_is_one_message(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = write(
        tmp_path, "project.json", '{"data": [{"gid": "1", "name": "x", "custom_fields": ' + deep + "}]}"
    )
    extra = ["--timezone", "UTC", "-o", str(tmp_path / "m.yaml")] if command == "init" else []
    assert main([command, str(path), "--preset", "asana-json", *extra]) == 2
    err = capsys.readouterr().err
    assert "project.json: the JSON is nested 100,003 levels deep, over limits.json_depth (100)" in err
    assert "Traceback" not in err and not (tmp_path / "m.yaml").exists()
    assert main([command, str(path), *extra]) == 2  # detection: the probe stops at the limit too
    assert "project.json read as json: nested more than 100 levels deep" in capsys.readouterr().err


def test_children_through_hierarchy_links_are_counted_apart_from_parent_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Azure DevOps' tree query carries its hierarchy as "Child of <type>" links, not a parent
    column: inspect counts those children (read through values.link) instead of saying "0"."""
    tree = ROOT / "samples" / "azure-devops-csv" / "Pix - tree.csv"
    code, out = _inspect(capsys, str(tree), "--preset", "azure-devops-csv", "--json")
    assert code == 0
    counts = json.loads(out)["counts"]
    assert (counts["with_parent"], counts["child_by_link"]) == (0, 7)
    code, text = _inspect(capsys, str(tree), "--preset", "azure-devops-csv")
    assert "Issues: 10 (0 with a parent, 7 a child through a hierarchy link)" in text


def test_an_issue_with_a_parent_field_is_not_counted_again_through_its_epic_link(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _inspect(capsys, str(JIRA / "issues.csv"), "--json")
    assert code == 0
    counts = json.loads(out)["counts"]
    # 4 sub-tasks by the Parent id column; 4 other issues are in an epic by their "Epic Link"
    assert (counts["with_parent"], counts["child_by_link"]) == (4, 4)
