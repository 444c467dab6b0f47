"""The assembled validation result and how the JSON report and the console render it."""

from __future__ import annotations

import json
from pathlib import Path

from migrator.findings import Findings
from migrator.report.json_report import (
    format_console_summary,
    format_estimate,
    report_to_dict,
    write_json_report,
)
from migrator.results import Estimate

from .pipeline_fakes import (
    fake_validate,
    issue,
)


def test_estimate_text() -> None:
    assert format_estimate(Estimate(312_000, {}, 10, 31_200)) == "312,000 calls ≈ 8.7 h at 10 rps"
    assert format_estimate(Estimate(50, {}, 10, 5)) == "50 calls ≈ 5 s at 10 rps"


def test_validate_assembles_result_with_counts_estimate_and_extra() -> None:
    result = fake_validate([issue("P-1", 2, comments=3, links=[("X-1", "relates")]), issue("P-2", 3)])
    assert result.counts["issues"] == 2 and result.counts["comments"] == 3 and result.counts["links"] == 1
    assert result.sources == ["issues.csv"] and result.target == "snapshot target.json"
    assert result.distributions["status"][0] == ("Done", "closed", 5)
    assert result.extra["lossy_markup"] == {"{panel}": 2}
    assert result.estimate is not None and result.estimate.calls_by_kind["comment_import"] == 3
    assert result.exit_code == 1  # the dangling link


def test_strict_makes_warnings_block() -> None:
    pre = Findings()
    pre.warning("value.defaulted", "defaulted", row=2, key="P-1", field="priority")
    assert fake_validate([issue("P-1", 2)], pre=pre).exit_code == 0
    strict = fake_validate([issue("P-1", 2)], strict=True, pre=pre)
    assert strict.exit_code == 1 and strict.blocking == 1
    assert report_to_dict(strict)["findings"][0]["blocking"] is True


def test_json_report_schema_grouping_and_no_truncation(tmp_path: Path) -> None:
    pre = Findings()
    for n in range(500):
        pre.warning(
            "value.defaulted", "defaulted", file="issues.csv", row=n + 2, key=f"P-{n}", field="priority"
        )
    result = fake_validate([issue("P-1", 2, links=[("X-1", "relates")])], pre=pre)
    path = write_json_report(result, tmp_path / "out" / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == report_to_dict(result)
    assert list(data) == [
        "schema_version",
        "generated_at",
        "status",
        "exit_code",
        "strict",
        "mapping",
        "sources",
        "target",
        "queue",
        "namespace",
        "summary",
        "findings",
        "value_coverage",
        "users",
        "distributions",
        "estimate",
        "extra",
    ]
    assert data["schema_version"] == 1 and data["status"] == "blocked" and data["exit_code"] == 1
    assert data["summary"]["errors"] == 1 and data["summary"]["warnings"] == 500
    assert data["summary"]["by_kind"]["value.defaulted"] == {
        "error": 0,
        "warning": 500,
        "info": 0,
        "total": 500,
        "blocking": 0,
    }
    assert len(data["findings"]) == 501
    assert data["findings"][0]["kind"] == "link.dangling"  # errors first
    assert [f["row"] for f in data["findings"][1:4]] == [2, 3, 4]  # found-order within a kind
    assert set(data["findings"][0]) == {
        "severity",
        "kind",
        "message",
        "file",
        "row",
        "key",
        "field",
        "value",
        "hint",
        "blocking",
    }
    assert data["estimate"]["text"].endswith("at 10 rps")
    assert data["distributions"]["status"][0] == {
        "source_value": "Done",
        "target_value": "closed",
        "count": 5,
    }
    assert not (tmp_path / "out" / "report.json.tmp").exists()


def test_empty_findings_list_is_valid_json(tmp_path: Path) -> None:
    result = fake_validate([issue("P-1", 2)])
    data = json.loads(write_json_report(result, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["findings"] == [] and data["status"] == "ok" and data["exit_code"] == 0


def test_console_summary_groups_and_says_how_many_are_not_shown() -> None:
    pre = Findings()
    for n in range(5):
        pre.warning(
            "value.defaulted", "defaulted", file="issues.csv", row=n + 2, key=f"P-{n}", field="priority"
        )
    result = fake_validate([issue("P-1", 2, links=[("X-1", "relates")])], pre=pre)
    text = format_console_summary(result, ["out/report.json", "out/report.html"])
    assert "1 error(s), 5 warning(s)" in text
    assert text.index("link.dangling") < text.index("value.defaulted")
    assert "… and 2 more (all listed in the report)" in text
    assert "Estimate: " in text and "Result: BLOCKED" in text
    assert text.endswith("Report: out/report.json\nReport: out/report.html")
