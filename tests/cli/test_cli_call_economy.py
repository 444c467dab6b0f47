"""What a clean ``migrator run`` costs besides the objects it writes (issue 13: at most ~1.02 calls
per object): the target's core metadata, the catalogues the export uses, one search for the key
plan (reused by the lease marker's key), one lease read, the marker and its release — and the run
counts its requests (during the import and in all, over the span from its first request to its
last answer) as the target does."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.commands import _checked_together
from migrator.errors import MigratorError
from migrator.execution.queue_lease import LeaseRecord, QueueLocked
from migrator.pipeline.prepared import PreparedRun
from migrator.plan import PlannedIssue
from migrator.sandbox import SandboxServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/economy"
EXPORT, MAPPING = FIXTURES / "export.csv", FIXTURES / "mapping.yaml"  # 4 issues, 12 comments, 1 link
OBJECTS = Counter({"issue_import": 4, "comment_import": 12, "link_import": 1})
FAST = ["--no-progress", "--max-rps", "1000", "--yes"]


def test_a_clean_run_sends_twelve_requests_besides_its_objects(  # noqa: ANN001
    sandbox: SandboxServer, point_at, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(sandbox)
    before = Counter(sandbox.stats()["by_kind"])
    started = time.monotonic()
    assert main(["run", str(EXPORT), "--mapping", str(MAPPING), *FAST]) == 0
    sent = Counter(sandbox.stats()["by_kind"]) - before
    assert sent - OBJECTS == Counter(
        {
            "users": 1,
            "queues": 1,  # the queue (expand=all)
            "metadata": 5,  # statuses, issue types, priorities, the workflow, link types (the export links)
            "search": 1,  # the queue's highest key number: the key plan's, reused by the marker
            "find_by_unique": 1,  # the lease: check() read, reused by acquire()
            "myself": 1,  # the marker's author
            "issue_import": 1,  # the marker
            "patch": 1,  # the lease released
        }
    )
    printed = re.search(
        r"requests: (\d+) during the import \(.*\), (\d+) in all \(([\d.]+)/s over ([\d.]+)s from the first request\)",
        capsys.readouterr().out,
    )
    assert printed is not None
    assert (int(printed[1]), int(printed[2])) == (OBJECTS.total(), sent.total())
    rate, span = float(printed[3]), float(printed[4])
    exact = sent.total() / rate  # the span the rate was computed over (the span is printed to 0.1 s)
    assert abs(exact - span) <= 0.051
    assert 0 < exact < time.monotonic() - started  # the requests' span, inside the command's


def test_the_reads_the_pass_and_the_lease_wait_for_go_out_while_the_export_is_validated(  # noqa: ANN001
    sandbox: SandboxServer, point_at, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link types (the mapping reads links), the queue's highest key and the token's user (the
    lease marker must be made) are answered while the pass still holds its first issue — before,
    the first link, the key plan after the pass and the marker after the reports each waited for one."""
    point_at(sandbox)
    started = PreparedRun.planned
    seen: list[Counter[str]] = []

    def planned_after_the_reads(self: PreparedRun) -> Iterator[PlannedIssue]:
        stream = started(self)
        first = next(stream)
        wanted = Counter({"search": 1, "myself": 1, "metadata": 5})  # the core's 4 + link types
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            reads = Counter(sandbox.stats()["by_kind"])
            if not wanted - reads:
                break
            time.sleep(0.01)
        seen.append(reads)
        yield first
        yield from stream

    monkeypatch.setattr(PreparedRun, "planned", planned_after_the_reads)
    assert main(["run", str(EXPORT), "--mapping", str(MAPPING), *FAST]) == 0
    assert seen and seen[0]["search"] == 1 and seen[0]["myself"] == 1 and seen[0]["metadata"] == 5
    assert seen[0]["issue_import"] == 0  # the pass holds the first issue: nothing written yet


class _FailingCore:
    """The metadata's core reads, answered with an error."""

    def ready(self) -> None:
        raise MigratorError("queue DEMO: not found in the target")


def test_the_lease_check_started_early_still_wins_over_a_metadata_error() -> None:
    # The lease read now goes out before the run's modules are imported (it no longer waits for a
    # paced slot behind later reads); what it says is still what the run reports first.
    since = "2021-01-01T00:00:00+00:00"
    record = LeaseRecord("token", "other", "ns", "elsewhere", 1, since, since, 600.0)
    locked: Future[None] = Future()
    locked.set_exception(QueueLocked("DEMO", "DEMO-99", record))
    with pytest.raises(QueueLocked):
        _checked_together(locked, _FailingCore())  # type: ignore[arg-type]
    with pytest.raises(MigratorError, match="not found"):
        _checked_together(None, _FailingCore())  # type: ignore[arg-type]
    checked: Future[None] = Future()
    checked.set_result(None)
    with pytest.raises(MigratorError, match="not found"):
        _checked_together(checked, _FailingCore())  # type: ignore[arg-type]
