"""The reports read the findings back from their store (a small buffer, the rest in a file): with a
buffer of a few findings, every report must list exactly what a plain list of the same findings
gives, in the orders each report promises (computed here from the list, the way the writers did
before the store)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openpyxl import load_workbook

from migrator.findings import Finding, Findings, Severity
from migrator.report.html import decode_findings_payload, render_html_report, write_html_report
from migrator.report.json_report import finding_to_json, format_console_summary, write_json_report
from migrator.report.xlsx import excel_text, write_xlsx_report
from migrator.results import ValidationResult

from .report_samples import hostile_findings, make_result, many_findings

RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def findings_list() -> list[Finding]:
    """Hostile values, then enough ordinary findings of three kinds to cross the buffer many times."""
    return hostile_findings() + many_findings(40, ("date.unparsable", "user.unresolved", "link.dated"))


def streamed_result(strict: bool = False) -> ValidationResult:
    result = make_result(strict=strict)
    result.findings = Findings(findings_list(), buffer_size=3)
    return result


def kinds_worst_first(findings: list[Finding]) -> list[str]:
    worst: dict[str, int] = {}
    for f in findings:
        worst[f.kind] = min(worst.get(f.kind, 2), RANK[f.severity])
    return sorted(worst, key=lambda kind: (worst[kind], kind))


def test_json_report_lists_every_finding_grouped_as_from_a_list(tmp_path: Path) -> None:
    result = streamed_result(strict=True)
    data = json.loads(write_json_report(result, tmp_path / "report.json").read_text(encoding="utf-8"))
    listed = sorted(enumerate(findings_list()), key=lambda p: (RANK[p[1].severity], p[1].kind, p[0]))
    assert data["findings"] == [finding_to_json(f, strict=True) for _, f in listed]
    assert data["summary"]["findings"] == len(listed) == 56
    dates = data["summary"]["by_kind"]["date.unparsable"]
    expected = [f for f in findings_list() if f.kind == "date.unparsable"]
    assert dates["total"] == len(expected)
    assert dates["blocking"] == sum(f.severity is not Severity.INFO for f in expected)


def test_html_report_embeds_every_finding_errors_first_as_from_a_list(tmp_path: Path) -> None:
    result = streamed_result()
    written = write_html_report(result, tmp_path / "report.html").read_text(encoding="utf-8")
    assert written == render_html_report(result)  # the streamed file is the one document
    raw = re.search(r'<script type="application/json" id="findings-data">(.*?)</script>', written, re.S)
    assert raw is not None and "<" not in raw.group(1)
    payload = json.loads(raw.group(1))
    assert payload["kinds"] == kinds_worst_first(findings_list())
    errors_first = sorted(findings_list(), key=lambda f: RANK[f.severity])
    assert decode_findings_payload(payload) == [f.to_dict() for f in errors_first]


def test_xlsx_report_has_one_sheet_per_kind_with_its_findings_in_found_order(tmp_path: Path) -> None:
    workbook = load_workbook(write_xlsx_report(streamed_result(), tmp_path / "report.xlsx"), read_only=True)
    kinds = kinds_worst_first(findings_list())
    assert workbook.sheetnames == ["Summary", "Value maps", "Users", *kinds]
    for kind in kinds:
        rows = list(workbook[kind].iter_rows(min_row=2, values_only=True))
        mine = [f for f in findings_list() if f.kind == kind]
        assert [(row[3], row[7]) for row in rows] == [(f.row, excel_text(f.message)) for f in mine]


def test_console_summary_shows_the_first_findings_of_each_group() -> None:
    text = format_console_summary(streamed_result(), examples_per_kind=2)
    infos = [f for f in findings_list() if f.kind == "link.dated" and f.severity is Severity.INFO]
    block = text.split("INFO    link.dated")[1].split("\n")
    assert block[0].strip() == f"{len(infos):,}"
    assert [line.split(": ", 1)[1] for line in block[1:3]] == [
        f"{f.message} (value: {f.value!r})" for f in infos[:2]
    ]
    assert block[3].strip() == f"… and {len(infos) - 2:,} more (all listed in the report)"
