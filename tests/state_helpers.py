"""Checkpoint files broken the ways a user (or a crash) breaks them — for the store and CLI tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from execution.helpers_executor import make_plan

from migrator.planning import load_plan
from migrator.state import CheckpointStore


def good_state_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.state.sqlite"
    with CheckpointStore(path) as store:
        load_plan(store, make_plan(30, tmp_path / "files"), "ns", "DEMO")
    return path


def broken_state_file(tmp_path: Path, kind: str) -> Path:
    """A checkpoint file broken the ways the issue lists (shared with the CLI tests)."""
    path = tmp_path / f"{kind}.state.sqlite"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 40)
    elif kind == "truncated":
        data = good_state_file(tmp_path).read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])
    elif kind == "foreign":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")  # like the sandbox's data file
        conn.execute("CREATE TABLE issues (id INTEGER PRIMARY KEY)")
        conn.commit()
        conn.close()
    elif kind == "newer":
        good_state_file(tmp_path).rename(path)
        conn = sqlite3.connect(path)
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        conn.commit()
        conn.close()
    else:
        raise AssertionError(kind)
    return path


BROKEN = {
    "empty": "empty (0 bytes)",
    "garbage": "not an SQLite database",
    "truncated": "damaged (truncated or overwritten)",
    "foreign": "not a migrator checkpoint file (its tables: issues, meta)",
    "newer": "written by a newer migrator (checkpoint schema 99",
}
