"""Link dates planned across issues: every link dated inside both issues' windows, windows
extended (never the moment of the run) unless the mapping asks for undated links."""

from __future__ import annotations

import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from migrator.findings import Findings, Severity
from migrator.model import SourceRef
from migrator.pipeline.link_dates import LinkDatePlanner, Window, to_ms
from migrator.plan import PlannedIssue, PlannedLink, PlanRevisions
from migrator.timeutil import format_tracker_datetime

DAY0 = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)


def at(days: float) -> str:
    return format_tracker_datetime(DAY0 + timedelta(days=days))


def planned(
    key: str, created: float, updated: float, links: Sequence[tuple[str, float]] = (), row: int = 2
) -> PlannedIssue:
    """``links`` = [(other key, link date in days)]; the relationship is always "relates"."""
    return PlannedIssue(
        source=SourceRef("jira", key.split("-")[1], "issues.csv", row),
        source_key=key,
        body={"createdAt": at(created), "createdBy": "alice", "updatedAt": at(updated), "updatedBy": "bob"},
        links=[
            PlannedLink(
                f"link:{min(key, other)}|relates|{max(key, other)}", other, "relates", at(when), "alice"
            )
            for other, when in links
        ],
    )


def plan(
    issues: Sequence[PlannedIssue], undated: str = "extend", existing: dict[str, Window] | None = None
) -> tuple[PlanRevisions, Findings]:
    findings = Findings()
    planner = LinkDatePlanner(findings, undated)
    for issue in issues:
        planner.add(issue)
    revisions = PlanRevisions()
    planner.plan(revisions, existing or {})
    return revisions, findings


def revised(revisions: PlanRevisions, issue: PlannedIssue) -> PlannedIssue:
    return revisions.apply(issue)


def test_issues_that_never_lived_together_are_linked_by_extending_the_earlier_one() -> None:
    # OLD-1 lived days 0..10; NEW-2 was created on day 30 and lists a link to OLD-1 dated day 31.
    old, new = planned("OLD-1", 0, 10), planned("NEW-2", 30, 40, links=[("OLD-1", 31)])
    revisions, findings = plan([old, new])
    assert revised(revisions, old).body["updatedAt"] == at(31)  # reaches the link's own date
    assert revised(revisions, new).links[0].created_at == at(31)  # the link keeps its date
    assert revised(revisions, new).body["updatedAt"] == at(40)
    (extended,) = [f for f in findings if f.kind == "time.window_extended_for_link"]
    assert (extended.severity, extended.key, extended.field, extended.row) == (
        Severity.WARNING,
        "OLD-1",
        "updated_at",
        2,
    )
    assert extended.value == f"{at(10)} → {at(31)}"
    assert "NEW-2 relates it" in extended.message


def test_a_link_listed_by_the_earlier_issue_is_dated_when_the_later_one_was_created() -> None:
    # The export has no link date: the transform dated it at OLD-1's creation (day 0).
    old, new = planned("OLD-1", 0, 10, links=[("NEW-2", 0)]), planned("NEW-2", 30, 40)
    revisions, findings = plan([old, new])
    assert revised(revisions, old).links[0].created_at == at(30)
    assert revised(revisions, old).body["updatedAt"] == at(30)
    assert "NEW-2" not in revisions.issues
    (clamped,) = [f for f in findings if f.kind == "time.link_clamped"]
    assert clamped.severity is Severity.INFO and clamped.value == f"{at(0)} → {at(30)}"
    assert {f.kind for f in findings} == {"time.link_clamped", "time.window_extended_for_link"}


def test_overlapping_windows_need_no_change() -> None:
    revisions, findings = plan([planned("A-1", 0, 20, links=[("B-2", 6)]), planned("B-2", 5, 30)])
    assert (revisions.issues, revisions.links, list(findings)) == ({}, {}, [])


def test_a_link_dated_after_the_other_issue_last_changed_extends_that_issue() -> None:
    a, b = planned("A-1", 0, 20, links=[("B-2", 15)]), planned("B-2", 5, 8)
    revisions, _ = plan([a, b])
    assert revised(revisions, b).body["updatedAt"] == at(15)
    assert revised(revisions, a).links[0].created_at == at(15)


def test_the_new_updated_at_is_the_latest_link_whatever_the_order() -> None:
    def run(order: list[PlannedIssue]) -> str:
        revisions, _ = plan(order)
        return str(revisions.issues["HUB-1"].updated_at)

    issues = [planned("HUB-1", 0, 1), planned("X-2", 10, 20, links=[("HUB-1", 12)])]
    issues.append(planned("Y-3", 5, 20, links=[("HUB-1", 7)]))
    assert run(issues) == run(issues[::-1]) == at(12)


def test_with_undated_links_now_the_link_is_undated_and_both_issues_are_marked() -> None:
    old, new = planned("OLD-1", 0, 10), planned("NEW-2", 30, 40, links=[("OLD-1", 31)])
    revisions, findings = plan([old, new], undated="now")
    assert revised(revisions, new).links[0].created_at is None
    assert revised(revisions, old).body["updatedAt"] == at(10)  # no window is extended
    assert revised(revisions, old).touched_by_run and revised(revisions, new).touched_by_run
    (undated,) = list(findings)
    assert (undated.kind, undated.severity, undated.key) == ("link.undated", Severity.WARNING, "NEW-2")


def test_with_undated_links_now_an_overlapping_link_is_moved_into_the_overlap() -> None:
    a, b = planned("A-1", 0, 20, links=[("B-2", 15)]), planned("B-2", 5, 8)
    revisions, findings = plan([a, b], undated="now")
    assert revised(revisions, a).links[0].created_at == at(8)
    (clamped,) = list(findings)
    assert (clamped.kind, clamped.severity) == ("time.link_clamped", Severity.WARNING)


def test_an_issue_already_in_tracker_keeps_its_window() -> None:
    ours = planned("NEW-2", 30, 40, links=[("OLD-9", 30)])
    link_id = ours.links[0].source_id
    fixed = Window("DEMO-9", to_ms(at(0)) or 0, to_ms(at(35)) or 0, fixed=True)
    revisions, findings = plan([ours], existing={link_id: fixed})
    assert revisions.links == {} and list(findings) == []  # inside DEMO-9's window already
    ended = Window("DEMO-9", to_ms(at(0)) or 0, to_ms(at(10)) or 0, fixed=True)
    planner = LinkDatePlanner(Findings(), "extend")
    planner.add(ours)
    assert not planner.can_link("NEW-2", ended)  # ended before NEW-2 began: cannot be dated
    assert LinkDatePlanner(Findings(), "now").can_link("NEW-2", ended)


def test_only_this_exports_issue_grows_towards_an_existing_one() -> None:
    ours = planned("OLD-1", 0, 5, links=[("NEW-9", 0)])
    later = Window("DEMO-9", to_ms(at(20)) or 0, to_ms(at(30)) or 0, fixed=True)
    revisions, findings = plan([ours], existing={ours.links[0].source_id: later})
    assert revised(revisions, ours).links[0].created_at == at(20)
    assert revised(revisions, ours).body["updatedAt"] == at(20)
    assert [f.kind for f in findings] == ["time.link_clamped", "time.window_extended_for_link"]


def test_a_duplicate_key_keeps_the_first_issue() -> None:
    first, dupe = planned("A-1", 0, 1), planned("A-1", 50, 60)  # planning stores the first one
    revisions, _ = plan([first, dupe, planned("B-2", 30, 40, links=[("A-1", 31)])])
    assert revisions.issues["A-1"].updated_at == at(31)
    assert revisions.links == {}  # inside the first A-1's extended window: B-2's link keeps its date


def test_a_link_listed_on_both_issues_is_dated_from_its_first_listing() -> None:
    old = planned("OLD-1", 0, 10, links=[("NEW-2", 0)])
    new = planned("NEW-2", 30, 40, links=[("OLD-1", 35)])  # the same link id: not this one's to import
    revisions, _ = plan([old, new])
    assert revisions.issues["OLD-1"].updated_at == at(30)
    assert revised(revisions, old).links[0].created_at == at(30)


def test_windows_kept_on_disk_carry_every_extension_to_the_next_link() -> None:
    # 1,500 issues (past the spill's write buffer, so windows are read back from SQLite): each later
    # issue links to HUB-1 a day after it was created. Every link extends HUB-1's window again; the
    # plan must see each extension, so HUB-1 ends at the last link and no link is clamped.
    count = 1_500
    hub = planned("HUB-1", 0, 1, row=2)
    others = [planned(f"ISS-{n}", n, n + 0.5, links=[("HUB-1", n + 1)], row=n + 1) for n in range(2, count)]
    revisions, findings = plan([hub, *others])
    assert revised(revisions, hub).body["updatedAt"] == at(count)
    assert {f.kind for f in findings} == {"time.window_extended_for_link"}  # nothing clamped
    (extended,) = [f for f in findings if f.key == "HUB-1"]
    assert (extended.key, extended.row) == ("HUB-1", 2)
    assert extended.value == f"{at(1)} → {at(count)}"
    assert f"and {count - 2 - 5} more" in extended.message
    # Each listing issue's own window grew to its link too (a day after its creation).
    assert revised(revisions, others[0]).body["updatedAt"] == at(3)
    assert revised(revisions, others[-1]).body["updatedAt"] == at(count)


def test_a_window_extended_then_clamped_against_is_read_back_extended() -> None:
    # A-1's window is extended by B-2's link (day 20); C-3 lists a link to A-1 dated day 15: inside
    # A-1's extended window, so it keeps its date and A-1 is extended once, to day 20.
    a, b = planned("A-1", 0, 10), planned("B-2", 18, 25, links=[("A-1", 20)])
    c = planned("C-3", 12, 30, links=[("A-1", 15)])
    revisions, findings = plan([a, b, c])
    assert revised(revisions, a).body["updatedAt"] == at(20)
    assert revised(revisions, c).links[0].created_at == at(15)
    assert [f.key for f in findings if f.kind == "time.window_extended_for_link"] == ["A-1"]


def test_an_issue_extended_by_many_links_names_five_of_them_and_counts_the_rest() -> None:
    # OLD-1 lived days 0..10; seven later issues each link to it after it ended.
    old = planned("OLD-1", 0, 10)
    news = [planned(f"NEW-{n}", 20 + n, 40, links=[("OLD-1", 20 + n)], row=2 + n) for n in range(2, 9)]
    revisions, findings = plan([old, *news])
    (extended,) = [f for f in findings if f.kind == "time.window_extended_for_link"]
    assert extended.key == "OLD-1"
    assert "NEW-2 relates it, NEW-3 relates it, NEW-4 relates it, NEW-5 relates it, NEW-6 relates it" in (
        extended.message
    )
    assert "NEW-7" not in extended.message
    assert "and 2 more" in extended.message
    assert revised(revisions, old).body["updatedAt"] == at(28)  # the latest of the seven links


@pytest.mark.slow
def test_the_extended_windows_and_revisions_are_not_held_in_memory() -> None:
    """A fifth of a large export's issues get a later updatedAt. With them and their revisions kept
    as objects, dating 4,000 such links took 2.8 MB more at its peak (growing with the export); on
    disk, about 1 MB (filters, write buffers, the findings' buffer) whatever their number."""
    findings = Findings()
    planner = LinkDatePlanner(findings)
    count = 4_000
    for n in range(count):  # each NEW-n links to OLD-n after OLD-n's last change: OLD-n is extended
        planner.add(planned(f"OLD-{n}", 0, 1))
        planner.add(planned(f"NEW-{n}", 10, 20, links=[(f"OLD-{n}", 11)]))
    revisions = PlanRevisions()
    tracemalloc.start()
    try:
        planner.plan(revisions, {})
        _held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    extended = findings.counts_by_kind()[(Severity.WARNING.value, "time.window_extended_for_link")]
    assert len(revisions.issues) == extended == count
    assert peak < 1_800_000
