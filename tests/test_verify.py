"""verify(): read the target back and compare with the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_executor import FAST, client_for, demo_local_field, make_issue, make_plan, sandbox_server

from migrator.executor import Executor
from migrator.state import ATTACHMENT, COMMENT, ISSUE, LINK, LOCAL_FIELDS, WORKLOG, CheckpointStore
from migrator.verify import verify


@pytest.fixture(scope="module")
def local_field() -> str:
    return demo_local_field()


@pytest.fixture
def imported(tmp_path: Path, local_field: str):
    """A sandbox holding an imported 4-issue plan: (client, plan, store)."""
    plan = make_plan(4, tmp_path / "files", local_fields={local_field: "Acme"})
    with CheckpointStore(tmp_path / "state.sqlite") as store, sandbox_server() as server, \
            client_for(server) as client:
        store.load_plan(plan, "test", "DEMO")
        assert Executor(client, store, workers=2, progress=False, policy=FAST).run().complete
        yield client, plan, store


def _problems(report, kind: str | None = None, problem: str | None = None) -> list:
    return [p for p in report.problems if (kind is None or p.kind == kind) and (problem is None or p.problem == problem)]


def test_clean_after_import_with_and_without_the_ledger(imported) -> None:
    client, plan, store = imported
    for ledger in (store, None):
        report = verify(client, plan, ledger)
        assert report.clean, report.summary_lines()
        assert report.counts[ISSUE].found == 4 and report.counts[COMMENT].found == 8
        assert report.counts[LINK].found == report.counts[LINK].planned == 4
        assert report.counts[LOCAL_FIELDS].found == 4
    assert report.notes  # updatedAt moved by the local-field PATCH is noted, not reported
    assert report.summary_lines()[-1].startswith("verify: target matches the plan")
    assert json.loads(json.dumps(report.to_dict()))["clean"] is True


def test_stored_plan_verifies_the_same(imported) -> None:
    client, _plan, store = imported
    assert verify(client, store.iter_planned(), store).clean


def test_duplicate_comment_is_reported_as_extra(imported) -> None:
    client, plan, store = imported
    key = store.issue_target("S-1").target_key
    client.import_comment(key, plan[0].comments[0].body)
    report = verify(client, plan, store)
    (extra,) = _problems(report, COMMENT, "extra")
    assert extra.issue == "S-1" and report.counts[COMMENT].extra == 1 and not report.clean


def test_field_mismatch_and_missing_objects(imported) -> None:
    client, plan, store = imported
    plan[1].body["summary"] = "what the export says now"
    plan[2].worklogs[0].body["duration"] = "PT2H"
    plan[3].attachments[0].sha256 = "0" * 64
    report = verify(client, plan, store)
    (summary,) = _problems(report, ISSUE, "mismatch")
    assert summary.field == "summary" and summary.expected == "what the export says now"
    assert [p.source_id for p in _problems(report, WORKLOG, "missing")] == ["S-3-w0"]
    (extra,) = _problems(report, WORKLOG, "extra")  # the target's 1h30m worklog matches no planned one
    assert extra.issue == "S-3" and "not in the plan" in extra.message
    (content,) = _problems(report, ATTACHMENT, "mismatch")
    assert content.field == "sha256" and content.source_id == "S-4-f0"
    lines = report.summary_lines()
    assert any("summary" in line for line in lines)


def test_issue_not_in_the_target_is_missing(imported) -> None:
    client, plan, store = imported
    extra = make_issue(99, links=[("relates", "S-1")])
    report = verify(client, [*plan, extra], None)
    assert [p.issue for p in _problems(report, ISSUE, "missing")] == ["S-99"]
    assert [p.source_id for p in _problems(report, LINK, "missing")] == ["S-99|relates|S-1"]
    assert report.to_dict()["counts"][ISSUE] == {"planned": 5, "found": 4, "missing": 1, "extra": 0,
                                                 "mismatched": 0}


def test_links_are_matched_by_relationship_and_other_key(imported) -> None:
    client, plan, store = imported
    key, other = store.issue_target("S-1").target_key, store.issue_target("S-3").target_key
    client.import_link(key, {"relationship": "depends on", "issue": other, "createdAt": plan[0].links[0].created_at,
                             "createdBy": "admin"})
    plan[0].links[0].relationship = "is dependent by"  # the plan now wants S-1 is dependent by S-2: not there
    plan[0].links.append(make_issue(1, links=[("depends on", "S-3")]).links[0])
    report = verify(client, plan, store)
    assert [(p.problem, p.source_id) for p in _problems(report, LINK)] == [("missing", "S-1|relates|S-2")]
    assert report.counts[LINK].found == 4


def test_duplicate_link_is_reported(tmp_path: Path) -> None:
    plan = make_plan(2)
    with CheckpointStore(tmp_path / "state.sqlite") as store, sandbox_server(duplicate_link="allow") as server, \
            client_for(server) as client:
        store.load_plan(plan, "test", "DEMO")
        assert Executor(client, store, workers=1, progress=False, policy=FAST).run().complete
        link = plan[0].links[0]
        client.import_link(store.issue_target("S-1").target_key, {
            "relationship": link.relationship, "issue": store.issue_target("S-2").target_key,
            "createdAt": link.created_at, "createdBy": link.created_by})
        report = verify(client, plan, store)
        (dup,) = report.problems
        assert (dup.kind, dup.problem, dup.source_id) == (LINK, "duplicate", link.source_id)
