"""The delta kinds (migrator/execution/updates.py) against the sandbox over loopback HTTP: an issue's
update (PATCH, transition, window opening), a comment's edit and a child's removal, each exactly once
— also when the answer to a committed write is lost."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from execution.helpers_executor import (
    FAST,
    ISSUE_UPDATED,
    client_for,
    make_issue,
    planned_link_dates,
    sandbox_server,
    ts,
)
from migrator.delta import WINDOW_MARKER
from migrator.execution import Executor, RunSummary
from migrator.findings import Findings
from migrator.plan import PlannedComment, PlannedIssue
from migrator.planning import load_plan
from migrator.state import CheckpointStore
from migrator.tracker import TrackerClient
from migrator.verify import verify
from migrator.vocabulary import Kind, Status

DELTA_WRITES = ("patch", "transition", "comment_edit", "comment_delete", "worklog_delete", "comment_import")


def _plan(files: Path) -> list[PlannedIssue]:
    return [make_issue(n, files) for n in (1, 2)]


def _run(client: TrackerClient, store: CheckpointStore) -> RunSummary:
    return Executor(client, store, workers=2, progress=False, policy=FAST).run()


def _counts(server) -> dict[str, int]:  # noqa: ANN001
    by_kind = server.stats()["by_kind"]
    return {kind: int(by_kind.get(kind, 0)) for kind in DELTA_WRITES}


def _delta_writes(server, before: dict[str, int]) -> dict[str, int]:  # noqa: ANN001
    return {k: n - before[k] for k, n in _counts(server).items() if n != before[k]}


def _key(client: TrackerClient, issue: PlannedIssue) -> str:
    return str(client.find_by_unique(issue.unique)["key"])


def _assert_verified(client: TrackerClient, plan: list[PlannedIssue], store: CheckpointStore) -> None:
    report = verify(client, plan, store, progress=False)
    assert report.clean, "\n".join(report.summary_lines(50))


@pytest.fixture
def imported(tmp_path: Path):
    """Two issues imported into a fresh sandbox: (server, client, store, files folder)."""
    with (
        sandbox_server(data=tmp_path / "sandbox.sqlite") as server,
        client_for(server) as client,
        CheckpointStore(tmp_path / "state.sqlite") as store,
    ):
        load_plan(store, _plan(tmp_path / "files"), "test", "DEMO")
        assert _run(client, store).complete
        yield server, client, store, tmp_path / "files"


def _resolve(issue: PlannedIssue) -> None:
    issue.body.update(
        summary="Renamed in the source",
        assignee="alice",
        status="closed",
        resolution="fixed",
        resolvedAt=ts(ISSUE_UPDATED - timedelta(hours=1)),
        resolvedBy="alice",
    )


def _late_comment(issue: PlannedIssue, text: str = "a late reply") -> str:
    """A comment dated after the issue's imported window (the export's updatedAt moves with it)."""
    late = ts(ISSUE_UPDATED + timedelta(days=3))
    issue.body["updatedAt"] = late
    issue.comments.append(
        PlannedComment(f"{issue.source_key}-late", {"text": text, "createdAt": late, "createdBy": "bob"})
    )
    return late


def test_changed_fields_and_status_are_applied_once(imported) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    _resolve(plan[0])
    load_plan(store, plan, "test", "DEMO")
    before = _counts(server)

    summary = _run(client, store)
    assert summary.complete and summary.kinds[Kind.ISSUE_UPDATE].done_now == 1
    assert _delta_writes(server, before) == {"patch": 1, "transition": 1}
    issue = client.get_issue(_key(client, plan[0]))
    assert issue["summary"] == "Renamed in the source"
    assert issue["assignee"]["id"] == "1100000000000003"  # alice
    assert issue["status"]["key"] == "closed" and issue["resolution"]["key"] == "fixed"
    _assert_verified(client, plan, store)

    load_plan(store, plan, "test", "DEMO")  # the same export again: nothing to write
    before = _counts(server)
    assert _run(client, store).complete
    assert _delta_writes(server, before) == {}


@pytest.mark.parametrize("kind", ["patch", "transition"])
def test_update_whose_answer_was_lost_is_reconciled_not_repeated(imported, kind: str) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    _resolve(plan[0])
    load_plan(store, plan, "test", "DEMO")
    before = _counts(server)
    server.fail_next(kind, 1, mode="drop")  # committed, then the connection drops

    summary = _run(client, store)
    assert summary.complete and summary.reconciliations >= 1
    assert _delta_writes(server, before) == {"patch": 1, "transition": 1}
    _assert_verified(client, plan, store)


def test_late_comment_lands_after_the_window_is_opened(imported) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    late = _late_comment(plan[1])
    findings = Findings()
    load_plan(store, plan, "test", "DEMO", findings=findings)
    assert [f.kind for f in findings if f.kind == "delta.window_opened"] == ["delta.window_opened"]
    before = _counts(server)

    assert _run(client, store).complete
    assert _delta_writes(server, before) == {"patch": 2, "comment_import": 1}  # tag added, tag removed
    key = _key(client, plan[1])
    issue = client.get_issue(key)
    assert WINDOW_MARKER not in (issue.get("tags") or [])
    assert sorted(issue["tags"]) == sorted(plan[1].body["tags"])
    comment = next(c for c in client.list_comments(key) if c["text"] == "a late reply")
    assert comment["createdAt"] == late and comment["createdBy"]["id"] == "1100000000000004"  # bob, his date
    _assert_verified(client, plan, store)


def test_interrupted_window_opening_removes_its_tag(imported) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    _late_comment(plan[1], "late")
    load_plan(store, plan, "test", "DEMO")
    server.fail_next("patch", 1, mode="drop")  # the tag is added, the answer lost

    assert _run(client, store).complete
    issue = client.get_issue(_key(client, plan[1]))
    assert WINDOW_MARKER not in (issue.get("tags") or [])
    _assert_verified(client, plan, store)


def test_edited_comment_is_edited_in_place_once(imported) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    plan[0].comments[1].body["text"] = "Comment 1 on S-1, corrected"
    load_plan(store, plan, "test", "DEMO")
    before = _counts(server)
    server.fail_next("comment_edit", 1, mode="drop")

    summary = _run(client, store)
    assert summary.complete and summary.kinds[Kind.COMMENT_EDIT].done_now == 1
    assert _delta_writes(server, before) == {"comment_edit": 1}
    texts = [c["text"] for c in client.list_comments(_key(client, plan[0]))]
    assert texts == ["Comment 0 on S-1", "Comment 1 on S-1, corrected"]
    _assert_verified(client, plan, store)


def test_moved_stamps_alone_write_nothing_and_verify_notes_them(imported) -> None:  # noqa: ANN001
    """A newer export whose issues moved only their updatedAt/updatedBy: no issue_update. S-2 has
    nothing else, so Tracker keeps its imported stamps (delta.stamps_kept); S-1's comment was edited,
    and that edit moves the issue's stamps (delta.comment_edited says so). verify against the newer
    export notes both, each naming the finding that announced it."""
    server, client, store, files = imported

    def newer() -> list[PlannedIssue]:
        plan = _plan(files)
        for issue in plan:
            issue.body.update(updatedAt=ts(ISSUE_UPDATED + timedelta(days=4)), updatedBy="carol")
        plan[0].comments[1].body["text"] = "Comment 1 on S-1, corrected"
        return plan

    findings = Findings()
    load_plan(store, newer(), "test", "DEMO", findings=findings)
    assert sorted((f.key, f.kind) for f in findings) == [
        ("S-1", "delta.comment_edited"),
        ("S-2", "delta.stamps_kept"),
    ]
    [edited] = [f for f in findings if f.kind == "delta.comment_edited"]
    assert "the comment's and the issue's updatedAt/updatedBy" in edited.message
    before = _counts(server)

    summary = _run(client, store)
    assert summary.complete and summary.kinds[Kind.ISSUE_UPDATE].planned == 0
    assert _delta_writes(server, before) == {"comment_edit": 1}
    assert client.get_issue(_key(client, newer()[1]))["updatedAt"] == ts(ISSUE_UPDATED)  # as imported
    assert client.get_issue(_key(client, newer()[0]))["updatedAt"] > ts(ISSUE_UPDATED + timedelta(days=4))
    report = verify(client, newer(), store, progress=False)  # the newer export, as `migrator verify` plans it
    assert report.clean, "\n".join(report.summary_lines(50))
    notes = {(n.issue, n.field): n.message for n in report.notes}
    assert set(notes) == {(key, stamp) for key in ("S-1", "S-2") for stamp in ("updatedAt", "updatedBy")}
    assert "moved by a delta run's comment edit: delta.comment_edited" in notes[("S-1", "updatedAt")]
    assert "see delta.stamps_kept" in notes[("S-2", "updatedAt")]


def test_deleted_children_are_kept_unless_asked_then_deleted_once(imported) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    del plan[0].comments[1]
    plan[0].worklogs.clear()
    load_plan(store, plan, "test", "DEMO")
    assert _run(client, store).complete
    report = verify(client, plan, store, progress=False)
    assert report.clean and sum("kept: delta.deleted" in n.message for n in report.notes) == 2

    load_plan(store, plan, "test", "DEMO", delete_missing=True)
    before = _counts(server)
    server.fail_next("comment_delete", 1, mode="drop")
    summary = _run(client, store)
    assert summary.complete and summary.kinds[Kind.REMOVAL].done_now == 2
    assert _delta_writes(server, before) == {"comment_delete": 1, "worklog_delete": 1}
    key = _key(client, plan[0])
    assert [c["text"] for c in client.list_comments(key)] == ["Comment 0 on S-1"]
    assert client.list_worklogs(key) == []
    _assert_verified(client, plan, store)

    load_plan(store, plan, "test", "DEMO", delete_missing=True)
    before = _counts(server)
    assert _run(client, store).complete
    assert _delta_writes(server, before) == {}


def test_status_without_a_transition_fails_with_the_reason(tmp_path: Path) -> None:
    with (
        sandbox_server(transitions="none") as server,
        client_for(server) as client,
        CheckpointStore(tmp_path / "state.sqlite") as store,
    ):
        load_plan(store, _plan(tmp_path / "files"), "test", "DEMO")
        assert _run(client, store).complete
        plan = _plan(tmp_path / "files")
        plan[0].body["status"] = "inProgress"
        load_plan(store, plan, "test", "DEMO")
        summary = _run(client, store)
        assert not summary.complete and summary.kinds[Kind.ISSUE_UPDATE].failed == 1
        [row] = store.rows_for_issue("S-1", (Kind.ISSUE_UPDATE,))
        assert row.status == Status.FAILED and "Transitions are not emulated" in (row.last_error or "")


def test_new_link_to_an_imported_issue_lands_dated_after_its_window_opens(imported) -> None:  # noqa: ANN001
    server, client, store, files = imported
    plan = _plan(files)
    plan[1].body["updatedAt"] = ts(ISSUE_UPDATED + timedelta(days=2))  # the export stamps the linked end
    new = make_issue(3, None, comments=0, worklogs=0, links=[("relates", "S-2")])
    new.body.update(
        createdAt=ts(ISSUE_UPDATED + timedelta(days=1)), updatedAt=ts(ISSUE_UPDATED + timedelta(days=2))
    )
    plan.append(new)
    _planned, revisions = planned_link_dates(plan)  # the link: dated when S-3 was created
    findings = Findings()
    load_plan(store, plan, "test", "DEMO", revisions=lambda: revisions, findings=findings)
    assert [f.key for f in findings if f.kind == "delta.window_opened"] == ["S-2"]
    plan = [revisions.apply(issue) for issue in plan]  # what verify compares with
    before = _counts(server)

    assert _run(client, store).complete
    assert _delta_writes(server, before) == {"patch": 2}  # S-2's window: tag added, tag removed
    [link] = client.list_links(_key(client, new))
    assert link["object"]["key"] == _key(client, plan[1])
    assert link["createdAt"] == ts(ISSUE_UPDATED + timedelta(days=1))  # dated, not an ordinary link
    _assert_verified(client, plan, store)
