"""Values: duration units, epoch dates (s, ms, Mongo $date), placeholders, localised dates, and
mapped paths that give nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from migrator.errors import ConfigError

from .sources_helpers import make_config, of_kind, read_all, write_csv

HEADER = ["Issue id", "Issue key", "Summary", "Created", "Reporter"]


def _one(
    tmp_path: Path, extra: dict[str, str], fields: dict[str, object], source: dict[str, object] | None = None
):  # type: ignore[no-untyped-def]
    rows = [HEADER + list(extra), ["1", "A-1", "s", "2021-06-01T10:00:00", "alice", *extra.values()]]
    config = make_config(tmp_path, source or {}, fields=fields)
    (issue,), findings = read_all(config, write_csv(tmp_path / "issues.csv", rows))
    return issue, findings


@pytest.mark.parametrize(
    ("cell", "unit", "expected"),
    [
        ("0.5", "hours", timedelta(minutes=30)),  # Redmine "Estimated time"
        ("4,50", "hours", timedelta(hours=4, minutes=30)),  # Redmine, Russian locale
        ("1800000", "ms", timedelta(minutes=30)),  # ClickUp "Time Estimated"
        ("90", "minutes", timedelta(minutes=90)),  # YouTrack minutes
        ("1.5", "days", timedelta(hours=12)),  # working days of hours_per_day (8)
        ("3600", "seconds", timedelta(hours=1)),
        ("1d 2h", "ms", timedelta(hours=10)),  # text keeps its own units
        ("PT1H30M", "hours", timedelta(minutes=90)),
    ],
)
def test_duration_units(tmp_path: Path, cell: str, unit: str, expected: timedelta) -> None:
    issue, findings = _one(
        tmp_path, {"Estimate": cell}, {"original_estimation": {"column": "Estimate", "unit": unit}}
    )
    assert issue.original_estimation == expected and not findings.errors


def test_a_bare_number_is_still_seconds_without_a_unit(tmp_path: Path) -> None:
    issue, _ = _one(tmp_path, {"Estimate": "7200"}, {"original_estimation": "Estimate"})
    assert issue.original_estimation == timedelta(hours=2)


@pytest.mark.parametrize(
    ("cell", "epoch"), [("1740986100", "s"), ("1740986100000", "ms"), ("1740986100000.0", "ms")]
)
def test_epoch_dates_in_text_cells(tmp_path: Path, cell: str, epoch: str) -> None:
    issue, findings = _one(tmp_path, {"Due": cell}, {"updated_at": {"column": "Due", "epoch": epoch}})
    assert issue.updated_at == datetime(2025, 3, 3, 7, 15, tzinfo=UTC) and not findings.errors


@pytest.mark.parametrize(("zone", "day"), [("UTC", date(2025, 4, 30)), ("Asia/Tokyo", date(2025, 5, 1))])
def test_epoch_dates_in_date_fields(tmp_path: Path, zone: str, day: date) -> None:
    # ClickUp "Due Date" 1746025200000 = 2025-04-30 15:00 UTC: the day it is in the source zone
    source = {"timezone": zone}
    issue, findings = _one(
        tmp_path, {"Due": "1746025200000"}, {"deadline": {"column": "Due", "epoch": "ms"}}, source
    )
    assert issue.deadline == day and not findings.errors


def test_epoch_field_with_text_that_is_not_a_number(tmp_path: Path) -> None:
    issue, findings = _one(tmp_path, {"Due": "soon"}, {"updated_at": {"column": "Due", "epoch": "ms"}})
    (bad,) = of_kind(findings, "date.unparsable")
    assert "not an epoch time in milliseconds" in bad.message and issue.updated_at is None


def test_mongo_extended_json_dates(tmp_path: Path) -> None:
    tickets = [
        {"id": 1, "summary": "a", "reporter": "al", "time": {"$date": 1740986100000}},
        {"id": 2, "summary": "b", "reporter": "al", "time": {"$date": {"$numberLong": "1740986100000"}}},
        {"id": 3, "summary": "c", "reporter": "al", "time": {"$date": "2025-03-03T07:15:00Z"}},
    ]
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps(tickets), encoding="utf-8")
    fields = {"id": "id", "key": "id", "summary": "summary", "created_at": "time", "created_by": "reporter"}
    issues, findings = read_all(make_config(tmp_path, {"format": "json"}, fields=fields), path)
    assert {i.created_at for i in issues} == {datetime(2025, 3, 3, 7, 15, tzinfo=UTC)} and not findings.errors


def test_placeholders_are_empty_values(tmp_path: Path) -> None:
    rows = [
        HEADER + ["Assignee", "Tags", "Points", "Fix versions"],
        [
            "1",
            "A-1",
            "s",
            "2021-06-01T10:00:00",
            "alice",
            "Unassigned",
            "[]",
            "NaN",
            "Нет версии исправления",
        ],
        ["2", "A-2", "s", "2021-06-01T10:00:00", "alice", "nobody@example.com", "ui", "3", "1.0"],
        ["3", "A-3", "s", "2021-06-01T10:00:00", "alice", "bob", "", "", ""],
    ]
    fields = {
        "assignee": "Assignee",
        "tags": "Tags",
        "story_points": {"column": "Points", "placeholders": ["NaN", "-"]},
        "fix_versions": {"column": "Fix versions", "placeholders": ["Нет версии исправления"]},
    }
    config = make_config(tmp_path, {"placeholders": ["unassigned", "nobody@*", "[]"]}, fields=fields)
    issues, findings = read_all(config, write_csv(tmp_path / "issues.csv", rows))
    assert [i.assignee.name if i.assignee else None for i in issues] == [None, None, "bob"]
    assert [i.tags for i in issues] == [[], ["ui"], []]
    assert [i.story_points for i in issues] == [None, 3.0, None]
    assert [i.fix_versions for i in issues] == [[], ["1.0"], []]
    assert not findings.errors  # "NaN" is not a number error: it is nothing


def test_a_json_path_that_gives_nothing_anywhere_is_a_warning(tmp_path: Path) -> None:
    records = [{"id": 1, "title": "a", "at": "2021-06-01T10:00:00", "by": "al", "labels": ["x"]}]
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    fields = {
        "id": "id",
        "key": "id",
        "summary": "title",
        "created_at": "at",
        "created_by": "by",
        "tags": "lables",
    }
    (issue,), findings = read_all(make_config(tmp_path, {"format": "json"}, fields=fields), path)
    (empty,) = of_kind(findings, "source.path_always_empty")
    assert empty.severity.value == "warning" and empty.field == "source.issues.fields.tags"
    assert "did you mean 'labels'?" in (empty.hint or "") and issue.tags == []


def test_an_array_empty_in_every_record_is_data_not_a_typo(tmp_path: Path) -> None:
    """Jira REST writes ``"components": []`` on every issue of a project without components: the
    path into it gives nothing, but it is not a mistake; a misspelt array still is."""
    records = [
        {"id": "1", "title": "t", "at": "2021-06-01T10:00:00", "by": "u", "components": [], "labels": []}
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    fields = {
        "id": "id", "key": "id", "summary": "title", "created_at": "at", "created_by": "by",
        "components": "components[].name", "tags": "lables[].name",
    }  # fmt: skip
    _, findings = read_all(make_config(tmp_path, {"format": "json"}, fields=fields), path)
    assert [f.field for f in of_kind(findings, "source.path_always_empty")] == ["source.issues.fields.tags"]


def test_a_json_path_no_record_has_nor_resembles_is_info(tmp_path: Path) -> None:
    records = [{"id": 1, "title": "a", "at": "2021-06-01T10:00:00", "by": "al"}]
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    fields = {"id": "id", "key": "id", "summary": "title", "created_at": "at", "created_by": "by"}
    fields["resolved_at"] = ["Closed Date", "Resolved Date"]  # a preset's candidates this export lacks
    _, findings = read_all(make_config(tmp_path, {"format": "json"}, fields=fields), path)
    (empty,) = of_kind(findings, "source.path_always_empty")
    assert (empty.severity.value, empty.field) == ("info", "source.issues.fields.resolved_at")
    assert "did you mean" not in (empty.hint or "")


def test_siblings_are_not_typos_but_a_misspelt_parent_is(tmp_path: Path) -> None:
    records = [{"id": 1, "title": "a", "at": "2021-06-01T10:00:00", "by": "al",
                "custom": {"State": "Open"}, "fields": {"labels": ["x"]},
                "files": [{"name": "a.txt", "comment": None}]}]  # fmt: skip
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    fields = {"id": "id", "key": "id", "summary": "title", "created_at": "at", "created_by": "by"}
    fields |= {"components": "custom.Subsystem", "tags": "feilds.labels"}
    source = {
        "format": "json",
        "attachments": {"path": "files", "fields": {"filename": "name", "comment_id": "comment"}},
    }
    _, findings = read_all(make_config(tmp_path, source, fields=fields), path)
    empty = {f.field: (f.severity.value, f.hint) for f in of_kind(findings, "source.path_always_empty")}
    assert empty["source.issues.fields.components"][0] == "info"  # custom.State is a sibling, not a typo
    assert empty["source.issues.fields.tags"] == ("warning", "did you mean 'fields.labels'?")
    assert "source.attachments.fields.comment_id" not in empty  # a child's key that is always null: data


def test_a_date_with_spanish_month_names_and_date_locale(tmp_path: Path) -> None:
    due = {"column": "Due", "date_formats": ["%d/%b/%y %I:%M %p", "iso"], "date_locale": "es"}
    issue, findings = _one(tmp_path, {"Due": "21/abr/26 11:37 p. m."}, {"updated_at": due})
    assert issue.updated_at == datetime(2026, 4, 21, 23, 37, tzinfo=UTC) and not findings.errors


def test_an_unreadable_localised_date_suggests_date_locale(tmp_path: Path) -> None:
    due = {"column": "Due", "date_formats": ["%d/%b/%y %I:%M %p"]}
    issue, findings = _one(tmp_path, {"Due": "21/abr/26 11:37 PM"}, {"updated_at": due})
    (bad,) = of_kind(findings, "date.unparsable")
    assert "date_locale: es" in (bad.hint or "") and "%d/abr" not in (bad.hint or "")


def test_a_format_with_a_literal_month_name_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, {"date_formats": ["%d/abr/%y %I:%M %p", "%Y-%H"], "date_locale": "xx-nope"})
    text = str(err.value)
    assert "source.date_formats[0]: '%d/abr/%y %I:%M %p' has the literal month or weekday name 'abr'" in text
    assert "set date_locale: es" in text
    assert "source.date_formats[1]: '%Y-%H' has no month (%m, %b, %B) and day (%d) directive" in text
    assert "source.date_locale: unknown date locale 'xx-nope'" in text
