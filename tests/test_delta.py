"""migrator/delta.py through ``planning.load_plan`` / ``compare_plan``: what a newer export changes
against the ledger, which delta rows it plans, and what it reports (no target involved: rows are
marked done by hand, as a finished run would leave them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from execution.helpers_executor import BASE, ISSUE_UPDATED, make_issue, planned_link_dates, ts

from migrator.delta import (
    DeltaSummary,
    edit_source_id,
    parse_removal,
    removal_source_id,
    update_source_id,
)
from migrator.findings import Finding, Findings
from migrator.plan import PlannedComment, PlannedIssue
from migrator.planning import compare_plan, load_plan
from migrator.state import CheckpointStore
from migrator.vocabulary import KINDS, Kind, Status

DERIVED = "test:test:1/comment:1/comment/"  # a content-derived comment id, as sources/builder.py makes


@pytest.fixture
def store(tmp_path: Path):
    with CheckpointStore(tmp_path / "state.sqlite") as s:
        yield s


def _plan(files: Path, **kwargs: object) -> list[PlannedIssue]:
    return [make_issue(n, files, **kwargs) for n in (1, 2, 3)]  # type: ignore[arg-type]


def _import(store: CheckpointStore, plan: list[PlannedIssue]) -> None:
    """Load ``plan`` and mark every row done, as a finished run would."""
    load_plan(store, plan, "test", "DEMO")
    for key in {i.source_key for i in plan}:
        for row in store.rows_for_issue(key, KINDS):
            if row.status != Status.DONE:
                store.mark_in_flight(row.id)
                store.mark_done(row.id, f"t{row.id}", f"DEMO-{key}")
    for row in store.rows_for_issue("S-1", (Kind.LINK,)):
        store.mark_done(row.id, f"t{row.id}", "DEMO-S-1")


def _load(store: CheckpointStore, plan: list[PlannedIssue], **kwargs: bool) -> tuple[Findings, DeltaSummary]:
    findings, delta = Findings(), DeltaSummary()
    load_plan(store, plan, "test", "DEMO", findings=findings, delta=delta, **kwargs)
    return findings, delta


def _kinds(findings: Findings) -> list[str]:
    return sorted(f.kind for f in findings)


def _of(findings: Findings, kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def _pending(store: CheckpointStore, key: str, kind: Kind) -> list[str]:
    return [r.source_id for r in store.rows_for_issue(key, (kind,)) if r.status == Status.PENDING]


def test_first_import_is_all_new(store: CheckpointStore, tmp_path: Path) -> None:
    findings, delta = _load(store, _plan(tmp_path / "f"))
    assert delta.issues["new"] == 3 and not delta.earlier_import
    assert list(findings) == []
    assert delta.render().startswith("Delta: no earlier import")


def test_unchanged_export_plans_nothing(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    findings, delta = _load(store, _plan(tmp_path / "f"))
    assert delta.issues == {"unchanged": 3}
    assert list(findings) == []
    assert store.unfinished_count() == 0


def test_changed_fields_plan_one_update_with_its_consequences(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan[0].body.update(summary="Renamed", status="inProgress", assignee="alice")
    del plan[0].body["tags"]
    findings, delta = _load(store, plan)

    assert delta.issues["changed"] == 1 and delta.planned_writes[Kind.ISSUE_UPDATE] == 1
    [update] = _pending(store, "S-1", Kind.ISSUE_UPDATE)
    assert update.startswith("S-1@")
    assert store.view().delta_payload(Kind.ISSUE_UPDATE, "S-1", update) == {"clear": ["tags"]}
    [changed] = _of(findings, "delta.changed")
    assert changed.key == "S-1" and changed.severity == "info"
    assert "summary 'Issue number 1' → 'Renamed'" in changed.message
    assert "status 'open' → 'inProgress' (workflow transition)" in changed.message
    assert "tags" in changed.field and "(cleared)" in changed.message
    [moves] = _of(findings, "delta.updated_at_moves")
    assert moves.severity == "warning" and "updatedAt to the run's time" in moves.message
    # the update runs right after the issue's own row, before any of its children
    rows = store.rows_for_issue("S-1", KINDS)
    assert [r.kind for r in rows[:2]] == [Kind.ISSUE, Kind.ISSUE_UPDATE]


def test_resolving_transition_and_changes_tracker_cannot_make(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    resolved = ts(ISSUE_UPDATED - timedelta(hours=1))
    plan[0].body.update(status="closed", resolution="fixed", resolvedAt=resolved, resolvedBy="alice")
    plan[1].body["createdBy"] = "alice"  # a fixed author: cannot change on an existing issue
    plan[2].body["resolution"] = "wontFix"  # a resolution without a status change: no transition
    findings, _delta = _load(store, plan)

    [resolving] = _of(findings, "delta.resolved_at_moves")
    assert resolving.key == "S-1" and resolved in resolving.message
    not_applicable = {(f.key, f.field) for f in _of(findings, "delta.not_applicable")}
    assert not_applicable == {("S-2", "createdBy"), ("S-3", "resolution")}


def test_late_child_rides_on_a_field_update(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    late = ts(ISSUE_UPDATED + timedelta(days=2))
    plan[0].body.update(summary="Renamed", updatedAt=late)
    plan[0].comments.append(
        PlannedComment("S-1-late", {"text": "later", "createdAt": late, "createdBy": "bob"})
    )
    findings, delta = _load(store, plan)

    [late_child] = _of(findings, "delta.late_child")
    assert late_child.key == "S-1" and "the field update above moves updatedAt" in late_child.message
    assert _of(findings, "delta.window_opened") == []
    assert delta.late_children == 1 and delta.windows_opened == 0
    kinds = [r.kind for r in store.rows_for_issue("S-1", KINDS) if r.status == Status.PENDING]
    assert kinds == [Kind.ISSUE_UPDATE, Kind.COMMENT]  # the update first, then the late comment


def test_late_child_without_field_changes_opens_the_window(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    late = ts(ISSUE_UPDATED + timedelta(days=2))
    plan[1].body["updatedAt"] = late
    plan[1].comments.append(
        PlannedComment("S-2-late", {"text": "later", "createdAt": late, "createdBy": "bob"})
    )
    findings, delta = _load(store, plan)

    [opened] = _of(findings, "delta.window_opened")
    assert opened.key == "S-2" and "migrator-window" in opened.message
    assert _of(findings, "delta.changed") == [] and _of(findings, "delta.updated_at_moves") == []
    assert delta.windows_opened == 1 and delta.new_children[Kind.COMMENT] == 1
    assert len(_pending(store, "S-2", Kind.ISSUE_UPDATE)) == 1


def test_moved_stamps_alone_are_no_change_and_plan_no_update(store: CheckpointStore, tmp_path: Path) -> None:
    """The export's updatedAt/updatedBy moved, nothing else of the issue did (the walkthrough's
    PAY-12: only a comment was edited): Tracker sets its stamps itself, so there is nothing to
    PATCH — no issue_update row, no delta.changed / delta.updated_at_moves, and the stored plan keeps
    the imported stamps (what the target has)."""
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    moved = ts(ISSUE_UPDATED + timedelta(days=5))
    plan[0].body.update(updatedAt=moved, updatedBy="carol")
    plan[0].comments[0].body["text"] = "a typo fixed"
    plan[1].body["updatedAt"] = moved  # only the stamp: the issue stays unchanged
    findings, delta = _load(store, plan)

    # S-1's comment edit moves its stamps (its finding says so); S-2's stay as imported
    assert sorted((f.key, f.kind) for f in findings) == [
        ("S-1", "delta.comment_edited"),
        ("S-2", "delta.stamps_kept"),
    ]
    assert delta.issues == {"changed": 1, "unchanged": 2}  # S-1 by its edited comment
    assert delta.planned_writes[Kind.ISSUE_UPDATE] == 0 and delta.planned_writes[Kind.COMMENT_EDIT] == 1
    assert store.rows_for_issue("S-1", (Kind.ISSUE_UPDATE,)) == []
    assert store.rows_for_issue("S-2", (Kind.ISSUE_UPDATE,)) == []
    [edited] = _of(findings, "delta.comment_edited")
    assert f"for the issue the export says {moved} by carol" in edited.message
    [kept] = _of(findings, "delta.stamps_kept")
    assert kept.field == "updatedAt" and kept.value == moved
    assert f"→ '{moved}'" in kept.message and "Tracker keeps the updatedAt/updatedBy" in kept.message
    assert store.load_issue("S-1").body["updatedAt"] == ts(ISSUE_UPDATED)
    assert store.load_issue("S-2").body["updatedAt"] == ts(ISSUE_UPDATED)
    assert store.load_issue("S-1").body["updatedBy"] == _plan(tmp_path / "f")[0].body["updatedBy"]
    for row in store.rows_for_issue("S-1", (Kind.COMMENT_EDIT,)):
        store.mark_done(row.id, None, "DEMO-S-1")

    findings, delta = _load(store, plan)  # the same export again: nothing to write
    assert delta.issues == {"unchanged": 3} and sum(delta.planned_writes.values()) == 0
    assert store.unfinished_count() == 0


def test_child_inside_the_old_window_needs_no_update(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    inside = ts(BASE + timedelta(days=3))
    plan[2].comments.append(
        PlannedComment("S-3-more", {"text": "more", "createdAt": inside, "createdBy": "bob"})
    )
    findings, delta = _load(store, plan)
    assert list(findings) == [] and delta.new_children[Kind.COMMENT] == 1
    assert _pending(store, "S-3", Kind.ISSUE_UPDATE) == [] and _pending(store, "S-3", Kind.COMMENT) == [
        "S-3-more"
    ]


def test_edited_comment_with_an_id_is_an_edit(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan[0].comments[1].body["text"] = "Comment 1 on S-1, corrected"
    findings, delta = _load(store, plan)

    assert _kinds(findings) == ["delta.comment_edited"]
    assert delta.edited_comments == 1 and delta.new_children == {}
    [edit] = store.rows_for_issue("S-1", (Kind.COMMENT_EDIT,))
    assert edit.parent_source_id == "S-1-c1" and edit.source_id.startswith("S-1-c1@")
    assert _pending(store, "S-1", Kind.COMMENT) == []  # not a second comment


def test_edited_comment_without_an_id_is_paired_by_author_and_time(
    store: CheckpointStore, tmp_path: Path
) -> None:
    plan = _plan(tmp_path / "f")
    plan[0].comments[1].source_id = DERIVED + "0123456789abcdef"
    _import(store, plan)
    plan = _plan(tmp_path / "f")
    plan[0].comments[1].source_id = DERIVED + "fedcba9876543210"  # new text, new content-derived id
    plan[0].comments[1].body["text"] = "edited"
    findings, delta = _load(store, plan)

    assert _kinds(findings) == ["delta.comment_edited", "delta.comment_identity"]
    assert delta.deleted_children == {} and delta.new_children == {} and delta.edited_comments == 1
    comments = {r.source_id: r for r in store.rows_for_issue("S-1", (Kind.COMMENT,))}
    assert DERIVED + "0123456789abcdef" not in comments  # the imported row took the new id
    assert comments[DERIVED + "fedcba9876543210"].status == Status.DONE
    assert comments[DERIVED + "fedcba9876543210"].target_id is not None
    [edit] = store.rows_for_issue("S-1", (Kind.COMMENT_EDIT,))
    assert edit.parent_source_id == DERIVED + "fedcba9876543210"


def test_deleted_children_are_reported_and_kept_by_default(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    del plan[0].comments[1]
    plan[0].worklogs.clear()
    findings, delta = _load(store, plan)

    [deleted] = _of(findings, "delta.deleted")
    assert deleted.key == "S-1" and "kept in Tracker" in deleted.message
    assert deleted.hint and "--delete-missing" in deleted.hint
    assert delta.deleted_children == {Kind.COMMENT: 1, Kind.WORKLOG: 1}
    assert store.rows_for_issue("S-1", (Kind.REMOVAL,)) == []


def test_delete_missing_plans_removals_exactly_once(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    del plan[0].comments[1]
    _findings, delta = _load(store, plan, delete_missing=True)

    [removal] = store.rows_for_issue("S-1", (Kind.REMOVAL,))
    kind, target_id, source_id = parse_removal(removal.source_id)
    assert (kind, source_id) == (Kind.COMMENT, "S-1-c1") and target_id.startswith("t")
    assert delta.planned_writes[Kind.REMOVAL] == 1
    store.mark_done(removal.id, target_id, "DEMO-S-1")

    findings, delta = _load(store, plan, delete_missing=True)  # gone from Tracker: nothing to report
    assert list(findings) == [] and delta.deleted_children == {}
    assert "S-1-c1" not in {r.source_id for r in store.rows_for_issue("S-1", (Kind.COMMENT,))}


def test_deleted_issue_is_reported_and_kept(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    findings, delta = _load(store, _plan(tmp_path / "f")[:2])
    [deleted] = _of(findings, "delta.deleted")
    assert deleted.key == "S-3" and "cannot delete issues" in deleted.message
    assert delta.issues["deleted"] == 1


def test_changed_file_is_not_applicable(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan[1].attachments[0].filename = "renamed.txt"
    findings, delta = _load(store, plan)
    [finding] = _of(findings, "delta.not_applicable")
    assert finding.key == "S-2" and finding.field == "attachment"
    assert delta.not_applicable == 1


def test_applied_update_is_not_planned_again(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan[0].body["summary"] = "Renamed"
    plan[0].comments[0].body["text"] = "edited"
    _load(store, plan)
    for row in store.rows_for_issue("S-1", (Kind.ISSUE_UPDATE, Kind.COMMENT_EDIT)):
        store.mark_done(row.id, None, "DEMO-S-1")

    findings, delta = _load(store, plan)  # the third run with the same export
    assert list(findings) == [] and delta.issues == {"unchanged": 3}
    assert store.unfinished_count() == 0
    # the imported row now carries the hash of what the update applied
    entries = store.view().entries_of_issue("S-1")
    issue = next(e for e in entries if e.kind == Kind.ISSUE)
    [update] = [e for e in entries if e.kind == Kind.ISSUE_UPDATE]
    assert update.source_id == update_source_id("S-1", issue.payload_hash, None)


def test_compare_plan_reports_what_load_plan_would_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with CheckpointStore(path) as store:
        _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan[0].body["summary"] = "Renamed"
    plan[1].comments[0].body["text"] = "edited"
    before = path.read_bytes()

    findings, delta = Findings(), DeltaSummary()
    seen: list[str] = []

    def stream() -> Iterator[PlannedIssue]:
        for issue in plan:
            seen.append(issue.source_key)
            yield issue

    with CheckpointStore(path, read_only=True) as store:
        compare_plan(store.view("test"), stream(), "test", "DEMO", findings, delta)
    assert seen == ["S-1", "S-2", "S-3"]  # the export read to the end
    assert path.read_bytes() == before
    loaded, loaded_delta = Findings(), DeltaSummary()
    with CheckpointStore(path) as store:
        load_plan(store, _plan_with_changes(tmp_path), "test", "DEMO", findings=loaded, delta=loaded_delta)
    assert [(f.kind, f.key) for f in findings] == [(f.kind, f.key) for f in loaded]
    assert delta.to_dict() == loaded_delta.to_dict()


def _plan_with_changes(tmp_path: Path) -> list[PlannedIssue]:
    plan = _plan(tmp_path / "f")
    plan[0].body["summary"] = "Renamed"
    plan[1].comments[0].body["text"] = "edited"
    return plan


def test_ids_of_delta_rows_are_stable() -> None:
    assert (
        update_source_id("K", "a", "b") == update_source_id("K", "a", "b") != update_source_id("K", "a", "c")
    )
    assert edit_source_id("c1", "0" * 64) == "c1@" + "0" * 16
    assert parse_removal(removal_source_id(Kind.COMMENT, "77", "src:with:colons")) == (
        Kind.COMMENT,
        "77",
        "src:with:colons",
    )


def test_summary_renders_every_count(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")[:2]
    plan[0].body["summary"] = "Renamed"
    _findings, delta = _load(store, plan)
    delta.state_file = "state.sqlite"
    text = delta.render()
    assert "Delta against the last import (state.sqlite)" in text
    assert "0 new, 1 changed, 1 unchanged, 1 deleted from the export" in text
    assert "1 issue update(s)" in text


def _new_linked_issue(created_days: int, updated_days: int) -> PlannedIssue:
    """S-4, new, with no children but a link to the imported S-2."""
    issue = make_issue(4, None, comments=0, worklogs=0, links=[("relates", "S-2")])
    issue.body.update(
        createdAt=ts(ISSUE_UPDATED + timedelta(days=created_days)),
        updatedAt=ts(ISSUE_UPDATED + timedelta(days=updated_days)),
    )
    return issue


def test_new_link_to_an_imported_issue_opens_its_window(store: CheckpointStore, tmp_path: Path) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan[1].body["updatedAt"] = ts(ISSUE_UPDATED + timedelta(days=2))  # Jira stamps both ends of a new link
    plan.append(_new_linked_issue(1, 2))
    _planned, revisions = planned_link_dates(plan)  # the link: dated when S-4 was created
    findings, delta = Findings(), DeltaSummary()
    load_plan(store, plan, "test", "DEMO", revisions=lambda: revisions, findings=findings, delta=delta)

    [opened] = _of(findings, "delta.window_opened")
    assert opened.key == "S-2" and opened.field == "links"
    assert delta.windows_opened == 1 and delta.issues["new"] == 1
    assert len(_pending(store, "S-2", Kind.ISSUE_UPDATE)) == 1  # the quiet update opens it


def test_new_link_inside_an_unchanged_issue_window_needs_nothing(
    store: CheckpointStore, tmp_path: Path
) -> None:
    _import(store, _plan(tmp_path / "f"))
    plan = _plan(tmp_path / "f")
    plan.append(_new_linked_issue(-2, 2))  # overlaps S-2's window: the link is dated inside it
    plan[3].links[0].created_at = ts(ISSUE_UPDATED + timedelta(days=1))
    findings, delta = _load(store, plan)
    assert list(findings) == [] and delta.issues == {"new": 1, "unchanged": 3}
    assert store.rows_for_issue("S-2", (Kind.ISSUE_UPDATE,)) == []


def test_a_window_extended_for_a_new_link_is_no_field_change_but_opens_the_window(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """The planned link dates meet the delta: S-4 (new) links to the imported S-2 after S-2's window
    ended. Planning extends S-2's updatedAt to the link's date; against the ledger that is no field
    change (nothing to PATCH), only an update planned once the export was read, which opens the
    imported window for the link."""
    _import(store, _plan(tmp_path / "f"))
    plan = [*_plan(tmp_path / "f"), _new_linked_issue(1, 2)]
    planned_findings, revisions = planned_link_dates(plan)
    [extended] = _of(planned_findings, "time.window_extended_for_link")
    assert extended.key == "S-2"
    link_date = ts(ISSUE_UPDATED + timedelta(days=1))  # S-4's creation: a link is never older than its issues

    findings, delta = Findings(), DeltaSummary()
    load_plan(store, plan, "test", "DEMO", revisions=lambda: revisions, findings=findings, delta=delta)

    assert _of(findings, "delta.changed") == [] and _of(findings, "delta.updated_at_moves") == []
    [opened] = _of(findings, "delta.window_opened")
    assert (opened.key, opened.field, opened.value) == ("S-2", "links", link_date)
    assert delta.issues["changed"] == 1 and delta.issues["new"] == 1 and delta.windows_opened == 1
    [update] = store.rows_for_issue("S-2", (Kind.ISSUE_UPDATE,))
    assert update.status == Status.PENDING and delta.planned_writes[Kind.ISSUE_UPDATE] == 1
    # before the link phase: the issue's rows first, the link after (it is S-4's)
    assert update.seq > max(r.seq for r in store.rows_for_issue("S-2", KINDS) if r.kind != Kind.ISSUE_UPDATE)
    # the window opening (not the export) moves the stamps: the stored plan keeps the imported ones
    assert store.load_issue("S-2").body["updatedAt"] == ts(ISSUE_UPDATED)
    [link] = store.load_issue("S-4").links
    assert link.created_at == link_date


def test_an_undated_new_link_needs_no_window(store: CheckpointStore, tmp_path: Path) -> None:
    """With ``target.undated_links: now`` the planning leaves the link undated (``link.undated``):
    nothing of the imported issue changes, and no window is opened for it."""
    _import(store, _plan(tmp_path / "f"))
    plan = [*_plan(tmp_path / "f"), _new_linked_issue(1, 2)]
    planned_findings, revisions = planned_link_dates(plan, undated_links="now")
    assert [f.key for f in _of(planned_findings, "link.undated")] == ["S-4"]

    findings, delta = Findings(), DeltaSummary()
    load_plan(store, plan, "test", "DEMO", revisions=lambda: revisions, findings=findings, delta=delta)

    assert list(findings) == [] and delta.issues == {"new": 1, "unchanged": 3}
    assert store.rows_for_issue("S-2", (Kind.ISSUE_UPDATE,)) == []
    assert store.load_issue("S-4").links[0].created_at is None
