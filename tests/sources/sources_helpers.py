"""Helpers for the source adapter tests: mappings loaded through the real loader, CSV writers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from migrator.findings import Finding, Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.model import Issue
from migrator.sources.reading import read_issues

BASE_FIELDS: dict[str, Any] = {
    "id": "Issue id",
    "key": "Issue key",
    "summary": "Summary",
    "created_at": "Created",
    "created_by": "Reporter",
}
BASE_HEADER = ["Issue id", "Issue key", "Summary", "Created", "Reporter"]


def make_config(
    tmp_path: Path, source: dict[str, Any], *, fields: dict[str, Any] | None = None
) -> MappingConfig:
    """A mapping with ``source`` merged over sane defaults (UTC, ISO dates, the BASE_FIELDS)."""
    src: dict[str, Any] = {"system": "test", "timezone": "UTC", "date_formats": ["iso"], "parent_ref": "key"}
    src.update(source)
    issues = dict(src.get("issues") or {})
    issues["fields"] = {**BASE_FIELDS, **(fields or {}), **(issues.get("fields") or {})}
    src["issues"] = issues
    data = {"version": 1, "source": src, "target": {"queue": "DEMO", "namespace": "test"}}
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_mapping(path)


def csv_text(rows: Sequence[Sequence[Any]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def write_csv(
    path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def read_all(config: MappingConfig, *paths: Path) -> tuple[list[Issue], Findings]:
    findings = Findings()
    issues = list(read_issues(config.source, list(paths), findings))
    return issues, findings


def of_kind(findings: Findings, kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def issue_row(
    ident: str, key: str, summary: str, created: str = "2021-06-01T12:00:00", reporter: str = "alice"
) -> list[str]:
    return [ident, key, summary, created, reporter]
