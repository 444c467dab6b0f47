"""The pipeline against the sandbox: no barriers between issues, links and local fields; the worker
count follows the rate control; every existing guarantee (order within an issue, parents first,
links after both issues) still holds."""

from __future__ import annotations

import threading
from collections.abc import Mapping
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
from migrator.execution import Executor
from migrator.planning import load_plan
from migrator.state import CheckpointStore
from migrator.tracker import RateLimiter, TrackerClient
from migrator.vocabulary import Kind

WRITES = (
    "import_issue",
    "import_comment",
    "import_attachment",
    "import_worklog",
    "import_link",
    "patch_issue",
)


class RecordingClient:
    """The real client, with every write noted in the order it was sent: (call, issue key)."""

    def __init__(self, client: TrackerClient) -> None:
        self._client = client
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name not in WRITES:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            first = args[0] if args else None
            key = str(first.get("unique") if isinstance(first, Mapping) else first)
            with self._lock:
                self.calls.append((name, key))
            return target(*args, **kwargs)

        return call

    def position(self, name: str, key: str | None = None) -> list[int]:
        return [i for i, (n, k) in enumerate(self.calls) if n == name and (key is None or k == key)]


class FixedConcurrency(RateLimiter):
    """A limiter fast enough never to pace, answering ``concurrency()`` with a set number."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(max_rps=10_000)
        self.fixed = concurrency

    def concurrency(self) -> int:
        return self.fixed


@pytest.fixture
def store(tmp_path: Path):
    with CheckpointStore(tmp_path / "state.sqlite") as s:
        yield s


def test_links_and_local_fields_start_while_other_issues_are_still_being_imported(
    tmp_path: Path, store: CheckpointStore
) -> None:
    field = demo_local_field()
    plan = make_plan(12, comments=1, files=0, comment_files=0, worklogs=0, local_fields={field: "Acme"})
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server(latency_ms=5) as server, client_for(server) as client:
        recording = RecordingClient(client)
        summary = Executor(recording, store, workers=2, progress=False, policy=FAST).run()  # type: ignore[arg-type]
        assert summary.complete, summary.format_table()
    last_issue = max(recording.position("import_issue"))
    assert min(recording.position("import_link")) < last_issue  # no barrier before the links
    assert min(recording.position("patch_issue")) < last_issue  # nor before the local fields


def test_a_child_issue_starts_before_every_top_level_issue_is_done(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Issue 3 is a subtask of issue 2; issues 4..12 are top-level: with levels as phases, issue 3
    would wait for all of them."""
    plan = [
        make_issue(n, parent=2 if n == 3 else None, comments=2, files=0, worklogs=0) for n in range(1, 13)
    ]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server(latency_ms=5) as server, client_for(server) as client:
        recording = RecordingClient(client)
        assert Executor(recording, store, workers=2, progress=False, policy=FAST).run().complete  # type: ignore[arg-type]
    parent, child = (recording.position("import_issue", plan[i].unique)[0] for i in (1, 2))
    assert parent < child < max(recording.position("import_issue"))


def test_an_issues_objects_keep_their_chain_order(tmp_path: Path, store: CheckpointStore) -> None:
    plan = make_plan(6, tmp_path / "files")
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server(latency_ms=2) as server, client_for(server) as client:
        recording = RecordingClient(client)
        assert Executor(recording, store, workers=4, progress=False, policy=FAST).run().complete  # type: ignore[arg-type]
        for issue in plan:
            key = store.issue_target(issue.source_key).target_key
            imported = recording.position("import_issue", issue.unique)[0]
            children = [
                i for i, (name, k) in enumerate(recording.calls) if k == key and name != "import_link"
            ]
            assert children and all(imported < i for i in children)
            expected = [
                row.kind
                for row in store.rows_for_issue(
                    issue.source_key, (Kind.COMMENT, Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT, Kind.WORKLOG)
                )
            ]
            sent = [recording.calls[i][0] for i in children]
            assert sent == [_CALL[kind] for kind in expected]


_CALL = {
    Kind.COMMENT: "import_comment",
    Kind.ATTACHMENT: "import_attachment",
    Kind.COMMENT_ATTACHMENT: "import_attachment",
    Kind.WORKLOG: "import_worklog",
}


def test_links_wait_for_both_issues(tmp_path: Path, store: CheckpointStore) -> None:
    """Issue 1 links to issue 12, which the ledger reaches last: the link waits for it (an event),
    and is never sent before it (or left pending)."""
    plan = [
        make_issue(n, comments=1, files=0, worklogs=0, links=[("relates", "S-12")] if n == 1 else None)
        for n in range(1, 13)
    ]
    load_plan(store, plan, "test", "DEMO")
    with sandbox_server(latency_ms=2) as server, client_for(server) as client:
        recording = RecordingClient(client)
        assert Executor(recording, store, workers=3, progress=False, policy=FAST).run().complete  # type: ignore[arg-type]
    link = recording.position("import_link")[0]
    other = store.issue_target("S-12").target_key
    assert recording.position("import_issue", plan[11].unique)[0] < link
    assert all(i < link for i in recording.position("import_comment", other))


def test_the_worker_count_follows_the_rate_controls_concurrency(
    tmp_path: Path, store: CheckpointStore
) -> None:
    load_plan(store, make_plan(16, comments=2, files=0, worklogs=0), "test", "DEMO")
    with (
        sandbox_server(latency_ms=20) as server,
        client_for(server, rate_limiter=FixedConcurrency(5)) as client,
    ):
        executor = Executor(client, store, progress=False, policy=FAST)
        assert executor.worker_target() == 5
        assert executor.run().complete
        assert executor.peak_workers == 5


def test_workers_caps_what_the_rate_control_asks_for(tmp_path: Path, store: CheckpointStore) -> None:
    load_plan(store, make_plan(10, comments=2, files=0, worklogs=0), "test", "DEMO")
    with (
        sandbox_server(latency_ms=20) as server,
        client_for(server, rate_limiter=FixedConcurrency(9)) as client,
    ):
        executor = Executor(client, store, workers=3, progress=False, policy=FAST)
        assert executor.worker_target() == 3
        assert executor.run().complete
        assert executor.peak_workers == 3


def test_the_worker_count_is_re_read_while_the_run_goes(tmp_path: Path, store: CheckpointStore) -> None:
    load_plan(store, make_plan(20, comments=2, files=0, worklogs=0), "test", "DEMO")
    limiter = FixedConcurrency(1)
    with sandbox_server(latency_ms=10) as server, client_for(server, rate_limiter=limiter) as client:
        recording = RecordingClient(client)
        original = recording.__getattr__("import_comment")

        def speed_up(*args: Any, **kwargs: Any) -> Any:
            limiter.fixed = 6  # the rate control learned it may go faster
            return original(*args, **kwargs)

        recording.__dict__["import_comment"] = speed_up
        executor = Executor(recording, store, progress=False, policy=FAST)  # type: ignore[arg-type]
        assert executor.run().complete
        assert executor.peak_workers > 1
