"""Builders for end-to-end ``validate`` tests: a small Jira-style CSV export and mapping in tmp_path,
validated against the sandbox's default org (as a snapshot-style ``TargetInfo``), read back from the
JSON report file."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from migrator.mapping.config import load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.pipeline.global_checks import ExistingKeys
from migrator.pipeline.prepared import PrepareOptions
from migrator.report.html import decode_findings_payload, write_html_report
from migrator.report.json_report import write_json_report
from migrator.report.xlsx import write_xlsx_report
from migrator.results import ValidationResult
from migrator.sandbox.fixture import read_fixture
from migrator.validate import validate

HEADER = [
    "Issue id",
    "Issue key",
    "Summary",
    "Description",
    "Issue Type",
    "Status",
    "Priority",
    "Resolution",
    "Created",
    "Reporter",
    "Updated",
    "Resolved",
    "Assignee",
    "Parent",
    "Labels",
    "Customer",
    "Severity",
    "Points",
    "Comment",
    "Link (Relates)",
    "Attachment",
]
DEFAULTS = {
    "Summary": "A fine issue",
    "Description": "Some *text*.",
    "Issue Type": "Bug",
    "Status": "Open",
    "Priority": "High",
    "Created": "2021-06-01 12:00",
    "Reporter": "alice@example.com",
    "Updated": "2021-06-05 12:00",
    "Assignee": "bob@example.com",
}


def row(number: int, **cells: str) -> list[str]:
    """A clean issue row ``P-<number>`` (id ``<number>``); ``cells`` override columns by header."""
    values = {"Issue id": str(number), "Issue key": f"P-{number}", **DEFAULTS}
    for name, value in cells.items():
        values[name.replace("_", " ")] = value
    unknown = set(values) - set(HEADER)
    assert not unknown, f"unknown columns {unknown}"
    return [values.get(name, "") for name in HEADER]


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def base_mapping() -> dict[str, Any]:
    return {
        "version": 1,
        "source": {
            "system": "jira",
            "format": "csv",
            "encoding": "utf-8",
            "timezone": "Europe/Berlin",
            "date_formats": ["%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"],
            "markup": "jira",
            "parent_ref": "key",
            "link_ref": "key",
            "files": {"directory": "files"},
            "issues": {
                "fields": {
                    "id": "Issue id",
                    "key": "Issue key",
                    "summary": "Summary",
                    "description": "Description",
                    "type": "Issue Type",
                    "status": "Status",
                    "priority": "Priority",
                    "resolution": "Resolution",
                    "created_at": "Created",
                    "created_by": "Reporter",
                    "updated_at": "Updated",
                    "resolved_at": "Resolved",
                    "assignee": "Assignee",
                    "parent": "Parent",
                    "tags": {"column": "Labels", "split": ","},
                },
                "custom": {"customer": "Customer", "severity": "Severity", "points": "Points"},
            },
            "comments": {"column": "Comment", "pattern": "{created_at};{author};{text}"},
            "links": {"columns": {"Link (Relates)": "relates to"}},
            "attachments": {"column": "Attachment", "pattern": "{created_at};{author};{filename};{location}"},
        },
        "target": {"queue": "DEMO", "namespace": "e2e"},
        "values": {
            "type": {"map": {"Bug": "bug", "Task": "task"}, "unmapped": "default", "default": "task"},
            "status": {
                "map": {
                    "Open": "open",
                    "In Progress": "inProgress",
                    "Need Info": "needInfo",
                    "Done": "closed",
                },
                "unmapped": "error",
            },
            "priority": {
                "map": {"High": "critical", "Medium": "normal"},
                "unmapped": "default",
                "default": "normal",
            },
            "resolution": {"map": {"Fixed": "fixed"}, "unmapped": "error"},
            "link": {"map": {"relates to": "relates"}, "unmapped": "error"},
        },
        "users": {"match": ["email", "login"]},
        "fields": [
            {"target": "customer", "from": "custom.customer", "type": "string", "local": True},
            {"target": "severity", "from": "custom.severity", "type": "string"},
            {"target": "storyPoints", "from": "custom.points", "type": "float"},
        ],
    }


def default_fixture() -> dict[str, Any]:
    data, _ = read_fixture(None)
    return copy.deepcopy(data)


def default_target(queue: str = "DEMO", fixture: Mapping[str, Any] | None = None) -> TargetInfo:
    return TargetInfo.from_fixture_dict(fixture or default_fixture(), queue)


@dataclass
class Outcome:
    result: ValidationResult
    report: dict[str, Any]
    report_path: Path
    html_path: Path
    xlsx_path: Path

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.report["findings"])

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if f["kind"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        """The single JSON finding of ``kind`` — asserted to be in the HTML and XLSX reports too."""
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected one {kind}, got {found or self.kinds()}"
        self.assert_in_html_and_xlsx(found[0])
        return found[0]

    def assert_in_html_and_xlsx(self, finding: Mapping[str, Any]) -> None:
        identity = (finding["kind"], finding["file"], finding["row"], finding["key"], finding["field"])
        html = self.html_path.read_text(encoding="utf-8")
        data = re.search(r'<script type="application/json" id="findings-data">(.*?)</script>', html, re.S)
        assert data is not None, "the HTML report embeds no findings"
        in_html = {
            (f["kind"], f["file"], f["row"], f["key"], f["field"])
            for f in decode_findings_payload(json.loads(data.group(1)))
        }
        assert identity in in_html, f"{identity} missing from the HTML report"
        workbook = openpyxl.load_workbook(self.xlsx_path, read_only=True)
        try:
            rows = {tuple(r) for ws in workbook.worksheets for r in ws.iter_rows(values_only=True)}
        finally:
            workbook.close()
        wanted = {v for v in identity if v is not None}
        assert any(wanted <= set(r) for r in rows), f"{identity} missing from the XLSX report"

    def kinds(self) -> list[str]:
        return sorted({f["kind"] for f in self.report["findings"]})


def run_validate(
    tmp_path: Path,
    rows: Sequence[Sequence[str]],
    *,
    mapping: Mapping[str, Any] | None = None,
    extra_files: Mapping[str, str | bytes] | None = None,
    strict: bool = False,
    target: TargetInfo | None = None,
    existing_keys: ExistingKeys | None = None,
    header: Sequence[str] = HEADER,
) -> Outcome:
    """Write the export (header + rows), mapping and extra files; validate; read the JSON report."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    export = tmp_path / "issues.csv"
    export.write_bytes(csv_text([list(header), *rows]).encode("utf-8"))
    sources = [export]
    for name, content in (extra_files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        if path.suffix == ".csv":
            sources.append(path)
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(
        yaml.safe_dump(dict(mapping or base_mapping()), sort_keys=False), encoding="utf-8"
    )
    config = load_mapping(mapping_path)
    options = PrepareOptions(
        strict=strict,
        source_label=export.name,
        target_label="sandbox default fixture",
        existing_keys=existing_keys,
    )
    result = validate(config, sources, target or default_target(), options)
    report_path = write_json_report(result, tmp_path / "report" / "report.json")
    html_path = write_html_report(result, tmp_path / "report" / "report.html")
    xlsx_path = write_xlsx_report(result, tmp_path / "report" / "report.xlsx")
    return Outcome(
        result, json.loads(report_path.read_text(encoding="utf-8")), report_path, html_path, xlsx_path
    )


def where(finding: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """(row, key, field) of a JSON finding."""
    return finding["row"], finding["key"], finding["field"]
