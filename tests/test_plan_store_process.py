"""The plan load in its own process stores exactly what ``load_plan`` stores here — on a first
import, without keys, and on a newer export compared with an earlier import (the delta path) — and
gives back the same stats, findings and delta counts; a parent killed at any point leaves nothing
committed (the child rolls back and exits); a child that dies or fails gives a clear error and a
file the same command loads again."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from execution.helpers_executor import make_issue, make_plan, planned_link_dates

from migrator.delta import DeltaSummary
from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.plan import PlannedIssue
from migrator.plan_store_process import load_plan_aside
from migrator.planning import load_plan
from migrator.planning_texts import KeyPlan
from migrator.state import CheckpointStore, PlanLoadStats
from migrator.vocabulary import Kind

TESTS = Path(__file__).parent
Load = Callable[..., PlanLoadStats]
Dump = dict[str, list[tuple[object, ...]]]


def _dump(path: Path) -> Dump:
    """Every table of the file, every column but the timestamps (``*_at``), in storage order; the
    file's random ``state_id`` left out."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        dump: Dump = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if not r[1].endswith("_at")]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
            dump[table] = [row for row in rows if table != "meta" or row[0] != "state_id"]
        return dump
    finally:
        conn.close()


def _first_plan(files: Path) -> list[PlannedIssue]:
    """Chains with files, links forwards and backwards, parents, and a key listed twice."""
    return [*make_plan(60, files), make_issue(7, files, summary="the same key again")]


def _newer_plan(files: Path) -> list[PlannedIssue]:
    """The first plan, newer: a summary changed, a comment added, an issue gone, an issue new."""
    plan = [issue for issue in make_plan(60, files) if issue.source_key != "S-40"]
    plan[2] = make_issue(3, files, summary="a new summary", parent=2, links=[("relates", "S-4")])
    plan[4] = make_issue(5, files, comments=3, links=[("relates", "S-6")])
    return [*plan, make_issue(61, files, links=[("relates", "S-1")])]


def _load(
    load: Load, path: Path, plan: list[PlannedIssue], *, keys: bool = True
) -> tuple[PlanLoadStats, list[object], dict[str, object]]:
    """One load as ``run`` makes it: revisions once the stream has ended, keys, findings, delta."""
    _findings, revisions = planned_link_dates(plan)
    findings, delta = Findings(), DeltaSummary(state_file="the state file")
    with CheckpointStore(path) as store:
        stats = load(
            store,
            iter(plan),
            "ns",
            "DEMO",
            keys=KeyPlan(lambda: 5, ("OTHER",)) if keys else None,
            revisions=lambda: revisions,
            findings=findings,
            delta=delta,
            delete_missing=True,
        )
        assert store.namespace == "ns"  # the store sees the load, wherever it ran
        assert sum(store.counts()[Kind.ISSUE].values()) == len({i.source_key for i in plan})
    return stats, list(findings), delta.to_dict()


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no-keys"])
def test_a_first_load_in_the_child_stores_what_a_load_here_stores(tmp_path: Path, keys: bool) -> None:
    files = tmp_path / "files"
    here = _load(load_plan, tmp_path / "here.sqlite", _first_plan(files), keys=keys)
    aside = _load(load_plan_aside, tmp_path / "aside.sqlite", _first_plan(files), keys=keys)
    assert aside == here
    assert here[0].duplicate_keys == ["S-7"] and here[0].kinds[Kind.LINK].planned > 60
    dump = _dump(tmp_path / "here.sqlite")
    assert _dump(tmp_path / "aside.sqlite") == dump
    assert len(dump["issues"]) == 60 and len(dump["planned_keys"]) == (60 if keys else 0)


def _imported(path: Path, files: Path) -> None:
    """The first plan loaded, a third of it (and the issue the newer export drops) imported."""
    _load(load_plan, path, _first_plan(files))
    with CheckpointStore(path) as store:
        for n in [*range(1, 21), 40]:
            for row in store.rows_for_issue(f"S-{n}", list(Kind)):
                store.mark_done(row.id, f"id-{row.id}", f"DEMO-{n + 5}")


def test_a_newer_export_is_compared_and_stored_in_the_child_as_here(tmp_path: Path) -> None:
    files = tmp_path / "files"
    _imported(tmp_path / "imported.sqlite", files)
    shutil.copy(tmp_path / "imported.sqlite", tmp_path / "here.sqlite")
    shutil.copy(tmp_path / "imported.sqlite", tmp_path / "aside.sqlite")
    here = _load(load_plan, tmp_path / "here.sqlite", _newer_plan(files))
    aside = _load(load_plan_aside, tmp_path / "aside.sqlite", _newer_plan(files))
    assert aside == here
    stats, findings, delta = here
    assert delta["earlier_import"] and delta["issues"]["changed"] >= 2  # type: ignore[index]
    assert "delta.deleted" in {f.kind for f in findings}  # type: ignore[attr-defined]
    assert stats.kinds[Kind.ISSUE].already_done == 20
    assert _dump(tmp_path / "aside.sqlite") == _dump(tmp_path / "here.sqlite")


def test_a_child_that_dies_gives_a_clear_error_and_the_same_load_runs_again(tmp_path: Path) -> None:
    files = tmp_path / "files"

    def killing_the_child() -> Iterator[PlannedIssue]:
        for n, issue in enumerate(_first_plan(files) * 8):  # the keys repeat: only the first of each counts
            if n == 300:
                (child,) = [p for p in multiprocessing.active_children() if p.name == "migrator-plan-store"]
                os.kill(child.pid or 0, signal.SIGKILL)
            yield issue

    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        with pytest.raises(
            MigratorError, match=r"storing the plan ended before .* \(exit code -9\)"
        ) as failed:
            load_plan_aside(store, killing_the_child(), "ns", "DEMO", keys=KeyPlan(lambda: 5))
        assert "Run the same command again" in str(failed.value.hint)
        assert not store.has_plan
    assert _load(load_plan_aside, path, _first_plan(files)) == _load(
        load_plan, tmp_path / "clean.sqlite", _first_plan(files)
    )
    assert _dump(path) == _dump(tmp_path / "clean.sqlite")


def test_an_error_in_the_child_is_raised_here_with_its_type_and_message(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        load_plan(store, make_plan(3), "ns", "DEMO")
        with pytest.raises(MigratorError) as here:
            load_plan(store, make_plan(3), "ns", "OTHER")
        with pytest.raises(MigratorError) as aside:
            load_plan_aside(store, make_plan(3), "ns", "OTHER")
    assert type(aside.value) is type(here.value) and str(aside.value) == str(here.value)
    assert "was imported into queue DEMO" in str(aside.value)


def test_a_failure_of_the_pass_stops_the_child_and_keeps_nothing(tmp_path: Path) -> None:
    def failing() -> Iterator[PlannedIssue]:
        yield from make_plan(300)
        raise MigratorError("the export could not be read to its end")

    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        with pytest.raises(MigratorError, match="to its end"):
            load_plan_aside(store, failing(), "ns", "DEMO", keys=KeyPlan(lambda: 5))
        assert not multiprocessing.active_children()
        assert not store.has_plan


# The run's process, killed (SIGKILL: no clean-up of its own) in the stream, once the stream has
# ended (while the child, in the load's tail, waits for the queue's highest key number), or when the
# child has done everything but commit (about to be told to).
_KILLED_PARENT = """
import multiprocessing, os, signal, sys
sys.path.insert(0, sys.argv[2])
from execution.helpers_executor import make_plan
from migrator import plan_store_process
from migrator.plan_store_process import load_plan_aside
from migrator.planning_texts import KeyPlan
from migrator.state import CheckpointStore

def die():
    (child,) = multiprocessing.active_children()
    with open(sys.argv[3], "w") as out:
        out.write(str(child.pid))
    os.kill(os.getpid(), signal.SIGKILL)

def planned():
    for n, issue in enumerate(make_plan(400)):
        if n == 300 and sys.argv[4] == "in the stream":
            die()
        yield issue

put = plan_store_process.PlanStoreProcess._put

def put_or_die(self, kind, body):
    if kind == "commit" and sys.argv[4] == "before the commit":
        die()
    put(self, kind, body)

plan_store_process.PlanStoreProcess._put = put_or_die
highest = die if sys.argv[4] == "after the stream" else (lambda: 0)
with CheckpointStore(sys.argv[1]) as store:
    load_plan_aside(store, planned(), "ns", "DEMO", keys=KeyPlan(highest))
"""


def _ended(pid: int, within: float = 20.0) -> bool:
    """The process has exited (gone, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("when", ["in the stream", "after the stream", "before the commit"])
def test_a_killed_parent_leaves_nothing_committed(tmp_path: Path, when: str) -> None:
    path, child_pid = tmp_path / "state.sqlite", tmp_path / "child.pid"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_PARENT, str(path), str(TESTS), str(child_pid), when], check=False
    )
    assert killed.returncode == -signal.SIGKILL
    assert _ended(int(child_pid.read_text()))  # the child saw its parent go, rolled back and exited
    dump = _dump(path)
    assert dump["issues"] == [] and dump["ledger"] == [] and dump["planned_keys"] == []
    with CheckpointStore(path) as store:
        assert not store.has_plan
        load_plan_aside(store, make_plan(400), "ns", "DEMO", keys=KeyPlan(lambda: 0))  # the same command
    with CheckpointStore(tmp_path / "clean.sqlite") as store:
        load_plan(store, make_plan(400), "ns", "DEMO", keys=KeyPlan(lambda: 0))
    assert _dump(path) == _dump(tmp_path / "clean.sqlite")


def test_the_run_s_store_builds_the_indexes_a_bulk_load_in_the_child_left_for_later(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"

    def indexes() -> set[str]:
        conn = sqlite3.connect(path)
        try:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        finally:
            conn.close()

    with CheckpointStore(path) as store:
        load_plan_aside(store, make_plan(30), "ns", "DEMO", keys=KeyPlan(lambda: 0))
        assert "issues_order" not in indexes()  # left for the first query that needs it
        assert store.issue_depths() == [0, 1]
        assert "issues_order" in indexes()
