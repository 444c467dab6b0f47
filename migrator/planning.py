"""The plan stage's last step: the stream of planned issues → ledger rows in execution order.

Everything about *what* is executed and *in which order* is decided here, before the store sees
it; :class:`~migrator.state.CheckpointStore` only stores what it is handed:

* an issue's ``unique`` (when the mapping did not set one) and its target ``queue``;
* which issue a key belongs to when the export has it twice (the first one);
* which issue owns a link listed on both of its ends (the first to list it);
* each issue's chain: the issue; its comments and files by time (a comment's own files right
  after it); worklogs; links; the local-field patch;
* the depth of every issue in the parent forest (parents are imported first), cycles broken;
* every issue's Tracker key, and files uploaded before the comments that show them, so texts are
  finished when they are sent (``planning_texts.py``).

The date window a link must fit in (``plan.link_window``) needs both issues' bodies; the executor
applies it when it sends the link, as the other issue may come later in the stream.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC
from typing import Any

from migrator.plan import PlannedAttachment, PlannedIssue, make_unique
from migrator.planning_texts import KeyAllocator, KeyPlan, first_shown, text_projects
from migrator.state import CheckpointStore, PlanLoadStats, PlannedRow
from migrator.timeutil import parse_tracker_datetime
from migrator.vocabulary import Kind


def load_plan(
    store: CheckpointStore,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    *,
    keys: KeyPlan | None = None,
) -> PlanLoadStats:
    """Merge a plan into the store's ledger (idempotent): new objects become ``pending``; rows
    already ``done`` stay done; payloads of unfinished objects are replaced by the new plan's.
    With ``keys`` every issue gets its Tracker key now (``planning_texts.py``); without, Tracker
    numbers them and texts can name only issues imported before them."""
    forest: list[tuple[str, str | None, int]] = []  # (issue key, parent key, seq)
    seen_keys: set[str] = set()
    seen_links: set[str] = set()
    duplicate_keys: list[str] = []
    with store.loading(namespace, queue) as load:
        allocator = KeyAllocator(load, queue, keys) if keys is not None else None
        for seq, issue in enumerate(planned):
            if issue.source_key in seen_keys:
                duplicate_keys.append(issue.source_key)
                continue
            seen_keys.add(issue.source_key)
            complete_issue(issue, namespace, queue)
            if allocator is not None:
                allocator.add(issue, seq)
            rows = chain_rows(issue)
            links = [r for r in rows if r.kind == Kind.LINK and r.source_id not in seen_links]
            seen_links.update(r.source_id for r in links)
            load.add(issue, seq, [r for r in rows if r.kind != Kind.LINK] + links)
            forest.append((issue.source_key, issue.parent_key, seq))
        depths, cycles_broken = compute_depths(forest)
        load.set_depths(depths)
        if allocator is not None:
            allocator.finish()
        load.set_text_projects(text_projects(seen_keys, keys))
    load.stats.duplicate_keys = duplicate_keys
    load.stats.cycles_broken = cycles_broken
    return load.stats


def complete_issue(issue: PlannedIssue, namespace: str, queue: str) -> None:
    """Fill the import body's ``unique`` (if the mapping left it out) and ``queue`` (if absent)."""
    if "unique" not in issue.body:
        issue.body["unique"] = make_unique(namespace, issue.source)
    issue.body.setdefault("queue", queue)


def chain_rows(issue: PlannedIssue) -> list[PlannedRow]:
    """The ledger rows of one planned issue, in chain order: the issue; its comments and files by
    time (a comment's own files right after it; a file a comment shows just before the first such
    comment); worklogs; the description PATCH; links; the local-field patch."""
    key = issue.source_key
    rows = [PlannedRow(Kind.ISSUE, "", key, key, None, 0, _hash(issue.body))]
    timeline: list[tuple[tuple[int, str], int, int, list[PlannedRow]]] = []
    for index, comment in enumerate(issue.comments):
        group = [PlannedRow(Kind.COMMENT, key, comment.source_id, key, None, 0, _hash(comment.body))]
        group += [_file_row(Kind.COMMENT_ATTACHMENT, key, a, comment.source_id) for a in comment.attachments]
        timeline.append((_sort_time(comment.body.get("createdAt")), 0, index, group))
    shown = first_shown(issue)
    for index, attachment in enumerate(issue.attachments):
        at, rank = _sort_time(attachment.created_at), 1
        if attachment.source_id in shown:
            at, rank = min((at, rank), (_sort_time(shown[attachment.source_id]), -1))
        timeline.append((at, rank, index, [_file_row(Kind.ATTACHMENT, key, attachment, None)]))
    timeline.sort(key=lambda item: item[:3])
    for _time, _rank, _index, group in timeline:
        rows += group
    rows += [PlannedRow(Kind.WORKLOG, key, w.source_id, key, None, 0, _hash(w.body)) for w in issue.worklogs]
    if issue.description_patch:
        pointers = issue.description_pointers
        patch = [issue.body.get("description"), vars(pointers) if pointers is not None else None]
        rows.append(PlannedRow(Kind.DESCRIPTION, key, key, key, None, 0, _hash(patch)))
    rows += [
        PlannedRow(Kind.LINK, "", link.source_id, key, None, 0, _hash(link.__dict__)) for link in issue.links
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
