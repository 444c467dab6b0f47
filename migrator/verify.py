"""Read the target back and compare it with the plan: every issue, field, comment, file, link, worklog.

``verify(client, planned, store)`` finds each planned issue (the ledger's target key, else
``_findByUnique``), compares the fields of the import body with what Tracker returns, and matches
children one to one (so a duplicate shows up as an *extra* object). Files are downloaded and
compared by SHA-256. Links are checked after all issues, once every target key is known.

Issues are checked on a thread pool sharing the one client. The planned issues are pulled from the
stream only as fast as results come back (at most ``_IN_FLIGHT_PER_WORKER * workers`` in flight),
and each check writes to its own small report that is merged in plan order, so the report is the
same for any number of workers.

One room (over 500 lines): the checks of every object kind fill one report with one vocabulary of
problems, and share the comparison rules of ``migrator/execution/matching.py``.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence, Sized
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from migrator.delta import CHILD_KINDS, ORDINARY_WRITE_KINDS, RESOLUTION_STAMPS, WINDOW_STAMPS
from migrator.execution.api import TrackerApi
from migrator.execution.matching import (
    UserDirectory,
    attachment_matches,
    comment_matches,
    issue_field_matches,
    planned_size,
    relationship_matches,
    value_matches,
    worklog_matches,
)
from migrator.execution.texts import final_texts
from migrator.plan import PlannedAttachment, PlannedIssue
from migrator.state import CheckpointStore
from migrator.tracker.errors import TrackerError
from migrator.vocabulary import KINDS, Kind, Status

log = logging.getLogger(__name__)

# Import-only inputs the API does not read back (or only for its own viewer).
_NOT_READ_BACK = frozenset({"favoritedBy", "markupType", "descriptionRenderType", "textRenderType"})
# Fields any ordinary-API write (the local-field PATCH, a delta's update, edit or removal) or an
# undated link (``target.undated_links: now``) legitimately changes after the import.
_TOUCHED_BY_PATCH = frozenset(WINDOW_STAMPS)
# Fields a delta's issue_update leaves as Tracker has them (a transition stamps resolvedAt/By; the
# rest cannot change on an existing issue — validate reported them as delta.not_applicable).
_KEPT_BY_UPDATE = frozenset({*RESOLUTION_STAMPS, "createdAt", "createdBy", "resolution"})
# Issues pulled from the plan but not yet merged into the report, per worker (bounds memory).
_IN_FLIGHT_PER_WORKER = 4

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass
class Problem:
    issue: str  # source key
    kind: Kind
    problem: str  # missing | extra | duplicate | mismatch | error
    message: str
    source_id: str | None = None
    field: str | None = None
    expected: Any = None
    actual: Any = None
    target: str | None = None  # target key / id

    def to_dict(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if value is not None}


@dataclass
class KindCounts:
    planned: int = 0
    found: int = 0
    missing: int = 0
    extra: int = 0
    mismatched: int = 0


@dataclass
class VerifyReport:
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # expected differences (not counted against clean)

    @property
    def empty(self) -> bool:
        """Nothing was planned, so nothing was compared: never "clean"."""
        return not any(c.planned for c in self.counts.values())

    @property
    def clean(self) -> bool:
        return not self.problems and not self.empty

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        counts = self.counts[problem.kind]
        if problem.problem == "missing":
            counts.missing += 1
        elif problem.problem in ("extra", "duplicate"):
            counts.extra += 1
        elif problem.problem == "mismatch":
            counts.mismatched += 1

    def merge(self, other: VerifyReport) -> None:
        """Append ``other``'s problems and notes after this report's, and add up the counts."""
        for kind, theirs in other.counts.items():
            mine = self.counts.setdefault(kind, KindCounts())
            for item in fields(KindCounts):
                setattr(mine, item.name, getattr(mine, item.name) + getattr(theirs, item.name))
        self.problems.extend(other.problems)
        self.notes.extend(other.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "empty_plan": self.empty,
            "counts": {kind: c.__dict__.copy() for kind, c in self.counts.items() if c.planned or c.extra},
            "problems": [p.to_dict() for p in self.problems],
            "notes": [p.to_dict() for p in self.notes],
        }

    def _verdict(self) -> str:
        if self.empty:
            return "nothing to compare: the plan is empty (no issue of the export could be planned)"
        issues = self.counts[Kind.ISSUE]
        if issues.planned and not issues.found:
            return (
                f"none of the {issues.planned} planned issue(s) is in the target — nothing was imported "
                f"yet ({len(self.problems)} difference(s))"
            )
        return "target matches the plan" if self.clean else f"{len(self.problems)} difference(s)"

    def summary_lines(self, max_problems: int = 20) -> list[str]:
        lines = []
        for kind, c in self.counts.items():
            if c.planned or c.extra:
                lines.append(
                    f"{kind:<20} planned {c.planned:>7}  found {c.found:>7}  missing {c.missing:>5}  "
                    f"extra {c.extra:>5}  mismatched {c.mismatched:>5}"
                )
        lines.append(
            f"verify: {self._verdict()}"
            + (f" ({len(self.notes)} expected difference(s) noted)" if self.notes else "")
        )
        for p in self.problems[:max_problems]:
            where = f"{p.issue}" + (
                f" {p.kind} {p.source_id}" if p.source_id and p.kind != Kind.ISSUE else ""
            )
            lines.append(f"  {p.problem:<9} {where}: {p.message}")
        if len(self.problems) > max_problems:
            lines.append(f"  ... and {len(self.problems) - max_problems} more (see the JSON report)")
        return lines


@dataclass(slots=True)
class _PendingLink:
    owner: str  # source key of the issue that lists it
    source_id: str
    relationship: str
    to_source_key: str
    to_target_key: str | None  # the other issue was already in Tracker (``target.dangling: existing``)


@dataclass(frozen=True)
class _Context:
    """What every check shares: all of it is thread-safe (the client's session is pooled, the user
    directory locks its one lazy read, the store locks its connection)."""

    client: TrackerApi
    store: CheckpointStore | None
    check_content: bool
    users: UserDirectory


@dataclass
class _IssueOutcome:
    source_key: str
    target_key: str | None  # None when the issue was not found
    report: VerifyReport  # this issue's counts, problems and notes only


class _Verifier:
    """Runs the checks on a pool and merges their reports in plan order (main thread only)."""

    def __init__(self, ctx: _Context, workers: int, progress: bool) -> None:
        self.ctx = ctx
        self.workers = workers
        self.progress = progress
        self.report = VerifyReport()
        self.target_keys: dict[str, str] = {}  # source key -> target key (found issues)
        self.links: dict[str, list[_PendingLink]] = {}  # owner -> its links (first listing owns a link)
        self.seen_links: set[str] = set()

    def run(self, planned: Iterable[PlannedIssue], total: int | None) -> VerifyReport:
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="verify") as pool:
            self._issues(pool, planned, total)
            self._links(pool)
        return self.report

    @property
    def _window(self) -> int:
        return _IN_FLIGHT_PER_WORKER * self.workers

    def _issues(self, pool: Executor, planned: Iterable[PlannedIssue], total: int | None) -> None:
        bar = _progress_bar(total, "verify issues", "issue", self.progress)
        admitted = (self._admit(issue) for issue in planned)
        try:
            with closing(_ordered_map(pool, self._check_issue, admitted, self._window)) as outcomes:
                for outcome in outcomes:
                    self.report.merge(outcome.report)
                    if outcome.target_key is not None:
                        self.target_keys[outcome.source_key] = outcome.target_key
                    bar.update()
        finally:
            bar.close()

    def _admit(self, planned: PlannedIssue) -> PlannedIssue:
        """Main thread, plan order: the first issue to list a link owns it (as the sequential run did)."""
        self._collect_links(planned)
        return planned

    def _check_issue(self, planned: PlannedIssue) -> _IssueOutcome:
        check = _IssueCheck(self.ctx)
        key = check.issue(planned)
        return _IssueOutcome(planned.source_key, key, check.report)

    def _collect_links(self, planned: PlannedIssue) -> None:
        for link in planned.links:
            if link.source_id in self.seen_links:
                continue
            self.seen_links.add(link.source_id)
            self.report.counts[Kind.LINK].planned += 1
            self.links.setdefault(planned.source_key, []).append(
                _PendingLink(
                    planned.source_key,
                    link.source_id,
                    link.relationship,
                    link.to_source_key,
                    link.to_target_key,
                )
            )

    def _links(self, pool: Executor) -> None:
        """After all issues, once every target key is known: one links read per owner, in plan order."""
        bar = _progress_bar(len(self.links), "verify links", "issue", self.progress)
        try:
            with closing(_ordered_map(pool, self._check_links, self.links.items(), self._window)) as reports:
                for report in reports:
                    self.report.merge(report)
                    bar.update()
        finally:
            bar.close()

    def _check_links(self, owned: tuple[str, list[_PendingLink]]) -> VerifyReport:
        check = _LinkCheck(self.ctx, self.target_keys)
        check.owner(*owned)
        return check.report


@dataclass
class _History:
    """What the ledger says happened to one issue after its import (expected differences)."""

    # ordinary-API writes after the import that moved updatedAt/updatedBy, each with its finding
    writes: list[str] = field(default_factory=list)
    updated: bool = False  # a delta's issue_update was applied
    kept: dict[Kind, set[str]] = field(default_factory=dict)  # deleted from the export, kept in Tracker

    @property
    def touched(self) -> bool:
        return bool(self.writes)

    @classmethod
    def of(cls, store: CheckpointStore | None, planned: PlannedIssue) -> _History:
        if store is None or not store.has_plan:
            return cls(writes=_planned_writes(planned, set()))
        entries = [e for e in store.view().entries_of_issue(planned.source_key) if e.status == Status.DONE]
        planned_ids = {
            Kind.COMMENT: {c.source_id for c in planned.comments},
            Kind.ATTACHMENT: {a.source_id for a in planned.attachments},
            Kind.COMMENT_ATTACHMENT: {a.source_id for c in planned.comments for a in c.attachments},
            Kind.WORKLOG: {w.source_id for w in planned.worklogs},
        }
        kept: dict[Kind, set[str]] = {}
        for entry in entries:
            if (
                entry.kind in CHILD_KINDS
                and entry.source_id not in planned_ids[entry.kind]
                and entry.target_id
            ):
                kept.setdefault(entry.kind, set()).add(entry.target_id)
        return cls(
            writes=_planned_writes(planned, {e.kind for e in entries if e.kind in ORDINARY_WRITE_KINDS}),
            updated=any(e.kind == Kind.ISSUE_UPDATE for e in entries),
            kept=kept,
        )

    def kept_ids(self, *kinds: Kind) -> set[str]:
        return {target for kind in kinds for target in self.kept.get(kind, set())}


def _planned_writes(planned: PlannedIssue, done: set[Kind]) -> list[str]:
    """The ordinary-API writes after the import that move the issue's stamps, as validate announced
    them: planned for this issue, or done by a run (a delta's rows)."""
    writes = []
    if planned.local_fields or Kind.LOCAL_FIELDS in done:
        writes.append("the local-field PATCH after the import: local_fields.updated_at_moves")
    if planned.description_patch or Kind.DESCRIPTION in done:
        writes.append("the description PATCH after the import: text.description_patch")
    if Kind.ISSUE_UPDATE in done:
        writes.append("a delta run's update: delta.updated_at_moves / delta.window_opened")
    if Kind.COMMENT_EDIT in done:
        writes.append("a delta run's comment edit: delta.comment_edited")
    if Kind.REMOVAL in done:
        writes.append("a delta run's deletion of a child (--delete-missing): delta.deleted")
    return writes


class _IssueCheck:
    """One planned issue against the target (a worker thread); writes only to its own ``report``."""

    def __init__(self, ctx: _Context) -> None:
        self.client = ctx.client
        self.store = ctx.store
        self.check_content = ctx.check_content
        self.users = ctx.users
        self.report = VerifyReport()
        self.history = _History()

    def issue(self, planned: PlannedIssue) -> str | None:
        """Check ``planned``; returns its target key when it was found."""
        planned = final_texts(self.store, planned)  # texts as the run sends them (keys, files resolved)
        self._plan_counts(planned)
        self.history = _History.of(self.store, planned)
        try:
            found = self._find(planned)
        except TrackerError as exc:
            self.report.add(Problem(planned.source_key, Kind.ISSUE, "error", f"cannot read the issue: {exc}"))
            return None
        if found is None:
            self.report.add(
                Problem(
                    planned.source_key,
                    Kind.ISSUE,
                    "missing",
                    f"not in the target (unique {planned.unique!r})",
                )
            )
            return None
        key = str(found["key"])
        self.report.counts[Kind.ISSUE].found += 1
        self._fields(planned, found, key)
        for name, check in (
            ("comments", self._comments),
            ("files", self._files),
            ("worklogs", self._worklogs),
        ):
            try:
                check(planned, key)
            except TrackerError as exc:
                self.report.add(
                    Problem(
                        planned.source_key,
                        Kind.ISSUE,
                        "error",
                        f"cannot read {name} of {key}: {exc}",
                        target=key,
                    )
                )
        return key

    def _plan_counts(self, planned: PlannedIssue) -> None:
        counts = self.report.counts
        counts[Kind.ISSUE].planned += 1
        counts[Kind.COMMENT].planned += len(planned.comments)
        counts[Kind.COMMENT_ATTACHMENT].planned += sum(len(c.attachments) for c in planned.comments)
        counts[Kind.ATTACHMENT].planned += len(planned.attachments)
        counts[Kind.WORKLOG].planned += len(planned.worklogs)
        counts[Kind.LOCAL_FIELDS].planned += 1 if planned.local_fields else 0
        counts[Kind.DESCRIPTION].planned += 1 if planned.description_patch else 0

    def _find(self, planned: PlannedIssue) -> dict[str, Any] | None:
        if self.store is not None:
            target = self.store.issue_target(planned.source_key)
            if target is not None and target.status == Status.DONE and target.target_key:
                try:
                    return dict(self.client.get_issue(target.target_key))
                except TrackerError as exc:
                    if exc.status != 404:
                        raise
        found = self.client.find_by_unique(planned.unique)
        return dict(found) if found else None

    # ------------------------------------------------------------------ fields

    def _fields(self, planned: PlannedIssue, actual: Mapping[str, Any], key: str) -> None:
        history = self.history
        touched = _touch_reason(planned, history)
        for name, expected in planned.body.items():
            if name in _NOT_READ_BACK:
                continue
            if issue_field_matches(self.users, name, expected, actual.get(name)):
                if name == "description" and planned.description_patch:
                    self.report.counts[Kind.DESCRIPTION].found += 1
                continue
            problem = Problem(
                planned.source_key,
                Kind.ISSUE,
                "mismatch",
                f"{name}: planned {expected!r}, target has {_display(actual.get(name))!r}",
                field=name,
                expected=expected,
                actual=actual.get(name),
                target=key,
            )
            if touched and name in _TOUCHED_BY_PATCH:
                problem.message += f" (moved by {touched})"
                self.report.notes.append(problem)
                continue
            if name in _TOUCHED_BY_PATCH and self._stamp_kept(planned, name, actual.get(name)):
                problem.message += (
                    " (the newer export moved only the issue's stamps: nothing was written, so Tracker "
                    "keeps the imported ones, see delta.stamps_kept)"
                )
                self.report.notes.append(problem)
                continue
            if history.updated and name in _KEPT_BY_UPDATE:
                announced = "delta.resolved_at_moves" if name in RESOLUTION_STAMPS else "delta.not_applicable"
                problem.message += (
                    " (a delta run updated the issue: Tracker stamps or keeps this field itself, "
                    f"see {announced})"
                )
                self.report.notes.append(problem)
                continue
            self.report.add(problem)
        self._local_fields(planned, actual, key)

    def _stamp_kept(self, planned: PlannedIssue, name: str, actual: Any) -> bool:
        """Does the target show the stamp the stored plan kept when a newer export moved only the
        issue's stamps (``delta.stamps_kept``)? Read only for such a difference: it is rare."""
        if self.store is None or not self.store.has_plan:
            return False
        stored = self.store.view().stored_plan(planned.source_key)
        if stored is None or stored.body.get(name) == planned.body.get(name):
            return False
        return issue_field_matches(self.users, name, stored.body.get(name), actual)

    def _local_fields(self, planned: PlannedIssue, actual: Mapping[str, Any], key: str) -> None:
        if not planned.local_fields:
            return
        ok = True
        for field_id, expected in planned.local_fields.items():
            got = actual.get(field_id)
            if not value_matches(self.users, expected, got):
                ok = False
                self.report.add(
                    Problem(
                        planned.source_key,
                        Kind.LOCAL_FIELDS,
                        "mismatch",
                        f"local field {field_id}: planned {expected!r}, target has {_display(got)!r}",
                        source_id=planned.source_key,
                        field=field_id,
                        expected=expected,
                        actual=got,
                        target=key,
                    )
                )
        if ok:
            self.report.counts[Kind.LOCAL_FIELDS].found += 1

    # ------------------------------------------------------------------ children

    def _comments(self, planned: PlannedIssue, key: str) -> None:
        actual = self.client.list_comments(key) or []
        self._match(
            planned.source_key,
            Kind.COMMENT,
            key,
            [(c.source_id, c.body) for c in planned.comments],
            actual,
            lambda body, item: comment_matches(self.users, item, body),
            "comment",
        )

    def _worklogs(self, planned: PlannedIssue, key: str) -> None:
        if not planned.worklogs and not self.history.kept.get(Kind.WORKLOG):
            return  # listing worklogs costs a request per issue; nothing planned or kept, nothing to compare
        actual = self.client.list_worklogs(key) or []
        self._match(
            planned.source_key,
            Kind.WORKLOG,
            key,
            [(w.source_id, w.body) for w in planned.worklogs],
            actual,
            lambda body, item: worklog_matches(self.users, item, body),
            "worklog",
        )

    def _files(self, planned: PlannedIssue, key: str) -> None:
        actual = self.client.list_attachments(key) or []
        expected: list[tuple[str, PlannedAttachment, Kind]] = [
            (a.source_id, a, Kind.ATTACHMENT) for a in planned.attachments
        ]
        expected += [
            (a.source_id, a, Kind.COMMENT_ATTACHMENT) for c in planned.comments for a in c.attachments
        ]
        unmatched = [item for item in actual if isinstance(item, Mapping)]
        for source_id, attachment, kind in expected:
            hit = next((item for item in unmatched if attachment_matches(self.users, item, attachment)), None)
            if hit is None:
                self.report.add(
                    Problem(
                        planned.source_key,
                        kind,
                        "missing",
                        f"file {attachment.filename!r} ({planned_size(attachment)} bytes) not found",
                        source_id=source_id,
                        target=key,
                    )
                )
                continue
            unmatched.remove(hit)
            if self._content_ok(planned.source_key, kind, source_id, attachment, hit, key):
                self.report.counts[kind].found += 1
        kept = self.history.kept_ids(Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT)
        for item in unmatched:
            self._extra(
                Problem(
                    planned.source_key,
                    Kind.ATTACHMENT,
                    "extra",
                    f"file {item.get('name')!r} (id {item.get('id')}) is not in the plan",
                    target=f"{key}/{item.get('id')}",
                ),
                str(item.get("id")) in kept,
            )

    def _content_ok(
        self,
        issue: str,
        kind: Kind,
        source_id: str,
        attachment: PlannedAttachment,
        actual: Mapping[str, Any],
        key: str,
    ) -> bool:
        if not self.check_content or not actual.get("content"):
            return True
        expected = attachment.sha256 or _file_sha256(attachment.path)
        if expected is None:
            return True
        got = self.client.download_sha256(str(actual["content"]))
        if got == expected:
            return True
        self.report.add(
            Problem(
                issue,
                kind,
                "mismatch",
                f"file {attachment.filename!r}: content differs",
                source_id=source_id,
                field="sha256",
                expected=expected,
                actual=got,
                target=f"{key}/{actual.get('id')}",
            )
        )
        return False

    def _match(
        self,
        issue: str,
        kind: Kind,
        key: str,
        expected: Sequence[tuple[str, Any]],
        actual: Sequence[Any],
        same: Callable[[Any, Mapping[str, Any]], bool],
        what: str,
    ) -> None:
        unmatched = [item for item in actual if isinstance(item, Mapping)]
        for source_id, body in expected:
            hit = next((item for item in unmatched if same(body, item)), None)
            if hit is None:
                self.report.add(
                    Problem(
                        issue,
                        kind,
                        "missing",
                        f"{what} created {body.get('createdAt')} by {body.get('createdBy')} not found",
                        source_id=source_id,
                        target=key,
                    )
                )
                continue
            unmatched.remove(hit)
            self.report.counts[kind].found += 1
        kept = self.history.kept_ids(kind)
        for item in unmatched:
            self._extra(
                Problem(
                    issue,
                    kind,
                    "extra",
                    f"{what} id {item.get('id')} created {item.get('createdAt')} is not in the plan",
                    target=f"{key}/{item.get('id')}",
                ),
                str(item.get("id")) in kept,
            )

    def _extra(self, problem: Problem, kept: bool) -> None:
        """An object in Tracker the plan does not have: a note when the ledger imported it and the
        newer export deleted it (kept in Tracker unless ``--delete-missing``), else a difference."""
        if kept:
            problem.message += " (deleted from the export after its import; kept: delta.deleted)"
            self.report.notes.append(problem)
        else:
            self.report.add(problem)


class _LinkCheck:
    """The links one issue owns (a worker thread); ``target_keys`` is complete and only read here."""

    def __init__(self, ctx: _Context, target_keys: Mapping[str, str]) -> None:
        self.client = ctx.client
        self.store = ctx.store
        self.target_keys = target_keys
        self.report = VerifyReport()

    def owner(self, owner: str, links: Sequence[_PendingLink]) -> None:
        key = self.target_keys.get(owner)
        if key is None:
            for link in links:
                self.report.add(
                    Problem(
                        owner,
                        Kind.LINK,
                        "missing",
                        "its issue is not in the target",
                        source_id=link.source_id,
                    )
                )
            return
        try:
            actual = [item for item in self.client.list_links(key) or [] if isinstance(item, Mapping)]
        except TrackerError as exc:
            self.report.add(
                Problem(owner, Kind.LINK, "error", f"cannot read links of {key}: {exc}", target=key)
            )
            return
        for link in links:
            self._link(owner, key, link, actual)

    def _link(self, owner: str, key: str, link: _PendingLink, actual: Sequence[Mapping[str, Any]]) -> None:
        other = (
            link.to_target_key
            or self.target_keys.get(link.to_source_key)
            or self._other_from_store(link.to_source_key)
        )
        if other is None:
            self.report.add(
                Problem(
                    owner,
                    Kind.LINK,
                    "missing",
                    f"{link.relationship} {link.to_source_key}: the other issue is not in the target",
                    source_id=link.source_id,
                    target=key,
                )
            )
            return
        hits = [item for item in actual if relationship_matches(item, link.relationship, other)]
        if not hits:
            self.report.add(
                Problem(
                    owner,
                    Kind.LINK,
                    "missing",
                    f"{key} {link.relationship} {other} not found",
                    source_id=link.source_id,
                    target=key,
                )
            )
        elif len(hits) > 1:
            self.report.add(
                Problem(
                    owner,
                    Kind.LINK,
                    "duplicate",
                    f"{key} {link.relationship} {other} exists {len(hits)} times",
                    source_id=link.source_id,
                    target=key,
                )
            )
        else:
            self.report.counts[Kind.LINK].found += 1

    def _other_from_store(self, source_key: str) -> str | None:
        if self.store is None:
            return None
        target = self.store.issue_target(source_key)
        return target.target_key if target is not None and target.status == Status.DONE else None


def verify(
    client: TrackerApi,
    planned: Iterable[PlannedIssue],
    store: CheckpointStore | None = None,
    *,
    check_content: bool = True,
    workers: int = 4,
    progress: bool = True,
    total: int | None = None,
) -> VerifyReport:
    """Compare the target with the plan.

    ``check_content`` downloads every file to compare SHA-256 (else only name, size and dates).
    ``workers`` threads share ``client`` (and its rate limiter); ``planned`` is consumed lazily, a
    few issues per worker ahead of the results. The report lists issues in plan order whatever the
    number of workers. ``progress`` shows a bar on stderr when it is a terminal; ``total`` (default
    ``len(planned)`` when it has one) gives the bar its ETA.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if total is None and isinstance(planned, Sized):
        total = len(planned)
    ctx = _Context(client, store, check_content, UserDirectory(client))
    return _Verifier(ctx, workers, progress).run(planned, total)


def stored_issue_count(store: CheckpointStore | None, namespace: str) -> int | None:
    """Issues in the ledger's plan of ``namespace``: the progress total when the export is streamed."""
    if store is None or namespace not in store.namespaces():
        return None
    return sum(store.counts(namespace)[Kind.ISSUE].values())


def _ordered_map(
    pool: Executor, fn: Callable[[_T], _R], items: Iterable[_T], window: int
) -> Generator[_R, None, None]:
    """``fn`` over ``items`` on ``pool``, yielded in input order. ``items`` is pulled lazily: at most
    ``window`` items are ever pulled and not yet yielded. Work not started when the caller stops
    (or ``fn`` raises) is cancelled."""
    pending: deque[Future[_R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            while pending and (len(pending) >= window or pending[0].done()):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def _progress_bar(total: int | None, desc: str, unit: str, enabled: bool) -> tqdm[Any]:
    return tqdm(
        total=total, desc=desc, unit=unit, dynamic_ncols=True, disable=not (enabled and sys.stderr.isatty())
    )


# ---------------------------------------------------------------------- comparisons


def _touch_reason(planned: PlannedIssue, history: _History) -> str | None:
    """What, planned after the import, changes the issue's updatedAt/updatedBy (None: nothing)."""
    if planned.touched_by_run:
        return "an undated link created at the moment of the run: link.undated"
    if history.touched:
        return "; ".join(history.writes)
    return None


def _display(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("key") or value.get("display") or value.get("id")
    if isinstance(value, list):
        return [_display(v) for v in value]
    return value


def _file_sha256(path: str) -> str | None:
    file = Path(path)
    if not file.is_file():
        return None
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
