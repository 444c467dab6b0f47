"""One import at a time per queue: a lease that the target itself holds.

Two runs writing into one queue at the same moment can both write the same comment, file or
worklog: a run that finds an issue already there (``unique`` → 409) looks up its children before
sending each one, but a child the other run is sending right then is not there yet. The checkpoint
file's lock (``migrator/run_lock.py``) only stops two runs of *one* checkpoint file, so the queue
is guarded in the target, where every run — any machine, namespace or checkpoint file — sees it.

The marker is one issue per queue, created once with ``unique`` = ``migrator.queue-lease:<QUEUE>``
(the API's only atomic create-if-absent: a second create answers 409) and found with
``_findByUnique``. Its description holds the lease (:class:`LeaseRecord`): a random token of the
holding run, the checkpoint file it runs from, namespace, host, pid, since, last renewal and time to
live. It is taken and renewed with ``PATCH ?version=``, so of two runs racing for it one gets 409.

* A run takes the lease before its first write and holds it to its end (released on exit).
* Every issue of a plan is imported under a key planned before the import (``planning_texts.py``),
  so a new marker is imported under a number of its own (:func:`marker_number`) — not numbered by
  Tracker, whose numbering knows nothing of numbers planned but not imported yet: the number after
  every one the queue uses and the checkpoint file planned, or with ``keep_keys`` (a newer export
  brings the next source numbers) one far above them. The run records the marker's key in its
  checkpoint file, and later plan loads number new issues after it.
* A lease not renewed for ``ttl_s`` (the holder was killed, its machine lost) has expired: any run
  may take it. A run of the *same* checkpoint file takes it at once, whatever its age: that file's
  lock is held by this process, so the previous holder is certainly dead (SIGKILL, crash).
* The holder renews every ``renew_every_s`` from a background thread; if the lease was taken from
  it, or could not be renewed for nearly a ``ttl_s``, it stops its writers and the run exits 2.
* ``--ignore-queue-lock`` skips all of it (the user vouches that no other run is writing).

Cost: 1–2 calls to take (``check``'s read is reused), 1 to release, 1 per renewal (every two minutes) — not per object.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from migrator.errors import MigratorError
from migrator.timeutil import format_tracker_datetime
from migrator.tracker.errors import (
    Conflict,
    Locked,
    OutcomeUnknown,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TrackerError,
    TrackerUnavailable,
)

log = logging.getLogger(__name__)

LEASE_TTL_S = 600.0  # a lease not renewed for this long has expired
RENEW_EVERY_S = 120.0
CLOCK_SKEW_S = 60.0  # tolerated difference between the clocks of two machines running migrator
MAX_TAKE_ATTEMPTS = 5
_CREATE_BACKOFF_S = 1.0  # before making the marker again after a 429 / 5xx without Retry-After
UNIQUE_PREFIX = "migrator.queue-lease:"
SUMMARY = "migrator import lease"  # short: a queue may limit summaries
_RECORD_TAG = "migrator_queue_lease"


def marker_number(highest: int, *, keep_keys: bool) -> int:
    """The number a new marker issue is imported under, given the highest number the queue uses and
    the checkpoint file planned. Numbered imports take the numbers after the highest, so the marker
    takes the next one (the checkpoint file reserves it). With ``keep_keys`` the export's own numbers
    come next — a newer export brings ``highest + 1`` — so the marker keeps two orders of magnitude
    clear of them (highest 26 → 10000)."""
    if keep_keys:
        return int(10 ** (len(str(highest)) + 2))
    return highest + 1


def lease_unique(queue: str) -> str:
    """The ``unique`` of a queue's lease issue (never one of an imported issue: those are
    ``<namespace>:<system>:<id>``)."""
    return f"{UNIQUE_PREFIX}{queue}"


def checkpoint_owner(state_id: str, state_path: Path) -> str:
    """Fingerprint of one checkpoint file on one host (its random id, the host, its real path): a run
    holding that file's lock may take over a lease this fingerprint left. No path leaves the machine."""
    text = f"{state_id}|{socket.gethostname()}|{state_path.resolve()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


MarkerKey = Callable[[], str]  # the key a new marker issue is imported under (asked when it is made)


class _Made(Enum):
    """What an attempt to make the marker issue came to."""

    CREATED = "created"
    AGAIN = "again"  # made meanwhile, its key taken, or the outcome unknown: look again
    KEY_UNUSABLE = "key unusable"  # Tracker refused the chosen key itself: let it number the marker


@dataclass(frozen=True)
class _Read:
    """The marker issue as one ``_findByUnique`` answered (None: there was none)."""

    issue: Mapping[str, Any] | None


class LeaseApi(Protocol):
    """The Tracker calls the lease makes."""

    def myself(self) -> Any: ...
    def get_issue(self, key: str) -> Any: ...
    def find_by_unique(self, unique: str) -> Any: ...
    def create_issue(self, body: Mapping[str, Any]) -> Any: ...
    def import_issue(self, body: Mapping[str, Any]) -> Any: ...
    def patch_issue(self, key: str, body: Mapping[str, Any], version: int | None = None) -> Any: ...


@dataclass(frozen=True)
class LeaseRecord:
    """The lease as written in the marker issue's description."""

    holder: str  # random token of the holding run
    owner: str  # fingerprint of its checkpoint file (see ``checkpoint_owner``)
    namespace: str
    host: str
    pid: int
    since: str  # ISO 8601 UTC: when this run took the lease
    renewed_at: str  # ISO 8601 UTC: its last renewal
    ttl_s: float
    released: bool = False

    def expires_at(self) -> datetime:
        return datetime.fromisoformat(self.renewed_at) + timedelta(seconds=self.ttl_s)

    def is_live(self, now: datetime) -> bool:
        """Held and renewed recently enough (with room for another machine's clock)."""
        return not self.released and now <= self.expires_at() + timedelta(seconds=CLOCK_SKEW_S)

    def describe(self) -> str:
        return (
            f"namespace {self.namespace!r}, pid {self.pid} on host {self.host}, since {self.since}, "
            f"last renewed {self.renewed_at}"
        )

    def text(self, queue: str) -> str:
        """The marker's description: what it is, for a person, then the record."""
        return (
            f"While `migrator run` imports into queue {queue} it holds this lease, so that no second "
            "import writes into the queue at the same time. Do not edit or delete this issue.\n\n"
            f"{json.dumps({_RECORD_TAG: asdict(self)}, ensure_ascii=False, sort_keys=True)}\n"
        )

    @classmethod
    def parse(cls, text: Any) -> LeaseRecord | None:
        """The record in a marker's description; None if there is none (or it was edited beyond use)."""
        if not isinstance(text, str):
            return None
        match = re.search(r"\{.*\}", text, re.DOTALL)
        if match is None:
            return None
        try:
            data = json.loads(match.group(0)).get(_RECORD_TAG)
            record = cls(**data)
            record.expires_at()
        except (ValueError, TypeError, AttributeError):
            return None
        return record


class QueueLocked(MigratorError):
    """Another live run holds the queue's lease."""

    def __init__(self, queue: str, key: str, record: LeaseRecord) -> None:
        self.record = record
        expires = record.expires_at().isoformat(timespec="seconds")
        super().__init__(
            f"queue {queue}: another migrator run is importing into it ({record.describe()}; "
            f"lease issue {key})",
            hint="wait for that run to finish. If it is dead (killed on another machine), its lease "
            f"expires at {expires} unless renewed; or, once you are sure no other run writes into the "
            "queue, pass --ignore-queue-lock",
        )


class LeaseLost(MigratorError):
    """This run's lease was taken by another run, or could not be renewed in time."""


class QueueLease:
    """The lease of one queue, as one run takes, renews and releases it."""

    def __init__(
        self,
        client: LeaseApi,
        queue: str,
        *,
        namespace: str,
        owner: str,
        ttl_s: float = LEASE_TTL_S,
        renew_every_s: float = RENEW_EVERY_S,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < renew_every_s < ttl_s:
            raise ValueError("renew_every_s must be positive and shorter than ttl_s")
        self.client = client
        self.queue = queue
        self.namespace = namespace
        self.owner = owner
        self.ttl_s = ttl_s
        self.renew_every_s = renew_every_s
        self.token = uuid.uuid4().hex
        self.unique = lease_unique(queue)
        self.lost: str | None = None
        self._now = now
        self._monotonic = monotonic
        self._sleep = sleep
        self._key: str | None = None
        self._version: int | None = None
        self._record: LeaseRecord | None = None
        self._renewed_mono = 0.0
        self._stop = threading.Event()
        self._checked: _Read | None = None  # the marker as ``check`` read it, for ``acquire``
        self._myself: Future[Any] | None = None  # the token's user, read ahead (``read_ahead``)

    @property
    def key(self) -> str | None:
        """The marker issue's key once the lease is held."""
        return self._key

    # ------------------------------------------------------------------ taking

    def check(self) -> None:
        """Read-only: raise :class:`QueueLocked` if another live run holds the lease now (so a run
        is refused before its validation, not after). ``acquire`` starts from what this read (one
        ``_findByUnique`` per run): if the marker changed meanwhile, its create (``unique``) or its
        take (``?version=``) answers 409/412 and ``acquire`` reads it again."""
        issue = self.client.find_by_unique(self.unique)
        if isinstance(issue, Mapping):
            self._refuse_if_held(issue, LeaseRecord.parse(issue.get("description")))
        # Without a version the take is not guarded against a change since this read: read again.
        self._checked = _Read(issue if isinstance(issue, Mapping) else None)
        if self._checked.issue is not None and _version(self._checked.issue) is None:
            self._checked = None

    @property
    def marker_missing(self) -> bool:
        """``check`` found no marker: ``acquire`` will make one (its key and the token's login read)."""
        return self._checked is not None and self._checked.issue is None

    def read_ahead(self, pool: Executor) -> None:
        """When ``acquire`` will make the marker, start reading what it names as the marker's author
        (``myself``) on ``pool`` now, so that the answer is in when the import starts instead of
        being one more request between the validation and the first write."""
        if self.marker_missing and self._myself is None:
            self._myself = pool.submit(self.client.myself)

    def acquire(self, marker_key: MarkerKey | None = None) -> None:
        """Take the lease (creating the marker the first time); raises :class:`QueueLocked`.
        ``marker_key`` gives the key to import a new marker under, asked only when the marker must
        be made (and again if that key was taken meanwhile): every issue of a plan is imported
        under a key planned before the import, so the marker takes one after them. None = Tracker
        numbers it (also when Tracker refuses the key as unusable)."""
        for _ in range(MAX_TAKE_ATTEMPTS):
            issue = self._read_marker()
            if not isinstance(issue, Mapping):
                made = self._create(marker_key() if marker_key is not None else None)
                if made is _Made.CREATED:
                    return
                if made is _Made.KEY_UNUSABLE:
                    marker_key = None
                continue  # made meanwhile, or the key was taken: read it again
            record = LeaseRecord.parse(issue.get("description"))
            if record is not None and record.holder == self.token:
                self._adopt(issue, record)  # our own earlier write, whose answer was lost
                return
            self._refuse_if_held(issue, record)
            if self._take(issue):
                return
        raise MigratorError(
            f"queue {self.queue}: could not take the import lease (issue with unique {self.unique!r}): "
            "it kept changing (or the target kept refusing to make it) while migrator tried",
            hint="another run is starting at the same moment; run the same command again",
        )

    def _read_marker(self) -> Any:
        """The marker issue (None when there is none): what ``check`` read, the first time."""
        checked, self._checked = self._checked, None
        return checked.issue if checked is not None else self.client.find_by_unique(self.unique)

    def _refuse_if_held(self, issue: Mapping[str, Any], record: LeaseRecord | None) -> None:
        if record is None or record.holder == self.token or record.owner == self.owner:
            return
        if record.is_live(self._now()):
            raise QueueLocked(self.queue, str(issue.get("key")), record)

    def _new_record(self) -> LeaseRecord:
        now = _iso(self._now())
        return LeaseRecord(
            holder=self.token,
            owner=self.owner,
            namespace=self.namespace,
            host=socket.gethostname(),
            pid=os.getpid(),
            since=now,
            renewed_at=now,
            ttl_s=self.ttl_s,
        )

    def _create(self, marker_key: str | None) -> _Made:
        record = self._new_record()
        body: dict[str, Any] = {
            "queue": self.queue,
            "summary": SUMMARY,
            "description": record.text(self.queue),
            "unique": self.unique,
        }
        try:
            if marker_key is None:
                created = self.client.create_issue(body)
            else:
                created = self.client.import_issue(self._import_body(body, marker_key))
        except (Conflict, OutcomeUnknown):
            return _Made.AGAIN  # made meanwhile (by another run, or by this call), or the key taken
        except (RateLimited, ServerError, TrackerUnavailable) as exc:
            # Not applied, or applied and answered badly: its ``unique`` makes trying again safe.
            log.warning(
                "creating the import lease issue of queue %s: %s; trying again", self.queue, exc.title
            )
            self._sleep(getattr(exc, "retry_after", None) or _CREATE_BACKOFF_S)
            return _Made.AGAIN
        except TrackerError as exc:
            if marker_key is not None and exc.status in (400, 404, 422):
                return _Made.KEY_UNUSABLE
            raise MigratorError(
                f"queue {self.queue}: cannot create the issue that holds the import lease: {exc}",
                hint="allow the token to create issues in the queue, or pass --ignore-queue-lock "
                "(then make sure no other run writes into the queue at the same time)",
            ) from exc
        if not isinstance(created, Mapping):
            return _Made.AGAIN
        self._adopt(created, record)
        return _Made.CREATED

    def _import_body(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        me = self._myself_answer()
        me = me[0] if isinstance(me, list) and me else me
        login = me.get("login") if isinstance(me, Mapping) else None
        # A minute back, so that a clock ahead of Tracker's does not date it in the future.
        created = format_tracker_datetime(self._now() - timedelta(minutes=1))
        return {**body, "key": key, "createdAt": created, "createdBy": login}

    def _myself_answer(self) -> Any:
        """The answer read ahead, or a new read (none was started, or it failed: read again, as
        the create's retries would have)."""
        ahead = self._myself
        if ahead is not None and not ahead.cancelled() and ahead.exception() is None:
            return ahead.result()
        return self.client.myself()

    def _take(self, issue: Mapping[str, Any]) -> bool:
        """PATCH the marker with the version just read: of two runs racing, one gets 409/412."""
        record = self._new_record()
        try:
            patched = self.client.patch_issue(
                str(issue.get("key")), {"description": record.text(self.queue)}, version=_version(issue)
            )
        except (Conflict, PreconditionFailed, OutcomeUnknown):
            return False
        except Locked as exc:
            raise _capped(self.queue, str(issue.get("key"))) from exc
        if not isinstance(patched, Mapping):
            return False
        current = LeaseRecord.parse(patched.get("description"))
        if current is None or current.holder != self.token:
            return False
        self._adopt(patched, record)
        return True

    def _adopt(self, issue: Mapping[str, Any], record: LeaseRecord) -> None:
        self._key = str(issue.get("key"))
        self._version = _version(issue)
        self._record = record
        self._renewed_mono = self._monotonic()
        log.info("holding the import lease of queue %s (issue %s)", self.queue, self._key)

    # ------------------------------------------------------------------ holding

    def renew(self) -> None:
        """Renew the lease; raises :class:`LeaseLost` if another run has it now, or the client's
        error when the target could not be reached (try again later)."""
        if self._key is None or self._record is None:
            raise LeaseLost(f"queue {self.queue}: the import lease is not held")
        record = replace(self._record, renewed_at=_iso(self._now()))
        try:
            patched = self.client.patch_issue(
                self._key, {"description": record.text(self.queue)}, version=self._version
            )
        except (Conflict, PreconditionFailed):
            # Changed behind us: by our own renewal whose answer was lost, or by another run.
            issue = self.client.get_issue(self._key)
            current = LeaseRecord.parse(issue.get("description") if isinstance(issue, Mapping) else None)
            if current is None or current.holder != self.token:
                who = current.describe() if current is not None else "its description was edited"
                raise LeaseLost(
                    f"queue {self.queue}: another run took the import lease (issue {self._key}): {who}"
                ) from None
            self._version = _version(issue)
            return
        except Locked as exc:
            raise _capped(self.queue, self._key) from exc
        if isinstance(patched, Mapping):
            self._adopt(patched, record)

    def release(self) -> None:
        """Mark the lease released (best effort: if this fails, the lease simply expires)."""
        if self._key is None or self._record is None:
            return
        record = replace(self._record, renewed_at=_iso(self._now()), released=True)
        for _ in range(2):
            try:
                self.client.patch_issue(
                    self._key, {"description": record.text(self.queue)}, version=self._version
                )
                break
            except (Conflict, PreconditionFailed):
                issue = self.client.get_issue(self._key)
                current = LeaseRecord.parse(issue.get("description") if isinstance(issue, Mapping) else None)
                if current is None or current.holder != self.token:
                    break  # no longer ours: nothing to release
                self._version = _version(issue)
            except TrackerError as exc:
                log.warning(
                    "could not release the import lease of queue %s (it expires): %s", self.queue, exc
                )
                break
        self._key = None

    @contextmanager
    def holding(
        self, on_lost: Callable[[str], None], marker_key: MarkerKey | None = None
    ) -> Iterator[QueueLease]:
        """Take the lease, renew it in the background while the block runs, release it after.
        ``on_lost(reason)`` is called (from the renewal thread) if the lease is lost meanwhile."""
        self.acquire(marker_key)
        self._stop.clear()
        beat = threading.Thread(target=self._renewals, args=(on_lost,), name="queue-lease", daemon=True)
        beat.start()
        try:
            yield self
        finally:
            self._stop.set()
            beat.join()
            if self.lost is None:
                self.release()

    def raise_if_lost(self) -> None:
        if self.lost is not None:
            raise LeaseLost(
                self.lost,
                hint="the run stopped its writes; run the same command again once the other run ends",
            )

    def _renewals(self, on_lost: Callable[[str], None]) -> None:
        wait = self.renew_every_s
        while not self._stop.wait(wait):
            try:
                self.renew()
                wait = self.renew_every_s
            except LeaseLost as exc:
                self._lose(exc.message, on_lost)
                return
            except TrackerError as exc:
                log.warning("could not renew the import lease of queue %s: %s", self.queue, exc)
                wait = max(1.0, self.renew_every_s / 4)
            silent = self._monotonic() - self._renewed_mono
            if silent > self.ttl_s - self.renew_every_s:
                self._lose(
                    f"queue {self.queue}: the import lease could not be renewed for {silent:.0f} s; "
                    "another run may take it, so this run stopped writing",
                    on_lost,
                )
                return

    def _lose(self, reason: str, on_lost: Callable[[str], None]) -> None:
        self.lost = reason
        log.warning("%s", reason)
        on_lost(reason)


def _capped(queue: str, key: str) -> MigratorError:
    return MigratorError(
        f"queue {queue}: the import lease issue {key} has reached Tracker's limit of edits (423)",
        hint="make sure no other run writes into the queue, then pass --ignore-queue-lock",
    )


def _version(issue: Mapping[str, Any]) -> int | None:
    value = issue.get("version")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
