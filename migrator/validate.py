"""The dry run: every check the target would make plus the migration's own, without a single write.

``validate()`` streams the export through the same pipeline ``run`` uses (sources → transform →
global checks, see ``migrator/pipeline.py``), keeps nothing but counts and small indexes, and
returns the :class:`ValidationResult`: counts, value coverage and distributions, user resolution
with evidence, every finding, and an estimate of the API calls and the time the run will take at
the target's rate limit (``pipeline.estimate``).

The target is only *read*: its metadata comes in as a ``TargetInfo`` (live or from a snapshot, see
``migrator/snapshot.py``) and the optional ``existing_keys`` lookup searches the queue. Writing the
reports is the caller's job (``migrator/report/``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from migrator.findings import Finding, Findings, Severity
from migrator.mapping.config import MappingConfig
from migrator.mapping.target_info import TargetInfo
from migrator.pipeline import (
    DEFAULT_MAX_RPS,
    ExistingKeys,
    IssueReader,
    PreparedRun,
    ResultLabels,
    TransformerFactory,
    estimate,
)
from migrator.report.model import ValidationResult

__all__ = ["DEFAULT_MAX_RPS", "blocking_findings", "estimate", "validate"]


def validate(
    config: MappingConfig,
    paths: Sequence[str | Path],
    target_info: TargetInfo,
    *,
    strict: bool = False,
    source_label: str | Sequence[str] | None = None,
    target_label: str = "embedded sandbox",
    max_rps: float = DEFAULT_MAX_RPS,
    existing_keys: ExistingKeys | None = None,
    now: datetime | None = None,
    findings: Findings | None = None,
    reader: IssueReader | None = None,
    transformer_factory: TransformerFactory | None = None,
    progress: bool = False,
) -> ValidationResult:
    """Run every check over the export; writes nothing anywhere.

    ``findings`` may carry problems found before (e.g. by the CLI); they are reported too.
    ``reader``/``transformer_factory`` replace the sources/transform stages (tests, benchmarks).
    Raises ``MigratorError`` when the export cannot be read at all (the CLI's exit code 2).
    """
    labels = ResultLabels(
        strict=strict, source_label=source_label, target_label=target_label, max_rps=max_rps
    )
    prepared = PreparedRun(
        config,
        paths,
        target_info,
        findings if findings is not None else Findings(),
        now=now,
        labels=labels,
        existing_keys=existing_keys,
        reader=reader,
        transformer_factory=transformer_factory,
        progress=progress,
    )
    prepared.drain()
    return prepared.finish()


def blocking_findings(findings: Iterable[Finding], *, strict: bool) -> list[Finding]:
    """What stops ``run`` (unless told to go ahead anyway): errors, and warnings under ``strict``."""
    return [
        f for f in findings if f.severity is Severity.ERROR or (strict and f.severity is Severity.WARNING)
    ]
