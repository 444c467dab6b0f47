from migrator.findings import Findings, Severity
from migrator.model import SourceRef


def test_finding_takes_location_from_source_ref_and_renders_everything() -> None:
    findings = Findings()
    finding = findings.error(
        "date.unparsable",
        "cannot read the date",
        where=SourceRef("jira", "10001", file="issues.csv", row=7),
        key="PROJ-1",
        field="created_at",
        value="yesterday",
        hint="use the format in source.date_formats",
    )
    assert (finding.file, finding.row) == ("issues.csv", 7)
    text = finding.render()
    for part in (
        "ERROR",
        "date.unparsable",
        "issues.csv row 7",
        "PROJ-1",
        "created_at",
        "'yesterday'",
        "source.date_formats",
    ):
        assert part in text


def test_strict_turns_warnings_into_blocking() -> None:
    findings = Findings()
    findings.warning("value.defaulted", "defaulted")
    assert not findings.has_errors()
    assert findings.has_errors(strict=True)
    findings.error("x", "y")
    assert findings.has_errors()
    assert findings.counts_by_kind()[("warning", "value.defaulted")] == 1
    assert [f.severity for f in findings] == [Severity.WARNING, Severity.ERROR]
