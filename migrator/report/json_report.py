"""The JSON validation report (stable schema for CI gates) and the console summary.

The schema is documented in ``docs/report-schema.md``; ``schema_version`` changes only when a field
is removed or changes meaning (adding a field is not a breaking change). Findings are written in
full — never truncated — grouped by blocking-ness, severity and kind, in the order they were found
within a group. The file is written to a temporary name and renamed, so a CI job never reads half a
report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from migrator.findings import Finding, Severity
from migrator.results import Estimate, ValidationResult

JSON_SCHEMA_VERSION = 1

COUNT_NAMES = ("issues", "comments", "attachments", "attachment_bytes", "links", "worklogs")
CONSOLE_EXAMPLES_PER_KIND = 3


# ---------------------------------------------------------------------- building blocks


def is_blocking(finding: Finding, strict: bool) -> bool:
    """Errors block the run; warnings block it only under ``--strict``."""
    return finding.severity is Severity.ERROR or (strict and finding.severity is Severity.WARNING)


def by_kind(result: ValidationResult) -> dict[str, dict[str, int]]:
    """``{kind: {"error": n, "warning": n, "info": n, "total": n, "blocking": n}}``, sorted by kind."""
    table: dict[str, dict[str, int]] = {}
    for (severity, kind), count in sorted(result.findings.counts_by_kind().items()):
        row = table.setdefault(kind, {"error": 0, "warning": 0, "info": 0, "total": 0, "blocking": 0})
        row[severity] += count
        row["total"] += count
        if severity == Severity.ERROR or (result.strict and severity == Severity.WARNING):
            row["blocking"] += count
    return dict(sorted(table.items()))


def finding_to_json(finding: Finding, strict: bool) -> dict[str, Any]:
    data = finding.to_dict()
    data["blocking"] = is_blocking(finding, strict)
    return data


def estimate_to_json(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "api_calls": estimate.api_calls,
        "calls_by_kind": dict(estimate.calls_by_kind),
        "rate_rps": estimate.rate_rps,
        "seconds": round(estimate.seconds, 1),
        "text": format_estimate(estimate),
    }


def summary_to_json(result: ValidationResult) -> dict[str, Any]:
    return {
        "counts": {name: int(result.counts.get(name, 0)) for name in COUNT_NAMES}
        | {name: int(value) for name, value in result.counts.items() if name not in COUNT_NAMES},
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO),
        "blocking": result.blocking,
        "findings": len(result.findings),
        "by_kind": by_kind(result),
    }


def report_header(result: ValidationResult) -> dict[str, Any]:
    """Everything except the (possibly huge) findings list, in schema order."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "generated_at": result.generated_at,
        "status": "blocked" if result.blocking else "ok",
        "exit_code": result.exit_code,
        "strict": result.strict,
        "mapping": result.mapping,
        "sources": list(result.sources),
        "target": result.target,
        "queue": result.queue,
        "namespace": result.namespace,
        "summary": summary_to_json(result),
    }


def report_tail(result: ValidationResult) -> dict[str, Any]:
    return {
        "value_coverage": [
            {
                "field": r.field,
                "source_value": r.source_value,
                "target_value": r.target_value,
                "how": r.how,
                "count": r.count,
            }
            for r in result.value_coverage
        ],
        "users": [
            {
                "source_name": u.source_name,
                "login": u.login,
                "method": u.method,
                "evidence": u.evidence,
                "count": u.count,
                "email": u.email,
                "display": u.display,
            }
            for u in result.users
        ],
        "distributions": {
            name: [{"source_value": s, "target_value": t, "count": c} for s, t, c in rows]
            for name, rows in result.distributions.items()
        },
        "estimate": estimate_to_json(result.estimate),
        "extra": _jsonable(result.extra),
    }


def report_to_dict(result: ValidationResult) -> dict[str, Any]:
    """The whole report as one dict (fine for tests and small runs; the writer streams instead)."""
    data = report_header(result)
    data["findings"] = [finding_to_json(f, result.strict) for f in result.findings.grouped()]
    data.update(report_tail(result))
    return data


# ---------------------------------------------------------------------- writing


def write_json_report(result: ValidationResult, path: str | Path) -> Path:
    """Write the report atomically; findings are streamed one per line (no huge in-memory string)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        _write_report(out, result)
    tmp.replace(target)
    return target


def _write_report(out: IO[str], result: ValidationResult) -> None:
    head = report_header(result)
    tail = report_tail(result)
    out.write("{\n")
    _write_members(out, head)
    out.write(',\n  "findings": [')
    _write_items(out, (finding_to_json(f, result.strict) for f in result.findings.grouped()))
    out.write("],\n")
    _write_members(out, tail)
    out.write("\n}\n")


def _write_members(out: IO[str], members: Mapping[str, Any]) -> None:
    out.write(",\n".join(f"  {json.dumps(name)}: {_dumps(value)}" for name, value in members.items()))


def _write_items(out: IO[str], items: Iterable[dict[str, Any]]) -> None:
    first = True
    for item in items:
        out.write("\n    " if first else ",\n    ")
        out.write(_dumps(item))
        first = False
    if not first:
        out.write("\n  ")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def _jsonable(value: Any) -> Any:
    """``extra`` may hold tuples, sets or dataclass-free objects; make it plain JSON."""
    return json.loads(json.dumps(value, default=_fallback))


def _fallback(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


# ---------------------------------------------------------------------- console


def format_estimate(estimate: Estimate) -> str:
    """``312,000 calls ≈ 8.7 h at 10 rps``."""
    return f"{estimate.api_calls:,} calls ≈ {format_duration(estimate.seconds)} at {estimate.rate_rps:g} rps"


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def format_console_summary(
    result: ValidationResult,
    report_paths: Iterable[str | Path] = (),
    *,
    examples_per_kind: int = CONSOLE_EXAMPLES_PER_KIND,
) -> str:
    """The summary ``validate`` and ``run`` print: counts, findings per kind (with how many are not
    shown), the estimate, the verdict and the report files."""
    lines = [
        f"Validated {', '.join(result.sources) or '-'} with mapping {result.mapping}",
        f"  target {result.target}, queue {result.queue}, namespace {result.namespace}",
        "  " + _counts_line(result.counts),
    ]
    lines += _findings_lines(result, examples_per_kind)
    if result.estimate is not None:
        lines.append(f"Estimate: {format_estimate(result.estimate)}")
    lines.append(_verdict(result))
    lines += [f"Report: {path}" for path in report_paths]
    return "\n".join(lines)


def _counts_line(counts: Mapping[str, int]) -> str:
    parts = [
        f"{counts.get('issues', 0):,} issues",
        f"{counts.get('comments', 0):,} comments",
        f"{counts.get('attachments', 0):,} attachments ({format_bytes(counts.get('attachment_bytes', 0))})",
        f"{counts.get('links', 0):,} links",
        f"{counts.get('worklogs', 0):,} worklogs",
    ]
    return ", ".join(parts)


def _findings_lines(result: ValidationResult, examples_per_kind: int) -> list[str]:
    errors, warnings, infos = (result.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))
    head = f"Findings: {errors:,} error(s), {warnings:,} warning(s), {infos:,} info"
    if result.strict and warnings:
        head += " — --strict: warnings block the run"
    lines = [head]
    for (severity, kind), count in result.findings.groups():
        lines.append(f"  {severity.value.upper():<7} {kind:<28} {count:>8,}")
        examples = result.findings.of_kind(kind, severity, limit=examples_per_kind)
        lines += [f"      {f.location()}: {_short(f)}" for f in examples]
        if count > examples_per_kind:
            lines.append(f"      … and {count - examples_per_kind:,} more (all listed in the report)")
    return lines


def _short(finding: Finding) -> str:
    text = finding.message
    if finding.value is not None:
        value = finding.value if len(finding.value) <= 60 else finding.value[:57] + "..."
        text += f" (value: {value!r})"
    return text


def _verdict(result: ValidationResult) -> str:
    if result.blocking:
        return f"Result: BLOCKED — {result.blocking:,} blocking finding(s); fix them before a run (exit 1)"
    return "Result: OK — nothing blocks the run (exit 0)"
