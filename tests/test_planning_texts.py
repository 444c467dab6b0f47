"""The plan stage's decisions for texts: every issue's Tracker key before the import (kept in the
ledger, reused by later loads), the projects texts may name, files before the comments showing them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from execution.helpers_executor import make_issue

from migrator.delta import DeltaSummary
from migrator.findings import Findings
from migrator.plan import TextPointers
from migrator.planning import chain_rows, load_plan
from migrator.planning_texts import KeyPlan, first_shown, text_projects
from migrator.state import CheckpointStore
from migrator.vocabulary import Kind


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CheckpointStore]:
    with CheckpointStore(tmp_path / "state.sqlite") as s:
        yield s


class Highest:
    """The queue's highest number, counting how often it is read."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return self.number


def _keys(store: CheckpointStore, *source_keys: str) -> list[str | None]:
    return [store.planned_key(k) for k in source_keys]


def test_keys_follow_the_source_numbers_after_the_queue_highest(store: CheckpointStore) -> None:
    highest = Highest(41)
    plan = [make_issue(n) for n in (10, 2, 1)]  # the export lists newest first
    load_plan(store, plan, "ns", "DEMO", keys=KeyPlan(highest))
    assert _keys(store, "S-1", "S-2", "S-10") == ["DEMO-42", "DEMO-43", "DEMO-44"]
    assert highest.reads == 1
    assert store.issue_keys(["S-2", "S-10", "S-99"]) == {"S-2": "DEMO-43", "S-10": "DEMO-44"}


def test_a_repeated_load_reuses_the_keys_and_reads_nothing(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1), make_issue(2)], "ns", "DEMO", keys=KeyPlan(Highest(0)))
    again = Highest(100)  # another writer filled the queue meanwhile: our keys stay ours
    load_plan(store, [make_issue(1), make_issue(2)], "ns", "DEMO", keys=KeyPlan(again))
    assert again.reads == 0
    assert _keys(store, "S-1", "S-2") == ["DEMO-1", "DEMO-2"]
    grown = Highest(100)
    load_plan(store, [make_issue(1), make_issue(2), make_issue(3)], "ns", "DEMO", keys=KeyPlan(grown))
    assert grown.reads == 1 and _keys(store, "S-3") == ["DEMO-101"]


def test_two_namespaces_of_one_state_file_never_share_a_number(store: CheckpointStore) -> None:
    load_plan(store, [make_issue(1), make_issue(2)], "first", "DEMO", keys=KeyPlan(Highest(0)))
    load_plan(store, [make_issue(1, namespace="second")], "second", "DEMO", keys=KeyPlan(Highest(0)))
    assert store.planned_key("S-1") == "DEMO-3"  # the active namespace is "second" now


def test_kept_keys_and_already_imported_issues_are_not_numbered_again(store: CheckpointStore) -> None:
    kept = make_issue(7)
    kept.body["key"] = "DEMO-7"
    highest = Highest(0)
    load_plan(store, [kept], "ns", "DEMO", keys=KeyPlan(highest))
    assert highest.reads == 0 and _keys(store, "S-7") == ["DEMO-7"]

    load_plan(store, [make_issue(1)], "old", "DEMO")  # a run that did not plan keys…
    row = next(r for r in store.rows_for_issue("S-1", (Kind.ISSUE,)))
    store.mark_done(row.id, "id-1", "DEMO-55")  # …imported S-1 as DEMO-55
    reads = Highest(0)
    load_plan(store, [make_issue(1), make_issue(2)], "old", "DEMO", keys=KeyPlan(reads))
    assert _keys(store, "S-1", "S-2") == ["DEMO-55", "DEMO-56"]
    assert "key" not in store.load_issue("S-1").body


def test_a_reserved_number_is_never_given_to_an_issue(store: CheckpointStore) -> None:
    """The queue lease's marker holds a number of the queue: later loads number new issues after it,
    even when the queue's search does not show it (yet)."""
    load_plan(store, [make_issue(1), make_issue(2)], "ns", "DEMO", keys=KeyPlan(Highest(0)))
    store.reserve_key("migrator.queue-lease:DEMO", "DEMO-3")
    assert store.highest_planned_number("DEMO") == 3
    load_plan(store, [make_issue(n) for n in (1, 2, 3)], "ns", "DEMO", keys=KeyPlan(Highest(2)))
    assert _keys(store, "S-1", "S-2", "S-3") == ["DEMO-1", "DEMO-2", "DEMO-4"]
    assert store.issue_keys(["migrator.queue-lease:DEMO"]) == {}  # never an issue's key


def test_a_delta_load_keys_its_new_issues_after_every_key_already_planned(store: CheckpointStore) -> None:
    """A newer export compared with the ledger: the imported issues keep their keys, the new ones
    (whatever their place in the export) are numbered once the stream has ended."""
    load_plan(store, [make_issue(2), make_issue(3)], "ns", "DEMO", keys=KeyPlan(Highest(0)))
    for key in ("S-2", "S-3"):
        row = next(r for r in store.rows_for_issue(key, (Kind.ISSUE,)))
        store.mark_done(row.id, f"id-{key}", store.planned_key(key) or "")
    delta, highest = DeltaSummary(), Highest(2)
    newer = [make_issue(1), make_issue(2), make_issue(3), make_issue(10)]
    load_plan(store, newer, "ns", "DEMO", keys=KeyPlan(highest), findings=Findings(), delta=delta)
    assert delta.issues == {"new": 2, "unchanged": 2} and highest.reads == 1
    assert _keys(store, "S-1", "S-2", "S-3", "S-10") == ["DEMO-3", "DEMO-1", "DEMO-2", "DEMO-4"]


def test_the_projects_texts_may_name() -> None:
    assert text_projects(["PAY-1", "OPS-12", "45", "x-1"], KeyPlan(Highest(0), ("OLD",))) == [
        "OLD",
        "OPS",
        "PAY",
    ]
    assert text_projects(["12"], None) == []


def test_loading_records_the_projects_of_the_plan(store: CheckpointStore) -> None:
    assert store.has_plan is False
    load_plan(store, [make_issue(1)], "ns", "DEMO", keys=KeyPlan(Highest(0), ("PROJ",)))
    assert store.text_projects() == frozenset({"PROJ", "S"})  # the export's own (S-1) and the mapping's


def test_a_file_a_comment_shows_is_uploaded_just_before_it(tmp_path: Path) -> None:
    issue = make_issue(1, tmp_path / "files", comments=2, files=2, comment_files=0, worklogs=0)
    late = issue.attachments[1]
    late.created_at = "2030-01-01T00:00:00.000+0000"  # added long after the comments
    issue.comments[1].pointers = TextPointers(spans=[], shows=[late.source_id])
    assert first_shown(issue) == {late.source_id: issue.comments[1].body["createdAt"]}
    order = [(r.kind, r.source_id) for r in chain_rows(issue)]
    assert order == [
        (Kind.ISSUE, "S-1"),
        (Kind.ATTACHMENT, "S-1-f0"),
        (Kind.COMMENT, "S-1-c0"),
        (Kind.ATTACHMENT, "S-1-f1"),
        (Kind.COMMENT, "S-1-c1"),
    ]


def test_a_patched_description_is_the_last_row_of_the_issue_chain(tmp_path: Path) -> None:
    issue = make_issue(
        1, tmp_path / "files", comments=1, files=1, comment_files=0, worklogs=1, links=[("relates", "S-2")]
    )
    issue.description_patch = True
    kinds = [r.kind for r in chain_rows(issue)]
    assert kinds == [Kind.ISSUE, Kind.ATTACHMENT, Kind.COMMENT, Kind.WORKLOG, Kind.DESCRIPTION, Kind.LINK]


def test_new_keys_follow_prefix_then_number_of_any_size_then_keys_without_a_number(
    store: CheckpointStore,
) -> None:
    """The order is decided on disk (the waiting issues are not kept in memory): numbers compare as
    numbers whatever their length or leading zeros, equal numbers by plan order."""
    source_keys = ["S-10", "X", "S-7", "S-99999999999999999999999", "S-007", "A-5", "S-0", "S-2"]
    plan = []
    for n, source_key in enumerate(source_keys, start=1):
        issue = make_issue(n)
        issue.source_key = source_key
        plan.append(issue)
    load_plan(store, plan, "ns", "DEMO", keys=KeyPlan(Highest(0)))
    in_key_order = ["A-5", "S-0", "S-2", "S-7", "S-007", "S-10", "S-99999999999999999999999", "X"]
    assert _keys(store, *in_key_order) == [f"DEMO-{n}" for n in range(1, 9)]
