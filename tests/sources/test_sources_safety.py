"""Hostile exports: absurd nesting, giant numbers, NaN/Infinity, control characters, oversize cells,
zip bombs in .xlsx — each a finding naming file, row and field, or one clear error naming the
limit to raise; never a traceback, never gigabytes of memory."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.mapping.config import MappingConfig
from migrator.sources.json_text import nesting_depth

from .sources_helpers import BASE_HEADER, issue_row, make_config, of_kind, read_all, write_csv

DEEP = 100_000


def json_config(tmp_path: Path, **extra: object) -> MappingConfig:
    fields = {
        "id": "id",
        "key": "key",
        "summary": "summary",
        "created_at": "created",
        "created_by": "author",
        "story_points": "points",
    }
    return make_config(tmp_path, {"format": "json", "issues": {"fields": fields}, **extra})


def issue(n: int, **values: object) -> dict[str, object]:
    return {
        "id": str(n),
        "key": f"D-{n}",
        "summary": f"s{n}",
        "created": "2021-06-01T12:00:00Z",
        "author": "a",
    } | values


def with_limits(config: MappingConfig, **limits: float) -> MappingConfig:
    config.source.limits = config.source.limits.with_values(limits)
    return config


# ------------------------------------------------------------------------------------------- JSON


def test_json_nested_100000_deep_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    with pytest.raises(MigratorError) as caught:
        read_all(json_config(tmp_path), path)
    message = str(caught.value)
    assert "issues.json" in message and f"nested {DEEP:,} levels deep" in message
    assert "limits.json_depth (100)" in message and "--limit json_depth=" in message


def test_json_depth_can_be_raised_and_strings_do_not_count(tmp_path: Path) -> None:
    nested: object = "bottom"
    for _ in range(150):
        nested = {"n": nested}
    path = tmp_path / "issues.json"
    path.write_text(json.dumps([issue(1, extra=nested, summary="[[[[{{{{ not nesting")]), encoding="utf-8")
    with pytest.raises(MigratorError, match="nested 152 levels deep"):
        read_all(json_config(tmp_path), path)
    issues, _ = read_all(with_limits(json_config(tmp_path), json_depth=200), path)
    assert [i.summary for i in issues] == ["[[[[{{{{ not nesting"]


def test_a_deep_ndjson_line_is_a_finding_and_the_other_lines_are_read(tmp_path: Path) -> None:
    path = tmp_path / "issues.ndjson"
    lines = [json.dumps(issue(1)), '{"deep": ' + "[" * DEEP + "]" * DEEP + "}", json.dumps(issue(3))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    issues, findings = read_all(json_config(tmp_path, format="ndjson"), path)
    assert [i.key for i in issues] == ["D-1", "D-3"]
    (f,) = of_kind(findings, "json.invalid_record")
    assert (f.severity, f.file, f.row) == (Severity.ERROR, "issues.ndjson", 2)
    assert f"nested {DEEP + 1:,} levels deep" in f.message and "json_depth" in (f.hint or "")


def test_an_ndjson_line_over_the_cell_limit_is_skipped_with_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "issues.ndjson"
    big = json.dumps(issue(2, summary="x" * 3 * 1024 * 1024))
    path.write_text("\n".join([json.dumps(issue(1)), big, json.dumps(issue(3))]) + "\n", encoding="utf-8")
    issues, findings = read_all(with_limits(json_config(tmp_path, format="ndjson"), cell_mb=1), path)
    assert [i.key for i in issues] == ["D-1", "D-3"]
    (f,) = of_kind(findings, "json.invalid_record")
    assert f.row == 2 and "over limits.cell_mb (1 MB)" in f.message


def test_a_number_python_cannot_convert_is_kept_as_text_or_reported(tmp_path: Path) -> None:
    digits = "7" * 5000
    path = tmp_path / "issues.json"
    path.write_text(f'[{{"id": {digits}, "key": "D-1", "summary": {digits}, "created": "2021-06-01T12:00:00Z",'
                    f' "author": "a", "points": {digits}}}]', encoding="utf-8")  # fmt: skip
    issues, findings = read_all(json_config(tmp_path), path)
    (one,) = issues
    assert one.summary == digits and one.source.id == digits  # text keeps every digit
    assert one.story_points is None
    (f,) = of_kind(findings, "number.not_finite")
    assert (f.severity, f.file, f.row, f.key, f.field) == (
        Severity.ERROR,
        "issues.json",
        1,
        "D-1",
        "story_points",
    )


def test_nan_and_infinity_in_json_are_errors_for_numbers_and_text_for_text(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text(
        '[{"id": 1, "key": "D-1", "summary": NaN, "created": "2021-06-01T12:00:00Z", "author": "a", "points": NaN},'
        ' {"id": 2, "key": "D-2", "summary": "s", "created": "2021-06-01T12:00:00Z", "author": "a",'
        ' "points": -Infinity}]',
        encoding="utf-8",
    )
    issues, findings = read_all(json_config(tmp_path), path)
    assert [(i.summary, i.story_points) for i in issues] == [("NaN", None), ("s", None)]
    assert [(f.row, f.field, f.value) for f in of_kind(findings, "number.not_finite")] == [
        (1, "story_points", "NaN"),
        (2, "story_points", "-Infinity"),
    ]


def test_an_epoch_time_out_of_range_is_a_date_finding(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps([issue(1, created=1e20), issue(2, created=-1e300)]), encoding="utf-8")
    issues, findings = read_all(json_config(tmp_path), path)
    assert issues == []  # created_at is required
    assert [(f.row, f.field) for f in of_kind(findings, "date.unparsable")] == [
        (1, "created_at"),
        (2, "created_at"),
    ]
    assert "out of range" in of_kind(findings, "date.unparsable")[0].message


# -------------------------------------------------------------------------------------------- CSV


def csv_config(tmp_path: Path) -> MappingConfig:
    return make_config(
        tmp_path,
        {
            "timezone": "Europe/Moscow",
            "date_formats": ["%Y-%m-%d %H:%M"],
            "issues": {"custom": {"count": {"column": "Count", "type": "int"}}},
            "attachments": {"column": "File", "pattern": "{filename};{size}"},
        },
        fields={"story_points": "Points", "original_estimation": "Estimate"},
    )


CSV_HEADER = [*BASE_HEADER, "Points", "Count", "Estimate", "File"]


def csv_row(
    n: int, points: str = "", count: str = "", estimate: str = "", file: str = "", **kw: str
) -> list[str]:
    return [*issue_row(str(n), f"D-{n}", kw.get("summary", f"s{n}"), kw.get("created", "2021-06-01 12:00")),
            points, count, estimate, file]  # fmt: skip


@pytest.mark.parametrize("points", ["NaN", "nan", "Infinity", "-inf", "1e999", "9" * 5000])
def test_a_number_field_that_is_not_finite_is_an_error(tmp_path: Path, points: str) -> None:
    path = write_csv(tmp_path / "issues.csv", [CSV_HEADER, csv_row(1, points=points)])
    (one,), findings = read_all(csv_config(tmp_path), path)
    assert one.story_points is None
    (f,) = of_kind(findings, "number.not_finite")
    assert (f.severity, f.row, f.key, f.field) == (Severity.ERROR, 2, "D-1", "story_points")
    assert "NaN, Infinity or a number too large" in f.message


def test_integer_fields_report_overflow_instead_of_crashing(tmp_path: Path) -> None:
    rows = [CSV_HEADER, csv_row(1, count="1e400", file="a.txt;1e400"), csv_row(2, estimate="9" * 400)]
    issues, findings = read_all(csv_config(tmp_path), write_csv(tmp_path / "issues.csv", rows))
    assert [f.field for f in of_kind(findings, "number.not_finite")] == ["custom.count", "attachments.size"]
    (f,) = of_kind(findings, "duration.unparsable")
    assert (f.row, f.field) == (3, "original_estimation") and "too long" in f.message
    assert issues[0].custom.get("count") is None and issues[0].attachments[0].size is None


def test_a_time_before_year_one_in_utc_is_a_date_finding(tmp_path: Path) -> None:
    rows = [CSV_HEADER, csv_row(1, created="0001-01-01 00:00"), csv_row(2, created="0999-06-01 12:00")]
    issues, findings = read_all(csv_config(tmp_path), write_csv(tmp_path / "issues.csv", rows))
    (f,) = of_kind(findings, "date.unparsable")
    assert (f.row, f.field) == (2, "created_at") and "outside the years 1–9999 in UTC" in f.message
    assert [i.created_at.year for i in issues if i.created_at] == [999]


def test_control_characters_are_stripped_with_a_warning(tmp_path: Path) -> None:
    rows = [
        CSV_HEADER,
        csv_row(1, summary="Nul\x00 and\x07 bell\x1b"),
        csv_row(2, summary="tab\tis fine\r\n"),
    ]
    issues, findings = read_all(csv_config(tmp_path), write_csv(tmp_path / "issues.csv", rows))
    assert [i.summary for i in issues] == ["Nul and bell", "tab\tis fine"]
    (f,) = of_kind(findings, "text.control_characters")
    assert (f.severity, f.row, f.key, f.field) == (Severity.WARNING, 2, "D-1", "summary")
    assert "U+0000, U+0007, U+001B" in f.message and f.value == "Nul and bell"


def test_a_cell_over_the_cell_limit_stops_with_the_row_and_the_setting(tmp_path: Path) -> None:
    rows = [CSV_HEADER, csv_row(1), csv_row(2, summary="y" * (2 * 1024 * 1024))]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = with_limits(csv_config(tmp_path), cell_mb=1)
    with pytest.raises(MigratorError) as caught:
        read_all(config, path)
    message = str(caught.value)
    assert "issues.csv row 3" in message and "limits.cell_mb (1 MB)" in message and "Traceback" not in message
    issues, _ = read_all(with_limits(config, cell_mb=4), path)
    assert len(issues[1].summary or "") == 2 * 1024 * 1024


# ------------------------------------------------------------------------------------------- XLSX


def workbook(path: Path, points: object = 5) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append([*BASE_HEADER, "Points"])
    sheet.append(["1", "D-1", "s", "2021-06-01T12:00:00", "a", points])
    book.save(path)
    return path


def rewrite(path: Path, member: str, change: Callable[[str], str]) -> None:
    with zipfile.ZipFile(path) as old:
        parts = {info.filename: old.read(info) for info in old.infolist()}
    parts[member] = change(parts[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)


def xlsx_config(tmp_path: Path) -> MappingConfig:
    return make_config(tmp_path, {"format": "excel"}, fields={"story_points": "Points"})


def padded_workbook(path: Path, padding: int) -> Path:
    """A valid workbook whose sheet part carries ``padding`` bytes of an XML comment: it packs to
    a few KiB and unpacks to ``padding`` bytes, like a zip bomb (Excel cells stop at 32,767 chars)."""
    workbook(path)
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("<sheetData>", f"<!--{'x' * padding}--><sheetData>"),
    )
    return path


def test_a_highly_compressed_part_is_refused_before_openpyxl_reads_it(tmp_path: Path) -> None:
    path = padded_workbook(tmp_path / "issues.xlsx", 4 * 1024 * 1024)
    with pytest.raises(MigratorError) as caught:
        read_all(xlsx_config(tmp_path), path)
    message = str(caught.value)
    assert "issues.xlsx" in message and "part xl/worksheets/sheet1.xml unpacks" in message
    assert "limits.xlsx_ratio (200)" in message and "--limit xlsx_ratio=" in message
    issues, _ = read_all(with_limits(xlsx_config(tmp_path), xlsx_ratio=100_000), path)
    assert [i.summary for i in issues] == ["s"]


def test_the_unpacked_size_of_a_workbook_is_limited(tmp_path: Path) -> None:
    path = padded_workbook(tmp_path / "issues.xlsx", 2 * 1024 * 1024)
    config = with_limits(xlsx_config(tmp_path), xlsx_ratio=100_000, xlsx_unpacked_mb=1)
    with pytest.raises(MigratorError) as caught:
        read_all(config, path)
    assert "unpacks to 2 MB" in str(caught.value) and "limits.xlsx_unpacked_mb (1 MB)" in str(caught.value)


def test_an_excel_number_python_cannot_convert_names_the_row(tmp_path: Path) -> None:
    path = workbook(tmp_path / "issues.xlsx", points=123454321)
    rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace("123454321", "9" * 5000))
    with pytest.raises(MigratorError) as caught:
        read_all(xlsx_config(tmp_path), path)
    message = str(caught.value)
    assert "issues.xlsx [Sheet] row 2" in message and "4300 digits" in message


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        (r'["quote \" [[[[", {"backslash": "\\"}, [["]]]]"]]]', 3),  # escapes and brackets inside strings
        ('"just a string [with] {brackets}"', 0),
    ],
)
def test_nesting_depth_ignores_brackets_inside_strings(text: str, depth: int) -> None:
    assert json.loads(text) is not None  # each sample is valid JSON
    assert nesting_depth(text) == depth


# -------------------------------------------------------------------------------------------- XML


def xml_config(tmp_path: Path) -> MappingConfig:
    fields = {"id": "id", "key": "key", "summary": "summary", "created_at": "created", "created_by": "author"}
    return make_config(tmp_path, {"format": "xml", "issues": {"records": "export.issue", "fields": fields}})


def xml_issue(n: int, summary: str = "s", extra: str = "") -> str:
    return (
        f"<issue><id>{n}</id><key>D-{n}</key><summary>{summary}</summary>"
        f"<created>2021-06-01T12:00:00Z</created><author>a</author>{extra}</issue>"
    )


def test_xml_elements_nested_too_deep_are_one_clear_error_naming_the_record(tmp_path: Path) -> None:
    deep = "<n>" * 200 + "</n>" * 200
    path = tmp_path / "issues.xml"
    path.write_text(f"<export>{xml_issue(1)}{xml_issue(2, extra=deep)}</export>", encoding="utf-8")
    with pytest.raises(MigratorError) as caught:
        read_all(xml_config(tmp_path), path)
    message = str(caught.value)
    assert "issues.xml (record 2)" in message and "nested 202 levels deep" in message
    assert "limits.json_depth (100)" in message and "--limit json_depth=" in message
    issues, _ = read_all(with_limits(xml_config(tmp_path), json_depth=300), path)
    assert [i.key for i in issues] == ["D-1", "D-2"]


def test_an_xml_text_over_the_cell_limit_stops_with_the_record_and_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "issues.xml"
    path.write_text(
        f"<export>{xml_issue(1)}{xml_issue(2, summary='y' * (2 * 1024 * 1024))}</export>", encoding="utf-8"
    )
    config = with_limits(xml_config(tmp_path), cell_mb=1)
    with pytest.raises(MigratorError) as caught:
        read_all(config, path)
    message = str(caught.value)
    assert "issues.xml (record 2): the text of <summary> is over limits.cell_mb (1 MB)" in message
    assert "--limit cell_mb=N" in message
    issues, _ = read_all(with_limits(config, cell_mb=4), path)
    assert len(issues[1].summary or "") == 2 * 1024 * 1024


def test_json_in_a_csv_cell_nested_too_deep_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * DEEP + "]" * DEEP
    rows = [[*BASE_HEADER, "Meta"], [*issue_row("1", "D-1", "s", "2021-06-01 12:00"), deep]]
    path = write_csv(tmp_path / "issues.csv", rows)
    custom = {"meta": {"column": "Meta", "parse": "json"}, "inner": {"column": "Meta[].x"}}
    (one,), findings = read_all(make_config(tmp_path, {"issues": {"custom": custom}}), path)
    assert one.custom == {}
    (parsed,) = of_kind(findings, "value.not_json")
    assert parsed.row == 2 and f"nested {DEEP:,} levels deep" in parsed.message
    (path_into,) = of_kind(findings, "json.invalid_cell")
    assert path_into.field == "Meta" and "limits.json_depth (100)" in path_into.message
