"""Finding issues earlier runs imported (for ``target.dangling: existing``): through their ledgers
(read-only, even while a run holds its own ledger's write lock), ``_findByUnique``, kept keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution.helpers_executor import FAST, client_for, make_issue, sandbox_server

from migrator.errors import MigratorError
from migrator.execution import Executor
from migrator.existing import ExistingIssueFinder
from migrator.planning import load_plan
from migrator.state import CheckpointStore, LedgerReader
from migrator.tracker import TrackerClient

IDENTITY = "sandbox#org=1"


def import_earlier(client: TrackerClient, path: Path, numbers: list[int], *, keep_keys: bool = False) -> None:
    """Issues ``S-<n>`` (source system ``test``, id ``<n>``) imported under namespace ``old``."""
    plan = [make_issue(n, namespace="old", comments=0, files=0, worklogs=0) for n in numbers]
    if keep_keys:
        for issue in plan:
            issue.body["key"] = f"DEMO-{issue.source.id}"
    with CheckpointStore(path) as store:
        store.bind_target(IDENTITY, "old", "DEMO")
        load_plan(store, plan, "old", "DEMO")
        assert Executor(client, store, workers=1, progress=False, policy=FAST).run().complete


def finder(client: TrackerClient, ledgers: list[Path], **kw: object) -> ExistingIssueFinder:
    options: dict[str, object] = {
        "system": "test",
        "namespace": "new",
        "queue": "DEMO",
        "keep_keys": False,
        "identity": IDENTITY,
    }
    options.update(kw)
    return ExistingIssueFinder(client, ledgers=ledgers, **options)  # type: ignore[arg-type]


def test_an_issue_is_found_through_an_earlier_ledger_with_its_window(tmp_path: Path) -> None:
    with sandbox_server() as server, client_for(server) as client:
        import_earlier(client, tmp_path / "old.state.sqlite", [9])
        found = finder(client, [tmp_path / "old.state.sqlite"])([("S-9", "key"), ("S-404", "key")])
        (issue,) = found.values()
        assert list(found) == [("S-9", "key")]
        target = client.get_issue(issue.target_key)
        assert (issue.created_at, issue.updated_at) == (target["createdAt"], target["updatedAt"])
        assert issue.found_by == "ledger old.state.sqlite (namespace old)"


def test_a_ledger_of_another_target_is_not_trusted(tmp_path: Path) -> None:
    with sandbox_server() as server, client_for(server) as client:
        import_earlier(client, tmp_path / "old.state.sqlite", [9])
        lookup = finder(client, [tmp_path / "old.state.sqlite"], identity="https://other.example#org=2")
        assert lookup([("S-9", "key")]) == {}


def test_id_references_are_found_by_unique_in_the_namespaces_ledgers_know(tmp_path: Path) -> None:
    with sandbox_server() as server, client_for(server) as client:
        import_earlier(client, tmp_path / "old.state.sqlite", [7])
        other = tmp_path / "other.state.sqlite"
        with CheckpointStore(other) as store:  # knows the namespace, not the issue
            store.bind_target(IDENTITY, "old", "DEMO")
            load_plan(store, [make_issue(1, namespace="old")], "old", "DEMO")
        (issue,) = finder(client, [other])([("7", "id")]).values()
        assert issue.found_by == "unique old:test:7"
        assert finder(client, [])([("7", "id")]) == {}  # namespace "old" unknown: not guessed


def test_kept_keys_are_trusted_only_for_the_same_source_system(tmp_path: Path) -> None:
    with sandbox_server() as server, client_for(server) as client:
        import_earlier(client, tmp_path / "old.state.sqlite", [42], keep_keys=True)
        (issue,) = finder(client, [], keep_keys=True)([("PROJ-42", "key")]).values()
        assert (issue.target_key, issue.found_by) == ("DEMO-42", "kept key DEMO-42")
        assert finder(client, [], keep_keys=True, system="other")([("PROJ-42", "key")]) == {}
        assert finder(client, [], keep_keys=True)([("PROJ-43", "key")]) == {}  # 404: not found
        assert finder(client, [])([("PROJ-42", "key")]) == {}  # without keep_keys: not looked at


def test_a_ledger_is_read_while_its_run_holds_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "busy.state.sqlite"
    with CheckpointStore(path) as store:
        store.bind_target(IDENTITY, "busy", "DEMO")
        load_plan(store, [make_issue(1, comments=0, files=0, worklogs=0)], "busy", "DEMO")
        with store.loading("busy", "DEMO"), LedgerReader(path) as ledger:
            assert ledger.namespaces(IDENTITY) == ["busy"]
            assert ledger.imported("test", ["busy"], ["S-1"]) == []  # planned, not done


def test_a_file_that_is_not_a_ledger_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.state.sqlite"
    junk.write_text("not a database", encoding="utf-8")
    with pytest.raises(MigratorError, match="not a readable checkpoint file"):
        LedgerReader(junk)
