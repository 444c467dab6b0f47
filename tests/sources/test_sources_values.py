"""Typed fields: dates and zones (every date problem kind), dates, durations, numbers, custom fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from migrator.model import UserRef
from migrator.sources.values import SharedUsers, as_user

from .sources_helpers import BASE_HEADER, issue_row, make_config, read_all, write_csv


def _read(
    tmp_path: Path,
    created: list[str],
    source: dict[str, Any],
    fields: dict[str, Any] | None = None,
    extra_header: list[str] | None = None,
    extra: list[list[str]] | None = None,
):  # type: ignore[no-untyped-def]
    rows: list[list[str]] = [BASE_HEADER + (extra_header or [])]
    for n, value in enumerate(created, start=1):
        rows.append(
            issue_row(str(n), f"A-{n}", f"s{n}", created=value) + ((extra or [])[n - 1] if extra else [])
        )
    path = write_csv(tmp_path / "issues.csv", rows)
    return read_all(make_config(tmp_path, source, fields=fields), path)


def test_source_time_zone_is_applied(tmp_path: Path) -> None:
    (issue,), findings = _read(
        tmp_path, ["2021-06-01 12:00"], {"timezone": "Europe/Moscow", "date_formats": ["%Y-%m-%d %H:%M"]}
    )
    assert issue.created_at == datetime(2021, 6, 1, 9, 0, tzinfo=UTC)
    assert issue.created_at.utcoffset() is not None
    assert list(findings) == []


def test_explicit_offset_wins_over_the_zone(tmp_path: Path) -> None:
    (issue,), _ = _read(tmp_path, ["2021-06-01T12:00:00+00:00"], {"timezone": "Europe/Moscow"})
    assert issue.created_at == datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


def test_unparsable_date(tmp_path: Path) -> None:
    issues, findings = _read(tmp_path, ["2021-06-01T12:00:00", "yesterday"], {})
    assert [i.key for i in issues] == ["A-1"]  # created_at is required: the issue is skipped
    (finding,) = findings
    assert (finding.kind, finding.severity.value, finding.row, finding.key, finding.field, finding.value) == (
        "date.unparsable", "error", 3, "A-2", "created_at", "yesterday",
    )  # fmt: skip
    assert finding.hint and "date_formats" in finding.hint


def test_ambiguous_date(tmp_path: Path) -> None:
    issues, findings = _read(
        tmp_path, ["03/04/2021", "13/04/2021"], {"date_formats": ["%d/%m/%Y", "%m/%d/%Y"]}
    )
    assert [i.created_at for i in issues] == [datetime(2021, 4, 13, tzinfo=UTC)]  # only one reading
    (finding,) = findings
    assert (finding.kind, finding.severity.value, finding.row, finding.value) == (
        "date.ambiguous", "error", 2, "03/04/2021",
    )  # fmt: skip


def test_dst_gap_and_overlap_are_warnings_and_the_value_is_kept(tmp_path: Path) -> None:
    issues, findings = _read(
        tmp_path,
        ["2021-03-28 02:30", "2021-10-31 02:30"],
        {"timezone": "Europe/Berlin", "date_formats": ["%Y-%m-%d %H:%M"]},
    )
    assert len(issues) == 2
    assert issues[0].created_at == datetime(2021, 3, 28, 1, 30, tzinfo=UTC)  # pre-transition offset (+01:00)
    assert issues[1].created_at == datetime(2021, 10, 31, 0, 30, tzinfo=UTC)  # the earlier instant (+02:00)
    assert [(f.kind, f.severity.value, f.row) for f in findings] == [
        ("date.dst_gap", "warning", 2), ("date.dst_overlap", "warning", 3),
    ]  # fmt: skip


def test_field_level_formats_and_zone_override(tmp_path: Path) -> None:
    fields = {
        "updated_at": {"column": "Updated", "timezone": "Asia/Tokyo", "date_formats": ["%d.%m.%Y %H:%M"]},
        "deadline": {"column": "Due", "date_formats": ["%d/%b/%y"]},
        "start": "Start",
    }
    (issue,), findings = _read(
        tmp_path, ["2021-06-01T00:00:00"], {}, fields,
        ["Updated", "Due", "Start"], [["02.06.2021 09:00", "05/Jul/21", "2021-06-03T23:30:00+05:00"]],
    )  # fmt: skip
    assert issue.updated_at == datetime(2021, 6, 2, 0, 0, tzinfo=UTC)
    assert issue.deadline == date(2021, 7, 5)
    assert issue.start == date(2021, 6, 3)  # a datetime value reduced to its (own) date
    assert list(findings) == []


def test_durations_numbers_and_their_problems(tmp_path: Path) -> None:
    fields = {"original_estimation": "Estimate", "spent": "Spent", "story_points": "Points"}
    issues, findings = _read(
        tmp_path, ["2021-06-01T00:00:00", "2021-06-01T00:00:00"], {"hours_per_day": 6}, fields,
        ["Estimate", "Spent", "Points"], [["1d 2h", "5400", "3,5"], ["soon", "PT1H", "many"]],
    )  # fmt: skip
    one, two = issues
    assert one.original_estimation == timedelta(hours=8) and one.spent == timedelta(minutes=90)
    assert one.story_points == 3.5
    assert two.original_estimation is None and two.spent == timedelta(hours=1) and two.story_points is None
    assert [(f.kind, f.row, f.field) for f in findings] == [
        ("duration.unparsable", 3, "original_estimation"), ("number.unparsable", 3, "story_points"),
    ]  # fmt: skip


def test_required_field_missing_skips_the_issue(tmp_path: Path) -> None:
    rows = [BASE_HEADER, issue_row("1", "A-1", ""), issue_row("2", "A-2", "ok", reporter=" ")]
    path = write_csv(tmp_path / "issues.csv", rows)
    issues, findings = read_all(make_config(tmp_path, {}), path)
    assert issues == []
    assert [(f.kind, f.severity.value, f.row, f.key, f.field) for f in findings] == [
        ("field.required_missing", "error", 2, "A-1", "summary"),
        ("field.required_missing", "error", 3, "A-2", "created_by"),
    ]


def test_default_fills_a_required_field(tmp_path: Path) -> None:
    rows = [BASE_HEADER, issue_row("1", "A-1", "s", reporter="")]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(tmp_path, {}, fields={"created_by": {"column": "Reporter", "default": "ghost"}})
    (issue,), findings = read_all(config, path)
    assert issue.created_by == UserRef(name="ghost") and list(findings) == []


def test_custom_fields_raw_and_typed(tmp_path: Path) -> None:
    header = ["Customer", "Seats", "Go-live", "Flags", "Paid", "Owner", "Seats2"]
    rows = [["Acme", "12", "2021-07-01", "a|b", "yes", "bob", "1.5"]]
    config_custom = {
        "customer": "Customer",
        "seats": {"column": "Seats", "type": "int"},
        "golive": {"column": "Go-live", "type": "date"},
        "flags": {"column": "Flags", "type": "list", "split": "|"},
        "paid": {"column": "Paid", "type": "bool"},
        "owner": {"column": "Owner", "type": "user"},
        "bad_int": {"column": "Seats2", "type": "int"},
    }
    (issue,), findings = _read(
        tmp_path, ["2021-06-01T00:00:00"], {"issues": {"custom": config_custom}}, None, header, rows
    )
    assert issue.custom == {
        "customer": "Acme", "seats": 12, "golive": date(2021, 7, 1), "flags": ["a", "b"], "paid": True,
        "owner": UserRef(name="bob"),
    }  # fmt: skip
    assert [(f.kind, f.field) for f in findings] == [("number.unparsable", "custom.bad_int")]


def test_a_user_named_again_is_the_same_object_with_the_same_values() -> None:
    """``as_user`` with ``SharedUsers`` gives one ``UserRef`` per user (pickle then sends it once per
    batch of issues); its memory is bounded: emptied when full, after which users are still made right."""
    shared = SharedUsers(limit=2)
    first = as_user(" carol@example.com ", shared)
    assert first == UserRef(name="carol@example.com")
    assert as_user("carol@example.com", shared) is first
    detailed = as_user({"name": "bob", "email": "bob@example.com", "displayName": "Bob"}, shared)
    assert detailed == UserRef(name="bob", email="bob@example.com", display="Bob")
    assert as_user({"name": "bob", "email": "bob@example.com", "displayName": "Bob"}, shared) is detailed
    assert as_user("bob", shared) == UserRef(name="bob")  # not the detailed one: other values
    assert len(shared) <= 2  # emptied when full
    assert as_user("carol@example.com", shared) == first
    assert as_user("", shared) is None
    assert as_user("carol@example.com") is not as_user("carol@example.com")  # without: a new one each time
