"""The XLSX report: sheets, tables, text-only cells, sheet names and continuation sheets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from migrator.findings import Finding, Severity
from migrator.report.xlsx import (
    EXCEL_MAX_CELL_CHARS,
    FINDING_COLUMNS,
    SUMMARY_COLUMNS,
    USER_COLUMNS,
    VALUE_MAP_COLUMNS,
    SheetNamer,
    excel_text,
    shorten_sheet_name,
    write_xlsx_report,
)
from migrator.results import ValidationResult

from .report_samples import CONTROL, CYRILLIC, FORMULAS, LONG, NEWLINES, SCRIPT, make_result, many_findings

FIXED_SHEETS = ["Summary", "Value maps", "Users"]


def write(result: ValidationResult, tmp_path: Path, **kwargs: int) -> Workbook:
    return load_workbook(write_xlsx_report(result, tmp_path / "report.xlsx", **kwargs))


def data_rows(sheet) -> list[tuple]:  # noqa: ANN001 - openpyxl worksheet
    return list(sheet.iter_rows(min_row=2, values_only=True))


def summary_sheets(workbook: Workbook) -> list[str]:
    return [name for name in workbook.sheetnames if name == "Summary" or name.startswith("Summary (")]


def summary(workbook: Workbook) -> dict[tuple[str, str], tuple]:
    """The Summary table, read across its continuation sheets if a small row limit split it."""
    return {
        (row[0], row[1]): row[2:] for name in summary_sheets(workbook) for row in data_rows(workbook[name])
    }


@pytest.fixture
def workbook(tmp_path: Path, result: ValidationResult) -> Workbook:
    return write(result, tmp_path)


def test_writes_the_file_and_a_directory_gets_report_xlsx(tmp_path: Path, result: ValidationResult) -> None:
    assert write_xlsx_report(result, tmp_path / "sub" / "x.xlsx") == tmp_path / "sub" / "x.xlsx"
    assert write_xlsx_report(result, tmp_path) == tmp_path / "report.xlsx"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["x.xlsx"]


def test_sheets_are_summary_value_maps_users_then_one_per_kind_worst_first(workbook: Workbook) -> None:
    assert workbook.sheetnames == [*FIXED_SHEETS, "value.suspicious", "date.unparsable", "user.unresolved"]


def test_every_sheet_is_a_table_with_frozen_header_and_autofilter(workbook: Workbook) -> None:
    headers = {"Summary": SUMMARY_COLUMNS, "Value maps": VALUE_MAP_COLUMNS, "Users": USER_COLUMNS}
    for sheet in workbook.worksheets:
        expected = headers.get(sheet.title, FINDING_COLUMNS)
        assert tuple(c.value for c in sheet[1]) == expected, sheet.title
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(expected))}{sheet.max_row}", sheet.title


def test_finding_rows_per_kind_match_the_result(workbook: Workbook, result: ValidationResult) -> None:
    per_kind = Counter(f.kind for f in result.findings)
    for kind, count in per_kind.items():
        rows = data_rows(workbook[kind])
        assert len(rows) == count
        assert {row[1] for row in rows} == {kind}
    first = next(iter(result.findings))
    assert data_rows(workbook[first.kind])[0] == (
        first.severity.value, first.kind, first.file, first.row, first.key, first.field, first.value,
        first.message, first.hint,
    )  # fmt: skip


def test_formula_like_values_are_text_cells(workbook: Workbook) -> None:
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s"
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate}"
                    seen.add(cell.value)
    assert set(FORMULAS) <= seen


def test_text_survives_as_written(workbook: Workbook) -> None:
    values = {row[6] for sheet in workbook.worksheets[3:] for row in data_rows(sheet)}
    assert {SCRIPT, CYRILLIC, LONG, "first line\nsecond line\nthird"} <= values
    assert NEWLINES == "first line\nsecond line\r\nthird"  # line breaks are normalised to \n
    assert excel_text(CONTROL) in values  # control characters Excel rejects are shown as \xNN
    assert excel_text(CONTROL) == "bell\\x07 and \\x01 start-of-heading"


def test_value_maps_and_users_list_every_row(workbook: Workbook, result: ValidationResult) -> None:
    assert data_rows(workbook["Value maps"]) == [
        (r.field, r.source_value, r.target_value, r.how, r.count) for r in result.value_coverage
    ]
    assert data_rows(workbook["Users"]) == [
        (u.source_name, u.email, u.display, u.login, u.method, u.evidence, u.count) for u in result.users
    ]


def test_summary_has_verdict_counts_findings_and_estimate(
    workbook: Workbook, result: ValidationResult
) -> None:
    rows = summary(workbook)
    assert rows[("Status", "Verdict")][0] == f"{result.blocking} problems block the run"
    assert rows[("Counts", "issues")][0] == 1234
    for severity in Severity:
        assert rows[("Findings", severity.value)][0] == result.count(severity)
    dates = sum(1 for f in result.findings if f.kind == "date.unparsable")
    assert rows[("Findings by kind", "date.unparsable")] == (dates, "sheet: date.unparsable")
    assert rows[("Estimate", "API calls")][0] == 123_456
    assert rows[("API calls by kind", SCRIPT)][0] == 1
    assert [row[2] for row in data_rows(workbook["Summary"]) if row[1] == "Source"] == result.sources


def test_an_over_long_value_is_cut_visibly() -> None:
    text = excel_text("y" * 40_000)
    assert len(text) == EXCEL_MAX_CELL_CHARS
    assert text.endswith("[cut: 40,000 characters in total, Excel allows 32,767]")


def test_only_texts_with_something_to_rewrite_are_rewritten() -> None:
    for printable in (CYRILLIC, FORMULAS[0], "z" * EXCEL_MAX_CELL_CHARS):
        assert excel_text(printable) is printable
    assert excel_text(NEWLINES) == "first line\nsecond line\nthird"
    assert excel_text(CONTROL) == "bell\\x07 and \\x01 start-of-heading"
    assert excel_text("tab\tkept\r") == "tab\tkept\n"
    assert excel_text("lone \udcff surrogate") == "lone \udcff surrogate"


def test_over_long_and_control_values_do_not_break_the_workbook(tmp_path: Path) -> None:
    finding = Finding(Severity.ERROR, "field.too_long", "long", value="z" * 40_000 + "\x00")
    workbook = write(make_result([finding]), tmp_path)
    assert len(data_rows(workbook["field.too_long"])[0][6]) == EXCEL_MAX_CELL_CHARS


# --- sheet names ------------------------------------------------------------------------------------


def test_long_kind_names_get_unique_short_deterministic_sheet_names(tmp_path: Path) -> None:
    kinds = [
        "attachment.name_too_long",
        "attachment.name_too_long.for.the.target.tracker.a",
        "attachment.name_too_long.for.the.target.tracker.b",
        "link.type/unknown:[x]*?",
        "SUMMARY",
        "history",
    ]
    findings = [Finding(Severity.WARNING, kind, f"about {kind}") for kind in kinds]
    first = write(make_result(findings), tmp_path / "one").sheetnames
    second = write(make_result(list(reversed(findings))), tmp_path / "two").sheetnames
    assert first == second
    assert all(len(name) <= 31 for name in first)
    assert len({n.casefold() for n in first}) == len(first)
    assert not any(set(name) & set("[]:*?/\\") for name in first)
    assert "attachment.name_too_long" in first  # fits: kept as it is
    assert "History" not in first and "history" not in first
    workbook = load_workbook(tmp_path / "one" / "report.xlsx")
    placed = {row[1]: row[3] for row in data_rows(workbook["Summary"]) if row[0] == "Findings by kind"}
    for kind in kinds:
        sheet = placed[kind].removeprefix("sheet: ")
        assert data_rows(workbook[sheet])[0][1] == kind


def test_shorten_sheet_name() -> None:
    long = "attachment.name_too_long.for.the.target.tracker"
    assert shorten_sheet_name("date.unparsable") == "date.unparsable"
    assert shorten_sheet_name(long) == shorten_sheet_name(long)
    assert len(shorten_sheet_name(long)) == 31
    assert shorten_sheet_name(long).startswith("attachment.name_too_long.f~")
    assert shorten_sheet_name(long + "x") != shorten_sheet_name(long)
    assert shorten_sheet_name("a/b:c") == "a_b_c"
    assert shorten_sheet_name("'quoted'") == "quoted"
    assert shorten_sheet_name("") == "sheet"


def test_sheet_namer_resolves_collisions_case_insensitively() -> None:
    namer = SheetNamer()
    assert namer.claim("Users") == "Users"
    assert namer.claim("users") == "users~2"
    assert namer.claim("users") == "users~3"
    assert namer.claim("x" * 40, 2) == shorten_sheet_name("x" * 40, 27) + " (2)"


# --- continuation sheets ----------------------------------------------------------------------------


def test_a_kind_longer_than_the_row_limit_continues_on_more_sheets(tmp_path: Path) -> None:
    findings = many_findings(11, kinds=("date.unparsable",))
    workbook = write(make_result(findings, users=[], value_coverage=[]), tmp_path, max_rows=5)
    parts = ["date.unparsable", "date.unparsable (2)", "date.unparsable (3)"]
    assert len(summary_sheets(workbook)) > 1  # the summary itself is split at this tiny limit
    assert [n for n in workbook.sheetnames if n not in summary_sheets(workbook)] == [
        "Value maps",
        "Users",
        *parts,
    ]
    rows = [row for name in parts for row in data_rows(workbook[name])]
    assert [len(data_rows(workbook[name])) for name in parts] == [4, 4, 3]
    errors_first = sorted(findings, key=lambda f: f.severity != Severity.ERROR)  # kept in source order
    assert [row[7] for row in rows] == [f.message for f in findings] != [f.message for f in errors_first]
    for name in parts:
        assert workbook[name].freeze_panes == "A2"
        assert workbook[name].auto_filter.ref == f"A1:I{workbook[name].max_row}"
    assert summary(workbook)[("Findings by kind", "date.unparsable")] == (11, "sheet: " + ", ".join(parts))


def test_long_value_maps_continue_too(tmp_path: Path, result: ValidationResult) -> None:
    workbook = write(result, tmp_path, max_rows=3)
    parts = ["Value maps", "Value maps (2)", "Value maps (3)"]
    assert [n for n in workbook.sheetnames if n.startswith("Value maps")] == parts
    rows = [r for name in parts for r in data_rows(workbook[name])]
    assert rows == [(r.field, r.source_value, r.target_value, r.how, r.count) for r in result.value_coverage]


def test_an_exact_multiple_of_the_limit_adds_no_empty_sheet(tmp_path: Path) -> None:
    findings = many_findings(8, kinds=("k",))
    workbook = write(make_result(findings), tmp_path, max_rows=5)
    assert [n for n in workbook.sheetnames if n.startswith("k")] == ["k", "k (2)"]


def test_no_findings_no_users_still_gives_the_fixed_table_sheets(tmp_path: Path) -> None:
    workbook = write(make_result([], users=[], value_coverage=[], estimate=None), tmp_path)
    assert workbook.sheetnames == FIXED_SHEETS
    assert workbook["Users"].auto_filter.ref == "A1:G1"
    assert summary(workbook)[("Status", "Verdict")][0] == "Ready to migrate"


def test_max_rows_needs_room_for_data(tmp_path: Path, result: ValidationResult) -> None:
    with pytest.raises(ValueError):
        write_xlsx_report(result, tmp_path / "r.xlsx", max_rows=1)
