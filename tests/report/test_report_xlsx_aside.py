"""The XLSX report written by another process: the same workbook, failures as clear errors, no copy
of the findings left behind."""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

import migrator.report.xlsx_aside as aside
from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.report.xlsx import write_xlsx_report
from migrator.report.xlsx_aside import xlsx_report_aside
from migrator.results import ValidationResult

from .report_samples import hostile_findings, make_result, many_findings


def contents(path: Path) -> list[tuple[str, str | None, str | None, list[tuple[object, ...]]]]:
    """Every sheet's name, tab colour, autofilter and cell values, in the workbook's order."""
    workbook = load_workbook(path)
    return [
        (
            sheet.title,
            sheet.sheet_properties.tabColor.rgb if sheet.sheet_properties.tabColor else None,
            sheet.auto_filter.ref,
            list(sheet.iter_rows(values_only=True)),
        )
        for sheet in workbook.worksheets
    ]


@pytest.fixture
def big_result() -> ValidationResult:
    return make_result(many_findings(300) + hostile_findings())


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the findings' copy goes (tempfile's folder), to see that nothing is left there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_the_child_writes_the_workbook_this_process_would(
    big_result: ValidationResult, tmp_path: Path, private_tmp: Path
) -> None:
    here = write_xlsx_report(big_result, tmp_path / "here.xlsx")
    with xlsx_report_aside(big_result, tmp_path / "aside.xlsx", min_findings=0) as written:
        assert written() == tmp_path / "aside.xlsx"
    assert contents(tmp_path / "aside.xlsx") == contents(here)
    assert [sheet[0] for sheet in contents(here)][3:] == [
        "date.unparsable",
        "user.unresolved",
        "value.suspicious",
    ]
    assert not list(private_tmp.iterdir())  # the findings' copy is gone


def test_the_result_keeps_its_findings_for_the_other_reports(
    big_result: ValidationResult, tmp_path: Path
) -> None:
    before = list(big_result.findings)
    with xlsx_report_aside(big_result, tmp_path / "aside.xlsx", min_findings=0) as written:
        assert list(big_result.findings) == before  # read here while the child reads its copy
        written()
    assert list(big_result.findings) == before


def test_a_small_result_is_written_here_without_a_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("a child process was started for a small result")

    monkeypatch.setattr(multiprocessing, "get_context", no_child)
    result = make_result(many_findings(20))
    with xlsx_report_aside(result, tmp_path / "small.xlsx", min_findings=21) as written:
        assert not (tmp_path / "small.xlsx").exists()  # written when waited for
        assert written() == tmp_path / "small.xlsx"
    assert contents(tmp_path / "small.xlsx") == contents(write_xlsx_report(result, tmp_path / "here.xlsx"))
    assert not list(private_tmp.iterdir())


@pytest.mark.parametrize("min_findings", [0, 10_000], ids=["aside", "here"])
def test_an_unwritable_report_is_a_clear_error_naming_the_file(
    big_result: ValidationResult, tmp_path: Path, private_tmp: Path, min_findings: int
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "report.xlsx"
    with (
        pytest.raises(MigratorError, match="could not write the XLSX report .*a-file/report.xlsx") as raised,
        xlsx_report_aside(big_result, target, min_findings=min_findings) as written,
    ):
        written()
    assert raised.value.hint and "--report" in raised.value.hint
    assert not list(private_tmp.iterdir())


def test_a_child_that_died_is_a_clear_error() -> None:
    here, there = multiprocessing.Pipe()
    there.close()  # the child's end gone without an outcome: what its death looks like from here
    with pytest.raises(MigratorError, match="process writing the XLSX report r.xlsx ended unexpectedly"):
        aside._outcome(here, Path("r.xlsx"))


def test_leaving_early_stops_the_child_and_removes_the_copy(
    big_result: ValidationResult, tmp_path: Path, private_tmp: Path
) -> None:
    with (
        pytest.raises(KeyboardInterrupt),
        xlsx_report_aside(big_result, tmp_path / "never.xlsx", min_findings=0),
    ):
        children = multiprocessing.active_children()
        assert [child.name for child in children] == ["migrator-xlsx-report"]
        raise KeyboardInterrupt  # Ctrl-C while the other reports are written
    assert not children[0].is_alive()
    assert not list(private_tmp.iterdir())
    assert not (tmp_path / "never.xlsx").exists()


def test_an_empty_result_is_written_aside_too(tmp_path: Path) -> None:
    result = make_result([])
    with xlsx_report_aside(result, tmp_path / "empty.xlsx", min_findings=0) as written:
        written()
    assert [sheet[0] for sheet in contents(tmp_path / "empty.xlsx")] == ["Summary", "Value maps", "Users"]
    assert isinstance(result.findings, Findings) and len(result.findings) == 0
