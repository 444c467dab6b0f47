"""CheckpointStore: plan storage, ledger transitions, re-load merge, summaries, persistence."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from execution.helpers_executor import BASE, make_issue, make_plan, object_count, ts
from state_helpers import BROKEN, broken_state_file

from migrator.errors import MigratorError
from migrator.plan import PlannedComment, PlannedIssue, PlannedLink
from migrator.planning import chain_rows, load_plan
from migrator.state import CheckpointStore, StateFileError
from migrator.vocabulary import Kind, Status


@pytest.fixture
def store(tmp_path: Path) -> CheckpointStore:
    with CheckpointStore(tmp_path / "state.sqlite") as s:
        yield s


def _rows(
    store: CheckpointStore,
    key: str,
    kinds: tuple[str, ...] = (
        Kind.ISSUE,
        Kind.COMMENT,
        Kind.ATTACHMENT,
        Kind.COMMENT_ATTACHMENT,
        Kind.WORKLOG,
        Kind.LOCAL_FIELDS,
    ),
):
    return store.rows_for_issue(key, kinds)


def test_load_plan_creates_one_pending_row_per_object(store: CheckpointStore, tmp_path: Path) -> None:
    plan = make_plan(6, tmp_path / "files", local_fields={"abc--customer": "Acme"})
    stats = load_plan(store, plan, "ns", "DEMO")
    assert stats.issues == 6
    assert stats.new == object_count(plan)
    counts = store.counts()
    assert sum(sum(by.values()) for by in counts.values()) == object_count(plan)
    assert all(by[Status.PENDING] == sum(by.values()) for by in counts.values())
    assert counts[Kind.ISSUE][Status.PENDING] == 6
    assert counts[Kind.LOCAL_FIELDS][Status.PENDING] == 6
    assert store.namespace == "ns" and store.queue() == "DEMO"


def test_plan_round_trips_through_the_store(store: CheckpointStore, tmp_path: Path) -> None:
    plan = make_plan(4, tmp_path / "files")
    load_plan(store, plan, "ns", "DEMO")
    assert [p.to_dict() for p in store.iter_planned(batch=3)] == [p.to_dict() for p in plan]
    assert store.load_issue("S-2").to_dict() == plan[1].to_dict()


def test_reload_keeps_done_rows_and_adds_new_objects(store: CheckpointStore, tmp_path: Path) -> None:
    plan = make_plan(3, tmp_path / "files")
    load_plan(store, plan, "ns", "DEMO")
    for row in _rows(store, "S-1"):
        store.mark_in_flight(row.id)
        store.mark_done(row.id, f"t{row.id}", "DEMO-1")
    plan = make_plan(3, tmp_path / "files")
    late = ts(BASE + timedelta(days=3))
    plan[0].comments.append(
        PlannedComment("S-1-new", {"text": "late", "createdAt": late, "createdBy": "bob"})
    )
    plan[0].body["summary"] = "edited after import"
    stats = load_plan(store, plan, "ns", "DEMO")
    assert stats.kinds[Kind.COMMENT].new == 1
    assert stats.kinds[Kind.ISSUE].already_done == 1
    assert stats.kinds[Kind.ISSUE].changed_after_done == 1
    assert stats.kinds[Kind.ISSUE_UPDATE].new == 1  # the changed summary is a delta (migrator/delta.py)
    assert stats.new == 2
    rows = {r.source_id: r for r in _rows(store, "S-1")}
    assert rows["S-1-new"].status == Status.PENDING
    assert all(r.status == Status.DONE for sid, r in rows.items() if sid != "S-1-new")
    update = store.rows_for_issue("S-1", (Kind.ISSUE_UPDATE,))
    assert [r.status for r in update] == [Status.PENDING]
    assert store.generation() == 2


def test_reload_ignores_objects_dropped_from_the_plan(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1), make_issue(2)], "ns", "DEMO")
    stats = load_plan(store, [make_issue(1)], "ns", "DEMO")
    assert stats.stale > 0
    assert store.counts()[Kind.ISSUE][Status.PENDING] == 1
    assert [k for _s, k in store.issues_with_work((Kind.ISSUE,))] == ["S-1"]


def test_namespace_is_bound_to_its_queue(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1)], "ns", "DEMO")
    with pytest.raises(MigratorError, match="another --namespace"):
        load_plan(store, [make_issue(1)], "ns", "OTHER")


def test_namespaces_have_separate_ledgers(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1, namespace="a")], "a", "DEMO")
    row = _rows(store, "S-1")[0]
    store.mark_done(row.id, "1", "DEMO-1")
    load_plan(store, [make_issue(1, namespace="b")], "b", "STAGE")
    assert store.namespace == "b"
    assert store.counts()[Kind.ISSUE] == {
        Status.PENDING: 1,
        Status.IN_FLIGHT: 0,
        Status.DONE: 0,
        Status.FAILED: 0,
        Status.BLOCKED: 0,
    }
    assert store.counts("a")[Kind.ISSUE][Status.DONE] == 1
    store.use_namespace("a")
    assert store.issue_target("S-1").target_key == "DEMO-1"


def test_transitions_and_unsure_flag(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1, comments=1, worklogs=0)], "ns", "DEMO")
    issue, comment = _rows(store, "S-1")
    store.mark_in_flight(issue.id)
    row = store.get_row(issue.id)
    assert (row.status, row.unsure, row.attempts) == (Status.IN_FLIGHT, True, 1)
    store.mark_not_applied(issue.id, "429")
    assert (store.get_row(issue.id).status, store.get_row(issue.id).unsure) == (Status.PENDING, False)
    store.mark_in_flight(issue.id)
    store.mark_unsure(issue.id, "timeout")
    assert store.get_row(issue.id).unsure
    store.mark_failed(issue.id, "gave up", unsure=True)
    assert store.reset_failed() == 1
    row = store.get_row(issue.id)
    assert (row.status, row.unsure, row.attempts) == (
        Status.PENDING,
        True,
        2,
    )  # still reconciled before a re-send
    store.mark_absent(issue.id)
    store.mark_in_flight(issue.id)
    store.mark_done(issue.id, "abc", "DEMO-7")
    row = store.get_row(issue.id)
    assert (row.status, row.unsure, row.target_key, row.last_error) == (Status.DONE, False, "DEMO-7", None)
    assert store.mark_blocked([comment.id], "issue failed") == 1
    assert store.get_row(comment.id).status == Status.BLOCKED


def test_claim_never_takes_a_target_id_twice(store: CheckpointStore) -> None:
    issue = make_issue(1, comments=2, worklogs=0)
    issue.comments[1].body = dict(issue.comments[0].body)  # two identical comments
    load_plan(store, [issue], "ns", "DEMO")
    _issue, first, second = _rows(store, "S-1")
    assert store.claim(first.id, (Kind.COMMENT,), ["10", "11"], issue_key="S-1") == "10"
    assert store.claim(second.id, (Kind.COMMENT,), ["10", "11"], issue_key="S-1") == "11"
    assert store.get_row(second.id).status == Status.DONE
    assert store.claim(second.id, (Kind.COMMENT,), ["10"], issue_key="S-1") is None


def test_status_summary_lists_failures_with_reasons(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1, comments=1, worklogs=0, links=[("relates", "S-9")])], "ns", "DEMO")
    issue, comment = _rows(store, "S-1")
    store.mark_failed(issue.id, "HTTP 422: summary too long")
    store.mark_blocked([comment.id], "issue S-1 failed")
    (link,) = store.rows_for_issue("S-1", (Kind.LINK,))
    store.mark_pending(link.id, "the other issue S-9 is not in this plan")
    summary = store.status_summary()
    assert summary.counts[Kind.ISSUE][Status.FAILED] == 1
    assert summary.counts[Kind.COMMENT][Status.BLOCKED] == 1
    assert summary.counts[Kind.LINK][Status.PENDING] == 1
    reasons = {(f.kind, f.status): f.reason for f in summary.failures}
    assert reasons[(Kind.ISSUE, Status.FAILED)] == "HTTP 422: summary too long"
    assert reasons[(Kind.COMMENT, Status.BLOCKED)] == "issue S-1 failed"
    assert "S-9" in reasons[(Kind.LINK, Status.PENDING)]
    assert summary.failures_total == 3 and not summary.complete
    assert summary.to_dict()["failures"][0]["source_id"] == "S-1"


def test_state_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        load_plan(store, make_plan(3), "ns", "DEMO")
        row = _rows(store, "S-2")[0]
        store.mark_in_flight(row.id)
    with CheckpointStore(path) as store:
        assert store.namespace == "ns"
        row = _rows(store, "S-2")[0]
        assert (row.status, row.unsure) == (Status.IN_FLIGHT, True)
        assert store.status_summary().unsure == 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_fresh_store_has_no_plan(tmp_path: Path) -> None:
    with CheckpointStore(tmp_path / "s.sqlite") as store:
        assert not store.has_plan
        assert store.status_summary().namespace is None
        with pytest.raises(MigratorError):
            _ = store.namespace


def test_store_is_safe_for_worker_threads(store: CheckpointStore) -> None:
    load_plan(store, make_plan(40, comments=3), "ns", "DEMO")
    rows = [r for n in range(1, 41) for r in _rows(store, f"S-{n}")]
    errors: list[BaseException] = []

    def work(chunk: list) -> None:
        try:
            for r in chunk:
                store.mark_in_flight(r.id)
                store.mark_done(r.id, str(r.id), None)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(rows[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(store.counts()[k][Status.DONE] for k in (Kind.ISSUE, Kind.COMMENT, Kind.WORKLOG)) == len(rows)


def test_bind_target_refuses_another_org_or_queue(store: CheckpointStore) -> None:
    store.bind_target("http://tracker-a/ org 1", "ns", "DEMO")
    load_plan(store, [make_issue(1)], "ns", "DEMO")
    store.bind_target("http://tracker-a/ org 1", "ns", "DEMO")  # the same command again
    with pytest.raises(MigratorError, match="another --state"):
        store.bind_target("http://tracker-b/ org 2", "ns", "DEMO")
    with pytest.raises(MigratorError, match="another --namespace"):
        store.bind_target("http://tracker-a/ org 1", "ns", "OTHER")
    store.bind_target("http://tracker-b/ org 2", "other-ns", "DEMO")
    assert store.target_identity("ns") == "http://tracker-a/ org 1"


def test_status_render_lists_counts_and_reasons(store: CheckpointStore) -> None:
    assert store.status_summary().render() == "no plan loaded yet"
    load_plan(store, [make_issue(1, comments=1, worklogs=0)], "ns", "DEMO")
    issue, _comment = _rows(store, "S-1")
    store.mark_failed(issue.id, "HTTP 422: bad status")
    summary = store.status_summary()
    text = summary.render()
    assert summary.has_failures
    assert "namespace ns → queue DEMO" in text and "HTTP 422: bad status" in text
    assert text.splitlines()[1].split() == [
        "kind",
        "pending",
        "in_flight",
        "done",
        "failed",
        "blocked",
        "total",
    ]


def _ledger(store: CheckpointStore, namespace: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(store.path) as conn:
        return conn.execute(
            "SELECT kind, scope, source_id, issue_key, parent_source_id, seq, status, payload_hash"
            " FROM ledger WHERE namespace = ? ORDER BY kind, scope, source_id",
            (namespace,),
        ).fetchall()


def test_a_first_load_stores_what_the_row_by_row_merge_stores(store: CheckpointStore, tmp_path: Path) -> None:
    """The first load of a namespace inserts without lookups; a later load merges row by row."""
    plan = make_plan(7, tmp_path / "files", local_fields={"abc--customer": "Acme"})
    first = load_plan(store, plan, "fresh", "DEMO")
    load_plan(store, [], "merged", "DEMO")  # generation 1 holds nothing: the next load merges
    merged = load_plan(
        store, make_plan(7, tmp_path / "files", local_fields={"abc--customer": "Acme"}), "merged", "DEMO"
    )
    assert _ledger(store, "fresh") == _ledger(store, "merged")
    assert first.kinds == merged.kinds and first.new == object_count(plan)


def test_an_object_planned_twice_in_a_first_load_is_stored_once(store: CheckpointStore) -> None:
    issue = make_issue(1, comments=1, files=0, worklogs=0)
    twin = make_issue(2, comments=0, files=0, worklogs=0)
    twin.links = list(issue.links)
    issue.links.append(_link_to(2))
    twin.links.append(_link_to(2))  # the same link id listed by both issues, as the store is handed it
    with store.loading("ns", "DEMO") as load:
        load.add(issue, 0, chain_rows(issue))
        load.add(twin, 1, chain_rows(twin))
    assert load.stats.kinds[Kind.LINK].planned == 1 and load.stats.kinds[Kind.LINK].new == 1
    (link,) = [r for r in store.rows_for_issue("S-1", (Kind.LINK,))]
    assert link.issue_key == "S-1" and not store.rows_for_issue("S-2", (Kind.LINK,))
    assert load.stats.kinds[Kind.ISSUE].new == 2 and load.stats.kinds[Kind.COMMENT].new == 1
    ids = [row[0] for row in store._conn.execute("SELECT id FROM ledger ORDER BY id")]
    assert ids == list(range(1, len(ids) + 1))  # the twin's rows taken out again left no gap


def test_a_loads_write_ahead_log_is_copied_into_the_file_after_its_commit(tmp_path: Path) -> None:
    """The load's own commit leaves the log as it is; a thread copies it into the file afterwards
    (the file alone, without its log, then holds the plan), and automatic checkpoints come back."""
    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        load_plan(store, make_plan(5), "ns", "DEMO")
        store._wait_for_checkpoint()
        assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        (tmp_path / "alone").mkdir()
        shutil.copyfile(path, tmp_path / "alone" / "state.sqlite")  # the file without its -wal
        alone = sqlite3.connect(tmp_path / "alone" / "state.sqlite")
        try:
            assert alone.execute("SELECT COUNT(*) FROM issues WHERE namespace = 'ns'").fetchone()[0] == 5
        finally:
            alone.close()


def test_a_load_that_fails_gives_the_automatic_checkpoints_back(store: CheckpointStore) -> None:
    def failing() -> Iterator[PlannedIssue]:
        yield from make_plan(2)
        raise RuntimeError("the export could not be read to its end")

    with pytest.raises(RuntimeError):
        load_plan(store, failing(), "ns", "DEMO")
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def _link_to(n: int) -> PlannedLink:
    return PlannedLink(f"S-1|relates|S-{n}", f"S-{n}", "relates", ts(BASE), "admin")


# ---------------------------------------------------------------------- opening: broken files


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_file_is_refused_with_one_message_and_left_untouched(tmp_path: Path, kind: str) -> None:
    path = broken_state_file(tmp_path, kind)
    before = path.read_bytes()
    with pytest.raises(StateFileError) as refused:
        CheckpointStore(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert BROKEN[kind] in str(refused.value)
    assert refused.value.hint  # says what to do
    assert path.read_bytes() == before  # never "repaired" by overwriting


def test_missing_file_is_created_for_a_run_and_refused_for_readers(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="no such checkpoint file"):
        CheckpointStore(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()
    with CheckpointStore(tmp_path / "sub" / "new.sqlite") as store:
        state_id = store.state_id
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["new.sqlite"]  # no temporary left behind
    with CheckpointStore(tmp_path / "sub" / "new.sqlite", create=False) as store:
        assert store.state_id == state_id and not store.has_plan


def test_an_sqlite_failure_while_in_use_becomes_one_message(tmp_path: Path) -> None:
    with CheckpointStore(tmp_path / "s.sqlite") as store:
        store._conn.execute("PRAGMA max_page_count = 8")  # a disk that fills up during the load
        with pytest.raises(StateFileError, match="cannot be written: database or disk is full") as full:
            load_plan(store, make_plan(40, tmp_path / "files"), "ns", "DEMO")
        assert "free space" in (full.value.hint or "")


def test_a_spool_gives_back_every_held_plan_in_order_and_leaves_the_file_alone(tmp_path: Path) -> None:
    """``PlanSpool``: what a delta run holds until the export's link dates are planned — more plans
    than one page, on a read-only store, in seq order; a new spool starts empty; the file unchanged."""
    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        load_plan(store, [make_issue(1, comments=0, worklogs=0)], "ns", "DEMO")
    before = path.read_bytes()
    plans = [make_issue(n, comments=1, worklogs=0) for n in range(1, 1_204)]
    with CheckpointStore(path, read_only=True) as store:
        view = store.view("ns")
        with view.spool() as spool:
            for seq, issue in reversed(list(enumerate(plans))):  # held out of order
                spool.hold(seq, issue)
            held = list(spool.held())
        assert [seq for seq, _issue in held] == list(range(len(plans)))
        assert [issue.to_dict() for _seq, issue in held] == [issue.to_dict() for issue in plans]
        with view.spool() as again:  # a new spool starts empty
            assert list(again.held()) == []
    assert path.read_bytes() == before
