"""What a dry run found: the single structure every report format (HTML, XLSX, JSON) renders.

A neutral room between the stages and the writers: ``mapping/`` produces the value-coverage and
user rows, ``pipeline/`` assembles the :class:`ValidationResult`, ``report/`` only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.findings import Findings, Severity


@dataclass
class ValueCoverageRow:
    """How one distinct source value of a mapped field is translated, and how often it occurs."""

    field: str  # type | status | priority | resolution | link | components | versions | tags
    source_value: str
    target_value: str | None
    how: str  # mapped | identity (no value map: passed through) | default | kept | ignored | unmapped
    count: int


@dataclass
class UserRow:
    """How one source user resolves to a Tracker login, with the evidence."""

    source_name: str
    login: str | None
    method: str  # explicit | email | login | name | fallback | unresolved | unknown_login
    evidence: str  # e.g. "e-mail alice@example.com matches Tracker user alice"
    count: int  # how many times the user occurs (authors, assignees, followers, ...)
    email: str | None = None
    display: str | None = None


@dataclass
class Estimate:
    api_calls: int
    calls_by_kind: dict[str, int]
    rate_rps: float
    seconds: float


@dataclass
class ValidationResult:
    generated_at: str  # Tracker wire format, UTC
    mapping: str
    sources: list[str]
    target: str  # the target URL, "embedded sandbox", or the snapshot file
    queue: str
    namespace: str
    strict: bool
    counts: dict[str, int]  # issues, comments, attachments, attachment_bytes, links, worklogs
    # per mapped field: rows (source value, target value, count) for the before → after charts
    distributions: dict[str, list[tuple[str, str | None, int]]] = field(default_factory=dict)
    value_coverage: list[ValueCoverageRow] = field(default_factory=list)
    users: list[UserRow] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)  # mostly on disk: read it as a stream
    estimate: Estimate | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, severity: Severity) -> int:
        return self.findings.count(severity)

    @property
    def blocking(self) -> int:
        """Findings that block the run (errors, and warnings under --strict)."""
        warnings = self.findings.count(Severity.WARNING) if self.strict else 0
        return self.findings.count(Severity.ERROR) + warnings

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0
