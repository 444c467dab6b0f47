"""The plan stage before the store: chain order, link ownership, duplicate keys, unique/queue,
depths of the parent forest — and the ready rows the store receives."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from execution.helpers_executor import link_id, make_issue, make_plan
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.model import SourceRef
from migrator.plan import PlannedIssue, PlanRevisions, TextPointers, make_unique
from migrator.planning import (
    PlanWalk,
    _sort_time,
    chain_rows,
    complete_issue,
    compute_depths,
    load_plan,
    revisable_rows,
)
from migrator.planning_texts import KeyPlan
from migrator.state import CheckpointStore, PlanLoadStats
from migrator.timeutil import parse_tracker_datetime
from migrator.vocabulary import Kind, Status


@pytest.fixture
def store(tmp_path: Path) -> CheckpointStore:
    with CheckpointStore(tmp_path / "state.sqlite") as s:
        yield s


def _rows(store: CheckpointStore, key: str):
    return store.rows_for_issue(
        key,
        (Kind.ISSUE, Kind.COMMENT, Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT, Kind.WORKLOG, Kind.LOCAL_FIELDS),
    )


def test_chain_order_comment_files_follow_their_comment(store: CheckpointStore, tmp_path: Path) -> None:
    issue = make_issue(1, tmp_path / "files", comments=2, files=1, comment_files=2, worklogs=1)
    load_plan(store, [issue], "ns", "DEMO")
    kinds = [(r.kind, r.source_id) for r in _rows(store, "S-1")]
    # file f0 at +30min comes before comment c0 (+1h) whose files follow it, then c1 (+2h), then worklogs
    assert kinds == [
        (Kind.ISSUE, "S-1"),
        (Kind.ATTACHMENT, "S-1-f0"),
        (Kind.COMMENT, "S-1-c0"),
        (Kind.COMMENT_ATTACHMENT, "S-1-c0-f0"),
        (Kind.COMMENT_ATTACHMENT, "S-1-c0-f1"),
        (Kind.COMMENT, "S-1-c1"),
        (Kind.WORKLOG, "S-1-w0"),
    ]
    assert _rows(store, "S-1")[3].parent_source_id == "S-1-c0"


def test_link_listed_on_both_issues_gets_one_row(store: CheckpointStore) -> None:
    same = link_id("S-1", "relates", "S-2")
    a = make_issue(1, links=[("relates", "S-2")])
    b = make_issue(2, links=[("relates", "S-1")])
    b.links[0].source_id = same  # canonical id: the export listed it on both ends
    stats = load_plan(store, [a, b], "ns", "DEMO")
    assert stats.kinds[Kind.LINK].planned == 1
    rows = store.rows_for_issue("S-1", (Kind.LINK,))
    assert [r.source_id for r in rows] == [same]
    assert store.rows_for_issue("S-2", (Kind.LINK,)) == []


def test_depths_parents_first_and_cycles_broken_deterministically() -> None:
    depths, broken = compute_depths(
        [
            ("x", "a", 0),
            ("a", "b", 3),
            ("b", "c", 1),
            ("c", "a", 2),
            ("y", None, 4),
            ("z", "y", 5),
            ("w", "gone", 6),
        ]
    )
    assert broken == ["b"]  # the cycle a→b→c→a is broken at its member first in the plan
    assert depths == {"b": 0, "a": 1, "c": 2, "x": 2, "y": 0, "z": 1, "w": 0}
    assert compute_depths([("s", "s", 0)]) == ({"s": 0}, ["s"])


def test_the_issues_with_a_parent_wait_for_the_depths_on_disk_not_in_memory() -> None:
    """A tenth of a large export's issues have a parent; kept as tuples until the stream ended,
    10,000 of them held 2.1 MB (growing with the export), on disk about 0.2 MB (filters, buffers)."""
    count = 10_000
    plan = (
        PlannedIssue(SourceRef("test", str(n)), f"S-{n}", {}, parent_key=f"S-{n + 1}") for n in range(count)
    )
    with PlanWalk("ns", "DEMO") as walk:
        tracemalloc.start()
        try:
            for _seq, _issue in walk.issues(plan):
                pass
            held, _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        forest = walk.forest()
    assert held < 1_000_000
    # every issue with its parent, in plan order; S-10000 is no root: it is not planned
    assert forest[:2] == [("S-0", "S-1", 0), ("S-1", "S-2", 1)] and len(forest) == count


def test_issue_levels_follow_parents(store: CheckpointStore) -> None:
    plan = [make_issue(3, parent=2), make_issue(2, parent=1), make_issue(1)]
    load_plan(store, plan, "ns", "DEMO")
    assert store.issue_depths() == [0, 1, 2]
    assert [k for _s, k in store.issues_with_work((Kind.ISSUE,), depth=2)] == ["S-3"]


def test_an_issue_key_planned_twice_keeps_the_first(store: CheckpointStore) -> None:
    stats = load_plan(store, [make_issue(1), make_issue(1, summary="again"), make_issue(2)], "ns", "DEMO")
    assert stats.duplicate_keys == ["S-1"] and stats.issues == 2
    assert store.load_issue("S-1").body["summary"] == "Issue number 1"


def test_chain_rows_are_numbered_in_chain_order_with_payload_fingerprints(tmp_path: Path) -> None:
    issue = make_issue(
        1, tmp_path / "files", links=[("relates", "S-2")], local_fields={"abc--customer": "Acme"}
    )
    rows = chain_rows(issue)
    assert [r.seq for r in rows] == list(range(len(rows)))
    assert [r.kind for r in rows][-2:] == [Kind.LINK, Kind.LOCAL_FIELDS]
    assert {r.scope for r in rows if r.kind in (Kind.ISSUE, Kind.LINK)} == {""}
    assert {r.scope for r in rows if r.kind not in (Kind.ISSUE, Kind.LINK)} == {"S-1"}
    edited = make_issue(
        1, tmp_path / "files", links=[("relates", "S-2")], local_fields={"abc--customer": "Acme"}
    )
    edited.body["summary"] = "changed"
    changed = [
        a.source_id for a, b in zip(rows, chain_rows(edited), strict=True) if a.payload_hash != b.payload_hash
    ]
    assert changed == ["S-1"]  # only the issue's own payload differs


def _rich_issue(n: int, links: list[tuple[str, str]], files: Path) -> PlannedIssue:
    """Every kind of row: comments with files, an issue file a comment shows (placed before it),
    worklogs, the description PATCH, links, local fields."""
    issue = make_issue(n, files, comments=3, files=2, comment_files=2, worklogs=2, links=links)
    issue.local_fields = {"abc--customer": "Acme"}
    issue.description_patch = True
    issue.description_pointers = TextPointers(spans=[], shows=[issue.attachments[1].source_id])
    issue.comments[2].pointers = TextPointers(spans=[], shows=[issue.attachments[0].source_id])
    return issue


_REVISABLE = (Kind.ISSUE, Kind.DESCRIPTION, Kind.LINK, Kind.LOCAL_FIELDS)


def test_revisable_rows_are_the_chains_rows_a_revision_can_change(tmp_path: Path) -> None:
    issue = _rich_issue(1, [("relates", "S-2"), ("relates", "X-9")], tmp_path)
    chain = chain_rows(issue)
    assert {r.kind for r in chain} > set(_REVISABLE)
    assert revisable_rows(issue) == [r for r in chain if r.kind in _REVISABLE]
    revisions = _revisions(extend="2024-01-01T00:00:00.000+0000", note="_a note_", drop="X-9")
    revised = revisions.apply(_rich_issue(1, [("relates", "S-2"), ("relates", "X-9")], tmp_path))
    after = chain_rows(revised)
    assert [r for r in after if r.kind not in _REVISABLE] == [r for r in chain if r.kind not in _REVISABLE]
    assert revisable_rows(revised) == [r for r in after if r.kind in _REVISABLE]
    assert revisable_rows(revised)[-1].seq == chain[-1].seq - 1  # the local fields moved up a place


def test_revisable_rows_are_the_whole_chain_when_two_rows_share_a_ledger_key(tmp_path: Path) -> None:
    issue = _rich_issue(1, [("relates", "S-2")], tmp_path)
    issue.comments[1].source_id = issue.comments[0].source_id  # merged as one row: the last one revises it
    assert revisable_rows(issue) == chain_rows(issue)


def test_issues_stored_again_at_the_end_hold_the_rows_of_their_revised_chains(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """Links that waited, a dropped link before the local fields, a redated link, a later updatedAt
    and a note in a PATCHed description: every row is where its revised chain puts it, with its
    fingerprint, as if the revised plans had been loaded whole."""
    plan = [
        _rich_issue(1, [("relates", "X-9"), ("relates", "S-3")], tmp_path),
        _rich_issue(2, [("relates", "S-1")], tmp_path),
        _rich_issue(3, [], tmp_path),
    ]
    revisions = _revisions(extend="2024-01-01T00:00:00.000+0000", note="_a note_", drop="X-9")
    revisions.redate_link(link_id("S-2", "relates", "S-1"), "S-2", "2023-06-01T00:00:00.000+0000")
    load_plan(store, plan, "ns", "DEMO", revisions=lambda: revisions)
    every_kind = tuple(Kind)
    for key in ("S-1", "S-2", "S-3"):
        stored = [
            (r.kind, r.source_id, r.seq, _hash_of(store, r.kind, r.source_id))
            for r in store.rows_for_issue(key, every_kind)
        ]
        chain = chain_rows(store.load_issue(key))
        assert stored == [(r.kind, r.source_id, r.seq, r.payload_hash) for r in chain]
    assert store.load_issue("S-1").body["description"].endswith("_a note_")


def test_unparsable_times_sort_last_in_the_chain() -> None:
    issue = make_issue(1, comments=2, worklogs=0)
    issue.comments[0].body["createdAt"] = "yesterday"
    assert [r.source_id for r in chain_rows(issue)] == ["S-1", "S-1-c1", "S-1-c0"]


def test_complete_issue_sets_unique_and_queue_only_when_missing() -> None:
    bare = PlannedIssue(SourceRef("jira", "10001"), "P-1", {"summary": "s"})
    complete_issue(bare, "ns", "DEMO")
    assert bare.body["unique"] == make_unique("ns", bare.source) and bare.body["queue"] == "DEMO"
    kept = make_issue(1)
    unique, queue = kept.body["unique"], kept.body["queue"]
    complete_issue(kept, "other-ns", "OTHER")
    assert (kept.body["unique"], kept.body["queue"]) == (unique, queue)


def test_the_store_receives_the_completed_issue(store: CheckpointStore) -> None:
    bare = PlannedIssue(
        SourceRef("jira", "10001"),
        "P-1",
        {"summary": "s", "createdAt": "2023-01-01T00:00:00.000+0000", "createdBy": "admin"},
    )
    load_plan(store, [bare], "ns", "DEMO")
    stored = store.load_issue("P-1")
    assert stored.unique == make_unique("ns", bare.source) and stored.body["queue"] == "DEMO"


def _reference_sort_time(value: object) -> tuple[int, datetime | str]:
    """Chain order as defined: by instant, unparsable values last by text."""
    try:
        return 0, parse_tracker_datetime(str(value))
    except ValueError:
        return 1, str(value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
                st.integers(-23 * 60, 23 * 60),
            ).map(lambda m: _wire(*m)),
            st.sampled_from(["yesterday", "", "2023-13-01T00:00:00.000+0000"]),
        ),
        max_size=12,
    )
)
def test_the_chain_sort_key_orders_times_by_instant(values: list[str]) -> None:
    """The key takes a UTC value as it is written and parses only other offsets: same order."""
    keys = [(_sort_time(v), i) for i, v in enumerate(values)]
    reference = [(_reference_sort_time(v), i) for i, v in enumerate(values)]
    assert [i for _k, i in sorted(keys)] == [i for _k, i in sorted(reference)]


def _wire(moment: datetime, minutes: int) -> str:
    local = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    sign = "-" if minutes < 0 else "+"
    return local.isoformat(timespec="milliseconds") + f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def test_levels_are_stored_again_on_every_load(store: CheckpointStore) -> None:
    """Only issues with a parent are kept for the forest; the others are roots, also when an
    earlier load had given them a parent."""
    load_plan(store, [make_issue(3, parent=2), make_issue(2, parent=1), make_issue(1)], "ns", "DEMO")
    assert store.issue_depths() == [0, 1, 2]
    load_plan(store, [make_issue(3), make_issue(2, parent=1), make_issue(1)], "ns", "DEMO")
    assert store.issue_depths() == [0, 1]
    assert [k for _s, k in store.issues_with_work((Kind.ISSUE,), depth=1)] == ["S-2"]


def test_a_parent_cycle_is_broken_at_its_first_member_in_the_plan(store: CheckpointStore) -> None:
    plan = [make_issue(9), make_issue(1, parent=3), make_issue(2, parent=1), make_issue(3, parent=2)]
    stats = load_plan(store, plan, "ns", "DEMO")
    assert stats.cycles_broken == ["S-1"]
    assert [k for _s, k in store.issues_with_work((Kind.ISSUE,), depth=0)] == ["S-9", "S-1"]
    assert [k for _s, k in store.issues_with_work((Kind.ISSUE,), depth=2)] == ["S-3"]


# ---------------------------------------------------------------------- revisions across issues


def _revisions(
    *, extend: str | None = None, note: str | None = None, drop: str | None = None
) -> PlanRevisions:
    """S-1's updatedAt extended to ``extend``, a ``note`` on S-1, S-1's link to ``drop`` left out."""
    revisions = PlanRevisions(markup_type="md")
    if extend is not None:
        revisions.extend_issue("S-1", extend)
    if note is not None:
        revisions.add_note("S-1", note)
    if drop is not None:
        revisions.drop_link(link_id("S-1", "relates", drop), "S-1")
    return revisions


def _hash_of(store: CheckpointStore, kind: Kind, source_id: str) -> str:
    """The payload fingerprint the ledger keeps for a row (not part of ``LedgerRow``)."""
    query = "SELECT payload_hash FROM ledger WHERE kind = ? AND source_id = ?"
    return str(store._conn.execute(query, (kind, source_id)).fetchone()[0])


def test_a_link_to_an_issue_later_in_the_stream_gets_its_row_at_the_end(store: CheckpointStore) -> None:
    plan = [make_issue(1, links=[("relates", "S-3")]), make_issue(2), make_issue(3)]
    stats = load_plan(store, plan, "ns", "DEMO", revisions=PlanRevisions)
    (row,) = store.rows_for_issue("S-1", (Kind.LINK,))
    assert row.source_id == link_id("S-1", "relates", "S-3") and stats.kinds[Kind.LINK].planned == 1
    assert row.seq == chain_rows(plan[0])[-1].seq  # the same place in the chain as without waiting


def test_revisions_are_asked_after_the_stream_and_applied_to_the_stored_plan(store: CheckpointStore) -> None:
    streamed: list[str] = []

    def stream() -> Iterator[PlannedIssue]:
        for n in (1, 2):
            streamed.append(f"S-{n}")
            yield make_issue(n, links=[("relates", "S-2")] if n == 1 else None)

    def revisions() -> PlanRevisions:
        assert streamed == ["S-1", "S-2"]  # the whole export has been read
        return _revisions(extend="2023-02-01T00:00:00.000+0000", note="_Link not migrated: X-9_")

    load_plan(store, stream(), "ns", "DEMO", revisions=revisions)
    stored = store.load_issue("S-1")
    assert stored.body["updatedAt"] == "2023-02-01T00:00:00.000+0000"
    assert stored.body["description"].endswith("second line\n\n_Link not migrated: X-9_")
    assert _hash_of(store, Kind.ISSUE, "S-1") == chain_rows(stored)[0].payload_hash


def test_a_dropped_link_gets_no_row_and_leaves_the_stored_plan(store: CheckpointStore) -> None:
    plan = [make_issue(1, links=[("relates", "X-9"), ("relates", "S-2")]), make_issue(2)]
    stats = load_plan(store, plan, "ns", "DEMO", revisions=lambda: _revisions(drop="X-9"))
    assert [r.source_id for r in store.rows_for_issue("S-1", (Kind.LINK,))] == [
        link_id("S-1", "relates", "S-2")
    ]
    assert [link.to_source_key for link in store.load_issue("S-1").links] == ["S-2"]
    assert stats.kinds[Kind.LINK].planned == 1


def test_a_revised_plan_loaded_again_is_unchanged_after_done(store: CheckpointStore) -> None:
    def load() -> PlanLoadStats:
        plan = [make_issue(1, links=[("relates", "S-2")]), make_issue(2)]
        return load_plan(
            store, plan, "ns", "DEMO", revisions=lambda: _revisions(extend="2023-03-01T00:00:00.000+0000")
        )

    load()
    for row in store.rows_for_issue("S-1", (Kind.ISSUE, Kind.LINK)):
        store.mark_done(row.id, "id", "DEMO-1")
    again = load()
    assert again.kinds[Kind.ISSUE].already_done == 1 and again.kinds[Kind.ISSUE].changed_after_done == 0
    assert again.kinds[Kind.LINK].already_done == 1 and again.kinds[Kind.LINK].changed_after_done == 0


def _cross_issue_revisions(plan: list[PlannedIssue]) -> PlanRevisions:
    """A redated link and a later updatedAt, as the global checks decide them."""
    revisions = PlanRevisions()
    link = plan[3].links[0]
    revisions.redate_link(link.source_id, plan[3].source_key, "2024-05-01T10:00:00.000+0000")
    revisions.extend_issue(plan[4].source_key, "2024-05-01T10:00:00.000+0000")
    return revisions


def _ledger_dump(path: Path, namespace: str) -> dict[str, list[tuple[object, ...]]]:
    """What a load stored for ``namespace``, in storage order (row ids and timestamps left out)."""
    conn = sqlite3.connect(path)
    try:
        return {
            "issues": conn.execute(
                "SELECT issue_key, source_system, source_id, unique_value, parent_key, seq, depth, plan_json"
                " FROM issues WHERE namespace = ? ORDER BY rowid",
                (namespace,),
            ).fetchall(),
            "ledger": conn.execute(
                "SELECT kind, scope, source_id, issue_key, parent_source_id, seq, status, payload_hash"
                " FROM ledger WHERE namespace = ? ORDER BY id",
                (namespace,),
            ).fetchall(),
            "keys": conn.execute(
                "SELECT issue_key, target_key, queue, number FROM planned_keys WHERE namespace = ?"
                " ORDER BY issue_key",
                (namespace,),
            ).fetchall(),
        }
    finally:
        conn.close()


def _indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()


SECONDARY_INDEXES = {
    "issues_order",
    "issues_seq",
    "ledger_issue",
    "ledger_work",
    "ledger_counts",
    "ledger_target",
}


def test_a_first_load_into_an_empty_file_stores_what_a_load_beside_other_rows_stores(tmp_path: Path) -> None:
    """An empty ledger is loaded with its secondary indexes built after the rows: the same rows,
    keys and plans as the row-by-row load into a file that already holds another namespace, and
    every index is there afterwards."""
    plan = make_plan(12)

    def load(store: CheckpointStore) -> None:
        revisions = _cross_issue_revisions(plan)
        load_plan(store, make_plan(12), "ns", "DEMO", keys=KeyPlan(lambda: 5), revisions=lambda: revisions)

    with CheckpointStore(tmp_path / "bulk.sqlite") as store:
        load(store)
        assert [w.issue_key for w in store.issues_to_run()][:3] == ["S-1", "S-2", "S-3"]
    with CheckpointStore(tmp_path / "beside.sqlite") as store:
        load_plan(store, [make_issue(1)], "other", "OTHER", keys=KeyPlan(lambda: 0))
        load(store)
    bulk, beside = (
        _ledger_dump(tmp_path / "bulk.sqlite", "ns"),
        _ledger_dump(tmp_path / "beside.sqlite", "ns"),
    )
    assert bulk == beside
    assert any(row[0] == Kind.LINK and row[1] == "" for row in bulk["ledger"])  # links waited and came in
    assert json.loads(bulk["issues"][4][7])["body"]["updatedAt"] == "2024-05-01T10:00:00.000+0000"
    keys = {issue: key for issue, key, _queue, _number in bulk["keys"]}
    assert (keys["S-1"], keys["S-2"], keys["S-12"]) == ("DEMO-6", "DEMO-7", "DEMO-17")
    with CheckpointStore(tmp_path / "bulk.sqlite"):  # opened again: the indexes left for later are built
        assert SECONDARY_INDEXES <= _indexes(tmp_path / "bulk.sqlite")


def test_indexes_the_first_write_does_not_need_are_built_on_first_use_or_when_the_file_is_opened(
    tmp_path: Path,
) -> None:
    """A bulk load leaves ``issues_order`` and ``ledger_target`` out; the first query needing one
    builds it, and a run killed before that leaves a file that gets them when opened again."""
    first_use = {"issues_order", "ledger_target"}
    for name in ("used", "reopened"):
        with CheckpointStore(tmp_path / f"{name}.sqlite") as store:
            load_plan(store, make_plan(6), "ns", "DEMO", keys=KeyPlan(lambda: 0))
            assert _indexes(tmp_path / f"{name}.sqlite") & SECONDARY_INDEXES == SECONDARY_INDEXES - first_use
            if name == "used":
                (row,) = store.rows_for_issue("S-2", (Kind.ISSUE,))
                assert store.claim(row.id, (Kind.ISSUE,), ["7"], issue_key=None) == "7"
                assert store.issue_depths() == [0, 1]
                assert first_use <= _indexes(tmp_path / f"{name}.sqlite")
                (other,) = store.rows_for_issue("S-4", (Kind.ISSUE,))
                assert store.claim(other.id, (Kind.ISSUE,), ["7", "8"], issue_key=None) == "8"
        with CheckpointStore(tmp_path / f"{name}.sqlite"):
            assert SECONDARY_INDEXES <= _indexes(tmp_path / f"{name}.sqlite")


def test_a_file_with_the_former_status_index_gets_the_covering_one_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        load_plan(store, make_plan(3), "ns", "DEMO", keys=KeyPlan(lambda: 0))
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX ledger_counts")
    conn.execute(
        "CREATE INDEX ledger_status ON ledger (namespace, kind, status)"
    )  # as older versions made it
    conn.commit()
    conn.close()
    with CheckpointStore(path) as store:
        assert "ledger_status" not in _indexes(path) and "ledger_counts" in _indexes(path)
        assert store.unfinished_count() == store.counts()[Kind.ISSUE][Status.PENDING] + sum(
            by[Status.PENDING] for kind, by in store.counts().items() if kind != Kind.ISSUE
        )


def test_a_load_that_fails_leaves_the_file_and_its_indexes_as_they_were(tmp_path: Path) -> None:
    def failing() -> Iterator[PlannedIssue]:
        yield from make_plan(5)
        raise RuntimeError("the export could not be read to its end")

    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        with pytest.raises(RuntimeError, match="to its end"):
            load_plan(store, failing(), "ns", "DEMO", keys=KeyPlan(lambda: 0))
        assert not store.has_plan
        assert SECONDARY_INDEXES <= _indexes(path)
        load_plan(store, make_plan(5), "ns", "DEMO", keys=KeyPlan(lambda: 0))
        assert store.counts()[Kind.ISSUE][Status.PENDING] == 5


_KILLED_LOAD = """
import os, signal, sys
sys.path.insert(0, sys.argv[2])
from execution.helpers_executor import make_plan
from migrator.planning import load_plan
from migrator.planning_texts import KeyPlan
from migrator.state import CheckpointStore

def planned():
    for n, issue in enumerate(make_plan(40)):
        if n == 30:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-load: rows, keys and dropped indexes not committed
        yield issue

with CheckpointStore(sys.argv[1]) as store:
    load_plan(store, planned(), "ns", "DEMO", keys=KeyPlan(lambda: 0))
"""


def test_a_load_killed_midway_is_loaded_again_by_the_same_command(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    tests_dir = str(Path(__file__).parent)
    killed = subprocess.run([sys.executable, "-c", _KILLED_LOAD, str(path), tests_dir], check=False)
    assert killed.returncode == -signal.SIGKILL
    with CheckpointStore(path) as store:  # the file is intact: nothing of the load is in it
        assert not store.has_plan
        assert SECONDARY_INDEXES <= _indexes(path)
        load_plan(store, make_plan(40), "ns", "DEMO", keys=KeyPlan(lambda: 0))
    with CheckpointStore(tmp_path / "clean.sqlite") as store:
        load_plan(store, make_plan(40), "ns", "DEMO", keys=KeyPlan(lambda: 0))
    assert _ledger_dump(path, "ns") == _ledger_dump(tmp_path / "clean.sqlite", "ns")
