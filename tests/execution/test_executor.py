"""Executor against the in-process sandbox over loopback HTTP: ordering, exactly-once under
ambiguous failures, resume, rate limits, permanent errors, workers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from execution.helpers_executor import (
    BASE,
    FAST,
    WRITE_KINDS,
    client_for,
    demo_local_field,
    make_issue,
    make_plan,
    object_count,
    sandbox_server,
    target_snapshot,
    ts,
    writes,
    writes_by_kind,
)
from migrator.execution import Executor, RunSummary
from migrator.plan import PlannedComment
from migrator.planning import load_plan
from migrator.state import CheckpointStore
from migrator.tracker import RateLimiter
from migrator.verify import verify
from migrator.vocabulary import Kind, Status


def _run(client, store: CheckpointStore, workers: int = 2, **kwargs) -> RunSummary:
    return Executor(client, store, workers=workers, progress=False, policy=FAST, **kwargs).run()


def _assert_exact(client, plan, store: CheckpointStore | None = None) -> None:
    report = verify(client, plan, store)
    assert report.clean, "\n".join(report.summary_lines(50))


@pytest.fixture(scope="module")
def local_field() -> str:
    return demo_local_field()


@pytest.fixture
def store(tmp_path: Path):
    with CheckpointStore(tmp_path / "state.sqlite") as s:
        yield s


def test_full_import_lands_every_object_once(tmp_path: Path, store: CheckpointStore) -> None:
    plan = make_plan(9, tmp_path / "files")
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store, workers=3)
        assert summary.complete, summary.format_table()
        assert summary.total("done_now") == object_count(plan)
        by_kind = writes_by_kind(server.stats())
        assert by_kind["issue_import"] == 9
        assert by_kind["comment_import"] == 18
        assert by_kind["comment_attachment_import"] == 9
        assert by_kind["attachment_import"] == 9
        assert by_kind["worklog_import"] == 9
        assert by_kind["link_import"] == summary.kinds[Kind.LINK].planned
        assert summary.writes == writes(server.stats())
        _assert_exact(client, plan, store)
        parent = store.issue_target("S-2").target_key
        child = client.get_issue(store.issue_target("S-3").target_key)
        assert any(
            link["object"]["key"] == parent and link["type"]["id"] == "subtask"
            for link in client.list_links(child["key"])
        )
        comments = client.list_comments(store.issue_target("S-1").target_key)
        assert [c["text"] for c in comments] == ["Comment 0 on S-1", "Comment 1 on S-1"]
        assert comments[0]["createdBy"]["id"] != comments[1]["createdBy"]["id"]  # authors kept
        assert len(comments[0]["attachments"]) == 1  # the comment's file is attached to it


def test_rerun_of_a_finished_run_writes_nothing(tmp_path: Path, store: CheckpointStore) -> None:
    plan = make_plan(5, tmp_path / "files")
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        _run(client, store)
        before = writes(server.stats())
        load_plan(store, make_plan(5, tmp_path / "files"), "test", "DEMO")  # the same command again
        summary = _run(client, store)
        assert writes(server.stats()) == before
        assert summary.writes == 0 and summary.total("done_now") == 0
        assert summary.total("already_done") == object_count(plan)
        assert "already done" in summary.format_table()


def test_appended_comment_is_the_only_write(tmp_path: Path, store: CheckpointStore) -> None:
    load_plan(store, make_plan(4, tmp_path / "files"), "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        _run(client, store)
        before = writes_by_kind(server.stats())
        plan = make_plan(4, tmp_path / "files")
        plan[2].comments.append(
            PlannedComment(
                "S-3-late", {"text": "a late reply", "createdBy": "alice", "createdAt": ts_days(3)}
            )
        )
        stats = load_plan(store, plan, "test", "DEMO")
        assert stats.new == 1
        summary = _run(client, store)
        after = writes_by_kind(server.stats())
        assert {k: after[k] - before[k] for k in WRITE_KINDS if after[k] != before[k]} == {
            "comment_import": 1
        }
        assert summary.kinds[Kind.COMMENT].done_now == 1
        _assert_exact(client, plan, store)


def ts_days(days: int) -> str:
    return ts(BASE + timedelta(days=days))


@pytest.mark.parametrize("mode", ["drop", "fail"])
@pytest.mark.parametrize(
    "kind",
    [
        "issue_import",
        "comment_import",
        "attachment_import",
        "comment_attachment_import",
        "link_import",
        "worklog_import",
        "patch",
    ],
)
def test_write_committed_then_answer_lost_is_not_duplicated(
    tmp_path: Path, store: CheckpointStore, local_field: str, kind: str, mode: str
) -> None:
    plan = make_plan(3, tmp_path / "files", local_fields={local_field: "Acme"})
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        server.fail_next(kind, 2, mode=mode)  # the write lands, then the connection drops / a 500 comes back
        summary = _run(client, store)
        assert summary.complete, summary.format_table()
        assert summary.reconciliations >= 2
        _assert_exact(client, plan, store)


def test_random_ambiguous_failures_on_every_write_kind(
    tmp_path: Path, store: CheckpointStore, local_field: str
) -> None:
    plan = make_plan(10, tmp_path / "files", local_fields={local_field: "Globex"})
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        server.set_faults(
            commit_then_drop_rate=0.25, commit_then_fail_rate=0.15, kinds=set(WRITE_KINDS), seed=7
        )
        summary = _run(client, store, workers=4)
        server.set_faults(commit_then_drop_rate=0.0, commit_then_fail_rate=0.0)
        assert summary.complete, summary.format_table()
        assert summary.reconciliations > 5
        _assert_exact(client, plan, store)


def test_identical_comments_stay_two_comments(tmp_path: Path, store: CheckpointStore) -> None:
    issue = make_issue(1, comments=3, files=0, comment_files=0, worklogs=0)
    issue.comments[1].body = dict(issue.comments[0].body)  # the export has the same comment twice
    load_plan(store, [issue], "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        server.fail_next("comment_import", 3, mode="drop")
        summary = _run(client, store, workers=1)
        assert summary.complete
        comments = client.list_comments(store.issue_target("S-1").target_key)
        assert [c["text"] for c in comments] == ["Comment 0 on S-1", "Comment 0 on S-1", "Comment 2 on S-1"]
        rows = store.rows_for_issue("S-1", (Kind.COMMENT,))
        assert len({r.target_id for r in rows}) == 3


def test_in_flight_rows_are_reconciled_at_start_up(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [make_issue(1, comments=1, files=0, comment_files=0, worklogs=0)]
    load_plan(store, plan, "test", "DEMO")
    issue_row, comment_row = store.rows_for_issue("S-1", (Kind.ISSUE, Kind.COMMENT))
    with sandbox_server() as server, client_for(server) as client:
        # a previous run wrote both, then died before checkpointing either
        created = client.import_issue(plan[0].body)
        client.import_comment(created["key"], plan[0].comments[0].body)
        store.mark_in_flight(issue_row.id)
        store.mark_in_flight(comment_row.id)
        before = writes(server.stats())
        summary = _run(client, store)
        assert writes(server.stats()) == before
        assert summary.kinds[Kind.ISSUE].reconciled == 1 and summary.kinds[Kind.COMMENT].reconciled == 1
        _assert_exact(client, plan, store)


def test_in_flight_row_whose_write_never_landed_is_sent(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [make_issue(1, comments=1, files=0, comment_files=0, worklogs=0)]
    load_plan(store, plan, "test", "DEMO")
    for row in store.rows_for_issue("S-1", (Kind.ISSUE,)):
        store.mark_in_flight(row.id)
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store)
        assert summary.complete and summary.kinds[Kind.ISSUE].reconciled == 0
        assert writes_by_kind(server.stats())["issue_import"] == 1
        _assert_exact(client, plan, store)


def test_issue_conflict_on_import_is_resolved_by_unique(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [make_issue(1, comments=1, files=0, comment_files=0, worklogs=0)]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        client.import_issue(plan[0].body)  # someone (an earlier state file) imported it already
        summary = _run(client, store)
        assert summary.conflicts == 1 and summary.complete
        _assert_exact(client, plan, store)


def test_rate_limited_writes_all_land(tmp_path: Path, store: CheckpointStore) -> None:
    plan = make_plan(5, tmp_path / "files")
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server(rate_limit=60.0, rate_limit_burst=8) as server:
        # The bucket alone may never be hit on a slow machine: a few 429s are queued for certain.
        server.fail_next("write", 3, mode="rate_limit")
        limiter = RateLimiter(100.0, min_rps=30.0)
        with client_for(server, rate_limiter=limiter) as client:
            summary = _run(client, store, workers=4, rate_limiter=limiter)
            assert summary.complete, summary.format_table()
            assert summary.rate_limited > 0 and limiter.penalties > 0
            server.set_faults(rate_limit=None)
            _assert_exact(client, plan, store)


def test_workers_one_and_four_give_identical_targets(tmp_path: Path) -> None:
    snapshots = []
    for workers in (1, 4):
        plan = make_plan(12, tmp_path / "files")
        with (
            CheckpointStore(tmp_path / f"state{workers}.sqlite") as store,
            sandbox_server() as server,
            client_for(server) as client,
        ):
            load_plan(store, plan, "test", "DEMO")
            assert _run(client, store, workers=workers).complete
            snapshots.append(target_snapshot(client, plan))
    assert snapshots[0] == snapshots[1]
    assert all(snapshots[0].values())


def test_permanent_error_fails_the_issue_blocks_its_children_and_keeps_its_links_pending(
    tmp_path: Path, store: CheckpointStore
) -> None:
    plan = make_plan(5, tmp_path / "files")
    plan[1].body["createdAt"] = "2999-01-01T00:00:00.000+0000"  # in the future: Tracker refuses it
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store)
        assert summary.kinds[Kind.ISSUE].failed == 1
        assert summary.kinds[Kind.ISSUE].done_now == 4
        status = store.status_summary()
        failures = {(f.kind, f.source_id): f for f in status.failures}
        assert "createdAt" in failures[(Kind.ISSUE, "S-2")].reason
        assert failures[(Kind.COMMENT, "S-2-c0")].status == Status.BLOCKED
        assert failures[(Kind.COMMENT_ATTACHMENT, "S-2-c0-f0")].status == Status.BLOCKED
        assert failures[(Kind.WORKLOG, "S-2-w0")].status == Status.BLOCKED
        assert "S-2" in failures[(Kind.LINK, "S-1|relates|S-2")].reason
        assert failures[(Kind.LINK, "S-1|relates|S-2")].status == Status.PENDING
        assert (
            store.counts()[Kind.LINK][Status.DONE] == summary.kinds[Kind.LINK].planned - 3
        )  # S-1→S-2, S-2→S-3, S-3⊂S-2

        # the user fixes the export and re-runs with --retry-failed
        fixed = make_plan(5, tmp_path / "files")
        load_plan(store, fixed, "test", "DEMO")
        assert store.reset_failed() == 1 + 5  # the issue and its five blocked children
        summary = _run(client, store)
        assert summary.complete, summary.format_table()
        _assert_exact(client, fixed, store)


def test_failed_rows_stay_failed_without_retry(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [make_issue(1, summary="x" * 300, comments=1, files=0, comment_files=0, worklogs=0)]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        _run(client, store)
        before = writes(server.stats())
        summary = _run(client, store)
        assert writes(server.stats()) == before
        assert summary.kinds[Kind.ISSUE].failed == 1 and summary.kinds[Kind.COMMENT].blocked == 1


def test_link_to_an_issue_outside_the_plan_stays_pending(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [
        make_issue(1, links=[("relates", "S-404")], comments=0, files=0, worklogs=0),
        make_issue(2, comments=0, worklogs=0),
    ]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store)
        assert summary.kinds[Kind.LINK].pending == 1 and not summary.complete
        (failure,) = [f for f in store.status_summary().failures if f.kind == Kind.LINK]
        assert "S-404" in failure.reason and "not in this plan" in failure.reason
        before = writes(server.stats())
        _run(client, store)
        assert writes(server.stats()) == before


def test_a_link_is_sent_with_its_planned_date_and_never_moved(store: CheckpointStore) -> None:
    late = ts(BASE + timedelta(days=20))  # after both issues' last update (day 10): the plan is wrong
    plan = [make_issue(1, links=[("relates", "S-2")], comments=0, files=0, worklogs=0), make_issue(2)]
    plan[0].links[0].created_at = late
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store)
        assert summary.kinds[Kind.LINK].failed == 1  # refused by Tracker's rule, not fitted silently
        assert writes_by_kind(server.stats())["link_import"] == 1
        assert server.stats()["by_kind"].get("link_create", 0) == 0
        (failure,) = [f for f in store.status_summary().failures if f.kind == Kind.LINK]
        assert "createdAt" in failure.reason


def test_an_undated_link_is_created_only_when_planned_so(store: CheckpointStore) -> None:
    plan = [make_issue(1, links=[("relates", "S-2")], comments=0, files=0, worklogs=0), make_issue(2)]
    plan[0].links[0].created_at = None  # the mapping's target.undated_links: now
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        assert _run(client, store).complete
        assert server.stats()["by_kind"].get("link_create", 0) == 1
        assert writes_by_kind(server.stats())["link_import"] == 0
        before = writes(server.stats()) + server.stats()["by_kind"]["link_create"]
        _run(client, store)  # resumed: nothing again
        assert writes(server.stats()) + server.stats()["by_kind"]["link_create"] == before


def test_a_link_to_an_issue_already_in_tracker_uses_its_target_key(tmp_path: Path) -> None:
    with sandbox_server() as server, client_for(server) as client:
        with CheckpointStore(tmp_path / "earlier.sqlite") as earlier:
            load_plan(earlier, [make_issue(9, comments=0, files=0, worklogs=0)], "earlier", "DEMO")
            assert _run(client, earlier).complete
            target_key = earlier.issue_target("S-9").target_key  # type: ignore[union-attr]
        plan = [make_issue(1, links=[("relates", "S-9")], comments=0, files=0, worklogs=0)]
        plan[0].links[0].to_target_key = target_key  # planned by target.dangling: existing
        with CheckpointStore(tmp_path / "now.sqlite") as store:
            load_plan(store, plan, "test", "DEMO")
            assert _run(client, store).complete
            (link,) = client.list_links(store.issue_target("S-1").target_key)  # type: ignore[union-attr]
            assert link["object"]["key"] == target_key
            assert verify(client, [store.load_issue("S-1")], store).clean


def test_parent_cycle_does_not_hang(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [make_issue(1, parent=2, comments=0, worklogs=0), make_issue(2, parent=1, comments=0, worklogs=0)]
    stats = load_plan(store, plan, "test", "DEMO")
    assert stats.cycles_broken == ["S-1"]
    with sandbox_server() as server, client_for(server) as client:
        assert _run(client, store).complete


def test_parents_are_imported_before_children(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [
        make_issue(3, parent=2, comments=0, worklogs=0),
        make_issue(2, parent=1, comments=0, worklogs=0),
        make_issue(1, comments=0, worklogs=0),
    ]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        _run(client, store, workers=4)
        numbers = [int(store.issue_target(k).target_key.split("-")[1]) for k in ("S-1", "S-2", "S-3")]
        assert numbers == sorted(numbers)


def test_local_fields_are_patched_last(tmp_path: Path, store: CheckpointStore, local_field: str) -> None:
    plan = [make_issue(1, local_fields={local_field: "Acme"})]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store)
        assert summary.kinds[Kind.LOCAL_FIELDS].done_now == 1
        assert client.get_issue(store.issue_target("S-1").target_key)[local_field] == "Acme"
        _assert_exact(client, plan, store)


def test_missing_file_fails_only_that_file(tmp_path: Path, store: CheckpointStore) -> None:
    plan = [make_issue(1, tmp_path / "files", comments=1, worklogs=0)]
    Path(plan[0].attachments[0].path).unlink()
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = _run(client, store)
        assert summary.kinds["attachment"].failed == 1
        assert (
            summary.kinds[Kind.COMMENT].done_now == 1 and summary.kinds[Kind.COMMENT_ATTACHMENT].done_now == 1
        )
        (failure,) = store.status_summary().failures
        assert "doc0.txt" in failure.reason


def test_staging_namespaces_make_fresh_copies(tmp_path: Path) -> None:
    with (
        CheckpointStore(tmp_path / "state.sqlite") as store,
        sandbox_server() as server,
        client_for(server) as client,
    ):
        for namespace in ("stage1", "stage2", "stage1"):
            plan = make_plan(3, tmp_path / "files", namespace=namespace)
            load_plan(store, plan, namespace, "DEMO")
            _run(client, store)
            _assert_exact(client, plan, store)
        assert writes_by_kind(server.stats())["issue_import"] == 6  # two copies; the third run was a no-op


def test_progress_bar_and_summary_table(tmp_path: Path, store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1, comments=1, files=0, comment_files=0, worklogs=0)], "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        summary = Executor(client, store, workers=1, progress=True, policy=FAST).run()
    table = summary.format_table()
    assert table.splitlines()[0].split()[:2] == ["kind", "planned"]
    assert summary.to_dict()["complete"] is True
    assert summary.to_dict()["kinds"][Kind.ISSUE]["done_now"] == 1
    assert Status.FAILED not in [row[0] for row in summary.table_rows()]


def test_second_ledger_with_the_same_namespace_duplicates_nothing(
    tmp_path: Path, store: CheckpointStore
) -> None:
    plan = make_plan(3, tmp_path / "files")
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server() as server, client_for(server) as client:
        _run(client, store)
        before = writes_by_kind(server.stats())
        with CheckpointStore(tmp_path / "other.sqlite") as fresh:  # a lost or second state file
            load_plan(fresh, make_plan(3, tmp_path / "files"), "test", "DEMO")
            summary = _run(client, fresh)
            assert summary.complete, summary.format_table()
            assert summary.conflicts == 3  # each issue's unique is taken: found, and its children looked up
            assert summary.total("reconciled") == summary.total("planned")
            for row in fresh.rows_for_issue("S-1", (Kind.LINK,)) + store.rows_for_issue("S-1", (Kind.LINK,)):
                assert row.target_id == store.rows_for_issue("S-1", (Kind.LINK,))[0].target_id
        after = writes_by_kind(server.stats())
        assert {k: after[k] - before[k] for k in WRITE_KINDS if after[k] != before[k]} == {"issue_import": 3}
        _assert_exact(client, plan, store)
