"""SQLite persistence for everything the sandbox creates.

One connection guarded by a re-entrant lock (SQLite serialises writers anyway); WAL journal for a
file database. Each write handler runs inside :meth:`Store.transaction`, so validation and insert
are atomic and the commit happens before any commit-then-fail fault is applied.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queues (
    key TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issues (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, key TEXT NOT NULL UNIQUE, queue TEXT NOT NULL,
    number INTEGER NOT NULL, uniq TEXT UNIQUE, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS issues_queue ON issues (queue, number);
CREATE TABLE IF NOT EXISTS comments (id INTEGER PRIMARY KEY, issue_seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS comments_issue ON comments (issue_seq, id);
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY, issue_seq INTEGER NOT NULL, other_seq INTEGER NOT NULL, type TEXT NOT NULL,
    direction TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS links_issue ON links (issue_seq, other_seq, type, direction);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY, issue_seq INTEGER, comment_id INTEGER, data TEXT NOT NULL, content BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS attachments_issue ON attachments (issue_seq, id);
CREATE TABLE IF NOT EXISTS worklogs (id INTEGER PRIMARY KEY, issue_seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS worklogs_issue ON worklogs (issue_seq, id);
"""

CHILD_TABLES = ("comments", "links", "worklogs")


@dataclass
class IssueRow:
    seq: int
    id: str
    key: str
    queue: str
    number: int
    unique: str | None
    created_at: int  # epoch milliseconds
    updated_at: int
    version: int
    data: dict[str, Any]


@dataclass
class ChildRow:
    id: int
    issue_seq: int
    data: dict[str, Any]


@dataclass
class AttachmentRow:
    id: int
    issue_seq: int | None
    comment_id: int | None
    data: dict[str, Any]


_ISSUE_COLUMNS = "seq, id, key, queue, number, uniq, created_at, updated_at, version, data"


def _issue(row: tuple[Any, ...]) -> IssueRow:
    seq, issue_id, key, queue, number, unique, created_at, updated_at, version, data = row
    return IssueRow(
        seq, issue_id, key, queue, number, unique, created_at, updated_at, version, json.loads(data)
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Store:
    def __init__(self, path: str | Path | None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Exclusive, atomic unit of work (re-entrant: nested calls join the outer one)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with self.lock:
            row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
            return row

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self.lock:
            return int(self._conn.execute(sql, params).lastrowid or 0)

    # --- meta ---
    def get_meta(self, name: str) -> Any:
        row = self._one("SELECT value FROM meta WHERE name = ?", (name,))
        return json.loads(row[0]) if row else None

    def set_meta(self, name: str, value: Any) -> None:
        self._write("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, _dumps(value)))

    # --- queues ---
    def queues(self, include_deleted: bool = False) -> list[tuple[dict[str, Any], int, bool]]:
        """(data, version, deleted) in id order."""
        rows = self._all("SELECT data, version, deleted FROM queues ORDER BY id")
        return [(json.loads(d), v, bool(x)) for d, v, x in rows if include_deleted or not x]

    def put_queue(
        self, key: str, queue_id: int, data: dict[str, Any], version: int = 1, deleted: bool = False
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO queues (key, id, version, deleted, data) VALUES (?, ?, ?, ?, ?)",
            (key, queue_id, version, int(deleted), _dumps(data)),
        )

    def next_queue_id(self) -> int:
        row = self._one("SELECT COALESCE(MAX(id), 0) + 1 FROM queues")
        return int(row[0]) if row else 1

    # --- issues ---
    def next_issue_seq(self) -> int:
        row = self._one("SELECT COALESCE(MAX(seq), 0) + 1 FROM issues")
        return int(row[0]) if row else 1

    def next_issue_number(self, queue: str) -> int:
        row = self._one("SELECT COALESCE(MAX(number), 0) + 1 FROM issues WHERE queue = ?", (queue,))
        return int(row[0]) if row else 1

    def insert_issue(self, issue: IssueRow) -> None:
        self._write(
            f"INSERT INTO issues ({_ISSUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                issue.seq,
                issue.id,
                issue.key,
                issue.queue,
                issue.number,
                issue.unique,
                issue.created_at,
                issue.updated_at,
                issue.version,
                _dumps(issue.data),
            ),
        )

    def update_issue(self, issue: IssueRow) -> None:
        self._write(
            "UPDATE issues SET updated_at = ?, version = ?, data = ? WHERE seq = ?",
            (issue.updated_at, issue.version, _dumps(issue.data), issue.seq),
        )

    def issue_by_key(self, key: str) -> IssueRow | None:
        row = self._one(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE key = ?", (key,))
        return _issue(row) if row else None

    def issue_by_id(self, issue_id: str) -> IssueRow | None:
        row = self._one(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE id = ?", (issue_id,))
        return _issue(row) if row else None

    def issue_by_seq(self, seq: int) -> IssueRow | None:
        row = self._one(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE seq = ?", (seq,))
        return _issue(row) if row else None

    def issue_by_unique(self, unique: str) -> IssueRow | None:
        row = self._one(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE uniq = ?", (unique,))
        return _issue(row) if row else None

    def issues_by_seqs(self, seqs: list[int]) -> list[IssueRow]:
        found: dict[int, IssueRow] = {}
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._all(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE seq IN ({marks})", tuple(chunk)):
                issue = _issue(row)
                found[issue.seq] = issue
        return [found[s] for s in seqs if s in found]

    def select_issues(
        self, where: str, params: tuple[Any, ...], limit: int | None = None, offset: int = 0
    ) -> list[IssueRow]:
        sql = f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE {where} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return [_issue(row) for row in self._all(sql, params)]

    def count_issues(self, where: str, params: tuple[Any, ...]) -> int:
        row = self._one(f"SELECT COUNT(*) FROM issues WHERE {where}", params)
        return int(row[0]) if row else 0

    # --- comments, links, worklogs ---
    def insert_child(self, table: str, issue_seq: int, data: dict[str, Any]) -> int:
        assert table in CHILD_TABLES
        return self._write(f"INSERT INTO {table} (issue_seq, data) VALUES (?, ?)", (issue_seq, _dumps(data)))

    def update_child(self, table: str, child: ChildRow) -> None:
        assert table in CHILD_TABLES
        self._write(f"UPDATE {table} SET data = ? WHERE id = ?", (_dumps(child.data), child.id))

    def delete_child(self, table: str, child_id: int) -> None:
        assert table in CHILD_TABLES
        self._write(f"DELETE FROM {table} WHERE id = ?", (child_id,))

    def children(self, table: str, issue_seq: int) -> list[ChildRow]:
        assert table in CHILD_TABLES
        rows = self._all(
            f"SELECT id, issue_seq, data FROM {table} WHERE issue_seq = ? ORDER BY id", (issue_seq,)
        )
        return [ChildRow(i, s, json.loads(d)) for i, s, d in rows]

    def child(self, table: str, child_id: int) -> ChildRow | None:
        assert table in CHILD_TABLES
        row = self._one(f"SELECT id, issue_seq, data FROM {table} WHERE id = ?", (child_id,))
        return ChildRow(row[0], row[1], json.loads(row[2])) if row else None

    def insert_link(
        self, issue_seq: int, other_seq: int, type_id: str, direction: str, data: dict[str, Any]
    ) -> int:
        return self._write(
            "INSERT INTO links (issue_seq, other_seq, type, direction, data) VALUES (?, ?, ?, ?, ?)",
            (issue_seq, other_seq, type_id, direction, _dumps(data)),
        )

    def delete_link_pair(self, link: ChildRow) -> None:
        """Delete a link as both of its issues list it."""
        inverse = {"outward": "inward", "inward": "outward"}[link.data["direction"]]
        self._write("DELETE FROM links WHERE id = ?", (link.id,))
        self._write(
            "DELETE FROM links WHERE id = (SELECT MIN(id) FROM links WHERE issue_seq = ? AND other_seq = ?"
            " AND type = ? AND direction = ?)",
            (link.data["other"], link.issue_seq, link.data["type"], inverse),
        )

    def link_exists(self, issue_seq: int, other_seq: int, type_id: str, direction: str) -> bool:
        row = self._one(
            "SELECT 1 FROM links WHERE issue_seq = ? AND other_seq = ? AND type = ? AND direction = ?",
            (issue_seq, other_seq, type_id, direction),
        )
        return row is not None

    # --- attachments ---
    def insert_attachment(
        self, issue_seq: int | None, comment_id: int | None, data: dict[str, Any], content: bytes
    ) -> int:
        return self._write(
            "INSERT INTO attachments (issue_seq, comment_id, data, content) VALUES (?, ?, ?, ?)",
            (issue_seq, comment_id, _dumps(data), sqlite3.Binary(content)),
        )

    def attach(self, attachment_id: int, issue_seq: int, comment_id: int | None) -> None:
        self._write(
            "UPDATE attachments SET issue_seq = ?, comment_id = ? WHERE id = ?",
            (issue_seq, comment_id, attachment_id),
        )

    def attachments(self, issue_seq: int) -> list[AttachmentRow]:
        rows = self._all(
            "SELECT id, issue_seq, comment_id, data FROM attachments WHERE issue_seq = ? ORDER BY id",
            (issue_seq,),
        )
        return [AttachmentRow(i, s, c, json.loads(d)) for i, s, c, d in rows]

    def comment_attachments(self, comment_id: int) -> list[AttachmentRow]:
        rows = self._all(
            "SELECT id, issue_seq, comment_id, data FROM attachments WHERE comment_id = ? ORDER BY id",
            (comment_id,),
        )
        return [AttachmentRow(i, s, c, json.loads(d)) for i, s, c, d in rows]

    def attachment(self, attachment_id: int) -> AttachmentRow | None:
        row = self._one(
            "SELECT id, issue_seq, comment_id, data FROM attachments WHERE id = ?", (attachment_id,)
        )
        return AttachmentRow(row[0], row[1], row[2], json.loads(row[3])) if row else None

    def delete_attachment(self, attachment_id: int) -> None:
        self._write("DELETE FROM attachments WHERE id = ?", (attachment_id,))

    def attachment_content(self, attachment_id: int) -> bytes | None:
        row = self._one("SELECT content FROM attachments WHERE id = ?", (attachment_id,))
        return bytes(row[0]) if row else None

    # --- statistics ---
    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("issues", "comments", "attachments", "worklogs"):
            row = self._one(f"SELECT COUNT(*) FROM {table}")
            out[table] = int(row[0]) if row else 0
        row = self._one("SELECT COUNT(*) FROM links WHERE direction = 'outward'")
        out["links"] = int(row[0]) if row else 0
        row = self._one("SELECT COUNT(*) FROM queues WHERE deleted = 0")
        out["queues"] = int(row[0]) if row else 0
        return out
