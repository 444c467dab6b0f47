"""migrator/history.py: the run manifest in the checkpoint file."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.history import RunHistory, combined_digest, file_digest, findings_counts, render_history
from migrator.state import CheckpointStore


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "ns.state.sqlite"
    CheckpointStore(path).close()
    return path


def _files(tmp_path: Path) -> tuple[list[Path], Path]:
    export = tmp_path / "issues.csv"
    export.write_bytes(b"id,summary\n1,first\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("version: 1\n", encoding="utf-8")
    return [export], mapping


def test_a_run_is_recorded_from_start_to_finish(state: Path, tmp_path: Path) -> None:
    exports, mapping = _files(tmp_path)
    with RunHistory(state) as history:
        run_id = history.start(
            namespace="ns",
            queue="DEMO",
            command="run",
            target="https://api.example/ org 1",
            exports=exports,
            mapping=mapping,
        )
        [running] = history.records()
        assert running.outcome == "running" and running.finished_at is None
        history.finish(
            run_id,
            "complete",
            written={"written": {"issue": 2}},
            findings=findings_counts([("warning", "user.fallback"), ("info", "delta.changed")]),
            delta={"earlier_import": True, "issues": {"new": 1, "changed": 1, "deleted": 0}},
        )
    with RunHistory(state) as history:
        [record] = history.records()
    assert record.outcome == "complete" and record.finished_at is not None
    assert record.exports[0].sha256 == hashlib.sha256(b"id,summary\n1,first\n").hexdigest()
    assert record.exports[0].bytes == 19
    assert record.export_sha256 == combined_digest(record.exports)
    assert record.mapping_sha256 == hashlib.sha256(b"version: 1\n").hexdigest()
    assert record.findings == {
        "error": 0,
        "warning": 1,
        "info": 1,
        "by_kind": {"delta.changed": 1, "user.fallback": 1},
    }
    assert record.total_written() == 2
    assert json.loads(json.dumps(record.to_dict()))["written"] == {"written": {"issue": 2}}


def test_a_folder_export_is_recorded_file_by_file(state: Path, tmp_path: Path) -> None:
    _, mapping = _files(tmp_path)
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "b.json").write_bytes(b"[2]")
    (folder / "a.json").write_bytes(b"[1]")
    with RunHistory(state) as history:
        history.start(
            namespace="ns", queue="DEMO", command="run", target="t", exports=[folder], mapping=mapping
        )
        (record,) = history.records()
    assert [(Path(d.path).relative_to(folder).as_posix(), d.bytes) for d in record.exports] == [
        ("a.json", 3),
        ("sub/b.json", 3),
    ]
    assert record.exports[1].sha256 == hashlib.sha256(b"[2]").hexdigest()


def test_history_table_is_added_to_an_existing_state_file(tmp_path: Path) -> None:
    path = tmp_path / "old.state.sqlite"
    CheckpointStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE IF EXISTS runs")  # a state file written before the history existed
    exports, mapping = _files(tmp_path)
    with RunHistory(path) as history:
        history.start(
            namespace="ns", queue="DEMO", command="run", target="t", exports=exports, mapping=mapping
        )
        assert len(history.records()) == 1
    with CheckpointStore(path) as store:  # the ledger still opens
        assert store.namespaces() == []


def test_unknown_outcome_and_missing_files_are_refused(state: Path, tmp_path: Path) -> None:
    exports, mapping = _files(tmp_path)
    with RunHistory(state) as history:
        run_id = history.start(
            namespace="ns", queue="DEMO", command="run", target="t", exports=exports, mapping=mapping
        )
        with pytest.raises(ValueError, match="unknown run outcome"):
            history.finish(run_id, "great")
        with pytest.raises(MigratorError, match="cannot read"):
            history.start(
                namespace="ns",
                queue="DEMO",
                command="run",
                target="t",
                exports=[tmp_path / "gone.csv"],
                mapping=mapping,
            )
    with pytest.raises(MigratorError, match="no checkpoint file"):
        RunHistory(tmp_path / "none.sqlite")


def test_render_lists_every_run(state: Path, tmp_path: Path) -> None:
    exports, mapping = _files(tmp_path)
    with RunHistory(state) as history:
        first = history.start(
            namespace="ns", queue="DEMO", command="run", target="t", exports=exports, mapping=mapping
        )
        history.finish(
            first,
            "complete",
            written={"written": {"issue": 3, "comment": 5}},
            delta={"earlier_import": False},
        )
        second = history.start(
            namespace="ns", queue="DEMO", command="run", target="t", exports=exports, mapping=mapping
        )
        history.finish(
            second,
            "incomplete",
            written={"written": {"issue_update": 1}},
            delta={
                "earlier_import": True,
                "issues": {"new": 0, "changed": 1, "deleted": 2},
                "children": {"edited_comments": 1},
            },
        )
        text = render_history(history.records(), state)
    lines = text.splitlines()
    assert lines[0].startswith(f"runs in {state}") and len(lines) == 5
    assert "issue 3, comment 5" in lines[3] and "first import" in lines[3]
    assert "incomplete" in lines[4] and "0 new, 1 changed, 2 deleted issues; 1 comment edits" in lines[4]
    assert combined_digest([file_digest(exports[0])])[:12] in lines[3]
    assert render_history([], state) == f"runs in {state}: none recorded yet"
