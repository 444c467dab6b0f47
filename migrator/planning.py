"""The plan stage's last step: the stream of planned issues → ledger rows in execution order.

Everything about *what* is executed and *in which order* is decided here, before the store sees
it; :class:`~migrator.state.CheckpointStore` only stores what it is handed:

* an issue's ``unique`` (when the mapping did not set one) and its target ``queue``;
* which issue a key belongs to when the export has it twice (the first one);
* which issue owns a link listed on both of its ends (the first to list it);
* each issue's chain: the issue; its comments and files by time (a comment's own files right
  after it); worklogs; links; the local-field patch;
* the depth of every issue in the parent forest (parents are imported first), cycles broken;
* against the ledger, what a newer export changed (``migrator/delta.py``): delta rows right after
  the issue's own row, re-keyed comments, changes already applied.

The date window a link must fit in (``plan.link_window``) needs both issues' bodies; the executor
applies it when it sends the link, as the other issue may come later in the stream.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any

from migrator.delta import DeltaPlanner, DeltaSummary, IssueDelta
from migrator.findings import Findings
from migrator.plan import PlannedAttachment, PlannedIssue, make_unique
from migrator.state import CheckpointStore, LedgerView, PlanLoad, PlanLoadStats, PlannedRow
from migrator.timeutil import parse_tracker_datetime
from migrator.vocabulary import Kind


def load_plan(
    store: CheckpointStore,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    *,
    findings: Findings | None = None,
    delta: DeltaSummary | None = None,
    delete_missing: bool = False,
) -> PlanLoadStats:
    """Merge a plan into the store's ledger (idempotent): new objects become ``pending``; rows
    already ``done`` stay done; payloads of unfinished objects are replaced by the new plan's.

    What changed since the objects were imported (a newer export, ``migrator/delta.py``) becomes
    delta rows; its findings go to ``findings`` and its counts to ``delta``. ``delete_missing``
    plans the deletion in Tracker of children the export no longer has."""
    forest: list[tuple[str, str | None, int]] = []  # (issue key, parent key, seq)
    walk = PlanWalk(namespace, queue)
    with store.loading(namespace, queue) as load:
        planner = DeltaPlanner(
            load.view, findings if findings is not None else Findings(), delta, delete_missing=delete_missing
        )
        for seq, issue, rows in walk.issues(planned):
            delta_of_issue = planner.issue(issue, rows)
            _store_delta(load, delta_of_issue)
            load.add(issue, seq, delta_of_issue.rows)
            forest.append((issue.source_key, issue.parent_key, seq))
        depths, cycles_broken = compute_depths(forest)
        load.set_depths(depths)
        planner.deleted_issues(load.done_not_loaded(Kind.ISSUE))
        removals = planner.deleted_links(load.done_not_loaded(Kind.LINK), walk.seen_keys)
        load.merge(removals)
        planner.new_links()
    load.stats.duplicate_keys = walk.duplicate_keys
    load.stats.cycles_broken = cycles_broken
    return load.stats


def compare_plan(
    view: LedgerView,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    findings: Findings,
    delta: DeltaSummary,
    *,
    delete_missing: bool = False,
) -> Iterator[PlannedIssue]:
    """``planned``, passed through, compared with the ledger as ``load_plan`` would (``validate``'s
    delta): the same findings and counts, nothing written."""
    walk = PlanWalk(namespace, queue)
    planner = DeltaPlanner(view, findings, delta, delete_missing=delete_missing)
    for _seq, issue, rows in walk.issues(planned):
        planner.issue(issue, rows)
        yield issue
    planner.deleted_issues(e for e in view.done_of_kind(Kind.ISSUE) if e.source_id not in walk.seen_keys)
    planner.deleted_links(
        (e for e in view.done_of_kind(Kind.LINK) if e.source_id not in walk.seen_links), walk.seen_keys
    )
    planner.new_links()


@dataclass
class PlanWalk:
    """The plan in load order: the first issue with a key wins, the first issue to list a link owns it."""

    namespace: str
    queue: str
    seen_keys: set[str] = field(default_factory=set)
    seen_links: set[str] = field(default_factory=set)
    duplicate_keys: list[str] = field(default_factory=list)

    def issues(self, planned: Iterable[PlannedIssue]) -> Iterator[tuple[int, PlannedIssue, list[PlannedRow]]]:
        """``(seq, issue, rows)``: the issue completed, its chain with only the links it owns."""
        for seq, issue in enumerate(planned):
            if issue.source_key in self.seen_keys:
                self.duplicate_keys.append(issue.source_key)
                continue
            self.seen_keys.add(issue.source_key)
            complete_issue(issue, self.namespace, self.queue)
            rows = chain_rows(issue)
            links = [r for r in rows if r.kind == Kind.LINK and r.source_id not in self.seen_links]
            self.seen_links.update(r.source_id for r in links)
            yield seq, issue, [r for r in rows if r.kind != Kind.LINK] + links


def _store_delta(load: PlanLoad, delta: IssueDelta) -> None:
    """What the comparison decided about existing rows, before the issue's rows are merged."""
    for entry in delta.forget:
        load.forget(entry)
    for entry, source_id in delta.rekeys:
        load.rekey(entry, source_id)
    for entry, payload_hash in delta.applied:
        load.set_payload_hash(entry, payload_hash)
    for kind, scope, source_id, payload in delta.payloads:
        load.put_delta_payload(kind, scope, source_id, payload)


def complete_issue(issue: PlannedIssue, namespace: str, queue: str) -> None:
    """Fill the import body's ``unique`` (if the mapping left it out) and ``queue`` (if absent)."""
    if "unique" not in issue.body:
        issue.body["unique"] = make_unique(namespace, issue.source)
    issue.body.setdefault("queue", queue)


def chain_rows(issue: PlannedIssue) -> list[PlannedRow]:
    """The ledger rows of one planned issue, in chain order: the issue; its comments and files by
    time (a comment's own files right after it); worklogs; links; the local-field patch."""
    key = issue.source_key
    rows = [PlannedRow(Kind.ISSUE, "", key, key, None, 0, _hash(issue.body))]
    timeline: list[tuple[tuple[int, str], int, int, list[PlannedRow]]] = []
    for index, comment in enumerate(issue.comments):
        group = [PlannedRow(Kind.COMMENT, key, comment.source_id, key, None, 0, _hash(comment.body))]
        group += [_file_row(Kind.COMMENT_ATTACHMENT, key, a, comment.source_id) for a in comment.attachments]
        timeline.append((_sort_time(comment.body.get("createdAt")), 0, index, group))
    for index, attachment in enumerate(issue.attachments):
        timeline.append(
            (_sort_time(attachment.created_at), 1, index, [_file_row(Kind.ATTACHMENT, key, attachment, None)])
        )
    timeline.sort(key=lambda item: item[:3])
    for _time, _rank, _index, group in timeline:
        rows += group
    rows += [PlannedRow(Kind.WORKLOG, key, w.source_id, key, None, 0, _hash(w.body)) for w in issue.worklogs]
    rows += [  # a link's other issue is kept as its parent id: a delta looks links up from both ends
        PlannedRow(Kind.LINK, "", link.source_id, key, link.to_source_key, 0, _hash(link.__dict__))
        for link in issue.links
    ]
    if issue.local_fields:
        rows.append(PlannedRow(Kind.LOCAL_FIELDS, key, key, key, None, 0, _hash(issue.local_fields)))
    return [replace(row, seq=seq) for seq, row in enumerate(rows)]


def _file_row(kind: Kind, key: str, attachment: PlannedAttachment, parent: str | None) -> PlannedRow:
    return PlannedRow(kind, key, attachment.source_id, key, parent, 0, _hash(attachment.__dict__))


def _sort_time(value: Any) -> tuple[int, str]:
    """A key that orders Tracker timestamps by instant (unparsable values last, by text)."""
    try:
        return 0, parse_tracker_datetime(str(value)).astimezone(UTC).isoformat()
    except ValueError:
        return 1, str(value)


def _hash(data: Any) -> str:
    """The payload fingerprint stored with a row (a re-load notices a changed plan by it)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def compute_depths(issues: Sequence[tuple[str, str | None, int]]) -> tuple[dict[str, int], list[str]]:
    """Depth of each issue in the parent forest (roots 0). ``issues`` = (key, parent_key, seq) in plan
    order. A parent outside the plan makes a root. A cycle is broken deterministically: its member
    with the lowest seq is treated as a root. Returns (depths, members where a cycle was broken)."""
    parent = {key: p for key, p, _ in issues}
    seq = {key: s for key, _, s in issues}
    depth: dict[str, int] = {}
    broken: list[str] = []
    for key, _p, _s in issues:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = key
        while node is not None and node not in depth:
            if node in on_path:
                broken.append(_break_cycle(path[path.index(node) :], seq, depth))
                break
            path.append(node)
            on_path.add(node)
            p = parent.get(node)
            node = p if p in parent else None
        for member in reversed(path):
            if member in depth:
                continue
            p = parent.get(member)
            depth[member] = depth[p] + 1 if p in parent and p in depth else 0
    return depth, broken


def _break_cycle(cycle: list[str], seq: dict[str, int], depth: dict[str, int]) -> str:
    """``cycle[i]``'s parent is ``cycle[i + 1]`` (wrapping). The member first in the plan becomes a
    root; the others follow it downwards. Returns the root."""
    root_index = min(range(len(cycle)), key=lambda i: seq[cycle[i]])
    for step in range(len(cycle)):
        depth[cycle[(root_index - step) % len(cycle)]] = step
    return cycle[root_index]
