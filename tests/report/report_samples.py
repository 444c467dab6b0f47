"""ValidationResults for the report writer tests, full of hostile source values (imported by the tests)."""

from __future__ import annotations

from migrator.findings import Finding, Findings, Severity
from migrator.results import Estimate, UserRow, ValidationResult, ValueCoverageRow

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
CLOSE_SCRIPT = "</script><script>alert(3)</script>"
TEXTAREA = "</textarea><b>bold</b>"
TEMPLATE = "{{ user.password }} ${x} @@CSS@@"
QUOTES = "it's a \"quoted\" & 'mixed' value"
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)"]
CYRILLIC = "Проект «Альфа»: ошибка в отчёте"
LONG = "Ж" * 150 + "x" * 150  # 300 characters
NEWLINES = "first line\nsecond line\r\nthird"
JS_URL = "javascript:alert(4)"
CONTROL = "bell\x07 and \x01 start-of-heading"
HOSTILE = [
    SCRIPT,
    IMG,
    CLOSE_SCRIPT,
    TEXTAREA,
    TEMPLATE,
    QUOTES,
    *FORMULAS,
    CYRILLIC,
    LONG,
    NEWLINES,
    JS_URL,
    CONTROL,
]


def hostile_findings() -> list[Finding]:
    """One finding per hostile value, each in a different field, plus a few ordinary ones."""
    findings = []
    for n, value in enumerate(HOSTILE):
        severity = (Severity.ERROR, Severity.WARNING, Severity.INFO)[n % 3]
        findings.append(
            Finding(
                severity=severity,
                kind=("value.suspicious", "date.unparsable", "user.unresolved")[n % 3],
                message=f"message {n}: {value}",
                file=f"{value}.csv" if n % 2 else "issues.csv",
                row=n + 2,
                key=value if n % 4 == 0 else f"PROJ-{n}",
                field=value if n % 5 == 0 else "Summary",
                value=value,
                hint=f"hint {n}: {value}" if n % 2 == 0 else None,
            )
        )
    findings.append(Finding(Severity.WARNING, "date.unparsable", "no location at all"))
    return findings


def make_result(
    findings: list[Finding] | None = None,
    *,
    strict: bool = False,
    **overrides: object,
) -> ValidationResult:
    types = [("Bug", "bug", 10), (SCRIPT, "task", 3), (CYRILLIC, None, 2)]
    statuses = [("Open", "open", 7), ("Done", "closed", 5), (TEXTAREA, None, 3)]
    values = dict(
        generated_at="2024-05-14T09:30:12.000+0000",
        mapping=f"mappings/{SCRIPT}.yaml",
        sources=[f"exports/{IMG}.csv", "exports/other.csv"],
        target="embedded sandbox",
        queue="DEMO",
        namespace=TEMPLATE,
        strict=strict,
        counts={
            "issues": 1234,
            "comments": 5678,
            "attachments": 90,
            "attachment_bytes": 5_000_000,
            "links": 12,
            "worklogs": 3,
        },
        distributions={"type": types, "status": statuses},
        value_coverage=[
            ValueCoverageRow("type", "Bug", "bug", "mapped", 10),
            ValueCoverageRow("type", SCRIPT, "task", "default", 3),
            ValueCoverageRow("type", CYRILLIC, None, "unmapped", 2),
            ValueCoverageRow("status", FORMULAS[0], "open", "mapped", 7),
            ValueCoverageRow("status", TEXTAREA, None, "ignored", 3),
        ],
        users=[
            UserRow(
                "alice",
                "alice",
                "email",
                "e-mail alice@example.com matches",
                40,
                "alice@example.com",
                "Alice",
            ),
            UserRow(IMG, None, "unresolved", f"nobody called {IMG}", 2, FORMULAS[3], CYRILLIC),
            UserRow("Иван", "robot", "fallback", QUOTES, 5),
        ],
        findings=Findings(hostile_findings() if findings is None else findings),
        estimate=Estimate(123_456, {"issues": 1234, "comments": 5678, SCRIPT: 1}, 5.0, 24_691.2),
        extra={"encoding": "utf-8", SCRIPT: {"nested": [TEXTAREA, 1]}},
    )
    values.update(overrides)
    return ValidationResult(**values)  # type: ignore[arg-type]


def many_findings(
    count: int, kinds: tuple[str, ...] = ("date.unparsable", "user.unresolved")
) -> list[Finding]:
    severities = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    return [
        Finding(
            severities[n % 3],
            kinds[n % len(kinds)],
            f"finding number {n}",
            "big.csv",
            n + 2,
            f"BIG-{n}",
            "Created",
            f"value {n}",
            "the same hint every time",
        )
        for n in range(count)
    ]
