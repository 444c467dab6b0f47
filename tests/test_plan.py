"""The plan's stored form: ``to_dict`` is ``dataclasses.asdict`` without the copies; the revisions
planning across issues makes, kept on disk."""

from __future__ import annotations

import dataclasses
import json
import tracemalloc
from pathlib import Path

from execution.helpers_executor import make_plan

from migrator.plan import IssueRevision, LinkRevision, PlannedIssue, PlanRevisions


def test_to_dict_is_what_asdict_gives_and_round_trips(tmp_path: Path) -> None:
    plan = make_plan(7, tmp_path / "files", local_fields={"abc--customer": "Acme"})
    for issue in plan:
        data = issue.to_dict()
        assert data == dataclasses.asdict(issue)
        assert PlannedIssue.from_dict(json.loads(json.dumps(data))) == issue


def test_to_dict_shares_payloads_instead_of_copying_them(tmp_path: Path) -> None:
    issue = make_plan(1, tmp_path / "files")[0]
    data = issue.to_dict()
    assert data["body"] is issue.body and data["comments"][0]["body"] is issue.comments[0].body
    assert data["comments"][0]["attachments"][0] == dataclasses.asdict(issue.comments[0].attachments[0])


# ---------------------------------------------------------------------- revisions across issues

AT = "2024-05-01T10:00:00.000+0000"


def test_each_revision_change_is_stored_and_read_back() -> None:
    revisions = PlanRevisions()
    revisions.extend_issue("S-1", AT)
    revisions.add_note("S-1", "_first_")
    revisions.add_note("S-1", "_second_")
    revisions.touch_issue("S-2")
    revisions.redate_link("L-1", "S-1", AT)
    revisions.redate_link("L-2", "S-2", None)  # undated
    revisions.drop_link("L-3", "S-3")
    revisions.link_to_existing("L-4", "S-1", "DEMO-9")
    assert dict(revisions.issues) == {
        "S-1": IssueRevision(AT, ["_first_", "_second_"]),
        "S-2": IssueRevision(touched_by_run=True),
    }
    assert dict(revisions.links) == {
        "L-1": LinkRevision("S-1", redated=True, created_at=AT),
        "L-2": LinkRevision("S-2", redated=True, created_at=None),
        "L-3": LinkRevision("S-3", drop=True),
        "L-4": LinkRevision("S-1", to_target_key="DEMO-9"),
    }
    assert revisions.touched() == {"S-1", "S-2", "S-3"}
    assert "S-3" not in revisions.issues and revisions.links.get("L-9") is None


def test_a_later_change_keeps_the_links_first_owner_and_its_earlier_changes() -> None:
    revisions = PlanRevisions()
    revisions.link_to_existing("L-1", "S-1", "DEMO-9")
    revisions.redate_link("L-1", "S-2", AT)
    assert revisions.links["L-1"] == LinkRevision("S-1", to_target_key="DEMO-9", redated=True, created_at=AT)


def test_a_revision_read_is_a_copy_changes_go_through_the_methods() -> None:
    revisions = PlanRevisions()
    revisions.add_note("S-1", "_kept_")
    revisions.issues["S-1"].notes.append("_lost_")
    assert revisions.issues["S-1"].notes == ["_kept_"]


def test_revisions_of_many_issues_and_links_are_not_held_in_memory() -> None:
    """A fifth of a large export's issues and links are revised. Kept as objects, 5,000 of each took
    1.8 MB (they grow with the export); on disk, the filters and write buffers about 0.35 MB."""
    count = 5_000
    revisions = PlanRevisions()
    tracemalloc.start()
    try:
        for n in range(count):
            key = f"PROJ-{n}"
            revisions.extend_issue(key, AT)
            revisions.redate_link(f"link:{key}|relates|PROJ-{n + 1}", key, AT)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(revisions.issues) == len(revisions.links) == count
    assert held < 1_000_000
