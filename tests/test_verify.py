"""verify(): read the target back and compare with the plan."""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from execution.helpers_executor import (
    FAST,
    client_for,
    demo_local_field,
    make_issue,
    make_plan,
    sandbox_server,
)

from migrator.cli import main
from migrator.execution import Executor
from migrator.plan import PlannedIssue
from migrator.planning import load_plan
from migrator.state import CheckpointStore
from migrator.tracker import TrackerClient
from migrator.verify import _IN_FLIGHT_PER_WORKER, _ordered_map, verify
from migrator.vocabulary import Kind


@pytest.fixture(scope="module")
def local_field() -> str:
    return demo_local_field()


@pytest.fixture
def imported(tmp_path: Path, local_field: str):
    """A sandbox holding an imported 4-issue plan: (client, plan, store)."""
    plan = make_plan(4, tmp_path / "files", local_fields={local_field: "Acme"})
    with (
        CheckpointStore(tmp_path / "state.sqlite") as store,
        sandbox_server() as server,
        client_for(server) as client,
    ):
        load_plan(store, plan, "test", "DEMO")
        assert Executor(client, store, workers=2, progress=False, policy=FAST).run().complete
        yield client, plan, store


def _problems(report, kind: str | None = None, problem: str | None = None) -> list:
    return [
        p
        for p in report.problems
        if (kind is None or p.kind == kind) and (problem is None or p.problem == problem)
    ]


def test_clean_after_import_with_and_without_the_ledger(imported) -> None:
    client, plan, store = imported
    for ledger in (store, None):
        report = verify(client, plan, ledger)
        assert report.clean, report.summary_lines()
        assert report.counts[Kind.ISSUE].found == 4 and report.counts[Kind.COMMENT].found == 8
        assert report.counts[Kind.LINK].found == report.counts[Kind.LINK].planned == 4
        assert report.counts[Kind.LOCAL_FIELDS].found == 4
    assert report.notes  # updatedAt moved by the local-field PATCH is noted, not reported
    assert report.summary_lines()[-1].startswith("verify: target matches the plan")
    assert json.loads(json.dumps(report.to_dict()))["clean"] is True


def test_an_empty_plan_is_never_clean(imported) -> None:
    client, _plan, store = imported
    report = verify(client, [], store)
    assert report.empty and not report.clean and report.problems == []
    assert report.summary_lines()[-1].startswith("verify: nothing to compare: the plan is empty")
    assert report.to_dict()["empty_plan"] is True


def test_an_undated_link_is_noted_on_the_issues_it_touches(imported) -> None:
    client, plan, _store = imported
    moved = copy.deepcopy(plan[1])
    # No PATCH planned, and no ledger (whose done local-field row would explain a later updatedAt):
    # only the undated link can.
    moved.local_fields = {}
    moved.body["updatedAt"] = "2022-12-31T00:00:00.000+0000"
    report = verify(client, [moved], None)
    assert [p.field for p in _problems(report, Kind.ISSUE, "mismatch")] == ["updatedAt"]
    moved.touched_by_run = True  # planned with target.undated_links: now
    report = verify(client, [moved], None)
    assert _problems(report, Kind.ISSUE) == [] and "undated link" in report.notes[0].message


def test_stored_plan_verifies_the_same(imported) -> None:
    client, _plan, store = imported
    assert verify(client, store.iter_planned(), store).clean


def test_duplicate_comment_is_reported_as_extra(imported) -> None:
    client, plan, store = imported
    key = store.issue_target("S-1").target_key
    client.import_comment(key, plan[0].comments[0].body)
    report = verify(client, plan, store)
    (extra,) = _problems(report, Kind.COMMENT, "extra")
    assert extra.issue == "S-1" and report.counts[Kind.COMMENT].extra == 1 and not report.clean


def test_field_mismatch_and_missing_objects(imported) -> None:
    client, plan, store = imported
    plan[1].body["summary"] = "what the export says now"
    plan[2].worklogs[0].body["duration"] = "PT2H"
    plan[3].attachments[0].sha256 = "0" * 64
    report = verify(client, plan, store)
    (summary,) = _problems(report, Kind.ISSUE, "mismatch")
    assert summary.field == "summary" and summary.expected == "what the export says now"
    assert [p.source_id for p in _problems(report, Kind.WORKLOG, "missing")] == ["S-3-w0"]
    (extra,) = _problems(report, Kind.WORKLOG, "extra")  # the target's 1h30m worklog matches no planned one
    assert extra.issue == "S-3" and "not in the plan" in extra.message
    (content,) = _problems(report, Kind.ATTACHMENT, "mismatch")
    assert content.field == "sha256" and content.source_id == "S-4-f0"
    lines = report.summary_lines()
    assert any("summary" in line for line in lines)


def test_issue_not_in_the_target_is_missing(imported) -> None:
    client, plan, store = imported
    extra = make_issue(99, links=[("relates", "S-1")])
    report = verify(client, [*plan, extra], None)
    assert [p.issue for p in _problems(report, Kind.ISSUE, "missing")] == ["S-99"]
    assert [p.source_id for p in _problems(report, Kind.LINK, "missing")] == ["S-99|relates|S-1"]
    assert report.to_dict()["counts"][Kind.ISSUE] == {
        "planned": 5,
        "found": 4,
        "missing": 1,
        "extra": 0,
        "mismatched": 0,
    }


def test_links_are_matched_by_relationship_and_other_key(imported) -> None:
    client, plan, store = imported
    key, other = store.issue_target("S-1").target_key, store.issue_target("S-3").target_key
    client.import_link(
        key,
        {
            "relationship": "depends on",
            "issue": other,
            "createdAt": plan[0].links[0].created_at,
            "createdBy": "admin",
        },
    )
    plan[0].links[0].relationship = "is dependent by"  # the plan now wants S-1 is dependent by S-2: not there
    plan[0].links.append(make_issue(1, links=[("depends on", "S-3")]).links[0])
    report = verify(client, plan, store)
    assert [(p.problem, p.source_id) for p in _problems(report, Kind.LINK)] == [
        ("missing", "S-1|relates|S-2")
    ]
    assert report.counts[Kind.LINK].found == 4


def test_duplicate_link_is_reported(tmp_path: Path) -> None:
    plan = make_plan(2)
    with (
        CheckpointStore(tmp_path / "state.sqlite") as store,
        sandbox_server(duplicate_link="allow") as server,
        client_for(server) as client,
    ):
        load_plan(store, plan, "test", "DEMO")
        assert Executor(client, store, workers=1, progress=False, policy=FAST).run().complete
        link = plan[0].links[0]
        client.import_link(
            store.issue_target("S-1").target_key,
            {
                "relationship": link.relationship,
                "issue": store.issue_target("S-2").target_key,
                "createdAt": link.created_at,
                "createdBy": link.created_by,
            },
        )
        report = verify(client, plan, store)
        (dup,) = report.problems
        assert (dup.kind, dup.problem, dup.source_id) == (Kind.LINK, "duplicate", link.source_id)


# ---------------------------------------------------------------------- parallel verify

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ["samples/jira/issues.csv", "--mapping", "mappings/jira-csv.yaml"]


class _SlowStart:
    """The client, with the first few issues' comment reads held back so later issues finish first."""

    def __init__(self, client: TrackerClient, held: int) -> None:
        self._client = client
        self._held = held
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def list_comments(self, key: str) -> list[Any]:
        with self._lock:
            hold, self._held = self._held > 0, self._held - 1
        if hold:
            time.sleep(0.05)  # only reorders completions; nothing asserts on time
        return self._client.list_comments(key)


class _RecordingBar:
    """Stands in for tqdm: records every bar verify opens and how far it got."""

    opened: list[_RecordingBar] = []

    def __init__(self, total: int | None = None, **_: Any) -> None:
        self.total = total
        self.n = 0
        self.closed = False
        _RecordingBar.opened.append(self)

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="module")
def imported30(tmp_path_factory: pytest.TempPathFactory, local_field: str):
    """A sandbox holding an imported 30-issue plan with files, links and local fields:
    (server, client, plan, store). Tests must not change the target."""
    root = tmp_path_factory.mktemp("verify30")
    plan = make_plan(30, root / "files", local_fields={local_field: "Acme"})
    with (
        CheckpointStore(root / "state.sqlite") as store,
        sandbox_server() as server,
        client_for(server) as client,
    ):
        load_plan(store, plan, "test", "DEMO")
        assert Executor(client, store, workers=4, progress=False, policy=FAST).run().complete
        yield server, client, plan, store


def _downloads(server) -> int:
    return int(server.stats()["by_kind"].get("download", 0))


def test_report_is_the_same_for_any_number_of_workers(imported30) -> None:
    _server, client, plan, store = imported30
    for ledger in (store, None):
        one = verify(client, plan, ledger, workers=1, progress=False)
        four = verify(_SlowStart(client, held=3), iter(plan), ledger, workers=4, progress=False)
        assert one.clean, one.summary_lines()
        assert (
            one.counts[Kind.ISSUE].found == 30
            and one.counts[Kind.LINK].found == one.counts[Kind.LINK].planned
        )
        assert len(one.notes) == 30  # one updatedAt note per issue: their order is the plan's
        assert [n.issue for n in one.notes] == [i.source_key for i in plan]
        assert four.to_dict() == one.to_dict()
        assert four.summary_lines() == one.summary_lines()


def test_a_difference_is_reported_at_the_same_place_for_any_number_of_workers(imported30) -> None:
    _server, client, plan, store = imported30
    changed = copy.deepcopy(plan)
    changed[16].body["summary"] = "what the export says now"
    changed[16].attachments[0].sha256 = "0" * 64
    one = verify(client, changed, store, workers=1, progress=False)
    four = verify(_SlowStart(client, held=20), iter(changed), store, workers=4, progress=False)
    assert [(p.issue, p.kind, p.problem, p.field) for p in one.problems] == [
        ("S-17", Kind.ISSUE, "mismatch", "summary"),
        ("S-17", Kind.ATTACHMENT, "mismatch", "sha256"),
    ]
    assert four.to_dict() == one.to_dict()
    assert four.summary_lines() == one.summary_lines()
    assert four.summary_lines()[-2].startswith("  mismatch  S-17")


def test_without_content_nothing_is_downloaded(imported30) -> None:
    server, client, plan, store = imported30
    changed = copy.deepcopy(plan)
    changed[3].attachments[0].sha256 = "0" * 64  # only a download could tell
    before = _downloads(server)
    report = verify(client, changed, store, check_content=False, progress=False)
    assert report.clean and _downloads(server) == before
    assert report.counts[Kind.ATTACHMENT].found == 30
    report = verify(client, changed, store, progress=False)
    assert _downloads(server) - before == 60  # one issue file and one comment file per issue
    assert [p.source_id for p in report.problems] == ["S-4-f0"]


def test_the_plan_is_pulled_a_few_issues_per_worker_ahead(imported30, monkeypatch) -> None:
    _server, client, plan, store = imported30
    monkeypatch.setattr(_RecordingBar, "opened", [])
    monkeypatch.setattr("migrator.verify.tqdm", _RecordingBar)
    ahead: list[int] = []  # at each pull: issues pulled so far minus issues already in the report

    def stream() -> Iterator[PlannedIssue]:
        for pulled, issue in enumerate(plan):
            ahead.append(pulled - _RecordingBar.opened[0].n)
            yield issue

    workers = 2
    report = verify(client, stream(), store, workers=workers, progress=True)
    assert report.clean and len(ahead) == 30
    assert max(ahead) < _IN_FLIGHT_PER_WORKER * workers
    issues_bar, links_bar = _RecordingBar.opened
    assert (issues_bar.total, issues_bar.n) == (None, 30) and issues_bar.closed  # a stream has no length
    owners = sum(1 for issue in plan if issue.links)  # one links read per issue that owns a link
    assert links_bar.n == links_bar.total == owners and links_bar.closed


def test_ordered_map_pulls_lazily_and_keeps_order() -> None:
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for n in range(100):
            pulled.append(n)
            yield n

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = _ordered_map(pool, lambda n: n * n, items(), window=6)
        assert next(results) == 0 and len(pulled) <= 6
        seen = [0]
        for value in results:
            seen.append(value)
            assert len(pulled) - len(seen) <= 6
    assert seen == [n * n for n in range(100)]


def test_ordered_map_cancels_what_has_not_started_when_a_check_fails() -> None:
    started: list[int] = []

    def check(n: int) -> int:
        started.append(n)
        if n == 2:
            raise RuntimeError("boom")
        return n

    with ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(RuntimeError, match="boom"):
            list(_ordered_map(pool, check, iter(range(1000)), window=4))
    assert len(started) <= 8


def test_workers_must_be_positive(imported30) -> None:
    _server, client, plan, store = imported30
    with pytest.raises(ValueError, match="workers"):
        verify(client, plan, store, workers=0)
    with pytest.raises(SystemExit) as exited:  # refused by the argument parser
        main(["verify", *SAMPLE, "--workers", "0"])
    assert exited.value.code == 2


def test_cli_verify_with_workers_and_no_content(tmp_path: Path, monkeypatch) -> None:
    for name in ("samples", "mappings"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("TRACKER_")]:
        monkeypatch.delenv(name)
    with sandbox_server() as server:
        monkeypatch.setenv("TRACKER_API_URL", server.url)
        monkeypatch.setenv("TRACKER_TOKEN", server.admin_token)
        monkeypatch.setenv("TRACKER_ORG_ID", str(server.org_id))
        assert main(["run", *SAMPLE, "--yes", "--no-progress", "--max-rps", "1000"]) == 0
        before = _downloads(server)
        assert (
            main(
                [
                    "verify",
                    *SAMPLE,
                    "--workers",
                    "3",
                    "--no-content",
                    "--no-progress",
                    "--output",
                    "fast.json",
                ]
            )
            == 0
        )
        assert _downloads(server) == before
        assert main(["verify", *SAMPLE, "--workers", "1", "--no-progress", "--output", "full.json"]) == 0
        assert _downloads(server) > before
    fast, full = (
        json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8")) for name in ("fast", "full")
    )
    assert fast == full and fast["clean"] is True
