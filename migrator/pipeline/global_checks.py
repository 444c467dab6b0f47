"""Checks and decisions no single issue can make: duplicates, dangling references, link dates,
parent cycles, key collisions.

``GlobalIndex`` is fed every issue (and its plan, when the transform could make one) while the
export streams, keeping only small indexes — source keys, parent edges, links whose other end has
not been seen yet, issue windows, target keys — those with an entry per issue in a temporary file
(``migrator.spill``), not in memory. ``finish()`` then adds the findings, and fills
``revisions`` (:class:`~migrator.plan.PlanRevisions`) with what planning across issues changes:

* ``source.duplicate_key`` — two issues with one source key (unless the sources already said so);
* ``source.duplicate_id`` — two issues with one source id (they would share a Tracker ``unique``);
* ``link.dangling*`` / ``parent.dangling*`` — a link or parent whose other issue is not in the
  export, decided by ``target.dangling`` (``dangling.py``);
* ``time.window_extended_for_link``, ``time.link_clamped``, ``link.undated`` — every link dated
  inside both issues' windows (``link_dates.py``);
* ``parent.multiple`` — an issue given two different parents;
* ``parent.cycle`` — issues that are (transitively) their own parent, naming every key in the cycle;
* ``key.duplicate_target`` / ``key.collision`` — with ``target.keep_keys``, two issues that get one
  Tracker key, or a key already used in the queue by an issue that is not ours;
* ``key.collision_unchecked`` (info) — ``keep_keys`` is on but no read access to the queue
  (offline snapshot), so collisions were not checked.

The only target access is the optional read-only ``ExistingKeys`` and ``ExistingIssues`` lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from migrator.findings import Findings, Severity
from migrator.mapping.config import MappingConfig
from migrator.model import Issue, SourceRef
from migrator.pipeline.dangling import DanglingPlanner, DanglingRef, ExistingIssues
from migrator.pipeline.link_dates import LinkDatePlanner
from migrator.plan import PlannedIssue, PlanRevisions
from migrator.spill import DiskList, DiskMap
from migrator.vocabulary import CHILD_OF, PARENT_OF

# Tracker relationships (import vocabulary) that make a parent/child edge.

# key -> the ``unique`` of the issue that already has it in the target queue (None if it has none).
ExistingKeys = Callable[[Collection[str]], Mapping[str, str | None]]


@dataclass
class GlobalIndex:
    """Cross-issue checks over small indexes; feed every issue with ``add``, then call ``finish``."""

    config: MappingConfig
    findings: Findings
    existing_keys: ExistingKeys | None = None
    existing_issues: ExistingIssues | None = None
    # Indexes with an entry per issue live on disk (``migrator.spill``): memory stays flat.
    _keys: DiskMap[SourceRef] = field(default_factory=DiskMap)
    _ids: DiskMap[str] = field(default_factory=DiskMap)  # source id -> key (refs may use ids)
    _duplicate_keys: dict[str, list[SourceRef]] = field(default_factory=dict)
    _duplicate_ids: dict[str, list[SourceRef]] = field(default_factory=dict)
    # refs whose target was not seen yet
    _pending: DiskList[DanglingRef] = field(default_factory=DiskList)
    _parents: DiskMap[tuple[str, SourceRef]] = field(default_factory=DiskMap)  # child -> (parent ref, where)
    _target_keys: DiskMap[tuple[str, str, SourceRef]] = field(
        default_factory=DiskMap
    )  # key -> (source key, unique, where)
    revisions: PlanRevisions = field(init=False)  # complete after ``finish()``
    link_dates: LinkDatePlanner = field(init=False)

    def __post_init__(self) -> None:
        self.revisions = PlanRevisions(markup_type=self.config.target.markup_type)
        self.link_dates = LinkDatePlanner(self.findings, self.config.target.undated_links)

    def add(self, issue: Issue, planned: PlannedIssue | None) -> None:
        self._index_identity(issue)
        self._index_refs(issue, planned)
        if planned is not None:
            self.link_dates.add(planned)
            if self.config.target.keep_keys:
                self._index_target_key(planned)

    # -------------------------------------------------------------- indexing

    def _index_identity(self, issue: Issue) -> None:
        # ``put_new``: the key was just found absent, so it is not looked up a second time to store it
        if issue.key in self._keys:
            self._duplicate_keys.setdefault(issue.key, [self._keys[issue.key]]).append(issue.source)
        else:
            self._keys.put_new(issue.key, issue.source)
        if issue.source.id in self._ids:
            first = self._keys.get(self._ids[issue.source.id])
            self._duplicate_ids.setdefault(issue.source.id, [first] if first else []).append(issue.source)
        else:
            self._ids.put_new(issue.source.id, issue.key)

    def _index_refs(self, issue: Issue, planned: PlannedIssue | None) -> None:
        for link in issue.links:
            for end in {link.from_key, link.to_key}:
                self._reference(issue.key, end, "links", link.relationship, link.source, planned)
        if issue.parent_key:
            self._reference(issue.key, issue.parent_key, "parent", "parent", issue.source, planned)
            self._add_parent(issue.key, issue.parent_key, issue.source)
        for planned_link in planned.links if planned is not None else ():
            if planned_link.relationship == CHILD_OF:
                self._add_parent(issue.key, planned_link.to_source_key, issue.source)
            elif planned_link.relationship == PARENT_OF:
                self._add_parent(planned_link.to_source_key, issue.key, issue.source)

    def _reference(
        self,
        owner: str,
        ref: str,
        field_name: str,
        detail: str,
        where: SourceRef,
        planned: PlannedIssue | None,
    ) -> None:
        if self._resolve(ref, field_name) is None:
            link_ids = tuple(
                link.source_id
                for link in (planned.links if planned is not None else ())
                if link.to_source_key == ref and (link.relationship == CHILD_OF) == (field_name == "parent")
            )
            self._pending.append(DanglingRef(owner, ref, field_name, detail, where, link_ids))

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
        self._plan_references()
        self._report_cycles()
        self._report_key_collisions()

    def _report_duplicates(self) -> None:
        already = self.findings.source_keys(kind="source.duplicate_key")
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

    def _plan_references(self) -> None:
        """Dangling references by the mapping's policy, then every link's date (which needs to know
        which links go to issues already in Tracker, and which are not imported)."""
        dangling = [p for p in self._pending if self._resolve(p.ref, p.field) is None]
        # Keys the export has but the sources could not read (skipped rows name them in findings).
        unreadable = {
            key for key in self.findings.source_keys(severity=Severity.ERROR) if key and key not in self._keys
        }
        planner = DanglingPlanner(self.config, self.findings, self.existing_issues, self.link_dates)
        existing = planner.plan(dangling, unreadable, self.revisions)
        self.link_dates.plan(self.revisions, existing)

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
        for child, (parent_ref, _) in self._parents.items_in_order():
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
