"""Texts finished at send time from the ledger: keys planned before the import, files before the
comments that show them, a taken key, a file that failed, and a lost state file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spans_helpers import spanned

from execution.helpers_executor import FAST, client_for, make_issue, sandbox_server
from migrator.execution import Executor
from migrator.plan import PlannedIssue, TextPointers
from migrator.planning import load_plan
from migrator.planning_texts import KeyPlan
from migrator.snapshot import highest_key_number
from migrator.state import CheckpointStore
from migrator.textspans import FileRef, IssueRef, spans_to_json
from migrator.tracker import TrackerClient
from migrator.verify import verify
from migrator.vocabulary import Kind, Status


def _point(template: str, *tokens: IssueRef | FileRef) -> tuple[str, TextPointers]:
    """The text and the pointers stored for it."""
    converted = spanned(template, *tokens)
    return converted.text, TextPointers(spans=spans_to_json(converted.spans))


def _ref(n: int) -> IssueRef:
    return IssueRef(f"S-{n}", f"S-{n}", f"https://old.example/browse/S-{n}")


def _plan(files: Path) -> list[PlannedIssue]:
    """S-1 names S-3 (imported later) and S-2; S-2's comment shows its own file and names S-1."""
    one, two, three = (
        make_issue(n, files, comments=1, files=0, comment_files=0, worklogs=0) for n in (1, 2, 3)
    )
    one.body["description"], one.description_pointers = _point("see {} and {}", _ref(3), _ref(2))
    two = make_issue(2, files, comments=1, files=1, comment_files=0, worklogs=0)
    shot = two.attachments[0]
    text, pointers = _point(
        "after {}: {}", _ref(1), FileRef((shot.source_id,), "doc0.txt", False, "`doc0.txt`")
    )
    pointers.shows = [shot.source_id]
    two.comments[0].body["text"], two.comments[0].pointers = text, pointers
    three.comments[0].body["text"], three.comments[0].pointers = _point("dup of {}", _ref(1))
    return [one, two, three]


def _keys(client: TrackerClient) -> KeyPlan:
    return KeyPlan(lambda: highest_key_number(client, "DEMO"))


@contextmanager
def _loaded(tmp_path: Path, plan: list[PlannedIssue]) -> Iterator[tuple[TrackerClient, CheckpointStore]]:
    """A sandbox and a state file with ``plan`` loaded, its keys planned against the sandbox."""
    with (
        sandbox_server() as server,
        client_for(server) as client,
        CheckpointStore(tmp_path / "s.sqlite") as store,
    ):
        load_plan(store, plan, "t", "DEMO", keys=_keys(client))
        yield client, store


def _run(client: TrackerClient, store: CheckpointStore, *, retry_failed: bool = False) -> bool:
    return (
        Executor(client, store, workers=1, progress=False, policy=FAST)
        .run(retry_failed=retry_failed)
        .complete
    )


def _texts(client: TrackerClient) -> dict[str, list[str]]:
    return {
        key: [str(client.get_issue(key).get("description"))] + [c["text"] for c in client.list_comments(key)]
        for key in ("DEMO-1", "DEMO-2", "DEMO-3")
    }


def test_forward_references_and_shown_files_are_right_the_first_time(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "files")
    with _loaded(tmp_path, plan) as (client, store):
        assert Executor(client, store, workers=2, progress=False, policy=FAST).run().complete
        file_id = next(a["id"] for a in client.list_attachments("DEMO-2"))
        texts = _texts(client)
        assert texts["DEMO-1"][0] == "see DEMO-3 and DEMO-2"
        assert texts["DEMO-2"][1] == f"after DEMO-1: [doc0.txt](/ajax/v2/attachments/{file_id})"
        assert texts["DEMO-3"][1] == "dup of DEMO-1"
        assert verify(client, plan, store, progress=False).clean


def test_a_key_taken_by_another_writer_fails_its_issue_and_is_never_renumbered(tmp_path: Path) -> None:
    with _loaded(tmp_path, _plan(tmp_path / "files")) as (client, store):
        client.import_issue(  # another writer takes DEMO-3 after the plan was made
            {
                "queue": "DEMO",
                "key": "DEMO-3",
                "summary": "not ours",
                "createdAt": "2023-01-01T00:00:00.000+0000",
                "createdBy": "admin",
            }
        )
        assert not _run(client, store)
        failure = next(f for f in store.status_summary().failures if f.source_id == "S-3")
        assert (
            failure.status == Status.FAILED
            and "planned key DEMO-3 is taken by another issue" in failure.reason
        )
        assert (
            client.get_issue("DEMO-1")["description"] == "see DEMO-3 and DEMO-2"
        )  # as planned, not renumbered
        assert client.count_issues(queue="DEMO") == 3  # nothing imported twice, nothing under another key


def test_a_comment_waits_for_the_file_it_shows(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "files")
    shot = Path(plan[1].attachments[0].path)
    content = shot.read_bytes()
    shot.unlink()  # the file cannot be read at run time
    with _loaded(tmp_path, plan) as (client, store):
        assert not _run(client, store)
        comment = next(r for r in store.rows_for_issue("S-2", (Kind.COMMENT,)))
        assert comment.status == Status.PENDING
        assert (
            comment.last_error is not None
            and "waits for the file(s) it shows: 'doc0.txt' (failed" in comment.last_error
        )
        assert client.list_comments("DEMO-2") == []

        shot.write_bytes(content)
        assert _run(client, store, retry_failed=True)
        file_id = next(a["id"] for a in client.list_attachments("DEMO-2"))
        assert [c["text"] for c in client.list_comments("DEMO-2")] == [
            f"after DEMO-1: [doc0.txt](/ajax/v2/attachments/{file_id})"
        ]


def test_a_lost_state_file_neither_duplicates_texts_nor_renames_issues(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "files")
    with sandbox_server() as server, client_for(server) as client:
        with CheckpointStore(tmp_path / "first.sqlite") as store:
            load_plan(store, plan, "t", "DEMO", keys=_keys(client))
            assert _run(client, store)
        before = _texts(client)
        with CheckpointStore(tmp_path / "second.sqlite") as store:
            load_plan(store, _plan(tmp_path / "files"), "t", "DEMO", keys=_keys(client))
            assert store.planned_key("S-1") == "DEMO-4"  # planned blind: the queue already holds 3 issues
            assert _run(client, store)
            assert store.planned_key("S-1") == "DEMO-1"  # found by unique: texts name it by its key now
            assert verify(client, _plan(tmp_path / "files"), store, progress=False).clean
        assert _texts(client) == before
        assert client.count_issues(queue="DEMO") == 3


def test_a_patched_description_shows_its_files_and_a_rerun_does_not_patch_again(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "files")
    two = plan[1]
    doc = two.attachments[0]
    two.body["description"], pointers = _point(
        "spec: {}", FileRef((doc.source_id,), "doc0.txt", False, "`doc0.txt`")
    )
    pointers.shows = [doc.source_id]
    two.description_pointers, two.description_patch = pointers, True
    with _loaded(tmp_path, plan) as (client, store):
        assert _run(client, store)
        file_id = next(a["id"] for a in client.list_attachments("DEMO-2"))
        issue = client.get_issue("DEMO-2")
        assert issue["description"] == f"spec: [doc0.txt](/ajax/v2/attachments/{file_id})"
        report = verify(client, plan, store, progress=False)
        assert report.clean and report.counts[Kind.DESCRIPTION].found == 1
        assert "updatedAt" in {n.field for n in report.notes}  # the PATCH moved it: expected, noted

        row = next(r for r in store.rows_for_issue("S-2", (Kind.DESCRIPTION,)))
        store.mark_unsure(row.id, "lost answer")  # killed between the PATCH and its checkpoint
        version = issue["version"]
        assert _run(client, store)
        assert client.get_issue("DEMO-2")["version"] == version  # found as done: not PATCHed twice
