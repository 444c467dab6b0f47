"""Dates for links, planned across issues: a link is imported *dated*, inside both issues' windows.

Tracker accepts an imported link only at a time inside the ``[createdAt, updatedAt]`` window of
*both* of its issues. One issue alone cannot decide that (the other may come later in the export),
so :class:`LinkDatePlanner` keeps each planned issue's window (two integers, on disk) and each link once
(from the issue that lists it first, which is the one that imports it), and plans every date when
the export has been read. The rule, with ``target.undated_links: extend`` (the default):

* a link keeps its own date (the export's, or the listing issue's creation when the export has
  none), except that it cannot be older than either issue: then it is dated when the later of the
  two was created (``time.link_clamped``, info);
* an issue whose ``updatedAt`` is earlier than one of its links gets that link's date as its
  ``updatedAt`` — in Tracker, as in the source tracker, adding a link updates both issues
  (``time.window_extended_for_link``, warning, with before → after). Two issues whose lifetimes
  never overlapped are linked this way: the earlier one's window reaches the later one's creation.

Each issue's new ``updatedAt`` is the latest date of its links, so the plan does not depend on the
order in which links are looked at, and the same export always gives the same dates.

With ``target.undated_links: now`` no window is extended: a link is moved into the window both
issues share (``time.link_clamped``, warning), and a link between issues whose lifetimes never
overlapped is created undated — at the moment of the run, by the importing user, which also
changes both issues' ``updatedAt``/``updatedBy`` in Tracker (``link.undated``, warning).

A link to an issue already in Tracker (``target.dangling: existing``) can extend only this
export's issue: the other one's window is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from migrator.findings import Findings, Severity
from migrator.model import SourceRef
from migrator.plan import PlannedIssue, PlanRevisions
from migrator.spill import DiskList, DiskMap, DiskSet
from migrator.timeutil import format_tracker_datetime, parse_tracker_datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(text: object) -> int | None:
    """A Tracker timestamp as milliseconds since the epoch (None when it is not one)."""
    try:
        return (parse_tracker_datetime(str(text)) - _EPOCH) // _MS
    except ValueError:
        return None


def wire_ms(value: int) -> str:
    return format_tracker_datetime(_EPOCH + value * _MS)


@dataclass(slots=True)
class Window:
    """An issue's ``[createdAt, updatedAt]`` in milliseconds; ``updated`` grows as links need it."""

    key: str
    created: int
    updated: int
    where: SourceRef | None = None
    fixed: bool = False  # an issue already in Tracker: its window cannot change
    planned_updated: int = 0  # updatedAt as the issue's own plan has it

    def __post_init__(self) -> None:
        self.planned_updated = self.updated


# A window as stored: plain values pickle several times faster than the dataclass and its SourceRef.
_Stored = tuple[int, int, int, str, str, str | None, int | None]


def _stored(window: Window) -> _Stored:
    where = window.where
    assert where is not None  # only planned issues are stored, and each has its source
    return (
        window.created,
        window.updated,
        window.planned_updated,
        where.system,
        where.id,
        where.file,
        where.row,
    )


def _window(key: str, stored: _Stored) -> Window:
    created, updated, planned_updated, system, ident, file, row = stored
    where = SourceRef(system, ident, file, row)
    window = Window(key, created, updated, where)
    window.planned_updated = planned_updated
    return window


@dataclass(slots=True)
class _OwnedLink:
    owner: str
    source_id: str
    other: str  # the other issue's source key
    at: int  # the planned date, ms
    relationship: str


SHOWN_LINKS = 5  # the extension's finding names this many of the links that moved a window


@dataclass(slots=True)
class _Extension:
    """The links that moved one issue's updatedAt: the first few labels, and how many in all (an
    issue many links point to would otherwise keep a label per link until the end of the export)."""

    labels: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, label: str) -> None:
        if len(self.labels) < SHOWN_LINKS:
            self.labels.append(label)
        self.count += 1


class _Extensions:
    """Every extended issue's :class:`_Extension`, by key, in the order the issues were first
    extended. A fifth of a large export's issues are extended, so they are kept on disk
    (``migrator.spill``) as plain ``(labels, count)``: as objects they were the largest holder of
    memory while the links were dated."""

    def __init__(self) -> None:
        self._stored: DiskMap[tuple[tuple[str, ...], int]] = DiskMap()

    def add(self, key: str, label: str) -> None:
        stored = self._stored.get(key)
        if stored is None:
            self._stored.put_new(key, ((label,), 1))
            return
        labels, count = stored
        extension = _Extension(list(labels), count)
        extension.add(label)
        self._stored[key] = (tuple(extension.labels), extension.count)

    def in_order(self) -> Iterator[tuple[str, _Extension]]:
        for key, (labels, count) in self._stored.items_in_order():
            yield key, _Extension(list(labels), count)

    def close(self) -> None:
        self._stored.close()


@dataclass
class LinkDatePlanner:
    """Feed every planned issue with ``add``; ``plan`` then dates every link (see the module doc).

    Windows, owned link ids and links have one entry per issue or link, so they are kept on disk
    (``migrator.spill``): memory stays flat with the export's size. A window is read back when a link
    needs it and written back when the link moved its ``updatedAt``."""

    findings: Findings
    undated_links: str = "extend"
    _windows: DiskMap[_Stored] = field(default_factory=DiskMap)
    _owned: DiskSet = field(default_factory=DiskSet)
    _links: DiskList[tuple[str, str, str, int, str]] = field(default_factory=DiskList)

    def add(self, planned: PlannedIssue) -> None:
        """Record an issue's window and the links it is the first to list (a key seen before is a
        duplicate: the first issue with it is the one planned)."""
        key = planned.source_key
        created, updated = to_ms(planned.body.get("createdAt")), to_ms(planned.body.get("updatedAt"))
        if created is None or key in self._windows:
            return
        self._windows.put_new(
            key, _stored(Window(key, created, max(created, updated or created), planned.source))
        )
        for link in planned.links:
            if not self._owned.add(link.source_id):
                continue  # another issue listed it first
            at = to_ms(link.created_at)
            if at is not None:
                self._links.append((key, link.source_id, link.to_source_key, at, link.relationship))

    def plan(self, revisions: PlanRevisions, existing: Mapping[str, Window]) -> None:
        """Date every link whose two ends are known — both in the plan, or the other one already in
        Tracker (``existing``: link source id → that issue's fixed window) — into ``revisions``."""
        extended = _Extensions()
        try:
            self._date_links(revisions, existing, extended)
            for key, extension in extended.in_order():
                self._report_extension(_window(key, self._windows[key]), extension, revisions)
        finally:
            extended.close()

    def _date_links(
        self, revisions: PlanRevisions, existing: Mapping[str, Window], extended: _Extensions
    ) -> None:
        """Every owned link dated (``plan``), the windows it moved noted in ``extended``."""
        for fields in self._links:
            link = _OwnedLink(*fields)
            change = revisions.link_revision(link.source_id)
            if change is not None and change.drop:
                continue
            own = _window(link.owner, self._windows[link.owner])
            other = existing.get(link.source_id) or (
                own if link.other == link.owner else self._window(link.other)
            )
            if other is None:
                continue  # the other end is not planned: the link is reported as dangling
            before = (own.updated, other.updated)
            if self.undated_links == "now" or other.fixed:
                self._fit(link, own, other, revisions, extended)
            else:
                self._extend(link, own, other, revisions, extended)
            if before != (own.updated, other.updated):
                self._store(own, other)

    def _store(self, *windows: Window) -> None:
        """Write back windows a link extended (an issue already in Tracker is not stored: fixed)."""
        for window in windows:
            if not window.fixed:
                self._windows[window.key] = _stored(window)

    def _window(self, key: str) -> Window | None:
        stored = self._windows.get(key)
        return None if stored is None else _window(key, stored)

    def can_link(self, owner: str, other: Window) -> bool:
        """Can a link from ``owner`` to an issue already in Tracker be dated? Its window cannot grow,
        so (unless undated links are allowed) it must not have ended before ``owner`` began."""
        own = self._window(owner)
        if own is None or self.undated_links == "now":
            return True
        return max(own.created, other.created) <= other.updated

    def _extend(
        self,
        link: _OwnedLink,
        own: Window,
        other: Window,
        revisions: PlanRevisions,
        extended: _Extensions,
    ) -> None:
        """Keep the link's date (not before both issues exist); extend whichever window ends earlier."""
        at = max(link.at, own.created, other.created)
        if at != link.at:
            self._redate(link, at, revisions)
            self._report_clamp(link, own, other, at, later_creation=True)
        for window in (own, other):
            if at > window.updated:
                window.updated = at
                extended.add(window.key, self._label(link, window.key, own, other))

    def _fit(
        self,
        link: _OwnedLink,
        own: Window,
        other: Window,
        revisions: PlanRevisions,
        extended: _Extensions,
    ) -> None:
        """The other issue's window cannot change: move the date into the windows' overlap (only
        this export's issue may grow, and only with ``extend``), or plan the link undated."""
        low = max(own.created, other.created)
        high = other.updated if self.undated_links == "extend" else min(own.updated, other.updated)
        if low > high:
            # Only with ``now``: with ``extend`` such an issue already in Tracker is not linked to
            # (``can_link`` said no, and the dangling policy's next strategy applied).
            self._undated(link, own, other, revisions)
            return
        at = min(max(link.at, low), high)
        if at != link.at:
            self._redate(link, at, revisions)
            self._report_clamp(link, own, other, at, later_creation=link.at < low)
        if at > own.updated:
            own.updated = at
            extended.add(own.key, self._label(link, own.key, own, other))

    def _undated(self, link: _OwnedLink, own: Window, other: Window, revisions: PlanRevisions) -> None:
        revisions.redate_link(link.source_id, link.owner, None)
        revisions.touch_issue(own.key)
        if not other.fixed:
            revisions.touch_issue(other.key)
        self.findings.warning(
            "link.undated",
            f"link '{link.relationship}' {link.other}: the issues' lifetimes never overlap "
            f"({own.key} {_span(own)}, {other.key} {_span(other)}); it is created undated, at the moment "
            "of the run, which also sets both issues' updatedAt/updatedBy to then and the importing user",
            where=own.where,
            key=own.key,
            field="links",
            value=link.other,
            hint="target.undated_links: now asks for this; the default, extend, dates the link by "
            "extending the earlier issue's updatedAt instead",
        )

    @staticmethod
    def _redate(link: _OwnedLink, at: int, revisions: PlanRevisions) -> None:
        revisions.redate_link(link.source_id, link.owner, wire_ms(at))

    def _report_clamp(
        self, link: _OwnedLink, own: Window, other: Window, at: int, later_creation: bool
    ) -> None:
        """Raised to the later issue's creation: inevitable, info. Moved into the other issue's
        fixed window: the link's own date is lost, a warning."""
        if later_creation:
            later = other.key if other.created > own.created else own.key
            severity, why = Severity.INFO, f"before {later} was created"
            hint = "a link cannot be older than either of its issues"
        else:
            severity, why = Severity.WARNING, f"outside {other.key}'s window {_span(other)}"
            hint = "Tracker only accepts a link inside both issues' [createdAt, updatedAt]"
        self.findings.add(
            severity,
            "time.link_clamped",
            f"link '{link.relationship}' {link.other} is dated {wire_ms(link.at)}, {why}; dated {wire_ms(at)}",
            where=own.where,
            key=own.key,
            field="links",
            value=f"{wire_ms(link.at)} → {wire_ms(at)}",
            hint=hint,
        )

    @staticmethod
    def _label(link: _OwnedLink, key: str, own: Window, other: Window) -> str:
        return (
            f"{link.relationship} {other.key}" if key == own.key else f"{link.owner} {link.relationship} it"
        )

    def _report_extension(self, window: Window, extension: _Extension, revisions: PlanRevisions) -> None:
        before, after = wire_ms(window.planned_updated), wire_ms(window.updated)
        revisions.extend_issue(window.key, after)
        more = extension.count - len(extension.labels)
        shown = ", ".join(extension.labels) + (f" and {more} more" if more else "")
        self.findings.warning(
            "time.window_extended_for_link",
            f"updatedAt moved from {before} to {after} so that its links can be dated inside both issues' "
            f"windows ({shown})",
            where=window.where,
            key=window.key,
            field="updated_at",
            value=f"{before} → {after}",
            hint="Tracker dates a link inside both issues' [createdAt, updatedAt]; adding a link updates "
            "both issues, here at the link's date. target.undated_links: now would instead create such "
            "links at the moment of the run",
        )


def _span(window: Window) -> str:
    return f"[{wire_ms(window.created)}, {wire_ms(window.updated)}]"
