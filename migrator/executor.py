"""Exactly-once, resumable execution of a stored plan against Tracker's ``_import`` endpoints.

The executor sees only the :class:`~migrator.state.CheckpointStore` (plan + ledger) and the
Tracker client. It runs three phases, each as per-issue *chains* on a pool of worker threads (one
chain per issue, so a chain's objects are never written concurrently):

1. **issues**, level by level of the parent forest (parents first): the issue, then its comments
   and files in time order (a comment's own files right after it), then worklogs;
2. **links**, once every issue exists (a link whose other end is missing stays pending with a reason);
3. **local fields** (an idempotent ``PATCH`` per issue, last, as it touches the issue).

Every write is checkpointed *before* it is sent (``in_flight``, ``unsure``) and confirmed after.
A write whose outcome is unknown — :class:`~migrator.tracker.errors.OutcomeUnknown`, or a row found
``in_flight`` at start-up — is **reconciled** against the target before anything is re-sent: issues
by ``unique``; comments by author, ``createdAt`` and text; files by name, size and ``createdAt``;
worklogs by author, start and duration; links by relationship and the other issue's key. A target
object already claimed by another ledger row is never claimed twice, so two identical comments stay
two comments. Only a proven absence leads to a re-send.
"""

from __future__ import annotations

import logging
import math
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from tqdm import tqdm

from migrator.plan import (
    RELATIONSHIP_TYPES,
    SYMMETRIC_LINK_TYPES,
    PlannedAttachment,
    PlannedIssue,
    PlannedLink,
    fit_link_time,
    link_window,
)
from migrator.state import (
    ATTACHMENT,
    BLOCKED,
    COMMENT,
    COMMENT_ATTACHMENT,
    DONE,
    FAILED,
    IN_FLIGHT,
    ISSUE,
    KINDS,
    LINK,
    LOCAL_FIELDS,
    PENDING,
    WORKLOG,
    CheckpointStore,
    LedgerRow,
)
from migrator.timeutil import parse_duration
from migrator.tracker.errors import (
    Conflict,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TrackerError,
    TrackerUnavailable,
)
from migrator.tracker.ratelimit import RateLimiter

log = logging.getLogger(__name__)

ISSUE_PHASE_KINDS: tuple[str, ...] = (ISSUE, COMMENT, ATTACHMENT, COMMENT_ATTACHMENT, WORKLOG)
CHILD_KINDS: tuple[str, ...] = (COMMENT, ATTACHMENT, COMMENT_ATTACHMENT, WORKLOG, LINK)
BLOCKABLE_KINDS: tuple[str, ...] = (COMMENT, ATTACHMENT, COMMENT_ATTACHMENT, WORKLOG, LOCAL_FIELDS)
# Ledger kinds whose target ids live in one id space (a claim in one excludes the others).
CLAIM_FAMILY: dict[str, tuple[str, ...]] = {
    COMMENT: (COMMENT,),
    ATTACHMENT: (ATTACHMENT, COMMENT_ATTACHMENT),
    COMMENT_ATTACHMENT: (ATTACHMENT, COMMENT_ATTACHMENT),
    WORKLOG: (WORKLOG,),
    LINK: (LINK,),
}


class TrackerApi(Protocol):
    """The part of :class:`~migrator.tracker.client.TrackerClient` the executor and verify use."""

    rate_limiter: RateLimiter | None

    def myself(self) -> Any: ...
    def get_issue(self, key: str) -> Any: ...
    def find_by_unique(self, unique: str) -> Any: ...
    def import_issue(self, body: Mapping[str, Any]) -> Any: ...
    def import_comment(self, key: str, body: Mapping[str, Any]) -> Any: ...
    def import_link(self, key: str, body: Mapping[str, Any]) -> Any: ...
    def create_link(self, key: str, relationship: str, other_key: str) -> Any: ...
    def import_worklog(self, key: str, body: Mapping[str, Any]) -> Any: ...
    def import_attachment(
        self,
        key: str,
        path: str,
        filename: str,
        created_at: str,
        created_by: str | int,
        comment_id: str | int | None = None,
    ) -> Any: ...
    def patch_issue(self, key: str, body: Mapping[str, Any], version: int | None = None) -> Any: ...
    def list_comments(self, key: str) -> list[Any]: ...
    def list_links(self, key: str) -> list[Any]: ...
    def list_attachments(self, key: str) -> list[Any]: ...
    def list_worklogs(self, key: str) -> list[Any]: ...
    def list_users(self) -> list[Any]: ...
    def download(self, url: str) -> bytes: ...
    def download_sha256(self, url: str) -> str: ...


# ---------------------------------------------------------------------- matching (shared with verify)


def same_instant(a: Any, b: Any) -> bool:
    """Two Tracker timestamps name the same millisecond (format differences ignored)."""
    if a is None or b is None:
        return a is b
    left, right = _instant(a), _instant(b)
    if left is None or right is None:
        return str(a) == str(b)
    return abs((left - right).total_seconds()) < 0.001


def _instant(value: Any) -> datetime | None:
    """Tracker's wire format, or any ISO 8601 form with an offset (as some responses carry)."""
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def normalize_text(value: Any) -> str:
    """Text as compared: line endings unified, trailing whitespace of lines and of the text ignored."""
    text = "" if value is None else str(value)
    return "\n".join(
        line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ).strip()


def same_duration(a: Any, b: Any) -> bool:
    """ISO 8601 durations in Tracker's business units (``P1W`` == ``P5D`` == ``PT40H``)."""
    try:
        return abs((parse_duration(str(a)) - parse_duration(str(b))).total_seconds()) < 1
    except ValueError:
        return str(a) == str(b)


def link_view(link: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(type id, direction, other issue key) of a link as the API lists it."""
    link_type = link.get("type") or {}
    other = link.get("object") or {}
    type_id = str(link_type.get("id")) if isinstance(link_type, Mapping) else str(link_type)
    key = other.get("key") if isinstance(other, Mapping) else None
    return type_id, str(link.get("direction") or ""), key


def relationship_matches(link: Mapping[str, Any], relationship: str, other_key: str) -> bool:
    """Is ``link`` (listed on issue X) the relationship ``X --relationship--> other_key``?"""
    expected = RELATIONSHIP_TYPES.get(relationship)
    type_id, direction, key = link_view(link)
    if key != other_key or expected is None:
        return False
    if type_id != expected[0]:
        return False
    return type_id in SYMMETRIC_LINK_TYPES or direction == expected[1]


class UserDirectory:
    """Compares the ``createdBy``-style references the API returns with planned users (logins or ids).

    The org's users are read once, lazily, and only when a comparison needs them. When they cannot
    be read, authors are not compared (dates and texts still are)."""

    def __init__(self, client: TrackerApi) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._ids_by_login: dict[str, set[str]] | None = None

    def _directory(self) -> dict[str, set[str]]:
        with self._lock:
            if self._ids_by_login is None:
                self._ids_by_login = self._read()
            return self._ids_by_login

    def _read(self) -> dict[str, set[str]]:
        directory: dict[str, set[str]] = {}
        try:
            users = self._client.list_users()
        except TrackerError as exc:
            log.warning("cannot read the org's users (%s); authors are not compared", exc.title)
            return directory
        for user in users or []:
            if not isinstance(user, Mapping) or not user.get("login"):
                continue
            ids = {
                str(user[name])
                for name in ("uid", "trackerUid", "passportUid", "cloudUid", "id")
                if user.get(name) not in (None, "")
            }
            directory[str(user["login"])] = ids | {str(user["login"])}
        return directory

    def same_user(self, ref: Any, planned: Any) -> bool | None:
        """True/False when it can tell; None when the planned user is unknown to the target."""
        if planned is None or ref is None:
            return ref is None and planned is None
        ref_ids = _ref_ids(ref)
        wanted = str(planned)
        if wanted in ref_ids:
            return True
        ids = self._directory().get(wanted)
        if ids is None:
            return None
        return bool(ids & ref_ids)


def _ref_ids(ref: Any) -> set[str]:
    if isinstance(ref, Mapping):
        return {
            str(ref[name])
            for name in ("id", "uid", "login", "passportUid", "trackerUid", "cloudUid")
            if ref.get(name) not in (None, "")
        }
    return {str(ref)}


def _author_ok(users: UserDirectory, ref: Any, planned: Any) -> bool:
    verdict = users.same_user(ref, planned)
    return verdict is not False


def comment_matches(users: UserDirectory, target: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    return (
        same_instant(target.get("createdAt"), body.get("createdAt"))
        and normalize_text(target.get("text")) == normalize_text(body.get("text"))
        and _author_ok(users, target.get("createdBy"), body.get("createdBy"))
    )


def planned_size(attachment: PlannedAttachment) -> int | None:
    if attachment.size is not None:
        return attachment.size
    try:
        return os.path.getsize(attachment.path)
    except OSError:
        return None


def attachment_matches(
    users: UserDirectory, target: Mapping[str, Any], attachment: PlannedAttachment
) -> bool:
    if target.get("name") != attachment.filename:
        return False
    size = planned_size(attachment)
    if size is not None and target.get("size") is not None and int(target["size"]) != size:
        return False
    if target.get("createdAt") is not None and not same_instant(target["createdAt"], attachment.created_at):
        return False
    return _author_ok(users, target.get("createdBy"), attachment.created_by)


def worklog_matches(users: UserDirectory, target: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    return (
        same_instant(target.get("start"), body.get("start"))
        and same_duration(target.get("duration"), body.get("duration"))
        and _author_ok(users, target.get("createdBy"), body.get("createdBy"))
    )


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def ref_matches(expected: Any, actual: Any) -> bool:
    """A planned reference (key, id, name or ``{key|id|name: ...}``) against the API's reference object."""
    if expected is None or actual is None:
        return expected is None and actual is None
    wanted = {str(v) for v in expected.values()} if isinstance(expected, Mapping) else {str(expected)}
    if isinstance(actual, Mapping):
        have = {str(actual[n]) for n in ("id", "key", "name", "display") if actual.get(n) is not None}
    else:
        have = {str(actual)}
    return bool(wanted & have)


def lists_match(expected: list[Any], actual: list[Any], same: Callable[[Any, Any], bool]) -> bool:
    """Same length and a one-to-one pairing under ``same`` (order ignored)."""
    if len(expected) != len(actual):
        return False
    remaining = list(actual)
    for item in expected:
        hit = next((a for a in remaining if same(item, a)), None)
        if hit is None:
            return False
        remaining.remove(hit)
    return True


def value_matches(users: UserDirectory, expected: Any, actual: Any) -> bool:
    """A planned field value (as sent) against the value the API returns for it."""
    if isinstance(actual, Mapping) and not isinstance(expected, Mapping):
        return ref_matches(expected, actual) or users.same_user(actual, expected) is True
    if isinstance(expected, list) or isinstance(actual, list):
        return lists_match(as_list(expected), as_list(actual), lambda e, a: value_matches(users, e, a))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected == actual)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        return normalize_text(expected) == normalize_text(actual)
    return bool(expected == actual)


# ---------------------------------------------------------------------- summary


@dataclass
class KindSummary:
    planned: int = 0
    done_now: int = 0  # became done in this run (sent, or found present by reconciliation)
    already_done: int = 0  # done before this run started
    reconciled: int = 0  # of done_now: found already in the target (no write needed)
    failed: int = 0
    blocked: int = 0
    pending: int = 0  # still pending / in flight at the end (e.g. links waiting for their other end)


@dataclass
class RunSummary:
    kinds: dict[str, KindSummary]
    duration_s: float
    writes: int = 0  # write requests sent (incl. ones answered 429)
    reconciliations: int = 0  # ambiguous outcomes / in-flight rows looked up in the target
    conflicts: int = 0  # 409s resolved (issue found by unique, link already there)
    rate_limited: int = 0
    unavailable: int = 0

    def total(self, name: str) -> int:
        return sum(getattr(k, name) for k in self.kinds.values())

    @property
    def complete(self) -> bool:
        return all(k.failed == k.blocked == k.pending == 0 for k in self.kinds.values())

    HEADERS: ClassVar[tuple[str, ...]] = (
        "kind",
        "planned",
        "done now",
        "already done",
        "reconciled",
        "failed",
        "blocked",
        "pending",
    )

    def table_rows(self) -> list[list[str]]:
        rows = []
        for kind, k in self.kinds.items():
            if k.planned:
                rows.append(
                    [
                        kind,
                        *(
                            str(v)
                            for v in (
                                k.planned,
                                k.done_now,
                                k.already_done,
                                k.reconciled,
                                k.failed,
                                k.blocked,
                                k.pending,
                            )
                        ),
                    ]
                )
        return rows

    def format_table(self) -> str:
        rows = [list(self.HEADERS), *self.table_rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.HEADERS))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(
            f"{self.writes} writes, {self.reconciliations} reconciliations, {self.conflicts} conflicts resolved, "
            f"{self.rate_limited} rate-limited, {self.duration_s:.1f}s"
        )
        return "\n".join(lines)

    def render(self) -> str:
        """The console table (what ``migrator run`` prints at the end)."""
        return self.format_table()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": {kind: k.__dict__.copy() for kind, k in self.kinds.items()},
            "duration_s": round(self.duration_s, 3),
            "writes": self.writes,
            "reconciliations": self.reconciliations,
            "conflicts": self.conflicts,
            "rate_limited": self.rate_limited,
            "unavailable": self.unavailable,
            "complete": self.complete,
        }


class _Counters:
    """Thread-safe run counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done = dict.fromkeys(KINDS, 0)
        self.reconciled = dict.fromkeys(KINDS, 0)
        self.values = {"writes": 0, "reconciliations": 0, "conflicts": 0, "rate_limited": 0, "unavailable": 0}

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.values[name] += n

    def done_row(self, kind: str, reconciled: bool) -> None:
        with self._lock:
            self.done[kind] += 1
            if reconciled:
                self.reconciled[kind] += 1


# ---------------------------------------------------------------------- executor


@dataclass(frozen=True)
class ExecutorPolicy:
    """Retry bounds. ``max_attempts`` counts sends of one object in one run (429s not included)."""

    max_attempts: int = 5
    max_rate_limited: int = 50
    max_reconcile_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    batch_size: int = 200


class _Throttle:
    """One shared :class:`RateLimiter` for all workers. When the client was built with it, the
    client already acquires before and penalizes on 429; otherwise the executor does."""

    def __init__(
        self, client: TrackerApi, limiter: RateLimiter | None, sleep: Callable[[float], None]
    ) -> None:
        client_limiter = getattr(client, "rate_limiter", None)
        self.limiter = limiter or client_limiter
        self.client_managed = self.limiter is not None and self.limiter is client_limiter
        self._sleep = sleep

    def before_call(self) -> None:
        if self.limiter is not None and not self.client_managed:
            self.limiter.acquire()

    def rate_limited(self, exc: RateLimited, fallback: float) -> None:
        if self.limiter is None:
            self._sleep(exc.retry_after if exc.retry_after is not None else fallback)
        elif not self.client_managed:
            self.limiter.penalize(exc.retry_after)


class _Stop(Exception):  # noqa: N818 - control flow: the run is being interrupted
    """Raised inside a chain when the run has been asked to stop."""


class _Unresolved(Exception):  # noqa: N818 - control flow
    """The object cannot be sent yet/at all; ``final`` = fail it, else leave it pending with the reason."""

    def __init__(self, reason: str, *, final: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass
class _Chain:
    """One issue's work in one phase: its plan, its rows, what is known of its target objects."""

    planned: PlannedIssue
    rows: list[LedgerRow]
    target_key: str | None = None
    comment_targets: dict[str, str] = field(default_factory=dict)  # comment source id -> target id
    failed_comments: dict[str, str] = field(default_factory=dict)  # comment source id -> reason
    listings: dict[str, list[Any]] = field(default_factory=dict)  # claim family -> the target's objects

    def listing(self, row: LedgerRow, read: Callable[[], list[Any]]) -> list[Any]:
        """The target's objects of the row's family, read once until this chain writes one."""
        family = CLAIM_FAMILY[row.kind][0]
        if family not in self.listings:
            self.listings[family] = list(read() or [])
        return self.listings[family]

    def wrote(self, row: LedgerRow) -> None:
        if row.kind in CLAIM_FAMILY:
            self.listings.pop(CLAIM_FAMILY[row.kind][0], None)

    def payload(self, row: LedgerRow) -> Any:
        return _payload(self.planned, row)


def _payload(planned: PlannedIssue, row: LedgerRow) -> Any:
    if row.kind == ISSUE:
        return planned.body
    if row.kind == LOCAL_FIELDS:
        return planned.local_fields
    items: Iterable[Any]
    if row.kind == COMMENT:
        items = planned.comments
    elif row.kind == ATTACHMENT:
        items = planned.attachments
    elif row.kind == COMMENT_ATTACHMENT:
        items = [a for c in planned.comments if c.source_id == row.parent_source_id for a in c.attachments]
    elif row.kind == WORKLOG:
        items = planned.worklogs
    else:
        items = planned.links
    for item in items:
        if item.source_id == row.source_id:
            return item
    raise KeyError(f"{row.kind} {row.source_id} is not in the stored plan of {planned.source_key}")


class Executor:
    """Runs whatever is pending or in flight in ``store`` (the active namespace) against ``client``."""

    def __init__(
        self,
        client: TrackerApi,
        store: CheckpointStore,
        workers: int = 4,
        rate_limiter: RateLimiter | None = None,
        progress: bool = True,
        *,
        policy: ExecutorPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.client = client
        self.store = store
        self.workers = workers
        self.policy = policy or ExecutorPolicy()
        self.progress = progress
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._throttle = _Throttle(client, rate_limiter, sleep)
        self.users = UserDirectory(client)
        self._counters = _Counters()
        self._stop = threading.Event()
        self._bar: tqdm[Any] | None = None
        self._bar_lock = threading.Lock()

    # ------------------------------------------------------------------ run

    def run(self, retry_failed: bool = False) -> RunSummary:
        """Run everything pending or in flight; ``retry_failed`` first puts failed/blocked rows back to pending."""
        started = time.monotonic()
        if retry_failed:
            self.store.reset_failed()
        self._counters = _Counters()
        self._stop.clear()
        before = self.store.counts()
        total = self.store.unfinished_count()
        self._bar = tqdm(
            total=total,
            unit="obj",
            desc="import",
            dynamic_ncols=True,
            disable=not (self.progress and sys.stderr.isatty()),
        )
        try:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="migrator") as pool:
                for depth in self.store.issue_depths():
                    self._phase(
                        pool, ISSUE_PHASE_KINDS, self._issue_chain, depth=depth, label=f"issues L{depth}"
                    )
                self._phase(pool, (LINK,), self._link_chain, label="links")
                self._phase(pool, (LOCAL_FIELDS,), self._local_fields_chain, label="local fields")
        finally:
            self._bar.close()
        return self._summary(before, time.monotonic() - started)

    def stop(self) -> None:
        """Ask the run to stop after the objects being written now (a resume continues later)."""
        self._stop.set()

    def _phase(
        self,
        pool: ThreadPoolExecutor,
        kinds: Sequence[str],
        chain: Callable[[str], None],
        *,
        depth: int | None = None,
        label: str,
    ) -> None:
        if self._bar is not None:
            self._bar.set_description(label)
        running: set[Future[None]] = set()
        after = -1
        try:
            while not self._stop.is_set():
                batch = self.store.issues_with_work(
                    kinds, depth=depth, after_seq=after, limit=self.policy.batch_size
                )
                if not batch:
                    break
                for seq, key in batch:
                    after = seq
                    while len(running) >= self.workers * 2:
                        running = self._collect(running)
                    running.add(pool.submit(chain, key))
            while running:
                running = self._collect(running)
        except BaseException:
            self._stop.set()
            wait(running)
            raise

    def _collect(self, running: set[Future[None]]) -> set[Future[None]]:
        done, rest = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            exc = future.exception()
            if exc is not None and not isinstance(exc, _Stop):
                raise exc
        return rest

    def _summary(self, before: dict[str, dict[str, int]], duration: float) -> RunSummary:
        after = self.store.counts()
        kinds: dict[str, KindSummary] = {}
        for kind in KINDS:
            counts = after.get(kind, {})
            kinds[kind] = KindSummary(
                planned=sum(counts.values()),
                done_now=self._counters.done[kind],
                already_done=before.get(kind, {}).get(DONE, 0),
                reconciled=self._counters.reconciled[kind],
                failed=counts.get(FAILED, 0),
                blocked=counts.get(BLOCKED, 0),
                pending=counts.get(PENDING, 0) + counts.get(IN_FLIGHT, 0),
            )
        values = self._counters.values
        return RunSummary(kinds=kinds, duration_s=duration, **values)

    def _tick(self, n: int = 1) -> None:
        if self._bar is not None and n:
            with self._bar_lock:
                self._bar.update(n)

    # ------------------------------------------------------------------ chains

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stop()

    def _issue_chain(self, issue_key: str) -> None:
        chain = _Chain(
            self.store.load_issue(issue_key), self.store.rows_for_issue(issue_key, ISSUE_PHASE_KINDS)
        )
        issue_row = next(r for r in chain.rows if r.kind == ISSUE)
        if issue_row.status in (FAILED, BLOCKED):
            self._block_issue_children(issue_key, issue_row.last_error)
            return
        if issue_row.status != DONE:
            self._check_stop()
            if not self._process(issue_row, chain):
                current = self.store.get_row(issue_row.id)
                if current.status == FAILED:
                    self._block_issue_children(issue_key, current.last_error)
                return
            issue_row = self.store.get_row(issue_row.id)
            chain.rows = self.store.rows_for_issue(
                issue_key, ISSUE_PHASE_KINDS
            )  # ``unsure`` may have changed
        chain.target_key = issue_row.target_key
        for row in chain.rows:
            if row.kind == COMMENT and row.status == DONE and row.target_id is not None:
                chain.comment_targets[row.source_id] = row.target_id
        for row in chain.rows:
            if row.kind == ISSUE or row.status in (DONE, FAILED, BLOCKED):
                continue
            self._check_stop()
            self._child(row, chain)

    def _child(self, row: LedgerRow, chain: _Chain) -> None:
        if row.kind == COMMENT_ATTACHMENT and row.parent_source_id not in chain.comment_targets:
            reason = chain.failed_comments.get(row.parent_source_id or "", "its comment was not imported")
            self._tick(self.store.mark_blocked([row.id], f"comment {row.parent_source_id} failed: {reason}"))
            return
        ok = self._process(row, chain)
        if row.kind != COMMENT:
            return
        current = self.store.get_row(row.id)
        if ok and current.target_id is not None:
            chain.comment_targets[row.source_id] = current.target_id
        else:
            chain.failed_comments[row.source_id] = current.last_error or current.status

    def _block_issue_children(self, issue_key: str, reason: str | None) -> None:
        rows = self.store.rows_for_issue(issue_key, BLOCKABLE_KINDS)
        ids = [r.id for r in rows if r.status in (PENDING, IN_FLIGHT)]
        self._tick(self.store.mark_blocked(ids, f"issue {issue_key} failed: {reason or 'not imported'}"))

    def _link_chain(self, issue_key: str) -> None:
        chain = _Chain(self.store.load_issue(issue_key), self.store.rows_for_issue(issue_key, (LINK,)))
        for row in chain.rows:
            if row.status in (PENDING, IN_FLIGHT):
                self._check_stop()
                self._process(row, chain)

    def _local_fields_chain(self, issue_key: str) -> None:
        chain = _Chain(
            self.store.load_issue(issue_key), self.store.rows_for_issue(issue_key, (LOCAL_FIELDS,))
        )
        for row in chain.rows:
            if row.status in (PENDING, IN_FLIGHT):
                self._check_stop()
                self._process(row, chain)

    # ------------------------------------------------------------------ one object

    def _process(self, row: LedgerRow, chain: _Chain) -> bool:
        """Bring one object to ``done`` (True) or leave it failed/pending with a reason (False)."""
        attempt = _Attempt(self.policy)
        unsure = row.unsure
        while True:
            if unsure:
                verdict = self._reconcile_step(row, chain, attempt)
                if verdict is not None:
                    return verdict
                unsure = False
            if attempt.sends >= self.policy.max_attempts:
                return self._fail(row, attempt.last_error or "too many attempts", unsure=False)
            try:
                call = self._prepare(row, chain)
            except _Unresolved as exc:
                return self._unresolved(row, exc)
            outcome = self._send(row, chain, call, attempt)
            if outcome is not None:
                return outcome
            unsure = attempt.unsure

    def _reconcile_step(self, row: LedgerRow, chain: _Chain, attempt: _Attempt) -> bool | None:
        """Look the object up; True = found (done); None = proven absent; False = gave up (failed)."""
        while True:
            self._counters.add("reconciliations")
            try:
                found = self._reconcile(row, chain)
            except (TrackerUnavailable, ServerError, RateLimited) as exc:
                attempt.reconcile_errors += 1
                if attempt.reconcile_errors >= self.policy.max_reconcile_attempts:
                    return self._fail(row, f"cannot check whether the last write landed: {exc}", unsure=True)
                self._sleep(self._backoff(attempt.reconcile_errors))
                continue
            except TrackerError as exc:
                return self._fail(row, f"cannot check whether the last write landed: {exc}", unsure=True)
            except _Unresolved as exc:
                return self._unresolved(row, exc)
            if found:
                self._done(row, reconciled=True)
                return True
            self.store.mark_absent(row.id)
            return None

    def _send(self, row: LedgerRow, chain: _Chain, call: Callable[[], Any], attempt: _Attempt) -> bool | None:
        """Send once. True/False = final; None = loop again (``attempt.unsure`` says whether to reconcile)."""
        self.store.mark_in_flight(row.id)
        chain.wrote(row)
        attempt.sends += 1
        self._counters.add("writes")
        self._throttle.before_call()
        try:
            result = call()
        except RateLimited as exc:
            attempt.sends -= 1
            attempt.rate_limited += 1
            self._counters.add("rate_limited")
            self.store.mark_not_applied(row.id, str(exc))
            if attempt.rate_limited > self.policy.max_rate_limited:
                return self._fail(row, str(exc), unsure=False)
            self._throttle.rate_limited(exc, self._backoff(attempt.rate_limited))
            attempt.unsure = False
            return None
        except TrackerUnavailable as exc:
            self._counters.add("unavailable")
            self.store.mark_not_applied(row.id, str(exc))
            attempt.last_error, attempt.unsure = str(exc), False
            self._sleep(self._backoff(attempt.sends))
            return None
        except OutcomeUnknown as exc:
            self.store.mark_unsure(row.id, str(exc))
            attempt.last_error, attempt.unsure = str(exc), True
            return None
        except Conflict as exc:
            return self._conflict(row, chain, exc)
        except TrackerError as exc:
            return self._fail(row, str(exc), unsure=False)
        except OSError as exc:  # the local file could not be read: nothing was sent
            return self._fail(
                row, f"cannot read {exc.filename or 'the file'}: {exc.strerror or exc}", unsure=False
            )
        target_id, target_key = _target_of(row, result, chain)
        self.store.mark_done(row.id, target_id, target_key)
        self._after_done(row, reconciled=False)
        return True

    def _conflict(self, row: LedgerRow, chain: _Chain, exc: Conflict) -> bool:
        """409: for an issue (its ``unique`` is taken) or a link (already there) the object exists."""
        if row.kind not in (ISSUE, LINK):
            return self._fail(row, str(exc), unsure=False)
        self._counters.add("conflicts")
        try:
            found = self._reconcile(row, chain)
        except (TrackerError, _Unresolved) as lookup:
            return self._fail(row, f"{exc}; then the lookup failed: {lookup}", unsure=True)
        if found:
            self._done(row, reconciled=True)
            return True
        if row.kind == LINK:
            self.store.mark_done(row.id, None, chain.target_key)
            self._after_done(row, reconciled=True)
            return True
        return self._fail(row, f"{exc}; and no issue has unique {chain.planned.unique!r}", unsure=False)

    def _done(self, row: LedgerRow, *, reconciled: bool) -> None:
        self._after_done(row, reconciled=reconciled)

    def _after_done(self, row: LedgerRow, *, reconciled: bool) -> None:
        self._counters.done_row(row.kind, reconciled)
        self._tick()

    def _fail(self, row: LedgerRow, reason: str, *, unsure: bool) -> bool:
        self.store.mark_failed(row.id, reason, unsure=unsure)
        log.warning("%s %s of %s failed: %s", row.kind, row.source_id, row.issue_key, reason)
        self._tick()
        return False

    def _unresolved(self, row: LedgerRow, exc: _Unresolved) -> bool:
        if exc.final:
            return self._fail(row, exc.reason, unsure=False)
        self.store.mark_pending(row.id, exc.reason)
        return False

    def _backoff(self, n: int) -> float:
        base = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** max(0, n - 1))
        return float(base * (1 + self._rng.uniform(0, 0.25)))

    # ------------------------------------------------------------------ per kind: the call

    def _prepare(self, row: LedgerRow, chain: _Chain) -> Callable[[], Any]:
        """The write for ``row`` as a zero-argument call (raises _Unresolved when it cannot be made)."""
        payload = chain.payload(row)
        client = self.client
        if row.kind == ISSUE:
            return lambda: client.import_issue(payload)
        key = self._issue_key(row, chain)
        if row.kind == COMMENT:
            return lambda: client.import_comment(key, payload.body)
        if row.kind in (ATTACHMENT, COMMENT_ATTACHMENT):
            return self._attachment_call(row, chain, key, payload)
        if row.kind == WORKLOG:
            return lambda: client.import_worklog(key, payload.body)
        if row.kind == LINK:
            body = self._link_body(payload, chain)
            if "createdAt" not in body:
                return lambda: client.create_link(key, body["relationship"], body["issue"])
            return lambda: client.import_link(key, body)
        return lambda: client.patch_issue(key, payload)

    def _issue_key(self, row: LedgerRow, chain: _Chain) -> str:
        if chain.target_key is None:
            target = self.store.issue_target(row.issue_key)
            if target is None or target.status != DONE or not target.target_key:
                detail = target.last_error if target is not None and target.last_error else "not imported"
                raise _Unresolved(f"issue {row.issue_key} is not in the target ({detail})", final=False)
            chain.target_key = target.target_key
        return chain.target_key

    def _attachment_call(
        self, row: LedgerRow, chain: _Chain, key: str, attachment: PlannedAttachment
    ) -> Callable[[], Any]:
        if not os.path.isfile(attachment.path):
            raise _Unresolved(
                f"file {attachment.path!r} ({attachment.filename}) is not a readable local file", final=True
            )
        comment_id = None
        if row.kind == COMMENT_ATTACHMENT:
            comment_id = chain.comment_targets.get(row.parent_source_id or "")
            if comment_id is None:
                raise _Unresolved(f"comment {row.parent_source_id} is not in the target", final=True)
        client = self.client
        return lambda: client.import_attachment(
            key,
            attachment.path,
            attachment.filename,
            attachment.created_at,
            attachment.created_by,
            comment_id=comment_id,
        )

    def _link_body(self, link: PlannedLink, chain: _Chain) -> dict[str, Any]:
        """The import body, its date moved into the window both issues share (the API's rule; the
        validator reports the move). Issues whose lifetimes do not overlap cannot carry a dated
        link: then the body has no date and the link is created as an ordinary, undated one."""
        other = self._other_key(link)
        window = link_window(chain.planned.body, self.store.load_issue(link.to_source_key).body)
        if window is None:
            return {"relationship": link.relationship, "issue": other}
        return {
            "relationship": link.relationship,
            "issue": other,
            "createdAt": fit_link_time(link.created_at, window),
            "createdBy": link.created_by,
        }

    def _other_key(self, link: PlannedLink) -> str:
        target = self.store.issue_target(link.to_source_key)
        if target is None:
            raise _Unresolved(f"the other issue {link.to_source_key} is not in this plan", final=False)
        if target.status != DONE or not target.target_key:
            why = f"{target.status}: {target.last_error}" if target.last_error else target.status
            raise _Unresolved(f"the other issue {link.to_source_key} is not imported ({why})", final=False)
        return target.target_key

    # ------------------------------------------------------------------ per kind: reconciliation

    def _reconcile(self, row: LedgerRow, chain: _Chain) -> bool:
        """Is the object in the target? If so, the row is marked done with the claimed target id."""
        self._throttle.before_call()
        payload = chain.payload(row)
        if row.kind == ISSUE:
            return self._reconcile_issue(row, chain)
        key = self._issue_key(row, chain)
        if row.kind == LOCAL_FIELDS:
            return self._reconcile_local_fields(row, key, payload)
        candidates = self._candidates(row, chain, key, payload)
        issue_scope = None if row.kind == LINK else row.issue_key
        claimed = self.store.claim(
            row.id, CLAIM_FAMILY[row.kind], candidates, issue_key=issue_scope, target_key=key
        )
        return claimed is not None

    def _reconcile_issue(self, row: LedgerRow, chain: _Chain) -> bool:
        found = self.client.find_by_unique(chain.planned.unique)
        if not found:
            return False
        self.store.mark_done(row.id, str(found.get("id")), str(found.get("key")), reconciled=True)
        chain.target_key = str(found.get("key"))
        # Found, not created by our last call: whatever of its children this ledger has not
        # confirmed may exist as well (a killed run, a lost or second state file) — look first.
        self.store.mark_children_unsure(row.issue_key, CHILD_KINDS)
        return True

    def _reconcile_local_fields(self, row: LedgerRow, key: str, values: Mapping[str, Any]) -> bool:
        """The PATCH is idempotent; it is only skipped when the issue already shows every value."""
        issue = self.client.get_issue(key)
        if not all(value_matches(self.users, value, issue.get(name)) for name, value in values.items()):
            return False
        self.store.mark_done(row.id, None, key, reconciled=True)
        return True

    def _candidates(self, row: LedgerRow, chain: _Chain, key: str, payload: Any) -> list[str]:
        users = self.users
        items: list[Any]
        match: Callable[[Mapping[str, Any]], bool]
        client = self.client
        if row.kind == COMMENT:
            items = chain.listing(row, lambda: client.list_comments(key))
            body = payload.body
            match = lambda item: comment_matches(users, item, body)  # noqa: E731
        elif row.kind in (ATTACHMENT, COMMENT_ATTACHMENT):
            items = chain.listing(row, lambda: client.list_attachments(key))
            match = lambda item: attachment_matches(users, item, payload)  # noqa: E731
        elif row.kind == WORKLOG:
            items = chain.listing(row, lambda: client.list_worklogs(key))
            body = payload.body
            match = lambda item: worklog_matches(users, item, body)  # noqa: E731
        else:
            other = self._other_key(payload)
            items = chain.listing(row, lambda: client.list_links(key))
            rel = payload.relationship
            match = lambda item: relationship_matches(item, rel, other)  # noqa: E731
        return [str(item.get("id")) for item in items or [] if isinstance(item, Mapping) and match(item)]


@dataclass
class _Attempt:
    policy: ExecutorPolicy
    sends: int = 0
    rate_limited: int = 0
    reconcile_errors: int = 0
    unsure: bool = False
    last_error: str | None = None


def _target_of(row: LedgerRow, result: Any, chain: _Chain) -> tuple[str | None, str | None]:
    """(target id, target key) from a successful write's response."""
    if isinstance(result, list):
        result = result[0] if result else None
    if row.kind == ISSUE:
        if not isinstance(result, Mapping):
            return None, None
        chain.target_key = str(result.get("key")) if result.get("key") is not None else None
        return _str_or_none(result.get("id")), chain.target_key
    if row.kind == LOCAL_FIELDS or not isinstance(result, Mapping):
        return None, chain.target_key
    return _str_or_none(result.get("id")), chain.target_key


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
