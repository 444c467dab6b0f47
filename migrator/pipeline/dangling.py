"""References to issues outside the export — links and parents — decided by ``target.dangling``.

Each strategy of the field's list is tried in order until one applies:

* ``existing`` — the issue is already in Tracker (an earlier run or namespace imported it): the
  link is imported to it (``link.dangling_existing``, info). It may not be found, or (its window
  being fixed) not be linkable at a date inside both issues' windows; the next strategy is tried.
* ``text`` — not imported; a line in the issue's description names the old key and its URL
  (``source.issue_url``) (``link.dangling_text``, warning).
* ``drop`` — not imported (``link.dangling_dropped``, warning).
* ``error`` — blocks the run (``link.dangling``, error); with ``run --force`` the link waits.

(``parent.*`` for parents.) References to issues that *are* in the export but could not be read
are always errors: they resolve once those issues are fixed. The only target access is the
optional read-only ``ExistingIssues`` lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from migrator.findings import Findings, Severity
from migrator.mapping.config import MappingConfig
from migrator.mapping.markup import escape_plain
from migrator.model import SourceRef
from migrator.pipeline.link_dates import LinkDatePlanner, Window, to_ms
from migrator.plan import ExistingIssue, PlanRevisions

# (reference as the export writes it, "id" | "key") -> the issue already in Tracker, if found.
ExistingIssues = Callable[[Collection[tuple[str, str]]], Mapping[tuple[str, str], ExistingIssue]]


@dataclass
class DanglingRef:
    """A link end or parent that names no issue of the export."""

    owner: str  # source key of the issue holding the reference
    ref: str  # the referenced key (or id), as the export writes it
    field: str  # "links" or "parent"
    detail: str  # the source relationship, for messages
    where: SourceRef
    link_ids: tuple[str, ...] = ()  # the owner's planned links to it (none when it is not planned)

    @property
    def kind(self) -> str:
        """The findings' prefix: ``link`` or ``parent``."""
        return "parent" if self.field == "parent" else "link"


class DanglingPlanner:
    """Applies ``target.dangling`` to the export's dangling references, into ``PlanRevisions``."""

    def __init__(
        self,
        config: MappingConfig,
        findings: Findings,
        existing: ExistingIssues | None,
        link_dates: LinkDatePlanner,
    ) -> None:
        self.config = config
        self.findings = findings
        self.existing = existing
        self.link_dates = link_dates

    def plan(
        self, refs: Sequence[DanglingRef], unreadable: Collection[str], revisions: PlanRevisions
    ) -> dict[str, Window]:
        """Decide every reference (those to ``unreadable`` keys — in the export, but not read — are
        errors whatever the policy: fixing those issues resolves them); returns the fixed windows of
        the existing issues links now go to (by link source id), which the link dates need."""
        found = self._look_up([ref for ref in refs if ref.ref not in unreadable])
        windows: dict[str, Window] = {}
        for ref in refs:
            tried: list[str] = []
            if ref.ref in unreadable:
                self._error(ref, unreadable=True)
                continue
            for strategy in [*self.config.target.dangling.for_field(ref.field), "error"]:
                if strategy == "existing":
                    window = self._existing(ref, found, tried, revisions)
                    if window is None:
                        continue
                    windows.update(dict.fromkeys(ref.link_ids, window))
                elif strategy == "text":
                    self._text(ref, tried, revisions)
                elif strategy == "drop":
                    self._drop(ref, tried, revisions)
                else:
                    self._error(ref, tried)
                break
        return windows

    def _mode(self, ref: DanglingRef) -> str:
        source = self.config.source
        return source.parent_ref if ref.field == "parent" else source.link_ref

    def _look_up(self, refs: Sequence[DanglingRef]) -> Mapping[tuple[str, str], ExistingIssue]:
        wanted = {
            (ref.ref, self._mode(ref))
            for ref in refs
            if "existing" in self.config.target.dangling.for_field(ref.field)
        }
        if not wanted or self.existing is None:
            return {}
        return self.existing(sorted(wanted))

    def _existing(
        self,
        ref: DanglingRef,
        found: Mapping[tuple[str, str], ExistingIssue],
        tried: list[str],
        revisions: PlanRevisions,
    ) -> Window | None:
        """The fixed window of the issue already in Tracker, when it is found and can be linked to."""
        if self.existing is None:
            tried.append("the target was not searched for existing issues (offline validation)")
            return None
        issue = found.get((ref.ref, self._mode(ref)))
        if issue is None:
            tried.append("no issue imported earlier has this reference (ledgers, unique, kept keys)")
            return None
        created, updated = to_ms(issue.created_at), to_ms(issue.updated_at)
        if created is None or updated is None:
            tried.append(f"{issue.target_key} has no readable createdAt/updatedAt")
            return None
        window = Window(issue.target_key, created, updated, fixed=True)
        if not self.link_dates.can_link(ref.owner, window):
            tried.append(
                f"{issue.target_key} (found by {issue.found_by}) was last updated {issue.updated_at}, before "
                f"{ref.owner} was created: a dated link would have to change it"
            )
            return None
        for link_id in ref.link_ids:
            revisions.link_to_existing(link_id, ref.owner, issue.target_key)
        self._report(
            ref,
            Severity.INFO,
            "dangling_existing",
            f"{self._subject(ref)} is not in this export; it is imported as a link to "
            f"{issue.target_key}, already in Tracker (found by {issue.found_by})",
            "target.dangling lists 'existing'",
        )
        return window

    def _text(self, ref: DanglingRef, tried: list[str], revisions: PlanRevisions) -> None:
        self._withdraw(ref, revisions)
        revisions.add_note(ref.owner, self.note(ref))
        self._warn(
            ref,
            "text",
            "not imported, the description names it" + _why(tried),
            "target.dangling lists 'text'; set source.issue_url to put the old issue's URL in the line",
        )

    def note(self, ref: DanglingRef) -> str:
        """The line a ``text`` reference leaves in the description."""
        url = self.config.source.issue_url
        named = escape_plain(ref.ref) + (f" ({url.format(key=ref.ref)})" if url else "")
        if ref.field == "parent":
            return f"_Parent not migrated: {named}, not in this export_"
        return f"_Link not migrated: {escape_plain(ref.detail)} {named}, not in this export_"

    def _drop(self, ref: DanglingRef, tried: list[str], revisions: PlanRevisions) -> None:
        self._withdraw(ref, revisions)
        self._warn(
            ref,
            "dropped",
            "not imported" + _why(tried),
            "target.dangling lists 'drop'; 'text' would keep a line naming it",
        )

    def _warn(self, ref: DanglingRef, outcome: str, what_happens: str, hint: str) -> None:
        message = f"{self._subject(ref)} is not in this export; {what_happens}"
        self._report(ref, Severity.WARNING, f"dangling_{outcome}", message, hint)

    def _report(self, ref: DanglingRef, severity: Severity, outcome: str, message: str, hint: str) -> None:
        """One finding about ``ref``: kind ``link.<outcome>`` or ``parent.<outcome>``."""
        self.findings.add(
            severity,
            f"{ref.kind}.{outcome}",
            message,
            where=ref.where,
            key=ref.owner,
            field=ref.field,
            value=ref.ref,
            hint=hint,
        )

    @staticmethod
    def _withdraw(ref: DanglingRef, revisions: PlanRevisions) -> None:
        for link_id in ref.link_ids:
            revisions.drop_link(link_id, ref.owner)

    def _error(self, ref: DanglingRef, tried: Sequence[str] = (), *, unreadable: bool = False) -> None:
        if unreadable:
            where = "which is in the export but could not be read"
            hint = f"fix the problems reported for {ref.ref}; this relation is then resolved"
        else:
            where = "which is not in this export" + _why(tried)
            hint = "add the other issue to the export, or set target.dangling (existing, text or drop) in the mapping"
        self._report(ref, Severity.ERROR, "dangling", f"{self._what(ref)} {ref.ref}, {where}", hint)

    @staticmethod
    def _what(ref: DanglingRef) -> str:
        return "parent" if ref.field == "parent" else f"link '{ref.detail}' points to"

    @staticmethod
    def _subject(ref: DanglingRef) -> str:
        return f"parent {ref.ref}" if ref.field == "parent" else f"link '{ref.detail}' {ref.ref}"


def _why(tried: Sequence[str]) -> str:
    """Why the strategies before the one that applied did not (an ``existing`` that failed)."""
    return f" ({'; '.join(tried)})" if tried else ""
