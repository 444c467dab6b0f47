"""The dry run: every check the target would make plus the migration's own, without a single write.

``validate()`` streams the export through the same pipeline ``run`` uses (sources → transform →
global checks, see ``migrator/pipeline/``), keeps nothing but counts and small indexes, and
returns the :class:`ValidationResult`: counts, value coverage and distributions, user resolution
with evidence, every finding, and an estimate of the API calls and the time the run will take at
the target's rate limit (``migrator.pipeline.tally.estimate``).

The target is only *read*: its metadata comes in as a ``TargetInfo`` (live or from a snapshot, see
``migrator/snapshot.py``) and the optional ``existing_keys`` lookup of the options searches the
queue. Writing the reports is the caller's job (``migrator/report/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from migrator.findings import Findings
from migrator.mapping.config import MappingConfig
from migrator.mapping.target_info import TargetInfo
from migrator.pipeline.prepared import PreparedRun, PrepareOptions, Stages
from migrator.results import ValidationResult

__all__ = ["validate"]


def validate(
    config: MappingConfig,
    paths: Sequence[str | Path],
    target_info: TargetInfo,
    options: PrepareOptions | None = None,
    *,
    findings: Findings | None = None,
    stages: Stages | None = None,
) -> ValidationResult:
    """Run every check over the export; writes nothing anywhere.

    ``findings`` may carry problems found before (e.g. by the CLI); they are reported too.
    ``stages`` replace the sources/transform stages (tests, benchmarks).
    Raises ``MigratorError`` when the export cannot be read at all (the CLI's exit code 2).
    """
    prepared = PreparedRun(
        config, paths, target_info, findings if findings is not None else Findings(), options, stages
    )
    prepared.drain()
    return prepared.finish()
