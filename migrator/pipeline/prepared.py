"""One pass over the export, shared by ``run``, ``validate`` and ``verify``: sources → transform →
planned issues, with the counts and the global checks kept on the side.

One pass, bounded memory. ``PreparedRun.planned()`` streams ``PlannedIssue`` objects (``run`` feeds
them straight into ``planning.load_plan``; ``validate`` just drains them) while a
:class:`~migrator.pipeline.global_checks.GlobalIndex` keeps small indexes and a
:class:`~migrator.pipeline.tally.Tally` keeps counts. When the stream ends the global checks run and
add their findings; ``finish()`` then assembles the :class:`ValidationResult` (counts, coverage,
users, distributions, findings, the API-call estimate) that ``validate`` reports and ``run`` gates on:

    prepared = PreparedRun(config, paths, target_info, findings, PrepareOptions(strict=..., ...))
    load_plan(store, prepared.planned(), namespace, queue,   # or: prepared.drain()
              revisions=lambda: prepared.revisions)        # asked once the stream has ended
    result = prepared.finish()

Nothing here writes anywhere: the only target access is the optional read-only ``existing_keys``
lookup of the options.
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.mapping.config import MappingConfig
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.transform import IssueTransformer
from migrator.mapping.undecided import undecided_findings
from migrator.model import Issue
from migrator.pipeline.dangling import ExistingIssues
from migrator.pipeline.global_checks import ExistingKeys, GlobalIndex
from migrator.pipeline.read_ahead import MIN_BYTES as LARGE_EXPORT_BYTES
from migrator.pipeline.read_ahead import ReadAhead, export_bytes
from migrator.pipeline.tally import DEFAULT_MAX_RPS, Tally, estimate, key_check_reads
from migrator.plan import PlannedIssue, PlanRevisions
from migrator.results import UserRow, ValidationResult, ValueCoverageRow
from migrator.sources.inputs import export_roots
from migrator.sources.spec import SourceSpec
from migrator.timeutil import format_tracker_datetime, now_utc

Distributions = dict[str, list[tuple[str, str | None, int]]]

# The pass allocates a dozen short-lived objects per value read and per child planned; at CPython's
# default threshold (700 allocations) the youngest generation is collected every few issues, about a
# tenth of the pass's CPU. Almost none of it is cyclic garbage, so it is collected less often while
# the export streams (what was set before is restored when the stream ends).
STREAM_GC_THRESHOLD = 20_000


class IssueReader(Protocol):
    """The sources stage: ``migrator.sources.reading.read_issues`` (through ``ReadAhead``: in a child
    process when the export is large)."""

    def __call__(self, source: SourceSpec, paths: Sequence[Path], findings: Findings) -> Iterator[Issue]: ...


class Transformer(Protocol):
    """What the pipeline needs from the transform stage (``IssueTransformer``)."""

    def transform(self, issue: Issue) -> PlannedIssue | None: ...

    def prefetch(self, issues: Iterable[Issue], *, large: bool = False) -> Iterator[Issue]:
        """The issue stream unchanged; the transformer may read ahead (markup conversion in a pool,
        started before the first issue when ``large``: the export is known to be large)."""
        ...

    @property
    def coverage(self) -> list[ValueCoverageRow]: ...

    @property
    def user_rows(self) -> list[UserRow]: ...

    @property
    def distributions(self) -> Distributions: ...

    @property
    def lossy(self) -> Mapping[str, int]:
        """Lossy markup constructs met so far → how many times."""
        ...


class TransformerFactory(Protocol):
    """How the pipeline makes its transformer (``IssueTransformer``'s constructor)."""

    def __call__(
        self,
        config: MappingConfig,
        target: TargetInfo,
        findings: Findings,
        *,
        source_dir: Path | None,
        now: datetime | None = None,
        source_roots: Sequence[Path] = (),
    ) -> Transformer: ...


@dataclass(frozen=True)
class PrepareOptions:
    """How a pass is labelled, judged and estimated — the one set of settings ``run``, ``validate``
    and ``verify`` pass down (instead of each repeating a list of keywords).

    ``existing_keys`` (a :class:`migrator.snapshot.QueueKeyLookup` on a live target) enables the
    ``key.collision`` check when the mapping has ``target.keep_keys``. ``existing_issues`` (a
    :class:`migrator.existing.ExistingIssueFinder`) finds issues of earlier runs for
    ``target.dangling: existing``. ``now`` is the instant the transform treats as the present
    (``time.future``); None = the real clock.
    """

    strict: bool = False
    source_label: str | None = None  # None = the paths
    target_label: str = "embedded sandbox"
    max_rps: float = DEFAULT_MAX_RPS
    existing_keys: ExistingKeys | None = None
    existing_issues: ExistingIssues | None = None
    now: datetime | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if not self.max_rps > 0:
            raise MigratorError(
                f"the request rate must be positive, got {self.max_rps}", hint="e.g. --max-rps 10"
            )


@dataclass(frozen=True)
class Stages:
    """The sources and transform stages; tests and benchmarks replace them with fakes."""

    read: IssueReader = field(default_factory=ReadAhead)
    transformer: TransformerFactory = field(default=IssueTransformer)


class PreparedRun:
    """One pass over the export.

    ``planned()`` (or iterating the object) streams the planned issues — once; when the stream is
    exhausted the global checks have run and ``findings`` is complete. ``finish()`` runs them if the
    caller stopped early (idempotent) and returns the :class:`ValidationResult`.
    """

    def __init__(
        self,
        config: MappingConfig,
        paths: Sequence[str | Path],
        target_info: TargetInfo,
        findings: Findings,
        options: PrepareOptions | None = None,
        stages: Stages | None = None,
    ) -> None:
        self.config = config
        self.paths = [Path(p) for p in paths]
        self.target_info = target_info
        self.findings = findings
        self.options = options or PrepareOptions()
        self.stages = stages or Stages()
        self.tally = Tally()
        undecided_findings(config.undecided, findings, str(config.path))
        self.index = GlobalIndex(config, findings, self.options.existing_keys, self.options.existing_issues)
        self.transformer = self.stages.transformer(
            config,
            target_info,
            findings,
            source_dir=self.source_dir,
            now=self.options.now,
            source_roots=export_roots(self.paths, config.source.archives),
        )
        self._started = False
        self._checked = False

    @property
    def source_dir(self) -> Path:
        """Attachment paths are relative to the issues file's folder."""
        return self.paths[0].parent if self.paths else Path.cwd()

    def planned(self) -> Iterator[PlannedIssue]:
        if self._started:
            raise RuntimeError("PreparedRun.planned() streams the export once; create a new PreparedRun")
        self._started = True
        return self._stream()

    def __iter__(self) -> Iterator[PlannedIssue]:
        return self.planned()

    def _stream(self) -> Iterator[PlannedIssue]:
        before = gc.get_threshold()
        gc.set_threshold(max(before[0], STREAM_GC_THRESHOLD), *before[1:])
        try:
            yield from self._stream_issues()
        finally:
            gc.set_threshold(*before)

    def _stream_issues(self) -> Iterator[PlannedIssue]:
        # The reading starts (in its own process when the export is large) before the conversion
        # pool warms up: both get going while nothing is handed on yet.
        large = export_bytes(self.paths) >= LARGE_EXPORT_BYTES
        read = self.stages.read(self.config.source, self.paths, self.findings)
        issues = self.transformer.prefetch(read, large=large)
        # The export is streamed, so its size in issues is unknown up front: counts and rate only.
        bar = tqdm(
            issues,
            desc="reading and checking",
            unit=" issues",
            disable=not self.options.progress or not sys.stderr.isatty(),
        )
        for issue in bar:
            self.tally.issues += 1
            planned = self.transformer.transform(issue)
            self.index.add(issue, planned)
            if planned is None:
                self.tally.add_unplanned(issue)
                continue
            self.tally.add(planned)
            yield planned
        self._check()

    @property
    def revisions(self) -> PlanRevisions:
        """What planning across issues changes in the streamed plans (link dates, dangling links):
        known once the stream has been read to the end (``planning.load_plan`` asks for it then)."""
        if not self._checked:
            raise RuntimeError("PreparedRun.revisions is known once the export has been read to the end")
        return self.index.revisions

    def drain(self) -> None:
        """Consume the stream without keeping anything (what ``validate`` does)."""
        for _ in self.planned():
            pass

    def _check(self) -> None:
        if not self._checked:
            self._checked = True
            self.index.finish()

    def finish(self, *, generated_at: datetime | None = None) -> ValidationResult:
        """The global checks (if the stream was not read to the end) and the whole result."""
        self._check()
        options, transformer = self.options, self.transformer
        return ValidationResult(
            generated_at=format_tracker_datetime(generated_at or now_utc()),
            mapping=str(self.config.path),
            sources=[str(p) for p in self.paths] if options.source_label is None else [options.source_label],
            target=options.target_label,
            queue=self.config.target.queue,
            namespace=self.config.target.namespace,
            strict=options.strict,
            counts=self.tally.as_counts(),
            distributions=most_frequent_first(transformer.distributions),
            value_coverage=list(transformer.coverage),
            users=list(transformer.user_rows),
            findings=self.findings,
            estimate=estimate(
                self.tally,
                max_rps=options.max_rps,
                users=sum(1 for _ in self.target_info.users()),
                key_checks=self._key_check_reads(),
            ),
            extra={"lossy_markup": lossy_summary(self.findings, transformer.lossy)},
        )

    def _key_check_reads(self) -> int:
        if not self.config.target.keep_keys:
            return 1  # the queue's highest key number, read once to plan the issues' keys
        if self.options.existing_keys is None:
            return 0
        return key_check_reads(self.tally.issues)


def most_frequent_first(distributions: Distributions) -> Distributions:
    """``{field: [(source value, target value, count), ...]}``, most frequent first within a field."""
    return {name: sorted(rows, key=lambda t: (-t[2], t[0])) for name, rows in distributions.items()}


def lossy_summary(findings: Findings, lossy: Mapping[str, int]) -> dict[str, int]:
    """Lossy markup constructs → how many times they occur: the transform's own tally when it has
    counted any, else counted from ``markup.*`` findings by value."""
    if lossy:
        return {k: int(v) for k, v in sorted(lossy.items(), key=lambda kv: (-int(kv[1]), kv[0]))}
    kinds = sorted({kind for _, kind in findings.counts_by_kind() if kind.startswith("markup.")})
    counter: Counter[str] = Counter(f.value or f.kind for kind in kinds for f in findings.of_kind(kind))
    return dict(counter.most_common())
