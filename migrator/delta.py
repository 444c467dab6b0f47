"""Delta runs: a newer export of the same source, compared with what the ledger says was imported.

Each planned issue is compared with its ledger rows (a done row's ``payload_hash`` is the payload the
target was made to match) and with the plan the previous load stored. The difference becomes ordinary
ledger rows, so it is shown by ``validate`` and applied by ``run`` exactly once:

* **new issues and children** — the usual import rows;
* **changed issue fields** — one ``issue_update`` row: a PATCH of the changed fields and, for a
  changed status, a workflow transition, through the ordinary API. Tracker then shows the run's time
  and the token's user as ``updatedAt``/``updatedBy`` (``delta.updated_at_moves``), and a transition
  that resolves the issue does the same to ``resolvedAt``/``resolvedBy`` (``delta.resolved_at_moves``);
* **children newer than the imported issue's window** — ``_import`` refuses a child dated after the
  issue's ``updatedAt`` (422), so the ``issue_update`` row goes first: its PATCH moves ``updatedAt``
  to the run's time, after which the child is imported with its own date and author
  (``delta.late_child``). When no field changed, the row opens the window with two PATCHes that add
  and remove the tag :data:`WINDOW_MARKER` (``delta.window_opened``);
* **only the stamps moved** (``updatedAt``/``updatedBy``: an edited comment, a new child inside the
  window, a change the export does not carry) — no field change and no row: Tracker sets its stamps
  itself, so the issue keeps the ones it has and the stored plan keeps the imported ones
  (``delta.stamps_kept``, unless the issue's comment edit or deletion moves them and says so;
  ``verify`` notes the difference with the newer export). A new link dated after the imported
  window still gets an update row that opens it (``delta.window_opened``), planned once the whole
  export was seen;
* **edited comments** — a ``comment_edit`` row (PATCH of the comment's text, ``delta.comment_edited``).
  A comment without an id in the export has a content-derived id, so an edit looks like a deletion
  plus an addition; such a pair (same author, same time) is re-keyed and edited in place
  (``delta.comment_identity``);
* **deleted issues and children** — reported (``delta.deleted``). Children are deleted in Tracker
  only with ``--delete-missing`` (``removal`` rows); Tracker's API cannot delete issues;
* **changes Tracker cannot make** (``createdAt``, a file's content, a worklog…) — ``delta.not_applicable``.

A delta row is keyed by the hash of the payload it applies: planning the same change again is the
same row, a later change a new one. Once a delta row is done, the next load moves the base row's hash
to the new payload (the change is applied), so a third run with the same export writes nothing.

One room (over 500 lines): the comparison, the rows it plans and the words it reports them with must
agree, and they change together.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol

from migrator.findings import Findings
from migrator.plan import PlannedComment, PlannedIssue, PlannedLink
from migrator.state import LedgerEntry, PlannedRow
from migrator.timeutil import format_tracker_datetime, parse_tracker_datetime
from migrator.vocabulary import Kind, Status

# The tag the window-opening PATCHes add and remove again (see the module docstring).
WINDOW_MARKER = "migrator-window"
# Import-body fields the ordinary API sets itself when anything changes.
WINDOW_STAMPS = ("updatedAt", "updatedBy")
RESOLUTION_STAMPS = ("resolvedAt", "resolvedBy")
# Fields that say which issue this is or who made it and when: a delta never changes them.
FIXED_FIELDS = ("queue", "unique", "key", "createdAt", "createdBy")
TRANSITION_FIELDS = ("status", "resolution")
# Import inputs Tracker does not read back (markupType goes along with a changed description).
NOT_COMPARED = ("markupType", "descriptionRenderType", "textRenderType", "favoritedBy")
# What a newer export may delete from an issue; Tracker can delete each through its API.
CHILD_KINDS: tuple[Kind, ...] = (Kind.COMMENT, Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT, Kind.WORKLOG)
DELTA_KINDS: tuple[Kind, ...] = (Kind.ISSUE_UPDATE, Kind.COMMENT_EDIT, Kind.REMOVAL)
# Rows whose write goes through the ordinary API and so moves the issue's updatedAt/updatedBy.
ORDINARY_WRITE_KINDS: tuple[Kind, ...] = (Kind.LOCAL_FIELDS, Kind.DESCRIPTION, *DELTA_KINDS)
# A comment id the sources stage derived from the comment's content (``sources/builder.py``):
# ``…/comment/<16 hex>`` with ``#n`` for exact duplicates. Any other id came from the export.
_DERIVED_COMMENT_ID = re.compile(r"/comment/[0-9a-f]{16}(#\d+)?$")
_PREVIEW = 60


class LedgerLookup(Protocol):
    """What the comparison reads from the ledger (``migrator.state.LedgerView``)."""

    def has_imported(self) -> bool: ...

    def entries_of_issue(self, issue_key: str) -> list[LedgerEntry]: ...

    def entry(self, kind: Kind, scope: str, source_id: str) -> LedgerEntry | None: ...

    def stored_plan(self, issue_key: str) -> PlannedIssue | None: ...


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any
    how: str  # patch | clear | transition | consequence | not_applicable


@dataclass
class IssueDelta:
    """One planned issue against the ledger, and what the load does about it."""

    key: str
    state: str  # new | unchanged | changed | unfinished (its own import is not done yet)
    rows: list[PlannedRow]  # the rows to store: the chain, with delta rows right after the issue
    rekeys: list[tuple[LedgerEntry, str]] = field(default_factory=list)
    applied: list[tuple[LedgerEntry, str]] = field(default_factory=list)  # (done row, its new hash)
    forget: list[LedgerEntry] = field(default_factory=list)  # rows whose object a removal deleted
    payloads: list[tuple[Kind, str, str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class DeltaSummary:
    """Counts of what a newer export changes (``validate``'s report: ``extra.delta``)."""

    state_file: str | None = None
    delete_missing: bool = False
    issues: Counter[str] = field(default_factory=Counter)  # new | changed | unchanged | unfinished | deleted
    new_children: Counter[str] = field(default_factory=Counter)  # kind -> count
    deleted_children: Counter[str] = field(default_factory=Counter)
    late_children: int = 0
    edited_comments: int = 0
    windows_opened: int = 0
    not_applicable: int = 0
    planned_writes: Counter[str] = field(default_factory=Counter)  # delta row kind -> rows

    @property
    def earlier_import(self) -> bool:
        return sum(self.issues.values()) > self.issues["new"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "state_file": self.state_file,
            "earlier_import": self.earlier_import,
            "delete_missing": self.delete_missing,
            "issues": {name: self.issues[name] for name in _ISSUE_STATES},
            "children": {
                "new": {str(k): n for k, n in sorted(self.new_children.items())},
                "deleted": {str(k): n for k, n in sorted(self.deleted_children.items())},
                "edited_comments": self.edited_comments,
                "late": self.late_children,
            },
            "windows_opened": self.windows_opened,
            "not_applicable": self.not_applicable,
            "planned_writes": {kind.value: self.planned_writes[kind] for kind in DELTA_KINDS},
        }

    def render(self) -> str:
        """The console block ``validate`` and ``run`` print before anything is written."""
        if not self.earlier_import:
            where = f" in {self.state_file}" if self.state_file else ""
            return f"Delta: no earlier import{where}: everything is new."
        issues = self.issues
        line = f"  issues: {issues['new']} new, {issues['changed']} changed, {issues['unchanged']} unchanged"
        if issues["deleted"]:
            line += f", {issues['deleted']} deleted from the export (kept in Tracker: its API cannot delete issues)"
        if issues["unfinished"]:
            line += f", {issues['unfinished']} not imported yet"
        lines = [f"Delta against the last import ({self.state_file}):", line]
        children = []
        if self.new_children:
            late = (
                f" ({self.late_children} dated after their issue's imported window)"
                if self.late_children
                else ""
            )
            children.append(f"{_kinds(self.new_children)} new{late}")
        if self.edited_comments:
            children.append(f"{self.edited_comments} comment(s) edited")
        if self.deleted_children:
            fate = "deleted in Tracker: --delete-missing" if self.delete_missing else "kept in Tracker"
            children.append(f"{_kinds(self.deleted_children)} deleted from the export ({fate})")
        if children:
            lines.append("  children: " + "; ".join(children))
        writes = self.planned_writes
        if sum(writes.values()):
            opened = f" ({self.windows_opened} only to open a window)" if self.windows_opened else ""
            lines.append(
                f"  delta writes: {writes[Kind.ISSUE_UPDATE]} issue update(s){opened}, "
                f"{writes[Kind.COMMENT_EDIT]} comment edit(s), {writes[Kind.REMOVAL]} deletion(s)"
            )
        elif not issues["new"] and not self.new_children:
            lines.append("  nothing to write")
        if self.not_applicable:
            lines.append(f"  {self.not_applicable} change(s) Tracker cannot make (delta.not_applicable)")
        return "\n".join(lines)


_ISSUE_STATES = ("new", "changed", "unchanged", "unfinished", "deleted")


def _kinds(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind}(s)" for kind, n in sorted(counts.items()) if n)


class DeltaPlanner:
    """Compares planned issues with the ledger, one at a time, in plan order; then, once the whole
    export was seen, what it no longer has. Findings go to ``findings``, counts to ``summary``."""

    def __init__(
        self,
        ledger: LedgerLookup,
        findings: Findings,
        summary: DeltaSummary | None = None,
        *,
        delete_missing: bool = False,
    ) -> None:
        self.ledger = ledger
        self.findings = findings
        self.summary = summary if summary is not None else DeltaSummary()
        self.summary.delete_missing = delete_missing
        self.delete_missing = delete_missing
        # For the links pass after the stream (a new link may need an imported issue's window):
        self.pending_links: list[tuple[str, PlannedLink]] = []  # (owner, link) not imported yet
        self.window_ends: dict[str, str] = {}  # changed issues: where their imported window ends
        # issues with an issue_update row → what moves their window: "writes" (a field update),
        # "opener" (the window opening, reported), "quiet" (nothing to write: only changes Tracker
        # cannot make, each reported as delta.not_applicable)
        self.updated: dict[str, str] = {}
        # issues whose only difference is their stamps (no row): the update row a new link may need
        self.stamped: dict[str, StampsOnly] = {}
        # Nothing imported yet (a first import): every issue is new, nothing to compare or look up.
        self.earlier = ledger.has_imported()

    # ------------------------------------------------------------------ one issue

    def issue(self, issue: PlannedIssue, rows: Sequence[PlannedRow]) -> IssueDelta:
        """``rows`` = the issue's chain (``planning.chain_rows``) with only the links it owns."""
        key = issue.source_key
        if not self.earlier:
            self.summary.issues["new"] += 1
            return IssueDelta(key, "new", list(rows))
        entries = self.ledger.entries_of_issue(key)
        own = next((e for e in entries if e.kind == Kind.ISSUE and e.source_id == key), None)
        if own is None:
            self.summary.issues["new"] += 1
            result = IssueDelta(key, "new", list(rows))
        elif own.status != Status.DONE:
            self.summary.issues["unfinished"] += 1
            result = IssueDelta(key, "unfinished", list(rows))
        else:
            result = _IssueComparison(self, issue, list(rows), entries, own).run()
        self._remember(issue, result)
        return result

    def _remember(self, issue: PlannedIssue, result: IssueDelta) -> None:
        """What the links pass needs: new links of issues that are not unchanged (an unchanged issue
        has no new link: a new link row would have made it changed)."""
        key = issue.source_key
        if not self.earlier or result.state == "unchanged":
            return
        if any(row.kind == Kind.ISSUE_UPDATE for row in result.rows):
            self.updated.setdefault(key, "quiet")
        owned = {row.source_id for row in result.rows if row.kind == Kind.LINK}
        for link in issue.links:
            if link.source_id in owned:
                entry = self.ledger.entry(Kind.LINK, "", link.source_id)
                if entry is None or entry.status != Status.DONE:
                    self.pending_links.append((key, link))

    # ------------------------------------------------------------------ after the stream

    def deleted_issues(self, entries: Iterable[LedgerEntry]) -> None:
        """Done issues the newer export no longer has: reported, kept (the API cannot delete issues)."""
        for entry in entries:
            self.summary.issues["deleted"] += 1
            self.findings.warning(
                "delta.deleted",
                f"the issue is not in the newer export; it stays in Tracker as {entry.target_key} "
                "(Tracker's API cannot delete issues)",
                key=entry.source_id,
                value=entry.target_key,
                hint="delete or move it by hand in Tracker if it must go; its comments, files and links "
                "stay with it",
            )

    def deleted_links(self, entries: Iterable[LedgerEntry], kept: Container[str]) -> list[PlannedRow]:
        """Done links the newer export no longer lists. With ``--delete-missing`` a link between two
        issues still in the export gets a removal row (returned); otherwise it is only reported."""
        removals: list[PlannedRow] = []
        for index, entry in enumerate(entries):
            self.summary.deleted_children[Kind.LINK] += 1
            other = entry.parent_source_id
            removable = entry.issue_key in kept and other is not None and other in kept
            if self.delete_missing and removable:
                removals.append(_removal_row(entry, 1_000_000 + index))
                self.summary.planned_writes[Kind.REMOVAL] += 1
                action = "it is deleted in Tracker (--delete-missing)"
            elif self.delete_missing:
                action = "it stays in Tracker: one of its issues is no longer in the export"
            else:
                action = "it stays in Tracker (--delete-missing deletes it)"
            self.findings.warning(
                "delta.deleted",
                f"the link {entry.source_id!r} is not in the newer export; {action}",
                key=entry.issue_key,
                field="links",
                value=entry.target_id,
            )
        return removals

    def new_links(self) -> list[PlannedRow]:
        """New links touching an imported issue, once the whole export was seen. A link is dated as
        planned: inside both issues' planned windows, the earlier issue's ``updatedAt`` extended for
        it (``pipeline/link_dates.py``). An imported issue whose window grew with no field to change
        must open its window for it — reported here, done by an update row: its quiet one, or one
        planned now for an issue whose only difference was its stamps (returned, to be merged). An
        undated link (``target.undated_links: now``, reported as ``link.undated``) needs no window."""
        openers: list[PlannedRow] = []
        for owner, link in self.pending_links:
            if link.created_at is None:
                continue
            for key in (owner, link.to_source_key):
                row = self._open_window(key, link.created_at)
                if row is not None:
                    openers.append(row)
        return openers

    def _open_window(self, key: str, when: str) -> PlannedRow | None:
        """``key``'s update must open the window for a new link dated ``when``: its quiet update, or
        a new row when only its stamps differed (an unchanged issue never needs it: the link is dated
        inside its unchanged window). Returns the new row."""
        stamped = self.stamped.get(key)
        quiet = self.updated.get(key) == "quiet"
        end = self.window_ends.get(key) if quiet else (stamped.window_end if stamped else None)
        if end is None or not _after(when, end):
            return None
        self.updated[key] = "opener"
        self.summary.late_children += 1
        self.summary.windows_opened += 1
        row = None
        if not quiet and stamped is not None:
            del self.stamped[key]
            self.summary.issues["unchanged"] -= 1
            self.summary.issues["changed"] += 1
            self.summary.planned_writes[Kind.ISSUE_UPDATE] += 1
            source_id = stamped.update_id
            row = PlannedRow(Kind.ISSUE_UPDATE, key, source_id, key, None, _LATE_OPENER_SEQ, source_id)
        self.findings.warning(
            "delta.window_opened",
            f"a new link is dated {when}, after the imported issue's window (it ends {end}): Tracker "
            f"refuses it until the window moves, so two PATCHes add and remove the tag {WINDOW_MARKER!r} "
            "first; Tracker then shows the run's time and the token's user as updatedAt/updatedBy",
            key=key,
            field="links",
            value=when,
        )
        return row


@dataclass(frozen=True)
class StampsOnly:
    """An imported issue whose newer plan differs from the stored one only in its stamps: the update
    row (its id) that opens its window if a new link needs it, and where that window ends."""

    update_id: str
    window_end: str


# A window opener planned after the stream: after the issue's children (none is late, or the issue
# would have its update row already), before its links (the link phase runs after the issue phase).
_LATE_OPENER_SEQ = 1_000_000


def removal_source_id(kind: Kind, target_id: str | None, source_id: str) -> str:
    """A removal row's id: what it deletes (a later re-import deleted again is another row)."""
    return f"{kind}:{target_id}:{source_id}"


def parse_removal(source_id: str) -> tuple[Kind, str, str]:
    """(kind, target id, source id of the deleted object) of a removal row."""
    kind, target_id, rest = source_id.split(":", 2)
    return Kind(kind), target_id, rest


def update_source_id(issue_key: str, body_hash: str, local_hash: str | None) -> str:
    """An issue_update row's id: the issue and the hash of the payload it makes the target match."""
    digest = hashlib.sha256(f"{body_hash}|{local_hash or ''}".encode()).hexdigest()[:16]
    return f"{issue_key}@{digest}"


def edit_source_id(comment_id: str, payload_hash: str) -> str:
    return f"{comment_id}@{payload_hash[:16]}"


def _removal_row(entry: LedgerEntry, seq: int) -> PlannedRow:
    source_id = removal_source_id(entry.kind, entry.target_id, entry.source_id)
    return PlannedRow(Kind.REMOVAL, entry.issue_key, source_id, entry.issue_key, None, seq, source_id)


# ---------------------------------------------------------------------- comparing one issue


class _IssueComparison:
    """One imported issue (its own row done) against its newer plan."""

    def __init__(
        self,
        planner: DeltaPlanner,
        issue: PlannedIssue,
        rows: list[PlannedRow],
        entries: list[LedgerEntry],
        own: LedgerEntry,
    ) -> None:
        self.planner = planner
        self.findings = planner.findings
        self.summary = planner.summary
        self.issue = issue
        self.key = issue.source_key
        self.rows = rows
        self.own = own
        self.result = IssueDelta(self.key, "unchanged", rows)
        self.removed = {
            (kind, source_id)
            for kind, target_id, source_id in (
                parse_removal(e.source_id)
                for e in entries
                if e.kind == Kind.REMOVAL and e.status == Status.DONE
            )
        }
        self.done_delta = {e.source_id for e in entries if e.kind in DELTA_KINDS and e.status == Status.DONE}
        self.entries = {(e.kind, e.scope, e.source_id): e for e in entries}
        self._all_entries = entries
        self.delta_rows: list[PlannedRow] = []
        self.changed = False

    @cached_property
    def old(self) -> PlannedIssue | None:
        """The plan the previous load stored (read only when something differs: most issues of a
        delta run are unchanged, and their hashes say so)."""
        return self.planner.ledger.stored_plan(self.key)

    @cached_property
    def window_end(self) -> str | None:
        return _window_end(self.old, self._all_entries)

    def run(self) -> IssueDelta:
        self._forget_removed()
        self._pair_idless_comments()
        late = self._children()
        self._description_patch()
        changes = self._issue_fields()
        self._deleted_children()
        self._plan_update(changes, late)
        self.result.state = "changed" if self.changed else "unchanged"
        self.summary.issues[self.result.state] += 1
        shift = len(self.delta_rows)
        self.result.rows = [
            self.rows[0],
            *(replace(row, seq=seq) for seq, row in enumerate(self.delta_rows, start=1)),
            *(replace(row, seq=row.seq + shift) for row in self.rows[1:]),
        ]
        return self.result

    # ---------------------------------------------------------------- bookkeeping

    def _entry(self, row: PlannedRow) -> LedgerEntry | None:
        found = self.entries.get((row.kind, row.scope, row.source_id))
        if found is None and row.kind == Kind.LINK:  # a link may be owned by its other issue
            found = self.planner.ledger.entry(row.kind, row.scope, row.source_id)
        return found

    def _forget_removed(self) -> None:
        """Objects a removal deleted from Tracker: their rows go (planned anew if they are back)."""
        for (kind, scope, source_id), entry in list(self.entries.items()):
            if (kind, source_id) in self.removed and entry.kind in CHILD_KINDS:
                self.result.forget.append(entry)
                del self.entries[(kind, scope, source_id)]

    # ---------------------------------------------------------------- comments without ids

    def _pair_idless_comments(self) -> None:
        """An id-less comment whose text changed has a new content-derived id: pair the vanished and
        the new one by author and time, and give the imported row the new id (then it is an edit)."""
        planned = {(r.kind, r.scope, r.source_id) for r in self.rows}
        vanished = {
            e.source_id: e
            for e in self.entries.values()
            if e.kind == Kind.COMMENT
            and e.status == Status.DONE
            and (e.kind, e.scope, e.source_id) not in planned
            and _DERIVED_COMMENT_ID.search(e.source_id)
        }
        if not vanished or self.old is None:
            return
        old_comments = {c.source_id: c for c in self.old.comments if c.source_id in vanished}
        by_moment: dict[tuple[str, str], list[PlannedComment]] = {}
        for comment in old_comments.values():
            by_moment.setdefault(_moment(comment), []).append(comment)
        for comment in self.issue.comments:
            row_key = (Kind.COMMENT, self.key, comment.source_id)
            if row_key in self.entries or not _DERIVED_COMMENT_ID.search(comment.source_id):
                continue
            candidates = by_moment.get(_moment(comment))
            if not candidates:
                continue
            old = candidates.pop(0)
            entry = vanished[old.source_id]
            del self.entries[(Kind.COMMENT, entry.scope, entry.source_id)]
            self.entries[row_key] = replace(entry, source_id=comment.source_id)
            self.result.rekeys.append((entry, comment.source_id))
            self.findings.warning(
                "delta.comment_identity",
                f"the comment by {comment.body.get('createdBy')} at {comment.body.get('createdAt')} changed "
                "its text; the export gives comments no id, so it looks like one deleted and one added "
                "comment: it is taken as the same comment (same author and time) and edited in place",
                key=self.key,
                where=self.issue.source,
                field="comments",
                value=_preview(comment.body.get("text")),
                hint="export comment ids (a comments.id column) to make edits unambiguous",
            )

    # ---------------------------------------------------------------- children

    def _children(self) -> list[tuple[Kind, str, str]]:
        """New, changed and still unfinished children; returns the late ones (kind, id, date)."""
        late: list[tuple[Kind, str, str]] = []
        for row in self.rows[1:]:
            if row.kind in (Kind.LOCAL_FIELDS, Kind.DESCRIPTION):
                continue  # the issue's own fields (one update applies both) and its description's PATCH
            entry = self._entry(row)
            if entry is None or entry.status != Status.DONE:
                if entry is None:
                    self.summary.new_children[row.kind] += 1
                    self.changed = True
                when = self._row_date(row)
                if when is not None and self.window_end is not None and _after(when, self.window_end):
                    late.append((row.kind, row.source_id, when))
                continue
            if entry.payload_hash == row.payload_hash:
                continue
            if row.kind == Kind.COMMENT:
                self._comment_changed(entry, row)
            else:
                self._not_applicable(
                    row.kind.value,
                    f"the {row.kind.value} {row.source_id!r} changed in the export; Tracker keeps it as imported "
                    "(an imported object of this kind cannot be edited)",
                )
        return late

    def _row_date(self, row: PlannedRow) -> str | None:
        issue = self.issue
        if row.kind == Kind.COMMENT:
            comment = _find(issue.comments, row.source_id)
            return (
                None
                if comment is None
                else _latest(comment.body.get("createdAt"), comment.body.get("updatedAt"))
            )
        if row.kind == Kind.ATTACHMENT:
            file = _find(issue.attachments, row.source_id)
            return None if file is None else file.created_at
        if row.kind == Kind.COMMENT_ATTACHMENT:
            file = next(
                (a for c in issue.comments for a in c.attachments if a.source_id == row.source_id), None
            )
            return None if file is None else file.created_at
        if row.kind == Kind.WORKLOG:
            worklog = _find(issue.worklogs, row.source_id)
            return None if worklog is None else worklog.body.get("createdAt")
        if row.kind == Kind.LINK:
            link = _find(issue.links, row.source_id)
            return None if link is None else link.created_at
        return None

    def _description_patch(self) -> None:
        """The description's own PATCH (``target.description_files: patch``: it shows files, so it
        is sent after them). A changed description of an imported issue gets one more such row, at
        the same place in the chain — after the new files it may show — keyed by what it sends."""
        row = next((r for r in self.rows if r.kind == Kind.DESCRIPTION and r.source_id == self.key), None)
        entry = self.entries.get((Kind.DESCRIPTION, self.key, self.key))
        if row is None:
            return
        if entry is None:  # PATCHed for the first time (the description shows files now)
            self.changed = True
            return
        if entry.status != Status.DONE or entry.payload_hash == row.payload_hash:
            return  # not PATCHed yet (its own row sends the newest description), or unchanged
        patch_id = edit_source_id(self.key, row.payload_hash)
        done = self.entries.get((Kind.DESCRIPTION, self.key, patch_id))
        if done is not None and done.status == Status.DONE:
            self.result.applied.append((entry, row.payload_hash))
            return
        self.changed = True
        self.rows.insert(self.rows.index(row) + 1, replace(row, source_id=patch_id))

    def _comment_changed(self, entry: LedgerEntry, row: PlannedRow) -> None:
        edit_id = edit_source_id(row.source_id, row.payload_hash)
        if edit_id in self.done_delta:
            self.result.applied.append((entry, row.payload_hash))
            return
        new = _find(self.issue.comments, row.source_id)
        old = _find(self.old.comments, row.source_id) if self.old is not None else None
        if new is not None and old is not None and _same_text(old.body, new.body):
            self._not_applicable(
                "comments",
                f"the comment {row.source_id!r} changed its author or dates in the export; Tracker keeps the "
                "imported ones (a comment's author and time cannot be edited)",
            )
            return
        self.changed = True
        self.summary.edited_comments += 1
        self.summary.planned_writes[Kind.COMMENT_EDIT] += 1
        self.delta_rows.append(
            PlannedRow(Kind.COMMENT_EDIT, self.key, edit_id, self.key, row.source_id, 0, row.payload_hash)
        )
        self.findings.warning(
            "delta.comment_edited",
            "the comment's text changed in the export; it is edited in place through the ordinary API, so "
            "Tracker shows the run's time and the token's user as the comment's and the issue's "
            f"updatedAt/updatedBy (the comment's author and date stay; for the issue {self._export_stamps()})",
            key=self.key,
            where=self.issue.source,
            field="comments",
            value=_preview((new.body if new is not None else {}).get("text")),
        )

    def _deleted_children(self) -> None:
        planned = {(r.kind, r.scope, r.source_id) for r in self.rows}
        gone: Counter[str] = Counter()
        for (kind, scope, source_id), entry in self.entries.items():
            if kind not in CHILD_KINDS or entry.status != Status.DONE or (kind, scope, source_id) in planned:
                continue
            gone[kind] += 1
            self.summary.deleted_children[kind] += 1
            if self.planner.delete_missing:
                row = _removal_row(entry, 0)
                self.delta_rows.append(row)
                self.summary.planned_writes[Kind.REMOVAL] += 1
        if not gone:
            return
        self.changed = True
        action = (
            "deleted in Tracker (--delete-missing), which shows the run's time and the token's user as "
            f"the issue's updatedAt/updatedBy ({self._export_stamps()})"
            if self.planner.delete_missing
            else "kept in Tracker"
        )
        self.findings.warning(
            "delta.deleted",
            f"{_kinds(gone)} of the issue are not in the newer export: {action}",
            key=self.key,
            where=self.issue.source,
            field=", ".join(sorted(gone)),
            hint=None
            if self.planner.delete_missing
            else "add --delete-missing to delete them in Tracker too",
        )

    # ---------------------------------------------------------------- the issue's own fields

    def _issue_fields(self) -> list[FieldChange]:
        body_hash = self.rows[0].payload_hash
        local_row = next((r for r in self.rows if r.kind == Kind.LOCAL_FIELDS), None)
        local_entry = self.entries.get((Kind.LOCAL_FIELDS, self.key, self.key))
        if local_entry is not None and local_entry.status != Status.DONE:
            same_local = True  # not applied yet: its own row applies the newest values
        elif local_row is None or local_entry is None:
            same_local = local_row is None and local_entry is None
        else:
            same_local = local_entry.payload_hash == local_row.payload_hash
        if self.own.payload_hash == body_hash and same_local:
            return []
        update_id = update_source_id(self.key, body_hash, local_row.payload_hash if local_row else None)
        if update_id in self.done_delta:  # applied by an earlier run: the target matches this payload
            self.result.applied.append((self.own, body_hash))
            if local_row is not None and local_entry is not None:
                self.result.applied.append((local_entry, local_row.payload_hash))
            return []
        if self.old is None:
            return [FieldChange("(fields)", None, None, "patch")]
        return _field_changes(self.old, self.issue)

    def _plan_update(self, changes: list[FieldChange], late: list[tuple[Kind, str, str]]) -> None:
        if not changes and not late:
            return
        body_hash = self.rows[0].payload_hash
        local_row = next((r for r in self.rows if r.kind == Kind.LOCAL_FIELDS), None)
        update_id = update_source_id(self.key, body_hash, local_row.payload_hash if local_row else None)
        if update_id in self.done_delta:
            return  # an earlier run applied this payload and moved the window with it
        if not late and all(c.how == "consequence" for c in changes):
            self._keep_stamps(changes, update_id)
            return
        self.changed = True
        writes = [c for c in changes if c.how in ("patch", "clear", "transition")]
        # A description that shows files is PATCHed by its own row, after them: not by this update.
        window_writes = [c for c in writes if not (c.field == "description" and self.issue.description_patch)]
        self.delta_rows.insert(
            0, PlannedRow(Kind.ISSUE_UPDATE, self.key, update_id, self.key, None, 0, update_id)
        )
        clear = [c.field for c in changes if c.how == "clear"]
        self.result.payloads.append((Kind.ISSUE_UPDATE, self.key, update_id, {"clear": clear}))
        self.summary.planned_writes[Kind.ISSUE_UPDATE] += 1
        self.planner.updated[self.key] = "writes" if window_writes else ("opener" if late else "quiet")
        if self.window_end is not None:
            self.planner.window_ends[self.key] = self.window_end
        self._report_changes(changes, writes)
        if late:
            self._report_late(late, bool(window_writes))

    def _export_stamps(self) -> str:
        body = self.issue.body
        return f"the export says {body.get('updatedAt')} by {body.get('updatedBy')}"

    def _keep_stamps(self, changes: list[FieldChange], update_id: str) -> None:
        """Only ``updatedAt``/``updatedBy`` differ: nothing to write for them. The plan stored for the
        issue keeps the imported stamps (what ``verify`` and the next delta compare with); when no
        other write of this delta touches the issue (a comment edit or deletion moves its stamps, as
        its finding says) Tracker keeps them too (``delta.stamps_kept``). A new link may still need
        the window (``new_links``)."""
        body = self.issue.body
        moved = {c.field: c for c in changes}
        new_at = moved["updatedAt"].new if "updatedAt" in moved else body.get("updatedAt")
        for change in changes:
            if change.old is None:
                body.pop(change.field, None)
            else:
                body[change.field] = change.old
        if self.window_end is not None:
            self.planner.stamped[self.key] = StampsOnly(update_id, self.window_end)
        if self.delta_rows:  # a comment edit or deletion: it moves the stamps, and says so
            return
        self.findings.info(
            "delta.stamps_kept",
            f"only the issue's stamps changed in the export ({', '.join(_describe(c) for c in changes)}): "
            f"nothing is written for them, so Tracker keeps the updatedAt/updatedBy it has (imported as "
            f"{body.get('updatedAt')} by {body.get('updatedBy')}, or moved by an ordinary-API write since)",
            key=self.key,
            where=self.issue.source,
            field=", ".join(moved),
            value=new_at,
        )

    def _report_changes(self, changes: list[FieldChange], writes: list[FieldChange]) -> None:
        shown = [c for c in changes if c.how != "consequence"]
        if shown:
            self.findings.info(
                "delta.changed",
                "changed since the last import: " + "; ".join(_describe(c) for c in shown),
                key=self.key,
                where=self.issue.source,
                field=", ".join(c.field for c in shown),
            )
        for change in changes:
            if change.how == "not_applicable":
                self._not_applicable(change.field, _not_applicable_text(change))
        if writes:
            self._stamps(
                "delta.updated_at_moves",
                "the change is made through the ordinary API: Tracker sets updatedAt to the run's time and "
                "updatedBy to the token's user",
                "updatedAt",
            )
        if any(c.field == "resolution" and c.how == "transition" and c.new is not None for c in changes):
            self._stamps(
                "delta.resolved_at_moves",
                "the status changes through a workflow transition that resolves the issue: Tracker sets "
                "resolvedAt/resolvedBy to the run's time and the token's user",
                "resolvedAt",
            )

    def _stamps(self, kind: str, what: str, stamp: str) -> None:
        """A history stamp the ordinary API sets itself, with what the export says instead."""
        body = self.issue.body
        by = stamp.replace("At", "By")
        self.findings.warning(
            kind,
            f"{what} (the export says {body.get(stamp)} by {body.get(by)})",
            key=self.key,
            where=self.issue.source,
            field=stamp,
            value=body.get(stamp),
        )

    def _report_late(self, late: list[tuple[Kind, str, str]], rides_on_update: bool) -> None:
        self.summary.late_children += len(late)
        kinds = Counter(kind.value for kind, _id, _when in late)
        latest = max(when for _k, _i, when in late)
        how = (
            "the field update above moves updatedAt to the run's time first"
            if rides_on_update
            else f"the window is opened first: two PATCHes add and remove the tag {WINDOW_MARKER!r} "
            "(two changelog entries by the token's user; updatedAt becomes the run's time)"
        )
        self.findings.info(
            "delta.late_child",
            f"{_kinds(kinds)} dated after the imported issue's window (it ends {self.window_end}; the "
            f"latest is {latest}): Tracker refuses to import them until the window moves, so {how}; they "
            "keep their own authors and dates",
            key=self.key,
            where=self.issue.source,
            field=", ".join(sorted(kinds)),
            value=latest,
        )
        if not rides_on_update:
            self.summary.windows_opened += 1
            self.findings.warning(
                "delta.window_opened",
                f"no field of the issue changed, but newer children need its window: two PATCHes add and "
                f"remove the tag {WINDOW_MARKER!r}, so Tracker shows the run's time and the token's user as "
                "updatedAt/updatedBy",
                key=self.key,
                where=self.issue.source,
                field="updatedAt",
            )

    def _not_applicable(self, field_name: str, message: str) -> None:
        self.summary.not_applicable += 1
        self.findings.warning(
            "delta.not_applicable",
            message,
            key=self.key,
            where=self.issue.source,
            field=field_name,
            hint="verify lists the difference; fix it by hand in Tracker if it matters",
        )


# ---------------------------------------------------------------------- field-level comparison


def _field_changes(old: PlannedIssue, new: PlannedIssue) -> list[FieldChange]:
    """Old plan vs new plan, field by field (local fields by their ids), each with how it is applied."""
    changes: list[FieldChange] = []
    old_body, new_body = old.body, new.body
    status_changes = not _same(old_body.get("status"), new_body.get("status"))
    for name in dict.fromkeys([*old_body, *new_body]):
        before, after = old_body.get(name), new_body.get(name)
        if name in NOT_COMPARED or _same(before, after):
            continue
        changes.append(FieldChange(name, before, after, _how(name, after, status_changes)))
    for name in dict.fromkeys([*old.local_fields, *new.local_fields]):
        before, after = old.local_fields.get(name), new.local_fields.get(name)
        if not _same(before, after):
            changes.append(FieldChange(name, before, after, "clear" if after is None else "patch"))
    return changes


def _how(name: str, after: Any, status_changes: bool) -> str:
    if name in FIXED_FIELDS:
        return "not_applicable"
    if name in WINDOW_STAMPS:
        return "consequence"
    if name in RESOLUTION_STAMPS:
        return "consequence" if status_changes else "not_applicable"
    if name in TRANSITION_FIELDS:
        return "transition" if status_changes else "not_applicable"
    return "clear" if after is None else "patch"


def _describe(change: FieldChange) -> str:
    what = {
        "patch": "",
        "consequence": "",
        "clear": " (cleared)",
        "transition": " (workflow transition)",
        "not_applicable": " (not applied)",
    }[change.how]
    old, new = _short_pair(change.old, change.new)
    return f"{change.field} {old} → {new}{what}"


def _short_pair(old: Any, new: Any) -> tuple[str, str]:
    """Both values shortened around where they start to differ (long texts share long prefixes)."""
    if not (isinstance(old, str) and isinstance(new, str)):
        return _short(old), _short(new)
    common = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new))
    )
    cut = max(0, common - 20)
    if cut == 0:
        return _short(old), _short(new)
    return _short("…" + old[cut:]), _short("…" + new[cut:])


def _not_applicable_text(change: FieldChange) -> str:
    if change.field in TRANSITION_FIELDS or change.field in RESOLUTION_STAMPS:
        reason = "only a status change (a workflow transition) can change the resolution"
    else:
        reason = "Tracker's API cannot change it on an existing issue"
    return f"{change.field} changed in the export ({_short(change.old)} → {_short(change.new)}); {reason}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(repr, a)) == sorted(map(repr, b))
    return bool(a == b)


def _short(value: Any) -> str:
    if value is None:
        return "(empty)"
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…")


def _preview(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


def _same_text(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return " ".join(str(a.get("text") or "").split()) == " ".join(str(b.get("text") or "").split())


def _moment(comment: PlannedComment) -> tuple[str, str]:
    return str(_instant_text(comment.body.get("createdAt"))), str(comment.body.get("createdBy"))


def _find(items: Iterable[Any], source_id: str) -> Any:
    return next((item for item in items if item.source_id == source_id), None)


# ---------------------------------------------------------------------- time windows


def _window_end(old: PlannedIssue | None, entries: Iterable[LedgerEntry]) -> str | None:
    """The latest instant the imported issue is known to accept children at: its imported updatedAt,
    or later when an ordinary-API write (local fields, an earlier delta) moved it. An estimate for the
    report; the issue_update row checks the target's real updatedAt."""
    candidates: list[datetime] = []
    if old is not None:
        value = _instant(old.body.get("updatedAt") or old.body.get("createdAt"))
        if value is not None:
            candidates.append(value)
    for entry in entries:
        if entry.kind in ORDINARY_WRITE_KINDS and entry.status == Status.DONE and entry.done_at:
            try:
                candidates.append(datetime.fromisoformat(entry.done_at).astimezone(UTC))
            except ValueError:
                continue
    return format_tracker_datetime(max(candidates)) if candidates else None


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_tracker_datetime(str(value)).astimezone(UTC)
    except ValueError:
        return None


def _instant_text(value: Any) -> str:
    parsed = _instant(value)
    return parsed.isoformat() if parsed is not None else str(value)


def _after(when: str, end: str) -> bool:
    a, b = _instant(when), _instant(end)
    return a is not None and b is not None and a > b


def _latest(*values: Any) -> str | None:
    present = [(instant, str(v)) for v in values if (instant := _instant(v)) is not None]
    return max(present)[1] if present else None
