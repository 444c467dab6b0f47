"""Wording and number formats shared by the HTML and XLSX reports."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from migrator.findings import Finding, Findings, Severity
from migrator.report._shared import (
    KindTotal,
    format_bytes,
    format_duration,
    kind_totals,
    report_path,
    verdict,
    write_atomically,
)
from migrator.report.xlsx import EXCEL_MAX_ROWS, write_xlsx_report

from .report_samples import make_result


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (44.6, "45 s"),
        (60, "1 min"),
        (450, "7 min 30 s"),
        (1_823.6, "30 min"),
        (3_600, "1 h"),
        (24_691.2, "6 h 52 min"),
        (86_400 * 2 + 3_600 * 4 + 60, "2 d 4 h"),
        (86_400, "1 d"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1023, "1,023 bytes"), (1536, "1.5 KB"), (5_000_000, "4.8 MB"), (2_471_023_411, "2.3 GB"),
     (3 * 1024**4, "3.0 TB")],
)  # fmt: skip
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


def test_verdict_counts_blocking_findings() -> None:
    warning = Finding(Severity.WARNING, "w", "w")
    error = Finding(Severity.ERROR, "e", "e")
    assert verdict(make_result([warning])) == "Ready to migrate"
    assert verdict(make_result([warning], strict=True)) == "1 problem blocks the run"
    assert verdict(make_result([error] * 1200 + [warning], strict=True)) == "1,201 problems block the run"


def test_kinds_are_grouped_worst_severity_first_then_by_name() -> None:
    findings = [
        Finding(Severity.INFO, "a.info", "1"),
        Finding(Severity.WARNING, "z.mixed", "2"),
        Finding(Severity.ERROR, "z.mixed", "3"),
        Finding(Severity.WARNING, "b.warning", "4"),
        Finding(Severity.ERROR, "y.error", "5"),
    ]
    totals = kind_totals(Findings(findings))
    assert list(totals) == ["y.error", "z.mixed", "b.warning", "a.info"]
    assert totals["z.mixed"] == KindTotal(Severity.ERROR, 2)
    assert totals["a.info"] == KindTotal(Severity.INFO, 1)


def test_xlsx_uses_excels_row_limit_by_default() -> None:
    assert EXCEL_MAX_ROWS == 1_048_576
    assert inspect.signature(write_xlsx_report).parameters["max_rows"].default == EXCEL_MAX_ROWS


def test_a_failed_write_leaves_neither_report_nor_partial_file(tmp_path: Path) -> None:
    def broken(partial: Path) -> None:
        partial.write_text("half a report")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(tmp_path / "report.html", broken)
    assert list(tmp_path.iterdir()) == []


def test_report_path_puts_the_default_name_into_a_directory(tmp_path: Path) -> None:
    assert report_path(tmp_path, "report.html") == tmp_path / "report.html"
    assert report_path(tmp_path / "mine.html", "report.html") == tmp_path / "mine.html"
