"""Excel workbooks: Issues/Comments/Links sheets, typed cells, missing sheets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from migrator.errors import MigratorError

from .sources_helpers import BASE_HEADER, make_config, of_kind, read_all


def _workbook(path: Path) -> Path:
    book = Workbook()
    issues = book.active
    issues.title = "Issues"
    issues.append(BASE_HEADER + ["Parent id", "Due", "Labels", "Labels", "Points"])
    issues.append(
        [
            10001,
            "DEMO-1",
            "Первая задача",
            datetime(2021, 6, 1, 12, 0),
            "ivanov",
            None,
            date(2021, 7, 1),
            "ui",
            "api",
            3,
        ]
    )
    issues.append(
        [10002, "DEMO-2", "Subtask", "01.06.2021 15:30", "petrov", 10001, "2021-07-02", None, None, 2.5]
    )
    issues.append([None, None, None, None, None])  # an empty row in the middle
    issues.append(
        [
            10003,
            "DEMO-3",
            "Third",
            datetime(2021, 6, 3, 8, 0),
            "ivanov",
            None,
            None,
            None,
            None,
            None,
            "stray",
        ]
    )
    comments = book.create_sheet("Comments")
    comments.append(["Issue id", "Author", "Created", "Text"])
    comments.append([10001, "petrov", datetime(2021, 6, 1, 13, 0), "Привет; мир"])
    comments.append([10002, "ivanov", datetime(2021, 6, 2, 9, 0), "second"])
    comments.append([99999, "ivanov", datetime(2021, 6, 2, 9, 0), "orphan"])
    links = book.create_sheet("Links")
    links.append(["From", "To", "Type"])
    links.append(["DEMO-1", "DEMO-3", "relates"])
    book.save(path)
    return path


def _config(tmp_path: Path, **extra: object) -> object:
    source = {
        "timezone": "Europe/Moscow",
        "date_formats": ["%d.%m.%Y %H:%M", "iso"],
        "parent_ref": "id",
        "comments": {"sheet": "Comments", "fields": {
            "issue": "Issue id", "author": "Author", "created_at": "Created", "text": "Text"}},
        "links": {"sheet": "Links", "fields": {"from": "From", "to": "To", "relationship": "Type"}},
        **extra,
    }  # fmt: skip
    fields = {"parent": "Parent id", "deadline": "Due", "tags": "Labels", "story_points": "Points"}
    return make_config(tmp_path, source, fields=fields)


def test_workbook_with_issue_comment_and_link_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    issues, findings = read_all(_config(tmp_path), path)  # type: ignore[arg-type]
    one, two, three = issues
    assert one.source.id == "10001" and one.key == "DEMO-1" and one.summary == "Первая задача"
    assert one.created_at == datetime(2021, 6, 1, 9, 0, tzinfo=UTC)  # Excel wall-clock time in Moscow
    assert two.created_at == datetime(2021, 6, 1, 12, 30, tzinfo=UTC)  # a text cell, parsed with the formats
    assert one.deadline == date(2021, 7, 1) and two.deadline == date(2021, 7, 2)
    assert one.tags == ["ui", "api"] and one.story_points == 3.0 and two.story_points == 2.5
    assert two.parent_key == "DEMO-1"  # numeric parent id translated to the key
    assert [c.text for c in one.comments] == ["Привет; мир"]
    assert one.comments[0].created_at == datetime(2021, 6, 1, 10, 0, tzinfo=UTC)
    assert (one.comments[0].source.file, one.comments[0].source.row) == ("export.xlsx", 2)
    assert [(lk.from_key, lk.to_key) for lk in one.links] == [("DEMO-1", "DEMO-3")]
    assert three.source.row == 5  # sheet row numbers, blank row included
    assert sorted(f.kind for f in findings) == ["child.orphan", "csv.ragged_row"]
    (ragged,) = of_kind(findings, "csv.ragged_row")
    assert (ragged.row, ragged.key, ragged.value) == (5, "DEMO-3", "stray")
    (orphan,) = of_kind(findings, "child.orphan")
    assert (orphan.file, orphan.row, orphan.value) == ("export.xlsx", 4, "99999")


def test_named_issue_sheet_and_missing_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    config = _config(tmp_path, issues={"sheet": "Issue"})
    with pytest.raises(MigratorError) as err:
        read_all(config, path)  # type: ignore[arg-type]
    assert "no sheet 'Issue'" in str(err.value) and "did you mean 'Issues'?" in str(err.value)


def test_missing_columns_in_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    config = make_config(tmp_path, {}, fields={"status": {"column": "Status", "required": True}})
    with pytest.raises(MigratorError, match=r"(?s)export.xlsx \[Issues\]: 1 column\(s\).*'Status'"):
        read_all(config, path)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(MigratorError, match="cannot open as an Excel workbook"):
        read_all(make_config(tmp_path, {}), path)
