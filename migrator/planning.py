"""The plan stage's last step: the stream of planned issues → ledger rows in execution order.

Everything about *what* is executed and *in which order* is decided here, before the store sees
it; :class:`~migrator.state.CheckpointStore` only stores what it is handed:

* an issue's ``unique`` (when the mapping did not set one) and its target ``queue``;
* which issue a key belongs to when the export has it twice (the first one);
* which issue owns a link listed on both of its ends (the first to list it);
* each issue's chain: the issue; its comments and files by time (a comment's own files right
  after it, a file a comment shows before it); worklogs; the description PATCH; links; the
  local-field patch;
* the depth of every issue in the parent forest (parents are imported first), cycles broken;
* what planning across issues changed (``PlanRevisions``: link dates inside both issues' windows,
  the updatedAt extended for them, dangling links dropped, named in the text or pointed at issues
  already in Tracker) — applied to the stored plan before anything is executed;
* against the ledger, what a newer export changed (``migrator/delta.py``): delta rows right after
  the issue's own row, re-keyed comments, changes already applied;
* every issue's Tracker key, and files uploaded before the comments that show them, so texts are
  finished when they are sent (``planning_texts.py``). The keys of a newer export's new issues come
  after every key already planned or used in the queue, once the stream has ended.

The plan is streamed, and revisions are known only when the stream has ended (an issue's window may
depend on an issue later in the export). On a first import a link whose other issue has not been
stored yet waits (only its id is kept) and gets its row at the end, from its issue's revised plan;
an issue a revision touches is re-stored. When an earlier import exists, every issue is compared
with the ledger *as revised* (the ledger holds what the revised plan sent): the streamed plans are
spooled (``state.PlanSpool``, a temporary table) and compared, then stored, once the revisions are
known. So a delta run's links are dated as a first import's are; an imported issue whose planned
``updatedAt`` grew for a new link is not a field change (``updatedAt`` is a stamp the ordinary API
sets): its stamps stay as imported and it gets an update row only when the link needs its window
opened (``delta.window_opened``); a description that gained a note (a dangling reference named in
the text) is a field change, PATCHed.
All of it happens in the load's one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from migrator.delta import DeltaPlanner, DeltaSummary, IssueDelta
from migrator.findings import Findings
from migrator.plan import PlannedAttachment, PlannedIssue, PlannedLink, PlanRevisions, make_unique
from migrator.planning_texts import KeyAllocator, KeyPlan, first_shown, text_projects
from migrator.spill import DiskList, DiskMap, DiskSet
from migrator.state import CheckpointStore, LedgerView, PlanLoad, PlanLoadStats, PlannedRow
from migrator.timeutil import parse_tracker_datetime
from migrator.vocabulary import Kind

# A chain row before its position is known: (kind, scope, source_id, parent_source_id, payload_hash)
_Row = tuple[Kind, str, str, str | None, str]
Revisions = Callable[[], PlanRevisions]  # asked once the stream has ended (``PreparedRun.revisions``)


def load_plan(
    store: CheckpointStore,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    *,
    keys: KeyPlan | None = None,
    revisions: Revisions | None = None,
    findings: Findings | None = None,
    delta: DeltaSummary | None = None,
    delete_missing: bool = False,
) -> PlanLoadStats:
    """Merge a plan into the store's ledger (idempotent): new objects become ``pending``; rows
    already ``done`` stay done; payloads of unfinished objects are replaced by the new plan's.
    ``revisions`` is asked once the stream has ended.

    With ``keys`` every issue gets its Tracker key now (``planning_texts.py``); without, Tracker
    numbers them and texts can name only issues imported before them.

    What changed since the objects were imported (a newer export, ``migrator/delta.py``) becomes
    delta rows; its findings go to ``findings`` and its counts to ``delta``. ``delete_missing``
    plans the deletion in Tracker of children the export no longer has."""
    with store.loading(namespace, queue) as load, PlanWalk(namespace, queue) as walk:
        walk.keys = KeyAllocator(load, queue, keys) if keys is not None else None
        revise = revisions or PlanRevisions
        planner = DeltaPlanner(
            load.view, findings if findings is not None else Findings(), delta, delete_missing=delete_missing
        )
        if planner.earlier:
            _load_compared(load, walk, planned, planner, revise)
        else:
            _load_first(load, walk, planned, planner, revise)
        depths, cycles_broken = compute_depths(walk.forest())
        load.set_depths((key, depth) for key, depth in depths.items() if depth)  # stored issues start at 0
        planner.deleted_issues(load.done_not_loaded(Kind.ISSUE))
        removals = planner.deleted_links(load.done_not_loaded(Kind.LINK), walk.seen_keys)
        load.merge(removals)
        load.merge(planner.new_links())  # window openers for new links, planned once the export was read
        load.set_text_projects(text_projects(walk.seen_keys, keys))
    load.stats.duplicate_keys = walk.duplicate_keys
    load.stats.cycles_broken = cycles_broken
    return load.stats


def _load_first(
    load: PlanLoad, walk: PlanWalk, planned: Iterable[PlannedIssue], planner: DeltaPlanner, revise: Revisions
) -> None:
    """Nothing imported yet: store each issue as it streams by (links whose other issue is not
    stored yet wait), then apply the revisions to the plans they touch."""
    again = load.revision_queue()  # on disk: issues with a link whose other issue was not stored yet
    for seq, issue in walk.issues(planned):
        rows, waits = walk.rows_now(issue)
        load.add(issue, seq, planner.issue(issue, rows).rows)
        if waits:
            again.waiting(seq, issue.source_key)
    revisions = revise()
    again.revised(revisions.touched())
    for issue, revised in again.in_plan_order():  # plan order: the same rows and seqs on every load
        if revised:
            revisions.apply(issue)
        load.revise(issue, walk.owned_rows(issue, revisable_only=True), changed=revised)


def _load_compared(
    load: PlanLoad, walk: PlanWalk, planned: Iterable[PlannedIssue], planner: DeltaPlanner, revise: Revisions
) -> None:
    """An earlier import exists: compare each revised issue with the ledger, then store it."""
    for seq, issue in _revised(load.view, walk, planned, revise):
        compared = planner.issue(issue, walk.owned_rows(issue))
        _store_delta(load, compared)
        load.add(issue, seq, compared.rows)


def _revised(
    view: LedgerView, walk: PlanWalk, planned: Iterable[PlannedIssue], revise: Revisions
) -> Iterator[tuple[int, PlannedIssue]]:
    """The planned issues in plan order, revised: spooled until the stream has ended."""
    with view.spool() as spool:
        for seq, issue in walk.issues(planned):
            spool.hold(seq, issue)
        revisions = revise()
        touched = revisions.touched()
        for seq, issue in spool.held():
            yield seq, (revisions.apply(issue) if issue.source_key in touched else issue)


def compare_plan(
    view: LedgerView,
    planned: Iterable[PlannedIssue],
    namespace: str,
    queue: str,
    findings: Findings,
    delta: DeltaSummary,
    *,
    revisions: Revisions | None = None,
    delete_missing: bool = False,
) -> None:
    """Read ``planned`` to the end and compare it with the ledger as ``load_plan`` would
    (``validate``'s delta): the same findings and counts, nothing written."""
    planner = DeltaPlanner(view, findings, delta, delete_missing=delete_missing)
    compared_links: set[str] = set()
    with PlanWalk(namespace, queue) as walk:
        if planner.earlier:
            for _seq, issue in _revised(view, walk, planned, revisions or PlanRevisions):
                rows = walk.owned_rows(issue)
                compared_links.update(r.source_id for r in rows if r.kind == Kind.LINK)
                planner.issue(issue, rows)
        else:
            for _seq, issue in walk.issues(planned):
                planner.issue(issue, [])
        seen = walk.seen_keys
        planner.deleted_issues(e for e in view.done_of_kind(Kind.ISSUE) if e.source_id not in seen)
        planner.deleted_links(
            (e for e in view.done_of_kind(Kind.LINK) if e.source_id not in compared_links), seen
        )
        planner.new_links()


class PlanWalk:
    """The plan in load order: the first issue with a key wins, the first issue to list a link owns it.
    With ``keys`` every issue walked gets its Tracker key: the new ones once the stream has ended, so
    they come after every number the queue and the state file already use (``planning_texts.py``).

    What it keeps has one entry per issue or link, so it is kept on disk (``migrator.spill``), not in
    memory: the keys seen, the links' owners, and the issues with a parent (read back once the
    stream has ended, for the depths). Close it (``with``)."""

    def __init__(self, namespace: str, queue: str, keys: KeyAllocator | None = None) -> None:
        self.namespace = namespace
        self.queue = queue
        self.keys = keys
        self.seen_keys = DiskSet()
        self.link_owner: DiskMap[str] = DiskMap()  # link id -> the issue that imports it
        self.duplicate_keys: list[str] = []
        # (key, parent key, seq) of the issues with a parent
        self.children: DiskList[tuple[str, str, int]] = DiskList()

    def __enter__(self) -> PlanWalk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seen_keys.close()
        self.link_owner.close()
        self.children.close()

    def issues(self, planned: Iterable[PlannedIssue]) -> Iterator[tuple[int, PlannedIssue]]:
        """``(seq, issue)``: each issue completed, once per key; the links it lists first are its own."""
        for seq, issue in enumerate(planned):
            key = issue.source_key
            if not self.seen_keys.add(key):
                self.duplicate_keys.append(key)
                continue
            complete_issue(issue, self.namespace, self.queue)
            for link in issue.links:
                self.link_owner.setdefault(link.source_id, key)
            if issue.parent_key is not None:
                self.children.append((key, issue.parent_key, seq))
            if self.keys is not None:
                self.keys.add(issue, seq)
            yield seq, issue
        if self.keys is not None:
            self.keys.finish()

    def forest(self) -> list[tuple[str, str | None, int]]:
        """The part of the parent forest depths depend on: the issues with a parent, and the parents
        in the plan that have none (roots; their ``seq`` is never used: a root is in no cycle). Every
        other issue is a root at level 0 — the level a stored issue starts with."""
        children = list(self.children)  # read back once, for the depths
        with_parent = {key for key, _parent, _seq in children}
        roots = dict.fromkeys(parent for _key, parent, _seq in children if parent not in with_parent)
        return [*children, *((key, None, -1) for key in roots if key in self.seen_keys)]

    def owned_rows(self, issue: PlannedIssue, *, revisable_only: bool = False) -> list[PlannedRow]:
        """The issue's chain with only the links it owns; with ``revisable_only``, only the rows
        :func:`revisable_rows` gives (an issue stored again once the stream has ended)."""
        key = issue.source_key
        owner = self.link_owner
        rows = revisable_rows(issue) if revisable_only else chain_rows(issue)
        return [r for r in rows if r.kind != Kind.LINK or owner.get(r.source_id) == key]

    def rows_now(self, issue: PlannedIssue) -> tuple[list[PlannedRow], bool]:
        """The rows to store with the issue as it streams by; True when some of its links wait for the
        end of the stream (their other issue is not stored yet: it may come later, or not be in the
        export)."""
        rows = self.owned_rows(issue)
        others = {link.source_id: link.to_source_key for link in issue.links}
        now = [r for r in rows if r.kind != Kind.LINK or others[r.source_id] in self.seen_keys]
        return now, len(now) < len(rows)


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
    time (a comment's own files right after it; a file a comment shows just before the first such
    comment); worklogs; the description PATCH; links; the local-field patch."""
    key = issue.source_key
    rows: list[_Row] = [_issue_row(issue)]
    timeline: list[tuple[tuple[int, Any], int, int, list[_Row]]] = []
    for index, comment in enumerate(issue.comments):
        group: list[_Row] = [(Kind.COMMENT, key, comment.source_id, None, _hash(comment.body))]
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
    rows += [(Kind.WORKLOG, key, w.source_id, None, _hash(w.body)) for w in issue.worklogs]
    return _numbered(key, rows, 0) + _numbered(key, _revisable_tail(issue), len(rows))


def revisable_rows(issue: PlannedIssue) -> list[PlannedRow]:
    """The rows of the issue's chain (:func:`chain_rows`, same seqs and fingerprints) that a
    revision or the end of the stream can change: the issue, the description PATCH, links and the
    local-field patch. A revision changes only the body, the links and ``touched_by_run``
    (``PlanRevisions.apply``), so the comments, files and worklogs before them keep their places and
    fingerprints: they are neither sorted nor hashed again. When two of those share a ledger key
    (merged as one row), the whole chain is given, so the row ends as a full re-merge leaves it."""
    key = issue.source_key
    middle = [(Kind.COMMENT, c.source_id) for c in issue.comments]
    middle += [(Kind.COMMENT_ATTACHMENT, a.source_id) for c in issue.comments for a in c.attachments]
    middle += [(Kind.ATTACHMENT, a.source_id) for a in issue.attachments]
    middle += [(Kind.WORKLOG, w.source_id) for w in issue.worklogs]
    if len(set(middle)) != len(middle):
        return chain_rows(issue)
    return _numbered(key, [_issue_row(issue)], 0) + _numbered(key, _revisable_tail(issue), 1 + len(middle))


def _issue_row(issue: PlannedIssue) -> _Row:
    return Kind.ISSUE, "", issue.source_key, None, _hash(issue.body)


def _revisable_tail(issue: PlannedIssue) -> list[_Row]:
    """The chain after the worklogs: the description PATCH, links, the local-field patch."""
    key = issue.source_key
    rows: list[_Row] = []
    if issue.description_patch:
        pointers = issue.description_pointers
        patch = [issue.body.get("description"), vars(pointers) if pointers is not None else None]
        rows.append((Kind.DESCRIPTION, key, key, None, _hash(patch)))
    rows += [  # a link's other issue is kept as its parent id: a delta looks links up from both ends
        (Kind.LINK, "", link.source_id, link.to_source_key, _link_hash(link)) for link in issue.links
    ]
    if issue.local_fields:
        rows.append((Kind.LOCAL_FIELDS, key, key, None, _hash(issue.local_fields)))
    return rows


def _numbered(key: str, rows: list[_Row], first_seq: int) -> list[PlannedRow]:
    return [
        PlannedRow(kind, scope, source_id, key, parent, seq, payload_hash)
        for seq, (kind, scope, source_id, parent, payload_hash) in enumerate(rows, first_seq)
    ]


def _link_hash(link: PlannedLink) -> str:
    """A link's fingerprint; ``to_target_key`` counts only when set (older ledgers hashed no such field)."""
    data = dict(link.__dict__)
    if data["to_target_key"] is None:
        del data["to_target_key"]
    return _hash(data)


def _file_row(kind: Kind, key: str, attachment: PlannedAttachment, parent: str | None) -> _Row:
    return kind, key, attachment.source_id, parent, _hash(attachment.__dict__)


def _sort_time(value: Any) -> tuple[int, Any]:
    """A key that orders Tracker timestamps by instant (unparsable values last, by text): the aware
    datetime itself (aware datetimes compare as instants, whatever their offsets)."""
    try:
        return 0, parse_tracker_datetime(str(value))
    except ValueError:
        return 1, str(value)


# One encoder for every fingerprint: ``json.dumps`` with options builds a new one per call.
_FINGERPRINT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _hash(data: Any) -> str:
    """The payload fingerprint stored with a row (a re-load notices a changed plan by it)."""
    return hashlib.sha256(_FINGERPRINT.encode(data).encode()).hexdigest()


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
