"""The checkpoint ledger: the plan and the fate of every planned object, in one SQLite file.

One room (over 500 lines) because the schema, the status transitions and the queries that read
them must change together; it only *stores*: which rows exist, their order and depths are decided
by the plan stage (``migrator/planning.py``) and handed over ready.

One row per planned object — issue, comment, issue file, comment file, worklog, link, local-field
patch — keyed by ``(namespace, kind, scope, source_id)``:

* ``scope`` is the owning issue's source key for objects whose source id is only meaningful inside
  that issue (comments, files, worklogs, local fields) and ``''`` for issues (keyed by their source
  key) and links (``PlannedLink.source_id`` is canonical: a link listed on both of its issues has one
  id, so it gets one row and is imported once, from the side that listed it first).
* ``status``: ``pending`` → ``in_flight`` (written *before* the call) → ``done`` | ``failed`` |
  ``blocked`` (confirmed *after* it). A 429 or a refused connection puts the row back to ``pending``.
* ``unsure`` = 1 while a write was sent and its outcome is not known (set with ``in_flight``; kept
  on ``OutcomeUnknown``, and on a row found ``in_flight`` at start-up because the previous run was
  killed between the write and its checkpoint). The executor reconciles such a row against the
  target before it may send it again, whatever its status — also after ``reset_failed()``.

``planned_keys`` holds the Tracker key each issue is imported with, decided at its first plan load
(``migrator/planning_texts.py``) and reused by every later load, so texts that name an issue are
the same on every run; a text names an issue by its imported key once it is done, else by this one.
It also keeps numbers reserved in a queue (the queue lease's marker issue), which plan loads skip.

The full planned issue (``PlannedIssue.to_dict()``) lives in the ``issues`` table, so the executor
reads work from the database in batches and memory does not grow with the plan. Every plan
load (``loading``) bumps the namespace's *generation*; only rows seen in the latest load are
executed and counted (objects dropped from the export stay in the file but are left alone).

Opening checks the file first (:func:`check_file`): an empty, truncated, overwritten or foreign file,
or one of another schema version, is refused with one :class:`StateFileError` naming the file and
what to do; a new file is built aside and linked into place whole. Any SQLite failure while the
store is in use (a full disk, a file damaged meanwhile) becomes a :class:`StateFileError` too.
Which *process* may write the file is decided outside the store (``migrator/run_lock.py``).

Nothing secret is ever stored: rows hold source ids, target ids/keys, counters and the client's
error messages (which the client already redacts).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from migrator.errors import MigratorError
from migrator.plan import PlannedIssue
from migrator.vocabulary import KINDS, STATUSES, Kind, Status

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# ``planned_keys`` rows of keys taken in a queue by issues no plan imports (the queue lease's marker):
# no namespace is empty (``loading`` refuses one), so these never mix with an issue's planned key.
RESERVED_NAMESPACE = ""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (
    namespace  TEXT PRIMARY KEY,
    queue      TEXT NOT NULL,
    generation INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    loaded_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS issues (
    namespace     TEXT NOT NULL,
    issue_key     TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    unique_value  TEXT NOT NULL,
    parent_key    TEXT,
    seq           INTEGER NOT NULL,
    depth         INTEGER NOT NULL DEFAULT 0,
    generation    INTEGER NOT NULL,
    plan_json     TEXT NOT NULL,
    PRIMARY KEY (namespace, issue_key)
);
CREATE TABLE IF NOT EXISTS ledger (
    id               INTEGER PRIMARY KEY,
    namespace        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    scope            TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    issue_key        TEXT NOT NULL,
    parent_source_id TEXT,
    seq              INTEGER NOT NULL,
    status           TEXT NOT NULL,
    unsure           INTEGER NOT NULL DEFAULT 0,
    target_id        TEXT,
    target_key       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    reconciled       INTEGER NOT NULL DEFAULT 0,
    generation       INTEGER NOT NULL,
    payload_hash     TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    done_at          TEXT,
    UNIQUE (namespace, kind, scope, source_id)
);
CREATE TABLE IF NOT EXISTS planned_keys (
    namespace  TEXT NOT NULL,
    issue_key  TEXT NOT NULL,
    target_key TEXT NOT NULL,
    queue      TEXT NOT NULL,
    number     INTEGER NOT NULL,
    PRIMARY KEY (namespace, issue_key)
);
CREATE INDEX IF NOT EXISTS planned_keys_queue ON planned_keys (queue, number);
CREATE TABLE IF NOT EXISTS delta_payloads (
    namespace    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    source_id    TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    PRIMARY KEY (namespace, kind, scope, source_id)
);
"""

# Secondary indexes, by name. A first load into an empty ledger drops them and builds them once
# its rows are in (sorting once is far cheaper than growing them row by row); both happen inside the
# load's one transaction, so a load that fails or is killed leaves them as they were.
_INDEXES = {
    "issues_order": "issues (namespace, generation, depth, seq)",
    "issues_seq": "issues (namespace, generation, seq)",
    "ledger_issue": "ledger (namespace, issue_key, seq)",
    "ledger_work": "ledger (namespace, issue_key, kind, status)",
    # Covers the counts a run starts with (``counts``, ``unfinished_count``): no row is read.
    "ledger_counts": "ledger (namespace, kind, status, generation)",
    "ledger_target": "ledger (namespace, kind, target_id)",
}
# Indexes the executor does not use before its first write: after a bulk load they are built by the
# first query that needs them (``_ensure_index``), or when the file is opened again (the schema
# below creates any index a file lacks) — a run killed before that leaves a sound file either way.
_BUILT_ON_FIRST_USE = frozenset({"issues_order", "ledger_target"})
_SCHEMA += "DROP INDEX IF EXISTS ledger_status;\n"  # replaced by ledger_counts, which covers its queries
_SCHEMA += "".join(f"CREATE INDEX IF NOT EXISTS {name} ON {on};\n" for name, on in _INDEXES.items())
# SQLite's page cache during a plan load (KiB; the default is 2 MiB): the load writes the whole plan
# in one transaction and a small cache spills and re-reads b-tree pages all along. Bounded, so the
# memory it takes does not grow with the export; set back once the load is over.
_LOAD_CACHE_KIB = 32 * 1024

_SQL_BATCH = 500  # values per IN (...) list (SQLite's default limit is 999 host parameters)

_TABLES = frozenset({"meta", "namespaces", "issues", "ledger"})
_SQLITE_HEADER = b"SQLite format 3\x00"
_START_OVER = (
    "restore it from a backup, or move it aside and run the same `migrator run` command again: a new "
    "checkpoint file is made, issues already imported are found again by their unique value and their "
    "comments, files, worklogs and links are looked up before anything is sent, so nothing is duplicated"
)


class StateFileError(MigratorError):
    """The checkpoint file is missing, damaged, of another kind or of another version."""


def check_file(path: Path) -> None:
    """Refuse anything but an intact migrator checkpoint file of this schema version, with one
    message naming the file and what to do. Reads the whole file once (``PRAGMA quick_check``), so
    a truncated or overwritten file is caught before a run relies on it."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except IsADirectoryError:
        raise StateFileError(
            f"{path}: is a folder, not a checkpoint file", hint="pass a file to --state"
        ) from None
    except OSError as exc:
        raise StateFileError(
            f"{path}: cannot read the checkpoint file: {exc.strerror or exc}", hint="check its permissions"
        ) from exc
    if size == 0:
        raise StateFileError(f"{path}: the checkpoint file is empty (0 bytes)", hint=_START_OVER)
    if header != _SQLITE_HEADER:
        raise StateFileError(
            f"{path}: not a checkpoint file (not an SQLite database: it starts with {header[:16]!r})",
            hint=f"pass the right --state file; if this one was damaged, {_START_OVER}",
        )
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    except sqlite3.Error as exc:
        raise _damaged(path, exc) from exc
    try:
        _check_contents(path, conn)
    except sqlite3.Error as exc:
        raise _damaged(path, exc) from exc
    finally:
        conn.close()


def _check_contents(path: Path, conn: sqlite3.Connection) -> None:
    problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        raise StateFileError(
            f"{path}: the checkpoint file is damaged (truncated or overwritten): {'; '.join(problems)}",
            hint=_START_OVER,
        )
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    meta_columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(meta)")}
    if not _TABLES <= tables or not {"key", "value"} <= meta_columns:
        found = ", ".join(sorted(tables)) or "none"
        raise StateFileError(
            f"{path}: an SQLite database, but not a migrator checkpoint file (its tables: {found})",
            hint="pass the checkpoint file of the run with --state (default .migrator/<namespace>.state.sqlite)",
        )
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = str(row[0]) if row is not None else None
    if version is None or not version.isdigit():
        raise StateFileError(
            f"{path}: the checkpoint file has no valid schema version ({version!r})", hint=_START_OVER
        )
    if int(version) > SCHEMA_VERSION:
        raise StateFileError(
            f"{path}: written by a newer migrator (checkpoint schema {version}; this one reads {SCHEMA_VERSION})",
            hint="upgrade migrator to the version that wrote it, or use another --state file",
        )
    if int(version) < SCHEMA_VERSION:
        raise StateFileError(
            f"{path}: written by an older migrator (checkpoint schema {version}; this one reads {SCHEMA_VERSION})",
            hint=f"finish that import with the migrator version that wrote it; or {_START_OVER}",
        )


def _create_file(path: Path) -> None:
    """Make a new, empty checkpoint file whole or not at all: built beside it, then linked into
    place (which fails if another process made it first). A kill half-way leaves only the
    temporary file, never a half-made checkpoint file that would later be refused as damaged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    for leftover in (temporary, *(temporary.with_name(temporary.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(str(temporary), isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("schema_version", str(SCHEMA_VERSION)), ("state_id", uuid.uuid4().hex)],
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        try:
            os.link(temporary, path)
        except FileExistsError:
            check_file(path)  # made meanwhile by another process: use theirs if it is sound
    except sqlite3.Error as exc:
        raise StateFileError(f"{path}: cannot create the checkpoint file: {exc}") from exc
    except OSError as exc:
        raise StateFileError(
            f"{path}: cannot create the checkpoint file: {exc.strerror or exc}",
            hint="check that the folder exists and is writable",
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _damaged(path: Path, exc: sqlite3.Error) -> StateFileError:
    """One message for an SQLite failure on the checkpoint file, with what to do about it."""
    text = str(exc)
    if "full" in text:
        return StateFileError(
            f"{path}: the checkpoint file cannot be written: {text}",
            hint="free space on its disk, then run the same command again (it resumes)",
        )
    if "locked" in text or "busy" in text:
        return StateFileError(
            f"{path}: the checkpoint file is locked by another program: {text}",
            hint="close the program that has it open, then run the same command again",
        )
    if "I/O" in text or "unable to open" in text:
        return StateFileError(
            f"{path}: the checkpoint file cannot be read or written: {text}",
            hint="check the disk and the file's permissions, then run the same command again",
        )
    return StateFileError(
        f"{path}: the checkpoint file is damaged (truncated or overwritten): {text}", hint=_START_OVER
    )


_ROW_COLUMNS = (
    "id, kind, source_id, issue_key, parent_source_id, seq, status, unsure, target_id, target_key, "
    "attempts, last_error"
)
_ENTRY_COLUMNS = (
    "id, kind, scope, source_id, issue_key, parent_source_id, status, target_id, target_key, payload_hash, "
    "generation, done_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class LedgerRow:
    """One planned object's checkpoint."""

    id: int
    kind: Kind
    source_id: str
    issue_key: str  # the issue it belongs to (issues: their own source key)
    parent_source_id: str | None  # comment files: the comment's source id
    seq: int  # position in its issue's chain
    status: Status
    unsure: bool
    target_id: str | None
    target_key: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class IssueTarget:
    """Where an issue of the plan stands in the target."""

    status: Status
    target_key: str | None
    target_id: str | None
    last_error: str | None


@dataclass(frozen=True)
class IssueWork:
    """An issue with unfinished rows, where the plan placed it."""

    depth: int  # level in the parent forest (parents first)
    seq: int  # position in the plan
    issue_key: str
    parent_key: str | None
    parent_depth: int | None  # None: the parent is not in the plan
    parent_pending: bool  # the parent's own import is still to be done


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger row as a delta run compares it with a newer plan (any generation)."""

    id: int
    kind: Kind
    scope: str
    source_id: str
    issue_key: str
    parent_source_id: str | None  # comment files: their comment; links: the other issue's source key
    status: Status
    target_id: str | None
    target_key: str | None
    payload_hash: str  # done rows: the payload the target was made to match
    generation: int
    done_at: str | None  # this machine's clock (ISO 8601, UTC) when the row became done


class LedgerView:
    """Read-only questions about one namespace's ledger and stored plan (what a delta run compares a
    newer plan with). Shared by a plan load (inside its transaction) and ``validate`` (read-only)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock, namespace: str) -> None:
        self._conn = conn
        self._lock = lock
        self.namespace = namespace

    def entries_of_issue(self, issue_key: str) -> list[LedgerEntry]:
        """Every row the issue owns (its own row, children, delta rows, links it owns), any generation."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM ledger WHERE namespace = ? AND issue_key = ? ORDER BY seq, id",
                (self.namespace, issue_key),
            ).fetchall()
        return [_entry(r) for r in rows]

    def has_imported(self) -> bool:
        """Has any issue of the namespace been imported (is there anything to compare with)?"""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM ledger WHERE namespace = ? AND kind = 'issue' AND status = 'done' LIMIT 1",
                (self.namespace,),
            ).fetchone()
        return row is not None

    def entry(self, kind: Kind, scope: str, source_id: str) -> LedgerEntry | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM ledger WHERE namespace = ? AND kind = ? AND scope = ?"
                " AND source_id = ?",
                (self.namespace, kind, scope, source_id),
            ).fetchone()
        return None if row is None else _entry(row)

    def done_of_kind(self, kind: Kind) -> Iterator[LedgerEntry]:
        """Done rows of ``kind``, any generation (deleted issues and links are found among them)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM ledger WHERE namespace = ? AND kind = ? AND status = 'done'"
                " ORDER BY issue_key, seq",
                (self.namespace, kind),
            ).fetchall()
        return (_entry(r) for r in rows)

    def stored_plan(self, issue_key: str) -> PlannedIssue | None:
        """The issue as the last plan load stored it (None if never planned)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT plan_json FROM issues WHERE namespace = ? AND issue_key = ?",
                (self.namespace, issue_key),
            ).fetchone()
        return None if row is None else PlannedIssue.from_dict(json.loads(row[0]))

    def delta_payload(self, kind: Kind, scope: str, source_id: str) -> dict[str, Any] | None:
        """What a delta row needs beyond the plan (e.g. the fields to clear, the object to delete)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT payload_json FROM delta_payloads"
                " WHERE namespace = ? AND kind = ? AND scope = ? AND source_id = ?",
                (self.namespace, kind, scope, source_id),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def spool(self) -> PlanSpool:
        """A temporary table on this connection to hold plans in (see :class:`PlanSpool`)."""
        return PlanSpool(self._conn, self._lock)


class PlanSpool:
    """Planned issues held until the whole export has been read — a delta run compares each issue
    with the ledger only once the decisions across issues (``plan.PlanRevisions``) are known. The
    plans wait in a ``TEMP`` table of the checkpoint file's connection: SQLite keeps it apart from the
    file (it works on a read-only connection too) and drops it when the spool closes."""

    _PAGE = 500  # plans read back per query (the caller writes to the same connection in between)

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self._conn = conn
        self._lock = lock
        with self._lock:
            self._conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS spooled_plans (seq INTEGER PRIMARY KEY, plan_json TEXT NOT NULL)"
            )
            self._conn.execute("DELETE FROM temp.spooled_plans")

    def __enter__(self) -> PlanSpool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._conn.execute("DROP TABLE IF EXISTS temp.spooled_plans")

    def hold(self, seq: int, issue: PlannedIssue) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO temp.spooled_plans (seq, plan_json) VALUES (?, ?)",
                (seq, issue.to_json()),
            )

    def held(self) -> Iterator[tuple[int, PlannedIssue]]:
        """``(seq, issue)`` in the order they were held."""
        after = -1
        while True:
            with self._lock:
                page = self._conn.execute(
                    "SELECT seq, plan_json FROM temp.spooled_plans WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, self._PAGE),
                ).fetchall()
            for seq, plan_json in page:
                yield int(seq), PlannedIssue.from_dict(json.loads(plan_json))
            if len(page) < self._PAGE:
                return
            after = int(page[-1][0])


@dataclass
class KindLoadStats:
    planned: int = 0  # objects of this kind in the plan just loaded
    new: int = 0  # rows created by this load (pending)
    already_done: int = 0
    changed_after_done: int = 0  # done rows whose planned payload differs now (not re-applied)


@dataclass
class PlanLoadStats:
    namespace: str
    queue: str
    generation: int
    issues: int = 0
    kinds: dict[str, KindLoadStats] = field(default_factory=lambda: {k: KindLoadStats() for k in KINDS})
    stale: int = 0  # unfinished rows from earlier loads that the current plan no longer has
    duplicate_keys: list[str] = field(
        default_factory=list
    )  # issue keys planned twice (the first one is kept)
    cycles_broken: list[str] = field(default_factory=list)  # issue keys whose parent was ignored for ordering

    @property
    def new(self) -> int:
        return sum(k.new for k in self.kinds.values())


@dataclass(frozen=True)
class Failure:
    kind: Kind
    source_id: str
    issue_key: str
    status: Status  # failed | blocked | pending (with a reason: e.g. a link waiting for its other end)
    attempts: int
    reason: str


@dataclass
class StatusSummary:
    namespace: str | None
    queue: str | None
    counts: dict[str, dict[str, int]]  # kind -> status -> count (current generation)
    failures: list[Failure]
    failures_total: int  # may exceed len(failures) when the list was capped
    unsure: int  # rows whose last write has an unknown outcome (reconciled before any re-send)

    def total(self, status: str) -> int:
        return sum(by_status.get(status, 0) for by_status in self.counts.values())

    @property
    def complete(self) -> bool:
        return all(
            by_status.get(Status.DONE, 0) == sum(by_status.values()) for by_status in self.counts.values()
        )

    @property
    def has_failures(self) -> bool:
        """Anything failed, blocked, or pending with a reason (e.g. a link whose other end is missing)."""
        return self.failures_total > 0

    def render(self, max_failures: int = 50) -> str:
        """The ``migrator status`` table: counts per kind and status, then failures with reasons."""
        if self.namespace is None:
            return "no plan loaded yet"
        headers = ["kind", *STATUSES, "total"]
        rows = [headers] + [
            [kind, *(str(by.get(s, 0)) for s in STATUSES), str(sum(by.values()))]
            for kind, by in self.counts.items()
            if sum(by.values())
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(headers))]
        lines = [f"namespace {self.namespace} → queue {self.queue}"]
        lines += [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        lines.insert(2, "  ".join("-" * w for w in widths))
        if self.unsure:
            lines.append(
                f"{self.unsure} object(s) with an unconfirmed write: they are looked up before any re-send"
            )
        if self.failures_total:
            lines.append(f"{self.failures_total} object(s) not done:")
            lines += [
                f"  {f.status:<8} {f.kind} {f.source_id} (issue {f.issue_key}, {f.attempts} attempt(s)): "
                f"{f.reason}"
                for f in self.failures[:max_failures]
            ]
            if self.failures_total > max_failures:
                lines.append(f"  ... and {self.failures_total - max_failures} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "queue": self.queue,
            "counts": self.counts,
            "unsure": self.unsure,
            "failures_total": self.failures_total,
            "failures": [f.__dict__ for f in self.failures],
        }


@dataclass(frozen=True)
class PlannedRow:
    """A ledger row as the plan stage hands it over (``migrator.planning.chain_rows``)."""

    kind: Kind
    scope: str  # the owning issue's source key; '' for issues and links (see the module docstring)
    source_id: str
    issue_key: str  # the issue it belongs to (issues: their own source key)
    parent_source_id: str | None  # comment files: the comment's source id
    seq: int  # position in its issue's chain
    payload_hash: str  # fingerprint of the planned payload (a re-load notices a changed plan)


class CheckpointStore:
    """SQLite ledger + stored plan. Safe to share between worker threads (one connection, one lock)."""

    def __init__(
        self, path: Path | str, *, durable: bool = True, create: bool = True, read_only: bool = False
    ) -> None:
        """Open the checkpoint file at ``path``; a missing one is created when ``create`` (``run``),
        else refused (``status``, ``verify``). An existing file is checked first (:func:`check_file`):
        anything but an intact migrator checkpoint file raises :class:`StateFileError`. ``read_only``
        (``validate`` compares with the ledger) never creates or changes the file."""
        self.path = Path(path)
        self._lock = threading.RLock()
        # NORMAL in WAL mode survives any process crash. With ``durable`` the write-ahead ``in_flight``
        # mark is also fsynced (FULL) before its HTTP call, which survives a power loss too; a
        # confirmation lost that way only leaves a row that gets reconciled, so those stay NORMAL.
        self._durable = durable and not read_only
        self._namespace: str | None = None
        # Indexes of _BUILT_ON_FIRST_USE known to exist: opening creates any a file lacks (a read-only
        # store creates nothing: its queries do without); a bulk load leaves them for later.
        self._indexes_ready = set(_BUILT_ON_FIRST_USE)
        self._checkpointer: threading.Thread | None = None  # copies a plan load's log into the file
        if self.path.exists():
            check_file(self.path)
        elif create and not read_only:
            _create_file(self.path)
        else:
            raise StateFileError(
                f"{self.path}: no such checkpoint file",
                hint="run `migrator run ...` first, or pass the --state file the run used",
            )
        if read_only:
            try:
                self._conn = _open_read_only(self.path)
            except sqlite3.Error as exc:
                raise _damaged(self.path, exc) from exc
            self._namespace = self._meta("active_namespace")
            return
        try:
            self._conn = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise _damaged(self.path, exc) from exc
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)  # adds what an older file of this version lacks
            if self._meta("state_id") is None:
                self._set_meta("state_id", uuid.uuid4().hex)
        self._namespace = self._meta("active_namespace")

    # ------------------------------------------------------------------ lifecycle

    @property
    def state_id(self) -> str:
        """A random id given to this checkpoint file when it was made (copies share it)."""
        value = self._meta("state_id")
        if value is None:  # set in __init__; only a file edited behind our back lacks it
            raise StateFileError(f"{self.path}: the checkpoint file has lost its state_id")
        return value

    def close(self) -> None:
        self._wait_for_checkpoint()
        with self._lock:
            self._conn.close()

    def __enter__(self) -> CheckpointStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the connection; an SQLite failure inside (a disk error, a file damaged while in use)
        becomes one :class:`StateFileError` naming the file instead of a traceback."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise _damaged(self.path, exc) from exc

    @contextmanager
    def _transaction(self, *, sync: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``sync`` fsyncs it (and everything before it) when the store is durable."""
        full = sync and self._durable
        with self._locked():
            if full:
                self._conn.execute("PRAGMA synchronous=FULL")  # cannot change inside a transaction
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:  # SQLite itself ends it on some errors (a full disk)
                        self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                if full:
                    self._conn.execute("PRAGMA synchronous=NORMAL")

    def _meta(self, key: str) -> str | None:
        with self._locked():
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # ------------------------------------------------------------------ namespace

    @property
    def namespace(self) -> str:
        """The namespace the executor works on: the last one loaded (or chosen with ``use_namespace``)."""
        if self._namespace is None:
            raise MigratorError(f"{self.path}: no plan has been loaded into this state file yet")
        return self._namespace

    @property
    def has_plan(self) -> bool:
        return self._namespace is not None

    def namespaces(self) -> list[str]:
        with self._locked():
            return [r[0] for r in self._conn.execute("SELECT namespace FROM namespaces ORDER BY created_at")]

    def use_namespace(self, namespace: str) -> None:
        if namespace not in self.namespaces():
            raise MigratorError(f"{self.path}: namespace {namespace!r} has no plan in this state file")
        with self._transaction():
            self._set_meta("active_namespace", namespace)
        self._namespace = namespace

    def bind_target(self, identity: str, namespace: str, queue: str) -> None:
        """Tie ``namespace`` in this state file to one target (API URL + org, no secrets) and queue;
        raises when the same state file and namespace are pointed at another target or queue (the
        ledger's done rows would be wrong there)."""
        key = f"target:{namespace}"
        with self._transaction():
            bound = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if bound is not None and bound[0] != identity:
                raise MigratorError(
                    f"{self.path}: namespace {namespace!r} was imported into {bound[0]}, not {identity}",
                    hint="use another --state file (or another --namespace) for another Tracker organization",
                )
            row = self._conn.execute(
                "SELECT queue FROM namespaces WHERE namespace = ?", (namespace,)
            ).fetchone()
            if row is not None and row[0] != queue:
                raise MigratorError(
                    f"namespace {namespace!r} was imported into queue {row[0]} with this state file, not {queue}",
                    hint="use another --namespace for another queue (each namespace is one copy of the data)",
                )
            self._set_meta(key, identity)

    def target_identity(self, namespace: str | None = None) -> str | None:
        return self._meta(f"target:{namespace or self.namespace}")

    def queue(self, namespace: str | None = None) -> str | None:
        ns = namespace or self._namespace
        with self._locked():
            row = self._conn.execute("SELECT queue FROM namespaces WHERE namespace = ?", (ns,)).fetchone()
        return None if row is None else str(row[0])

    def generation(self, namespace: str | None = None) -> int:
        ns = namespace or self.namespace
        with self._locked():
            row = self._conn.execute(
                "SELECT generation FROM namespaces WHERE namespace = ?", (ns,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    # ------------------------------------------------------------------ loading the plan

    @contextmanager
    def loading(self, namespace: str, queue: str) -> Iterator[PlanLoad]:
        """One plan load in one transaction: bumps the namespace's generation and yields the
        :class:`PlanLoad` the plan stage hands its issues and rows to (``migrator.planning.load_plan``);
        on success the namespace becomes the active one."""
        if not namespace or not queue:
            raise MigratorError("a plan needs a namespace and a target queue")
        with self._checkpoint_aside(), self._load_cache(), self._transaction():
            generation = self._bump_generation(namespace, queue)
            load = PlanLoad(
                self._conn, PlanLoadStats(namespace=namespace, queue=queue, generation=generation), self._lock
            )
            bulk = self._ledger_empty()
            with self._indexes_after(bulk=bulk):
                yield load
            if bulk:
                self._indexes_ready -= _BUILT_ON_FIRST_USE
            # a first load has no rows of earlier loads to find
            load.stats.stale = 0 if load.first else self._count_stale(namespace, generation)
            self._set_meta("active_namespace", namespace)
        self._namespace = namespace

    @contextmanager
    def _checkpoint_aside(self) -> Iterator[None]:
        """A load's commit puts the whole plan in the write-ahead log, and copying the log into the
        file (SQLite's automatic checkpoint, run by the call that commits) took half of the commit.
        The load's connection checkpoints nothing; once the load has committed, a thread with its own
        connection copies the log (PASSIVE: it neither waits for nor blocks the executor's reads and
        writes, which go on meanwhile), then gives the connection its automatic checkpoints back."""
        self._wait_for_checkpoint()
        with self._locked():
            automatic = int(self._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            yield
        except BaseException:
            with self._locked():
                self._conn.execute(f"PRAGMA wal_autocheckpoint={automatic}")
            raise
        self._checkpointer = threading.Thread(
            target=self._checkpoint, args=(automatic,), name="checkpoint-after-load", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint(self, automatic: int) -> None:
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error as exc:  # the automatic checkpoints given back below copy the log instead
            _log.debug("%s: the checkpoint after the plan load failed: %s", self.path, exc)
        with self._lock:
            self._conn.execute(f"PRAGMA wal_autocheckpoint={automatic}")

    def _wait_for_checkpoint(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.join()
            self._checkpointer = None

    @contextmanager
    def _load_cache(self) -> Iterator[None]:
        """A larger page cache while a plan is loaded (:data:`_LOAD_CACHE_KIB`), the previous one after."""
        with self._locked():
            before = int(self._conn.execute("PRAGMA cache_size").fetchone()[0])
            self._conn.execute(f"PRAGMA cache_size=-{_LOAD_CACHE_KIB}")
        try:
            yield
        finally:
            with self._locked():
                self._conn.execute(f"PRAGMA cache_size={before}")

    def _ledger_empty(self) -> bool:
        return self._conn.execute("SELECT 1 FROM ledger LIMIT 1").fetchone() is None and (
            self._conn.execute("SELECT 1 FROM issues LIMIT 1").fetchone() is None
        )

    @contextmanager
    def _indexes_after(self, *, bulk: bool) -> Iterator[None]:
        """With ``bulk`` (inside the load's transaction, on an empty ledger): the secondary indexes
        are dropped and built again, sorted, once the load's rows are in (see :data:`_INDEXES`)."""
        if not bulk:
            yield
            return
        for name in _INDEXES:
            self._conn.execute(f"DROP INDEX IF EXISTS {name}")
        yield
        for name, on in _INDEXES.items():
            if name not in _BUILT_ON_FIRST_USE:
                self._conn.execute(f"CREATE INDEX {name} ON {on}")

    def _ensure_index(self, name: str) -> None:
        """Build an index of :data:`_BUILT_ON_FIRST_USE` if a bulk load left it for later (once)."""
        if name in self._indexes_ready:
            return
        with self._transaction():
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {_INDEXES[name]}")
        self._indexes_ready.add(name)

    def _bump_generation(self, namespace: str, queue: str) -> int:
        row = self._conn.execute(
            "SELECT queue, generation FROM namespaces WHERE namespace = ?", (namespace,)
        ).fetchone()
        now = _now()
        if row is None:
            self._conn.execute(
                "INSERT INTO namespaces (namespace, queue, generation, created_at, loaded_at) VALUES (?, ?, 1, ?, ?)",
                (namespace, queue, now, now),
            )
            return 1
        if row[0] != queue:
            raise MigratorError(
                f"namespace {namespace!r} was imported into queue {row[0]} with this state file, not {queue}",
                hint="use another --namespace for another queue (each namespace is one copy of the data)",
            )
        generation = int(row[1]) + 1
        self._conn.execute(
            "UPDATE namespaces SET generation = ?, loaded_at = ? WHERE namespace = ?",
            (generation, now, namespace),
        )
        return generation

    def _count_stale(self, namespace: str, generation: int) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM ledger WHERE namespace = ? AND generation < ? AND status != 'done'",
            (namespace, generation),
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ reading work

    def issue_depths(self) -> list[int]:
        """Distinct topological levels of the current plan, lowest first."""
        self._ensure_index("issues_order")
        with self._locked():
            rows = self._conn.execute(
                "SELECT DISTINCT depth FROM issues WHERE namespace = ? AND generation = ? ORDER BY depth",
                (self.namespace, self.generation()),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def issues_with_work(
        self, kinds: Sequence[str], *, depth: int | None = None, after_seq: int = -1, limit: int = 500
    ) -> list[tuple[int, str]]:
        """``(seq, issue_key)`` of issues (plan order, after ``after_seq``) that own unfinished rows of ``kinds``."""
        self._ensure_index("issues_order")
        kind_marks = ",".join("?" * len(kinds))
        depth_clause = "AND i.depth = ?" if depth is not None else ""
        params: list[Any] = [self.namespace, self.generation(), after_seq]
        if depth is not None:
            params.append(depth)
        params += [*kinds, limit]
        query = f"""
            SELECT i.seq, i.issue_key FROM issues i
            WHERE i.namespace = ? AND i.generation = ? AND i.seq > ? {depth_clause}
              AND EXISTS (SELECT 1 FROM ledger l INDEXED BY ledger_work
                          WHERE l.namespace = i.namespace AND l.issue_key = i.issue_key
                            AND l.generation = i.generation AND l.kind IN ({kind_marks})
                            AND l.status IN ('pending', 'in_flight'))
            ORDER BY i.seq LIMIT ?"""
        with self._locked():
            rows = self._conn.execute(query, params).fetchall()
        return [(int(s), str(k)) for s, k in rows]

    def issues_to_run(self, after_seq: int = -1, limit: int = 500) -> list[IssueWork]:
        """Issues owning unfinished rows of any kind, in plan order after ``after_seq``, each with
        its parent's level and whether the parent's own import is still to be done."""
        query = """
            SELECT i.depth, i.seq, i.issue_key, i.parent_key, p.depth,
                   EXISTS (SELECT 1 FROM ledger pl WHERE pl.namespace = i.namespace AND pl.kind = 'issue'
                             AND pl.scope = '' AND pl.source_id = i.parent_key
                             AND pl.generation = i.generation AND pl.status IN ('pending', 'in_flight'))
            FROM issues i INDEXED BY issues_seq
            LEFT JOIN issues p ON p.namespace = i.namespace AND p.issue_key = i.parent_key
                              AND p.generation = i.generation
            WHERE i.namespace = ? AND i.generation = ? AND i.seq > ?
              AND EXISTS (SELECT 1 FROM ledger l INDEXED BY ledger_work
                          WHERE l.namespace = i.namespace AND l.issue_key = i.issue_key
                            AND l.generation = i.generation AND l.status IN ('pending', 'in_flight'))
            ORDER BY i.seq LIMIT ?"""
        with self._lock:
            rows = self._conn.execute(query, (self.namespace, self.generation(), after_seq, limit)).fetchall()
        return [
            IssueWork(int(d), int(s), str(k), p, None if pd is None else int(pd), bool(pending))
            for d, s, k, p, pd, pending in rows
        ]

    def load_issue(self, issue_key: str) -> PlannedIssue:
        with self._locked():
            row = self._conn.execute(
                "SELECT plan_json FROM issues WHERE namespace = ? AND issue_key = ?",
                (self.namespace, issue_key),
            ).fetchone()
        if row is None:
            raise KeyError(issue_key)
        return PlannedIssue.from_dict(json.loads(row[0]))

    def iter_planned(self, namespace: str | None = None, batch: int = 500) -> Iterator[PlannedIssue]:
        """The stored plan, in plan order, read in batches (for ``verify``)."""
        ns = namespace or self.namespace
        generation = self.generation(ns)
        last = -1
        while True:
            with self._locked():
                rows = self._conn.execute(
                    "SELECT seq, plan_json FROM issues WHERE namespace = ? AND generation = ? AND seq > ?"
                    " ORDER BY seq LIMIT ?",
                    (ns, generation, last, batch),
                ).fetchall()
            if not rows:
                return
            for seq, text in rows:
                last = int(seq)
                yield PlannedIssue.from_dict(json.loads(text))

    def rows_for_issue(self, issue_key: str, kinds: Sequence[str]) -> list[LedgerRow]:
        """Every current row of ``kinds`` that belongs to the issue, in chain order (done ones too)."""
        marks = ",".join("?" * len(kinds))
        with self._locked():
            rows = self._conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM ledger INDEXED BY ledger_issue"
                f" WHERE namespace = ? AND issue_key = ? AND generation = ?"
                f" AND kind IN ({marks}) ORDER BY seq, id",
                (self.namespace, issue_key, self.generation(), *kinds),
            ).fetchall()
        return [_row(r) for r in rows]

    def get_row(self, row_id: int) -> LedgerRow:
        with self._locked():
            row = self._conn.execute(f"SELECT {_ROW_COLUMNS} FROM ledger WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise KeyError(row_id)
        return _row(row)

    def issue_target(self, issue_key: str, namespace: str | None = None) -> IssueTarget | None:
        """The issue row of ``issue_key`` (None if the plan has no such issue)."""
        ns = namespace or self.namespace
        with self._locked():
            row = self._conn.execute(
                "SELECT status, target_key, target_id, last_error FROM ledger"
                " WHERE namespace = ? AND kind = 'issue' AND scope = '' AND source_id = ?"
                " AND generation = (SELECT generation FROM namespaces WHERE namespace = ?)",
                (ns, issue_key, ns),
            ).fetchone()
        if row is None:
            return None
        return IssueTarget(status=Status(row[0]), target_key=row[1], target_id=row[2], last_error=row[3])

    def issue_keys(self, issue_keys: Sequence[str]) -> dict[str, str]:
        """Source key -> the Tracker key texts name it by: its imported key once done, else the key
        planned for it (issues with neither are left out)."""
        wanted = sorted(set(issue_keys))
        found: dict[str, str] = {}
        ns = self.namespace
        with self._locked():
            for start in range(0, len(wanted), _SQL_BATCH):
                chunk = wanted[start : start + _SQL_BATCH]
                marks = ",".join("?" * len(chunk))
                for source_key, planned, imported in self._conn.execute(
                    f"""SELECT i.issue_key, p.target_key, l.target_key FROM issues i
                        LEFT JOIN planned_keys p ON p.namespace = i.namespace AND p.issue_key = i.issue_key
                        LEFT JOIN ledger l ON l.namespace = i.namespace AND l.kind = 'issue' AND l.scope = ''
                             AND l.source_id = i.issue_key AND l.status = 'done'
                        WHERE i.namespace = ? AND i.issue_key IN ({marks})""",
                    (ns, *chunk),
                ):
                    key = imported or planned
                    if key:
                        found[str(source_key)] = str(key)
        return found

    def planned_key(self, issue_key: str) -> str | None:
        """The Tracker key the issue is to be imported with (None: Tracker numbers it)."""
        with self._locked():
            row = self._conn.execute(
                "SELECT target_key FROM planned_keys WHERE namespace = ? AND issue_key = ?",
                (self.namespace, issue_key),
            ).fetchone()
        return None if row is None else str(row[0])

    def replan_key(self, issue_key: str, target_key: str) -> None:
        """The issue turned out to be in the target under another key (found by ``unique``): texts
        sent from now on name it by that key."""
        queue, _, number = target_key.rpartition("-")
        with self._transaction():
            self._conn.execute(
                """UPDATE planned_keys SET target_key = ?, queue = ?, number = ?
                   WHERE namespace = ? AND issue_key = ?""",
                (target_key, queue, int(number) if number.isdigit() else 0, self.namespace, issue_key),
            )

    def highest_planned_number(self, queue: str) -> int:
        """The highest key number this state file planned or reserved in ``queue`` (0: none)."""
        with self._locked():
            return _highest_planned_number(self._conn, queue)

    def reserve_key(self, owner: str, target_key: str) -> None:
        """Keep ``target_key`` (an issue in the queue that is not imported by a plan: the queue
        lease's marker, ``owner`` its ``unique``) out of the numbers later plan loads give new issues."""
        with self._transaction():
            _plan_key(self._conn, RESERVED_NAMESPACE, owner, target_key)

    def text_projects(self, namespace: str | None = None) -> frozenset[str] | None:
        """The project keys (``PROJ`` of ``PROJ-12``) the plan's texts may reference; None when the
        plan was loaded without them."""
        value = self._meta(f"text_projects:{namespace or self.namespace}")
        return None if value is None else frozenset(json.loads(value))

    def unfinished_count(self, kinds: Sequence[Kind] = KINDS) -> int:
        marks = ",".join("?" * len(kinds))
        with self._locked():
            row = self._conn.execute(
                f"SELECT COUNT(*) FROM ledger WHERE namespace = ? AND generation = ? AND kind IN ({marks})"
                " AND status IN ('pending', 'in_flight')",
                (self.namespace, self.generation(), *kinds),
            ).fetchone()
        return int(row[0])

    def counts(self, namespace: str | None = None) -> dict[str, dict[str, int]]:
        """kind -> status -> rows (current generation); every kind and status present."""
        ns = namespace or self.namespace
        result: dict[str, dict[str, int]] = {kind: dict.fromkeys(STATUSES, 0) for kind in KINDS}
        with self._locked():
            rows = self._conn.execute(
                "SELECT kind, status, COUNT(*) FROM ledger WHERE namespace = ? AND generation = ?"
                " GROUP BY kind, status",
                (ns, self.generation(ns)),
            ).fetchall()
        for kind, status, count in rows:
            result.setdefault(kind, dict.fromkeys(STATUSES, 0))[status] = int(count)
        return result

    # ------------------------------------------------------------------ delta runs

    def view(self, namespace: str | None = None) -> LedgerView:
        """Read-only questions a delta run asks (see :class:`LedgerView`)."""
        return LedgerView(self._conn, self._lock, namespace or self.namespace)

    def unfinished_links_touching(self, issue_key: str) -> list[tuple[str, str]]:
        """``(owner issue, link source id)`` of current, unfinished links with ``issue_key`` at either end."""
        with self._locked():
            rows = self._conn.execute(
                "SELECT issue_key, source_id FROM ledger WHERE namespace = ? AND generation = ?"
                " AND kind = 'link' AND status IN ('pending', 'in_flight')"
                " AND (issue_key = ? OR parent_source_id = ?)",
                (self.namespace, self.generation(), issue_key, issue_key),
            ).fetchall()
        return [(str(owner), str(source_id)) for owner, source_id in rows]

    # ------------------------------------------------------------------ transitions

    def mark_in_flight(self, row_id: int) -> None:
        """Write-ahead: the call is about to be sent (its outcome is unknown until confirmed)."""
        with self._transaction(sync=True):
            self._conn.execute(
                "UPDATE ledger SET status = 'in_flight', unsure = 1, attempts = attempts + 1, updated_at = ?"
                " WHERE id = ?",
                (_now(), row_id),
            )

    def mark_done(
        self, row_id: int, target_id: str | None, target_key: str | None = None, *, reconciled: bool = False
    ) -> None:
        now = _now()
        with self._transaction():
            self._conn.execute(
                "UPDATE ledger SET status = 'done', unsure = 0, target_id = ?, target_key = ?, last_error = NULL,"
                " reconciled = ?, updated_at = ?, done_at = ? WHERE id = ?",
                (target_id, target_key, int(reconciled), now, now, row_id),
            )

    def claim(
        self,
        row_id: int,
        kinds: Sequence[str],
        candidates: Sequence[str],
        *,
        issue_key: str | None,
        target_key: str | None = None,
    ) -> str | None:
        """Atomically mark the row done with the first candidate target id that no other row of
        ``kinds`` (within ``issue_key`` when given) has claimed; None when every candidate is taken."""
        if not candidates:
            return None
        marks = ",".join("?" * len(kinds))
        cand_marks = ",".join("?" * len(candidates))
        scope_clause = "AND issue_key = ?" if issue_key is not None else ""
        params: list[Any] = [self._namespace, *kinds, row_id, *candidates]
        if issue_key is not None:
            params.append(issue_key)
        self._ensure_index("ledger_target")
        with self._transaction():
            taken = {
                str(r[0])
                for r in self._conn.execute(
                    f"SELECT target_id FROM ledger WHERE namespace = ? AND kind IN ({marks}) AND id != ?"
                    f" AND target_id IN ({cand_marks}) {scope_clause}",
                    params,
                )
            }
            for candidate in candidates:
                if candidate not in taken:
                    now = _now()
                    self._conn.execute(
                        "UPDATE ledger SET status = 'done', unsure = 0, target_id = ?, target_key = ?,"
                        " last_error = NULL, reconciled = 1, updated_at = ?, done_at = ? WHERE id = ?",
                        (candidate, target_key, now, now, row_id),
                    )
                    return candidate
        return None

    def mark_absent(self, row_id: int) -> None:
        """Reconciliation proved the object is not in the target: the next send is a first send."""
        with self._transaction():
            self._conn.execute("UPDATE ledger SET unsure = 0, updated_at = ? WHERE id = ?", (_now(), row_id))

    def mark_not_applied(self, row_id: int, reason: str) -> None:
        """The call certainly had no effect (429, connection refused): back to pending."""
        with self._transaction():
            self._conn.execute(
                "UPDATE ledger SET status = 'pending', unsure = 0, last_error = ?, updated_at = ? WHERE id = ?",
                (reason, _now(), row_id),
            )

    def mark_unsure(self, row_id: int, reason: str) -> None:
        """The write may or may not have landed: stays in flight until reconciled."""
        with self._transaction():
            self._conn.execute(
                "UPDATE ledger SET status = 'in_flight', unsure = 1, last_error = ?, updated_at = ? WHERE id = ?",
                (reason, _now(), row_id),
            )

    def mark_children_unsure(self, issue_key: str, kinds: Sequence[str]) -> int:
        """The issue was found already in the target (not created by this ledger's last call): its
        unfinished children may be there too, so each is looked up before it is sent."""
        marks = ",".join("?" * len(kinds))
        with self._transaction():
            cursor = self._conn.execute(
                f"UPDATE ledger INDEXED BY ledger_work SET unsure = 1"
                f" WHERE namespace = ? AND issue_key = ? AND generation = ?"
                f" AND kind IN ({marks}) AND status IN ('pending', 'in_flight') AND unsure = 0",
                (self.namespace, issue_key, self.generation(), *kinds),
            )
        return int(cursor.rowcount)

    def mark_failed(self, row_id: int, reason: str, *, unsure: bool = False) -> None:
        with self._transaction():
            self._conn.execute(
                "UPDATE ledger SET status = 'failed', unsure = ?, last_error = ?, updated_at = ? WHERE id = ?",
                (int(unsure), reason, _now(), row_id),
            )

    def mark_pending(self, row_id: int, reason: str | None) -> None:
        """Leave the row pending with a reason (e.g. a link whose other end does not exist yet)."""
        with self._transaction():
            self._conn.execute(
                "UPDATE ledger SET last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                (reason, _now(), row_id),
            )

    def mark_blocked(self, row_ids: Sequence[int], reason: str) -> int:
        """Block unfinished rows (their parent object failed). In-flight rows keep ``unsure``."""
        if not row_ids:
            return 0
        with self._transaction():
            cursor = self._conn.executemany(
                "UPDATE ledger SET status = 'blocked', last_error = ?, updated_at = ?"
                " WHERE id = ? AND status IN ('pending', 'in_flight')",
                [(reason, _now(), row_id) for row_id in row_ids],
            )
        return int(cursor.rowcount)

    def reset_failed(self, namespace: str | None = None) -> int:
        """``failed`` and ``blocked`` rows back to ``pending`` (``--retry-failed``); ``unsure`` is kept,
        so a row whose last write may have landed is still reconciled before it is sent again."""
        ns = namespace or self.namespace
        with self._transaction():
            cursor = self._conn.execute(
                "UPDATE ledger SET status = 'pending', updated_at = ? WHERE namespace = ? AND generation = ?"
                " AND status IN ('failed', 'blocked')",
                (_now(), ns, self.generation(ns)),
            )
        return int(cursor.rowcount)

    # ------------------------------------------------------------------ reporting

    def status_summary(self, namespace: str | None = None, *, max_failures: int = 1000) -> StatusSummary:
        """Counts per kind and status, plus every failed/blocked row and pending rows with a reason."""
        ns = namespace or self._namespace
        if ns is None:
            return StatusSummary(None, None, {k: dict.fromkeys(STATUSES, 0) for k in KINDS}, [], 0, 0)
        generation = self.generation(ns)
        where = (
            "WHERE namespace = ? AND generation = ? AND (status IN ('failed', 'blocked')"
            " OR (status = 'pending' AND last_error IS NOT NULL))"
        )
        with self._locked():
            failures = [
                Failure(
                    kind=Kind(r[0]),
                    source_id=r[1],
                    issue_key=r[2],
                    status=Status(r[3]),
                    attempts=int(r[4]),
                    reason=r[5] or "",
                )
                for r in self._conn.execute(
                    "SELECT kind, source_id, issue_key, status, attempts, last_error FROM ledger "
                    f"{where} ORDER BY issue_key, seq LIMIT ?",
                    (ns, generation, max_failures),
                )
            ]
            total = int(
                self._conn.execute(f"SELECT COUNT(*) FROM ledger {where}", (ns, generation)).fetchone()[0]
            )
            unsure = int(
                self._conn.execute(
                    "SELECT COUNT(*) FROM ledger WHERE namespace = ? AND generation = ? AND unsure = 1",
                    (ns, generation),
                ).fetchone()[0]
            )
        return StatusSummary(ns, self.queue(ns), self.counts(ns), failures, total, unsure)


class PlanLoad:
    """The writes of one plan load, inside :meth:`CheckpointStore.loading`'s transaction."""

    def __init__(self, conn: sqlite3.Connection, stats: PlanLoadStats, lock: threading.RLock) -> None:
        self._conn = conn
        self.stats = stats
        # done rows whose planned payload differs now, per kind: (scope, source_id)
        self._changed: dict[str, set[tuple[str, str]]] = {kind: set() for kind in KINDS}
        self._lock = lock
        self._now = _now()  # the rows' created_at: the load is one transaction, seen all at once

    @property
    def first(self) -> bool:
        """The namespace's first load: nothing of it is in the file yet (no rows, keys or plans)."""
        return self.stats.generation == 1

    def add(self, issue: PlannedIssue, seq: int, rows: Sequence[PlannedRow]) -> None:
        """Store a planned issue (its ``unique`` and ``queue`` already set) and merge its rows:
        new ones become ``pending``; ``done`` ones stay done; unfinished ones take the new payload."""
        self._conn.execute(
            """INSERT INTO issues (namespace, issue_key, source_system, source_id, unique_value, parent_key,
                                   seq, generation, plan_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(namespace, issue_key) DO UPDATE SET
                   source_system = excluded.source_system, source_id = excluded.source_id,
                   unique_value = excluded.unique_value, parent_key = excluded.parent_key,
                   seq = excluded.seq, depth = 0, generation = excluded.generation, plan_json = excluded.plan_json""",
            (
                self.stats.namespace,
                issue.source_key,
                issue.source.system,
                issue.source.id,
                issue.unique,
                issue.parent_key,
                seq,
                self.stats.generation,
                issue.to_json(),
            ),
        )
        self.stats.issues += 1
        self._merge_rows(rows)

    def revise(self, issue: PlannedIssue, rows: Sequence[PlannedRow], *, changed: bool = True) -> None:
        """Replace the stored plan of an issue added earlier in this load (a decision across issues
        changed it; not when ``changed`` is False: only rows held back wait) and merge its rows again:
        unfinished rows take the revised payloads, done rows stay done, rows not merged yet (links held
        back until the export was read) are added."""
        if changed:
            self._conn.execute(
                "UPDATE issues SET plan_json = ? WHERE namespace = ? AND issue_key = ? AND generation = ?",
                (issue.to_json(), self.stats.namespace, issue.source_key, self.stats.generation),
            )
        self._merge_rows(rows, revising=True)

    def _note_change(self, row: PlannedRow, done_hash: str) -> None:
        """Count a done row whose planned payload is not the one it was done with."""
        changed = self._changed[row.kind]
        if done_hash != row.payload_hash:
            changed.add((row.scope, row.source_id))
        else:
            changed.discard((row.scope, row.source_id))
        self.stats.kinds[row.kind].changed_after_done = len(changed)

    def merge(self, rows: Sequence[PlannedRow]) -> None:
        """Merge rows planned after their issue was added (e.g. a link's removal, known only at the end)."""
        self._merge_rows(rows)

    def _merge_rows(self, rows: Sequence[PlannedRow], *, revising: bool = False) -> None:
        namespace, generation, stats = self.stats.namespace, self.stats.generation, self.stats
        now = self._now
        if self.first and not revising and self._insert_fresh(rows, now):
            return
        for row in rows:
            existing = self._conn.execute(
                "SELECT status, payload_hash, generation FROM ledger"
                " WHERE namespace = ? AND kind = ? AND scope = ? AND source_id = ?",
                (namespace, row.kind, row.scope, row.source_id),
            ).fetchone()
            kind_stats = stats.kinds[row.kind]
            if existing is not None and int(existing[2]) == generation:
                if revising:  # the revised plan of an object merged earlier in this load
                    self._revise_row(row, status=existing[0], done_hash=existing[1])
                continue  # otherwise: one object planned twice in this load, the first one is kept
            kind_stats.planned += 1
            if existing is None:
                kind_stats.new += 1
                self._conn.execute(
                    """INSERT INTO ledger (namespace, kind, scope, source_id, issue_key, parent_source_id, seq,
                                           status, generation, payload_hash, created_at, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        namespace,
                        row.kind,
                        row.scope,
                        row.source_id,
                        row.issue_key,
                        row.parent_source_id,
                        row.seq,
                        Status.PENDING,
                        generation,
                        row.payload_hash,
                        now,
                        now,
                    ),
                )
                continue
            status, old_hash = existing[0], existing[1]
            if status == Status.DONE:
                kind_stats.already_done += 1
                self._note_change(row, old_hash)
            self._conn.execute(
                """UPDATE ledger SET issue_key = ?, parent_source_id = ?, seq = ?, generation = ?,
                          payload_hash = CASE WHEN status = 'done' THEN payload_hash ELSE ? END
                   WHERE namespace = ? AND kind = ? AND scope = ? AND source_id = ?""",
                (
                    row.issue_key,
                    row.parent_source_id,
                    row.seq,
                    generation,
                    row.payload_hash,
                    namespace,
                    row.kind,
                    row.scope,
                    row.source_id,
                ),
            )

    def _insert_fresh(self, rows: Sequence[PlannedRow], now: str) -> bool:
        """The namespace's first load: no row of an earlier load can exist, so the rows go in with
        one statement and no lookups. False (nothing changed) when one of them was already planned
        in this load: the rows it did insert are taken out again (they are the table's last ones:
        a new row's id is the highest plus one, so the next rows get the same ids) and the
        row-by-row merge then keeps the first and counts exactly."""
        if not rows:
            return True
        namespace, generation = self.stats.namespace, self.stats.generation
        cursor = self._conn.executemany(
            """INSERT INTO ledger (namespace, kind, scope, source_id, issue_key, parent_source_id, seq,
                                   status, generation, payload_hash, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
            [
                (namespace, r.kind, r.scope, r.source_id, r.issue_key, r.parent_source_id, r.seq, generation)
                + (r.payload_hash, now, now)
                for r in rows
            ],
        )
        if cursor.rowcount != len(rows):
            inserted = cursor.rowcount
            if inserted:  # cheaper than a savepoint around every issue's rows: this is the rare case
                self._conn.execute(
                    "DELETE FROM ledger WHERE id > (SELECT MAX(id) FROM ledger) - ?", (inserted,)
                )
            return False
        for row in rows:
            kind_stats = self.stats.kinds[row.kind]
            kind_stats.planned += 1
            kind_stats.new += 1
        return True

    def _revise_row(self, row: PlannedRow, *, status: str, done_hash: str) -> None:
        if status == Status.DONE:
            self._note_change(row, done_hash)
        self._conn.execute(
            """UPDATE ledger SET seq = ?, payload_hash = CASE WHEN status = 'done' THEN payload_hash ELSE ? END
               WHERE namespace = ? AND kind = ? AND scope = ? AND source_id = ?""",
            (row.seq, row.payload_hash, self.stats.namespace, row.kind, row.scope, row.source_id),
        )

    @property
    def view(self) -> LedgerView:
        """The ledger as it stands inside this load (rows already merged by it included)."""
        return LedgerView(self._conn, self._lock, self.stats.namespace)

    def rekey(self, entry: LedgerEntry, source_id: str) -> None:
        """Give a row a new source id (an id-less comment whose text changed is the same comment);
        files of a comment follow it."""
        self._conn.execute("UPDATE ledger SET source_id = ? WHERE id = ?", (source_id, entry.id))
        if entry.kind == Kind.COMMENT:
            self._conn.execute(
                "UPDATE ledger SET parent_source_id = ? WHERE namespace = ? AND issue_key = ?"
                " AND kind = 'comment_attachment' AND parent_source_id = ?",
                (source_id, self.stats.namespace, entry.issue_key, entry.source_id),
            )

    def set_payload_hash(self, entry: LedgerEntry, payload_hash: str) -> None:
        """A done row's target now matches this payload (a delta row applied the change)."""
        self._conn.execute("UPDATE ledger SET payload_hash = ? WHERE id = ?", (payload_hash, entry.id))

    def forget(self, entry: LedgerEntry) -> None:
        """Drop a row whose object was deleted from the target (it is planned anew if it comes back)."""
        self._conn.execute("DELETE FROM ledger WHERE id = ?", (entry.id,))

    def put_delta_payload(self, kind: Kind, scope: str, source_id: str, payload: Mapping[str, Any]) -> None:
        self._conn.execute(
            """INSERT INTO delta_payloads (namespace, kind, scope, source_id, payload_json) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(namespace, kind, scope, source_id) DO UPDATE SET payload_json = excluded.payload_json""",
            (self.stats.namespace, kind, scope, source_id, json.dumps(payload, ensure_ascii=False)),
        )

    def done_not_loaded(self, kind: Kind) -> list[LedgerEntry]:
        """Done rows of ``kind`` this load did not see (deleted from the export)."""
        if self.first:  # no row is older than the namespace's first load
            return []
        rows = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM ledger WHERE namespace = ? AND kind = ? AND status = 'done'"
            " AND generation < ? ORDER BY issue_key, seq",
            (self.stats.namespace, kind, self.stats.generation),
        ).fetchall()
        return [_entry(r) for r in rows]

    def planned_key(self, issue_key: str) -> str | None:
        """The Tracker key planned for the issue by an earlier load (None: none yet)."""
        row = self._conn.execute(
            "SELECT target_key FROM planned_keys WHERE namespace = ? AND issue_key = ?",
            (self.stats.namespace, issue_key),
        ).fetchone()
        return None if row is None else str(row[0])

    def imported_key(self, issue_key: str) -> str | None:
        """The key the issue was imported with, when its ledger row is done."""
        row = self._conn.execute(
            "SELECT target_key FROM ledger WHERE namespace = ? AND kind = 'issue' AND scope = ''"
            " AND source_id = ? AND status = 'done'",
            (self.stats.namespace, issue_key),
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def plan_key(self, issue_key: str, target_key: str) -> None:
        _plan_key(self._conn, self.stats.namespace, issue_key, target_key)

    def revision_queue(self) -> RevisionQueue:
        """Where issues to store again once the stream has ended wait (see :class:`RevisionQueue`)."""
        return RevisionQueue(self._conn, self.stats.namespace, self.stats.generation)

    def key_queue(self) -> KeyQueue:
        """Where issues that need a new key number wait for the end of the stream."""
        return KeyQueue(self._conn, self.stats.namespace)

    def highest_planned_number(self, queue: str) -> int:
        """The highest key number planned (or reserved) in ``queue`` by any namespace of this state file."""
        return _highest_planned_number(self._conn, queue)

    def set_text_projects(self, projects: Sequence[str]) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (f"text_projects:{self.stats.namespace}", json.dumps(sorted(set(projects)))),
        )

    def set_depths(self, depths: Iterable[tuple[str, int]]) -> None:
        """Issues' levels in the parent forest (parents first), as ``(issue key, depth)``; an issue
        stored by this load and not named here is at level 0. Streamed into the statement: a list of
        its rows had one per issue with a parent, at the load's end, where its peak memory is."""
        namespace = self.stats.namespace
        self._conn.executemany(
            "UPDATE issues SET depth = ? WHERE namespace = ? AND issue_key = ?",
            ((depth, namespace, key) for key, depth in depths),
        )


class RevisionQueue:
    """The issues of one plan load to store again once the stream has ended (a revision changed
    their plan, or links of theirs waited for their other issue), in a ``TEMP`` table of the load's
    connection, read back in plan order, each once."""

    _PAGE = 500

    def __init__(self, conn: sqlite3.Connection, namespace: str, generation: int) -> None:
        self._conn = conn
        self._namespace = namespace
        self._generation = generation
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS revision_queue"
            " (seq INTEGER PRIMARY KEY, issue_key TEXT NOT NULL, revised INTEGER NOT NULL)"
        )
        conn.execute("DELETE FROM temp.revision_queue")

    def waiting(self, seq: int, issue_key: str) -> None:
        """Links of the issue (stored with ``seq``) wait for the end of the stream."""
        self._conn.execute(
            "INSERT INTO temp.revision_queue (seq, issue_key, revised) VALUES (?, ?, 0)"
            " ON CONFLICT(seq) DO NOTHING",
            (seq, issue_key),
        )

    def revised(self, issue_keys: Iterable[str]) -> None:
        """A revision changes these issues' plans (those this load did not store are left out)."""
        self._conn.executemany(
            """INSERT INTO temp.revision_queue (seq, issue_key, revised)
               SELECT seq, issue_key, 1 FROM issues WHERE namespace = ? AND issue_key = ? AND generation = ?
               ON CONFLICT(seq) DO UPDATE SET revised = 1""",
            ((self._namespace, key, self._generation) for key in issue_keys),
        )

    def in_plan_order(self) -> Iterator[tuple[PlannedIssue, bool]]:
        """``(the issue as this load stored it, whether a revision changes its plan)``, by ``seq``, read
        a page at a time (the caller stores each again in between); the queue is dropped after."""
        after = -1
        while True:
            page = self._conn.execute(
                """SELECT q.seq, q.revised, i.plan_json FROM temp.revision_queue q
                   JOIN issues i ON i.namespace = ? AND i.issue_key = q.issue_key AND i.generation = ?
                   WHERE q.seq > ? ORDER BY q.seq LIMIT ?""",
                (self._namespace, self._generation, after, self._PAGE),
            ).fetchall()
            for _seq, revised, plan_json in page:
                yield PlannedIssue.from_dict(json.loads(plan_json)), bool(revised)
            if len(page) < self._PAGE:
                break
            after = int(page[-1][0])
        self._conn.execute("DROP TABLE temp.revision_queue")


class NumberOrder(NamedTuple):
    """Where an issue waiting for a new key number comes (``planning_texts``): issues whose source key
    ends in a number first, by prefix, then by that number (``digits``, any length); then the others;
    ties by ``seq``."""

    numbered: bool
    prefix: str
    digits: str
    seq: int


class KeyQueue:
    """The issues of one plan load waiting for a new key number, in a ``TEMP`` table of the load's
    connection (one row per new issue: kept out of memory), numbered in one statement at the end."""

    _FLUSH_AT = 1000

    def __init__(self, conn: sqlite3.Connection, namespace: str) -> None:
        self._conn = conn
        self._namespace = namespace
        self._buffer: list[tuple[int, str, int, str, int, str]] = []
        self._count = 0
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS key_queue (unnumbered INTEGER NOT NULL, prefix TEXT NOT NULL,"
            " width INTEGER NOT NULL, digits TEXT NOT NULL, seq INTEGER NOT NULL, issue_key TEXT NOT NULL)"
        )
        conn.execute("DELETE FROM temp.key_queue")

    def __len__(self) -> int:
        return self._count

    def add(self, issue_key: str, order: NumberOrder) -> None:
        digits = order.digits.lstrip("0")  # by length, then by text: numbers of any size, in order
        self._buffer.append(
            (int(not order.numbered), order.prefix, len(digits), digits, order.seq, issue_key)
        )
        self._count += 1
        if len(self._buffer) >= self._FLUSH_AT:
            self._flush()

    def number(self, queue: str, start: int) -> int:
        """Plan ``queue-start``, ``queue-(start + 1)``, … in order; returns how many were planned."""
        self._flush()
        self._conn.execute(
            """INSERT INTO planned_keys (namespace, issue_key, target_key, queue, number)
               SELECT ?, issue_key, ? || '-' || (? + rank), ?, ? + rank FROM (
                   SELECT issue_key, row_number() OVER (
                       ORDER BY unnumbered, prefix, width, digits, seq) - 1 AS rank FROM temp.key_queue)
               WHERE true
               ON CONFLICT(namespace, issue_key) DO UPDATE SET
                   target_key = excluded.target_key, queue = excluded.queue, number = excluded.number""",
            (self._namespace, queue, start, queue, start),
        )
        self._conn.execute("DROP TABLE temp.key_queue")
        count, self._count = self._count, 0
        return count

    def _flush(self) -> None:
        if self._buffer:
            self._conn.executemany("INSERT INTO temp.key_queue VALUES (?, ?, ?, ?, ?, ?)", self._buffer)
            self._buffer.clear()


@dataclass(frozen=True)
class ImportedIssue:
    """An issue a ledger says it imported (its row is ``done``)."""

    namespace: str
    source_key: str
    source_id: str
    unique: str
    target_key: str


class LedgerReader:
    """A read-only look into a checkpoint file — another run's, or this one's earlier namespaces —
    to find issues it imported (``target.dangling: existing``). It never writes, so it can be open
    while the file's own run holds its write lock."""

    _CHUNK = 400  # references per query (SQLite's limit on parameters)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self._conn = _open_read_only(self.path)
            self._conn.execute("SELECT 1 FROM issues JOIN ledger ON 0 LIMIT 0").fetchall()
        except sqlite3.Error as exc:
            raise MigratorError(
                f"{self.path}: not a readable checkpoint file ({exc})",
                hint="pass the .state.sqlite file of an earlier `migrator run`",
            ) from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LedgerReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def namespaces(self, identity: str | None = None) -> list[str]:
        """The file's namespaces — only those bound to the target ``identity`` when it is given."""
        rows = self._conn.execute("SELECT namespace FROM namespaces ORDER BY namespace").fetchall()
        names = [str(r[0]) for r in rows]
        if identity is None:
            return names
        bound = dict(self._conn.execute("SELECT key, value FROM meta WHERE key LIKE 'target:%'").fetchall())
        return [name for name in names if bound.get(f"target:{name}") == identity]

    def imported(self, system: str, namespaces: Sequence[str], refs: Collection[str]) -> list[ImportedIssue]:
        """Issues of ``system`` imported under ``namespaces`` whose source key or id is in ``refs``."""
        wanted, names = sorted(set(refs)), list(namespaces)
        found: list[ImportedIssue] = []
        if not names:
            return found
        for start in range(0, len(wanted), self._CHUNK):
            chunk = wanted[start : start + self._CHUNK]
            refs_in, names_in = ",".join("?" * len(chunk)), ",".join("?" * len(names))
            rows = self._conn.execute(
                "SELECT i.namespace, i.issue_key, i.source_id, i.unique_value, l.target_key FROM issues i"
                " JOIN ledger l ON l.namespace = i.namespace AND l.kind = 'issue' AND l.scope = ''"
                " AND l.source_id = i.issue_key"
                f" WHERE i.source_system = ? AND i.namespace IN ({names_in}) AND l.status = 'done'"
                f" AND l.target_key IS NOT NULL AND (i.issue_key IN ({refs_in}) OR i.source_id IN ({refs_in}))"
                " ORDER BY i.namespace, i.issue_key",
                (system, *names, *chunk, *chunk),
            ).fetchall()
            found += [ImportedIssue(*(str(value) for value in row)) for row in rows]
        return found


def _entry(r: Sequence[Any]) -> LedgerEntry:
    return LedgerEntry(
        id=int(r[0]),
        kind=Kind(r[1]),
        scope=str(r[2]),
        source_id=str(r[3]),
        issue_key=str(r[4]),
        parent_source_id=r[5],
        status=Status(r[6]),
        target_id=r[7],
        target_key=r[8],
        payload_hash=str(r[9]),
        generation=int(r[10]),
        done_at=r[11],
    )


def _plan_key(conn: sqlite3.Connection, namespace: str, issue_key: str, target_key: str) -> None:
    queue, _, number = target_key.rpartition("-")
    conn.execute(
        """INSERT INTO planned_keys (namespace, issue_key, target_key, queue, number) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(namespace, issue_key) DO UPDATE SET
               target_key = excluded.target_key, queue = excluded.queue, number = excluded.number""",
        (namespace, issue_key, target_key, queue, int(number) if number.isdigit() else 0),
    )


def _highest_planned_number(conn: sqlite3.Connection, queue: str) -> int:
    row = conn.execute("SELECT MAX(number) FROM planned_keys WHERE queue = ?", (queue,)).fetchone()
    return int(row[0] or 0)


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise MigratorError(
            f"no checkpoint file {path}", hint="run `migrator run ...` first, or pass --state"
        )
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30.0)


def _row(r: Sequence[Any]) -> LedgerRow:
    return LedgerRow(
        id=int(r[0]),
        kind=Kind(r[1]),
        source_id=str(r[2]),
        issue_key=str(r[3]),
        parent_source_id=r[4],
        seq=int(r[5]),
        status=Status(r[6]),
        unsure=bool(r[7]),
        target_id=r[8],
        target_key=r[9],
        attempts=int(r[10]),
        last_error=r[11],
    )
