"""The plan stage's last step: the stream of planned issues → ledger rows in execution order.

Everything about *what* is executed and *in which order* is decided here, before the store sees
it; :class:`~migrator.state.CheckpointStore` only stores what it is handed:

* an issue's ``unique`` (when the mapping did not set one) and its target ``queue``;
* which issue a key belongs to when the export has it twice (the first one);
* which issue owns a link listed on both of its ends (the first to list it);
* each issue's chain: the issue; its comments and files by time (a comment's own files right
  after it); worklogs; links; the local-field patch;
* the depth of every issue in the parent forest (parents are imported first), cycles broken;
* what planning across issues changed (``PlanRevisions``: link dates inside both issues' windows,
  the updatedAt extended for them, dangling links dropped, named in the text or pointed at issues
  already in Tracker) — applied to the stored plan before anything is executed.

The plan is streamed, and revisions are known only when the stream has ended (an issue's window may
depend on an issue later in the export). So a link whose other issue has not been stored yet waits
(only its id is kept) and gets its row at the end, from its issue's revised plan; an issue a
revision touches is re-stored. All of it happens in the load's one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC
from typing import Any

from migrator.plan import PlannedAttachment, PlannedIssue, PlannedLink, PlanRevisions, make_unique
from migrator.state import CheckpointStore, PlanLoad, PlanLoadStats, PlannedRow
from migrator.timeutil import parse_tracker_datetime
from migrator.vocabulary import Kind


def load_plan(
    store: CheckpointStore,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    revisions: Callable[[], PlanRevisions] | None = None,
) -> PlanLoadStats:
    """Merge a plan into the store's ledger (idempotent): new objects become ``pending``; rows
    already ``done`` stay done; payloads of unfinished objects are replaced by the new plan's.
    ``revisions`` is asked once the stream has ended (``PreparedRun.revisions``)."""
    forest: list[tuple[str, str | None, int]] = []  # (issue key, parent key, seq)
    seen_keys: set[str] = set()
    link_owner: dict[str, str] = {}  # link id -> the issue that listed it first (and imports it)
    waiting: set[str] = set()  # issues with a link whose other issue was not stored yet
    duplicate_keys: list[str] = []
    with store.loading(namespace, queue) as load:
        for seq, issue in enumerate(planned):
            if issue.source_key in seen_keys:
                duplicate_keys.append(issue.source_key)
                continue
            seen_keys.add(issue.source_key)
            complete_issue(issue, namespace, queue)
            rows, waits = _rows_now(issue, link_owner, seen_keys)
            load.add(issue, seq, rows)
            if waits:
                waiting.add(issue.source_key)
            forest.append((issue.source_key, issue.parent_key, seq))
        _revise(load, forest, revisions() if revisions is not None else PlanRevisions(), waiting, link_owner)
        depths, cycles_broken = compute_depths(forest)
        load.set_depths(depths)
    load.stats.duplicate_keys = duplicate_keys
    load.stats.cycles_broken = cycles_broken
    return load.stats


def _rows_now(
    issue: PlannedIssue, link_owner: dict[str, str], seen_keys: set[str]
) -> tuple[list[PlannedRow], bool]:
    """The rows to store with the issue now; True when some of its links wait for the end of the
    stream (their other issue is not stored yet: it may come later, or not be in the export)."""
    key = issue.source_key
    others = {link.source_id: link.to_source_key for link in issue.links}
    rows: list[PlannedRow] = []
    waits = False
    for row in chain_rows(issue):
        if row.kind == Kind.LINK:
            if row.source_id in link_owner:
                continue  # listed by an issue before: that one imports it
            link_owner[row.source_id] = key
            if others[row.source_id] not in seen_keys:
                waits = True
                continue
        rows.append(row)
    return rows, waits


def _revise(
    load: PlanLoad,
    forest: Sequence[tuple[str, str | None, int]],
    revisions: PlanRevisions,
    waiting: set[str],
    link_owner: dict[str, str],
) -> None:
    """Apply the revisions to the stored plans they touch, and store the links that waited."""
    touched = revisions.touched() | waiting
    for key, _parent, _seq in forest:  # plan order: the same rows and seqs on every load
        if key not in touched:
            continue
        issue = revisions.apply(load.stored(key))
        rows = [r for r in chain_rows(issue) if r.kind != Kind.LINK or link_owner.get(r.source_id) == key]
        load.revise(issue, rows)


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
    rows += [
        PlannedRow(Kind.LINK, "", link.source_id, key, None, 0, _link_hash(link)) for link in issue.links
    ]
    if issue.local_fields:
        rows.append(PlannedRow(Kind.LOCAL_FIELDS, key, key, key, None, 0, _hash(issue.local_fields)))
    return [replace(row, seq=seq) for seq, row in enumerate(rows)]


def _link_hash(link: PlannedLink) -> str:
    """A link's fingerprint; ``to_target_key`` counts only when set (older ledgers hashed no such field)."""
    data = dict(link.__dict__)
    if data["to_target_key"] is None:
        del data["to_target_key"]
    return _hash(data)


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
