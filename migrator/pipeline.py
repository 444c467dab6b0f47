"""The glue shared by ``run`` and ``validate``: sources → transform → planned issues, plus the
*global* checks no single issue can make.

One pass, bounded memory. ``PreparedRun.planned()`` streams ``PlannedIssue`` objects (``run`` feeds
them straight into ``planning.load_plan``; ``validate`` just drains them) while a
``GlobalIndex`` keeps only small indexes — source keys, parent edges, links whose other end has not
been seen yet, target keys — and a ``Tally`` keeps counts. When the stream ends the global checks
run and add their findings:

* ``source.duplicate_key`` — two issues with one source key (unless the sources already said so);
* ``source.duplicate_id`` — two issues with one source id (they would share a Tracker ``unique``);
* ``link.dangling`` — a link whose other end is not in the export;
* ``parent.dangling`` — a parent that is not in the export;
* ``parent.multiple`` — an issue given two different parents;
* ``parent.cycle`` — issues that are (transitively) their own parent, naming every key in the cycle;
* ``key.duplicate_target`` / ``key.collision`` — with ``target.keep_keys``, two issues that get one
  Tracker key, or a key already used in the queue by an issue that is not ours;
* ``key.collision_unchecked`` (info) — ``keep_keys`` is on but no read access to the queue
  (offline snapshot), so collisions were not checked.

``PreparedRun.finish()`` then assembles the :class:`ValidationResult` (counts, coverage, users,
distributions, findings, the API-call estimate) that ``validate`` reports and ``run`` gates on:

    prepared = prepare(config, paths, target_info, findings, strict=..., source_label=..., target_label=...)
    load_plan(store, prepared.planned(), namespace, queue)   # or: prepared.drain()
    result = prepared.finish()

Nothing here writes anywhere: the only target access is the optional read-only ``ExistingKeys``
lookup.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from migrator.errors import MigratorError
from migrator.findings import Findings, Severity
from migrator.mapping.config import MappingConfig
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.transform import IssueTransformer
from migrator.model import Issue, SourceRef
from migrator.plan import PlannedIssue
from migrator.report.model import Estimate, UserRow, ValidationResult, ValueCoverageRow
from migrator.sources import read_issues
from migrator.timeutil import format_tracker_datetime, now_utc
from migrator.vocabulary import CHILD_OF, PARENT_OF

DEFAULT_MAX_RPS = 10.0  # tracker-api.md §5.3: "up to 10 requests per second" outside search/bulk
SEARCH_PAGE = 100  # issues per search request
# Metadata the run reads before writing: myself, statuses, issue types, priorities, resolutions,
# link types, fields, queue, local fields, components, versions, ~2 workflows; plus users, 1 per 100.
FIXED_METADATA_READS = 13
USERS_PER_PAGE = 100


class IssueReader(Protocol):
    def __call__(
        self, config: MappingConfig, paths: Sequence[Path], findings: Findings
    ) -> Iterator[Issue]: ...


class Transformer(Protocol):
    """What the pipeline needs from ``migrator.mapping.transform.IssueTransformer``."""

    def transform(self, issue: Issue) -> PlannedIssue | None: ...


TransformerFactory = Callable[..., Transformer]
# key -> the ``unique`` of the issue that already has it in the target queue (None if it has none).
ExistingKeys = Callable[[Collection[str]], Mapping[str, str | None]]


# ---------------------------------------------------------------------- counts


@dataclass
class Tally:
    """Counts of what the export holds, in the form the run will send it.

    Planned issues are counted as planned (links de-duplicated, files resolved to their sizes). An
    issue the transform could not plan (it has errors) is counted as read from the export, so the
    counts and the estimate describe the whole export, not just its clean part.
    """

    issues: int = 0  # issues read from the sources
    planned: int = 0  # issues the transform could plan
    comments: int = 0
    attachments: int = 0  # issue files + comment files
    attachment_bytes: int = 0  # of planned files (sizes of unplanned ones only when the export states them)
    worklogs: int = 0
    local_field_patches: int = 0  # issues needing a PATCH for queue-local fields
    # A link listed on both ends is planned twice with one ledger id and imported once.
    _link_ids: set[str] = field(default_factory=set)

    @property
    def links(self) -> int:
        """Distinct links (parent links included)."""
        return len(self._link_ids)

    def add(self, planned: PlannedIssue) -> None:
        self.planned += 1
        self.comments += len(planned.comments)
        self._link_ids.update(link.source_id for link in planned.links)
        self.worklogs += len(planned.worklogs)
        self.local_field_patches += int(bool(planned.local_fields))
        files = list(planned.attachments) + [a for c in planned.comments for a in c.attachments]
        self.attachments += len(files)
        self.attachment_bytes += sum(a.size or 0 for a in files)

    def add_unplanned(self, issue: Issue) -> None:
        self.comments += len(issue.comments)
        self.worklogs += len(issue.worklogs)
        files = list(issue.attachments) + [a for c in issue.comments for a in c.attachments]
        self.attachments += len(files)
        self.attachment_bytes += sum(a.size or 0 for a in files)
        self._link_ids.update(
            f"source:{link.from_key}|{link.relationship}|{link.to_key}" for link in issue.links
        )
        if issue.parent_key:
            self._link_ids.add(f"source:{issue.key}|parent|{issue.parent_key}")

    def as_counts(self) -> dict[str, int]:
        return {
            "issues": self.issues,
            "comments": self.comments,
            "attachments": self.attachments,
            "attachment_bytes": self.attachment_bytes,
            "links": self.links,
            "worklogs": self.worklogs,
            "issues_planned": self.planned,
            "issues_not_planned": self.issues - self.planned,
            "local_field_patches": self.local_field_patches,
        }


# ---------------------------------------------------------------------- global checks


@dataclass
class _PendingRef:
    """A reference (link end or parent) whose target had not been seen when it was read."""

    owner: str  # source key of the issue holding the reference
    ref: str  # the referenced source key (or id)
    field: str  # "links" or "parent"
    detail: str  # relationship, for the message
    where: SourceRef


@dataclass
class GlobalIndex:
    """Cross-issue checks over small indexes; feed every issue with ``add``, then call ``finish``."""

    config: MappingConfig
    findings: Findings
    existing_keys: ExistingKeys | None = None
    _keys: dict[str, SourceRef] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)  # source id -> key (refs may use ids)
    _duplicate_keys: dict[str, list[SourceRef]] = field(default_factory=dict)
    _duplicate_ids: dict[str, list[SourceRef]] = field(default_factory=dict)
    _pending: list[_PendingRef] = field(default_factory=list)
    _parents: dict[str, tuple[str, SourceRef]] = field(default_factory=dict)  # child -> (parent ref, where)
    _target_keys: dict[str, tuple[str, str, SourceRef]] = field(
        default_factory=dict
    )  # key -> (source key, unique, where)

    def add(self, issue: Issue, planned: PlannedIssue | None) -> None:
        self._index_identity(issue)
        self._index_refs(issue, planned)
        if planned is not None and self.config.target.keep_keys:
            self._index_target_key(planned)

    # -------------------------------------------------------------- indexing

    def _index_identity(self, issue: Issue) -> None:
        if issue.key in self._keys:
            self._duplicate_keys.setdefault(issue.key, [self._keys[issue.key]]).append(issue.source)
        else:
            self._keys[issue.key] = issue.source
        if issue.source.id in self._ids:
            first = self._keys.get(self._ids[issue.source.id])
            self._duplicate_ids.setdefault(issue.source.id, [first] if first else []).append(issue.source)
        else:
            self._ids[issue.source.id] = issue.key

    def _index_refs(self, issue: Issue, planned: PlannedIssue | None) -> None:
        for link in issue.links:
            for end in {link.from_key, link.to_key}:
                self._reference(issue.key, end, "links", link.relationship, link.source)
        if issue.parent_key:
            self._reference(issue.key, issue.parent_key, "parent", "parent", issue.source)
            self._add_parent(issue.key, issue.parent_key, issue.source)
        for planned_link in planned.links if planned is not None else ():
            if planned_link.relationship == CHILD_OF:
                self._add_parent(issue.key, planned_link.to_source_key, issue.source)
            elif planned_link.relationship == PARENT_OF:
                self._add_parent(planned_link.to_source_key, issue.key, issue.source)

    def _reference(self, owner: str, ref: str, field_name: str, detail: str, where: SourceRef) -> None:
        if self._resolve(ref, field_name) is None:
            self._pending.append(_PendingRef(owner, ref, field_name, detail, where))

    def _resolve(self, ref: str, field_name: str) -> str | None:
        """The source key a reference names, if that issue has been read (keys first, then ids
        when the mapping says references hold ids)."""
        if ref in self._keys:
            return ref
        mode = self.config.source.parent_ref if field_name == "parent" else self.config.source.link_ref
        return self._ids.get(ref) if mode == "id" else None

    def _add_parent(self, child: str, parent_ref: str, where: SourceRef) -> None:
        known = self._parents.get(child)
        if known is None:
            self._parents[child] = (parent_ref, where)
            return
        if known[0] != parent_ref and self._resolve(known[0], "parent") != self._resolve(
            parent_ref, "parent"
        ):
            self.findings.error(
                "parent.multiple",
                f"issue {child} is given two parents: {known[0]} and {parent_ref}",
                where=where,
                key=child,
                field="parent",
                value=parent_ref,
                hint="a Tracker issue has one parent; drop one of the parent/sub-task relations",
            )

    def _index_target_key(self, planned: PlannedIssue) -> None:
        key = planned.body.get("key")
        if not isinstance(key, str) or not key:
            return
        known = self._target_keys.get(key)
        if known is not None:
            self.findings.error(
                "key.duplicate_target",
                f"issues {known[0]} and {planned.source_key} would both get the Tracker key {key}",
                where=planned.source,
                key=planned.source_key,
                field="key",
                value=key,
                hint="with keep_keys the source key numbers must be unique; import one of them without keep_keys",
            )
            return
        self._target_keys[key] = (planned.source_key, planned.unique, planned.source)

    # -------------------------------------------------------------- finishing

    def finish(self) -> None:
        self._report_duplicates()
        self._report_dangling()
        self._report_cycles()
        self._report_key_collisions()

    def _report_duplicates(self) -> None:
        already = {f.key for f in self.findings if f.kind == "source.duplicate_key"}
        for key, places in self._duplicate_keys.items():
            if key in already:
                continue
            for where in places[1:]:
                self.findings.error(
                    "source.duplicate_key",
                    f"source key {key} occurs {len(places)} times (first at {places[0].where()})",
                    where=where,
                    key=key,
                    field="key",
                    value=key,
                    hint="every issue needs its own key; remove the duplicate rows or fix the keys",
                )
        for source_id, places in self._duplicate_ids.items():
            for where in places[1:]:
                self.findings.error(
                    "source.duplicate_id",
                    f"source id {source_id} occurs {len(places)} times; both would get one Tracker 'unique'",
                    where=where,
                    key=self._ids.get(source_id),
                    field="id",
                    value=source_id,
                    hint="every issue needs its own id (it makes re-runs exactly-once)",
                )

    def _report_dangling(self) -> None:
        dangling = [p for p in self._pending if self._resolve(p.ref, p.field) is None]
        if not dangling:
            return
        # Keys the export has but the sources could not read (skipped rows name them in findings).
        unreadable = {f.key for f in self.findings if f.key and f.severity is Severity.ERROR} - set(
            self._keys
        )
        for pending in dangling:
            kind = "parent.dangling" if pending.field == "parent" else "link.dangling"
            what = "parent" if pending.field == "parent" else f"link '{pending.detail}' points to"
            if pending.ref in unreadable:
                message = f"{what} {pending.ref}, which is in the export but could not be read"
                hint = f"fix the problems reported for {pending.ref}; this relation is then resolved"
            else:
                message = f"{what} {pending.ref}, which is not in this export"
                hint = (
                    "add the other issue to the export, or remove the relation from the source; "
                    "relations to issues of earlier runs are not resolved automatically"
                )
            self.findings.error(
                kind,
                message,
                where=pending.where,
                key=pending.owner,
                field=pending.field,
                value=pending.ref,
                hint=hint,
            )

    def _report_cycles(self) -> None:
        edges = self._resolved_parent_edges()
        for cycle in find_cycles(edges):
            where = self._keys.get(cycle[0])
            self.findings.error(
                "parent.cycle",
                "parent cycle: " + " → ".join([*cycle, cycle[0]]),
                where=where,
                key=cycle[0],
                field="parent",
                value=", ".join(cycle),
                hint="an issue cannot be its own (grand)parent; break the cycle in the source",
            )

    def _resolved_parent_edges(self) -> dict[str, str]:
        edges: dict[str, str] = {}
        for child, (parent_ref, _) in self._parents.items():
            parent = self._resolve(parent_ref, "parent")
            if parent is not None:
                edges[child] = parent
        return edges

    def _report_key_collisions(self) -> None:
        if not self.config.target.keep_keys or not self._target_keys:
            return
        if self.existing_keys is None:
            self.findings.info(
                "key.collision_unchecked",
                f"keep_keys is on, but the {len(self._target_keys):,} target keys were not checked "
                "against existing issues (no read access to the queue)",
                field="key",
                hint="validate against the live target (not a snapshot) to check key collisions",
            )
            return
        existing = self.existing_keys(list(self._target_keys))
        for key, unique in existing.items():
            if key not in self._target_keys:
                continue  # the lookup may answer with more than was asked
            source_key, our_unique, where = self._target_keys[key]
            if unique == our_unique:
                continue  # imported by an earlier run of this very migration: resumed, not a collision
            self.findings.error(
                "key.collision",
                f"Tracker key {key} is already used in the queue by another issue",
                where=where,
                key=source_key,
                field="key",
                value=key,
                hint="import into an empty queue, turn off target.keep_keys, or move the existing issue",
            )


def find_cycles(parent_of: Mapping[str, str]) -> list[list[str]]:
    """Every cycle of a child → parent map, each rotated to start at its smallest key. O(n)."""
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    cycles: list[list[str]] = []
    for start in parent_of:
        walk: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            walk.append(node)
            node = parent_of.get(node)
        if node is not None and state.get(node) == 1:
            cycle = walk[walk.index(node) :]
            pivot = cycle.index(min(cycle))
            cycles.append(cycle[pivot:] + cycle[:pivot])
        for visited in walk:
            state[visited] = 2
    return cycles


# ---------------------------------------------------------------------- the run


@dataclass(frozen=True)
class ResultLabels:
    """How the result names its inputs, and how it judges and estimates."""

    strict: bool = False
    source_label: str | Sequence[str] | None = None
    target_label: str = "embedded sandbox"
    max_rps: float = DEFAULT_MAX_RPS

    def __post_init__(self) -> None:
        if not self.max_rps > 0:
            raise MigratorError(
                f"the request rate must be positive, got {self.max_rps}", hint="e.g. --max-rps 10"
            )


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
        *,
        now: datetime | None = None,
        labels: ResultLabels | None = None,
        existing_keys: ExistingKeys | None = None,
        reader: IssueReader | None = None,
        transformer_factory: TransformerFactory | None = None,
        progress: bool = False,
    ) -> None:
        self.progress = progress
        self.config = config
        self.paths = [Path(p) for p in paths]
        self.target_info = target_info
        self.findings = findings
        self.labels = labels or ResultLabels()
        self.tally = Tally()
        self.index = GlobalIndex(config, findings, existing_keys)
        self._reader = reader or _default_reader()
        self.transformer = (transformer_factory or _default_transformer_factory())(
            config, target_info, findings, source_dir=self.source_dir, now=now
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
        issues = self._reader(self.config, self.paths, self.findings)
        # The export is streamed, so its size in issues is unknown up front: counts and rate only.
        bar = tqdm(
            issues,
            desc="reading and checking",
            unit=" issues",
            disable=not self.progress or not sys.stderr.isatty(),
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
        return self._result(generated_at)

    # -------------------------------------------------------------- the result

    def transformer_attr(self, name: str, default: Any) -> Any:
        """``coverage``/``user_rows``/``distributions``/``lossy`` of the transform (default if absent)."""
        return getattr(self.transformer, name, default)

    def _result(self, generated_at: datetime | None) -> ValidationResult:
        labels = self.labels
        return ValidationResult(
            generated_at=format_tracker_datetime(generated_at or now_utc()),
            mapping=str(self.config.path),
            sources=_source_labels(labels.source_label, self.paths),
            target=labels.target_label,
            queue=self.config.target.queue,
            namespace=self.config.target.namespace,
            strict=labels.strict,
            counts=self.tally.as_counts(),
            distributions=distributions(self.transformer_attr("distributions", {})),
            value_coverage=coverage_rows(self.transformer_attr("coverage", [])),
            users=user_rows(self.transformer_attr("user_rows", [])),
            findings=list(self.findings),
            estimate=estimate(
                self.tally,
                max_rps=labels.max_rps,
                users=target_user_count(self.target_info),
                key_checks=self._key_check_reads(),
            ),
            extra={"lossy_markup": lossy_summary(self.findings, self.transformer_attr("lossy", None))},
        )

    def _key_check_reads(self) -> int:
        if not self.config.target.keep_keys or self.index.existing_keys is None:
            return 0
        return 1 + math.ceil(self.tally.issues / SEARCH_PAGE)


def prepare(
    config: MappingConfig,
    paths: Sequence[str | Path],
    target_info: TargetInfo,
    findings: Findings,
    *,
    now: datetime | None = None,
    strict: bool = False,
    source_label: str | Sequence[str] | None = None,
    target_label: str = "embedded sandbox",
    max_rps: float = DEFAULT_MAX_RPS,
    existing_keys: ExistingKeys | None = None,
    progress: bool = False,
) -> PreparedRun:
    """The export's planned issues, ready to stream: ``.planned()`` (once), then ``.finish()``.

    ``existing_keys`` (a :class:`migrator.snapshot.QueueKeyLookup` on a live target) enables the
    ``key.collision`` check when the mapping has ``target.keep_keys``.
    """
    labels = ResultLabels(
        strict=strict, source_label=source_label, target_label=target_label, max_rps=max_rps
    )
    return PreparedRun(
        config,
        paths,
        target_info,
        findings,
        now=now,
        labels=labels,
        existing_keys=existing_keys,
        progress=progress,
    )


# ---------------------------------------------------------------------- estimate


def estimate(
    tally: Tally, *, max_rps: float = DEFAULT_MAX_RPS, users: int = 0, key_checks: int = 0
) -> Estimate:
    """API calls the run makes, by kind, and the time they take at ``max_rps``.

    One call per issue import, comment, file, link, worklog and local-field PATCH, plus the reads
    (target metadata, and the key-collision search with ``keep_keys``). Retries are not included.
    """
    if max_rps <= 0:
        raise ValueError("max_rps must be positive")
    by_kind = {
        "issue_import": tally.issues,
        "comment_import": tally.comments,
        "attachment_import": tally.attachments,
        "link_import": tally.links,
        "worklog_import": tally.worklogs,
        "local_field_patch": tally.local_field_patches,
        "reads": FIXED_METADATA_READS + max(1, math.ceil(users / USERS_PER_PAGE)) + key_checks,
    }
    calls = sum(by_kind.values())
    return Estimate(api_calls=calls, calls_by_kind=by_kind, rate_rps=max_rps, seconds=calls / max_rps)


def target_user_count(target_info: Any) -> int:
    """How many users the target has (``TargetInfo.users()``), for the users-list read estimate."""
    users = getattr(target_info, "users", None)
    if callable(users):
        users = users()
    return sum(1 for _ in users) if users is not None else 0


# ---------------------------------------------------------------------- transform outputs → report rows


def coverage_rows(raw: Any) -> list[ValueCoverageRow]:
    """The transform's value coverage as report rows (accepts rows, or dicts with the same names)."""
    return [
        row if isinstance(row, ValueCoverageRow) else ValueCoverageRow(**dict(row)) for row in _items(raw)
    ]


def user_rows(raw: Any) -> list[UserRow]:
    return [row if isinstance(row, UserRow) else UserRow(**dict(row)) for row in _items(raw)]


def distributions(raw: Any) -> dict[str, list[tuple[str, str | None, int]]]:
    """``{field: [(source value, target value, count), ...]}``, most frequent first."""
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, list[tuple[str, str | None, int]]] = {}
    for name, rows in raw.items():
        triples = [_triple(row) for row in _items(rows)]
        out[str(name)] = sorted(triples, key=lambda t: (-t[2], t[0]))
    return out


def _triple(row: Any) -> tuple[str, str | None, int]:
    if isinstance(row, Mapping):
        return str(row["source_value"]), row.get("target_value"), int(row["count"])
    source, target, count = row
    return str(source), None if target is None else str(target), int(count)


def _items(raw: Any) -> Iterable[Any]:
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        return list(raw.values())
    return list(raw)


def _source_labels(source_label: str | Sequence[str] | None, paths: Sequence[Path]) -> list[str]:
    if source_label is None:
        return [str(p) for p in paths]
    if isinstance(source_label, str):
        return [source_label]
    return [str(s) for s in source_label]


def lossy_summary(findings: Findings, lossy: Any = None) -> dict[str, int]:
    """Lossy markup constructs → how many times they occur: the transform's own tally when it
    keeps one (a mapping or a Counter), else counted from ``markup.*`` findings by value."""
    if isinstance(lossy, Mapping) and lossy:
        return {str(k): int(v) for k, v in sorted(lossy.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))}
    counter: Counter[str] = Counter(f.value or f.kind for f in findings if f.kind.startswith("markup."))
    return dict(counter.most_common())


def _default_reader() -> IssueReader:
    return read_issues


def _default_transformer_factory() -> TransformerFactory:
    return IssueTransformer
