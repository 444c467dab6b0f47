"""Counts of the export as the run will send it, and the API-call estimate."""

from __future__ import annotations

import pytest

from migrator.model import SourceRef
from migrator.pipeline.tally import Tally, estimate
from migrator.plan import (
    PlannedAttachment,
    PlannedComment,
    PlannedIssue,
    PlannedLink,
    PlannedWorklog,
)


def test_tally_counts_children_files_and_patches() -> None:
    tally = Tally()
    planned = PlannedIssue(
        source=SourceRef("jira", "1"),
        source_key="P-1",
        body={"unique": "u"},
        local_fields={"x--customer": "Acme"},
        comments=[PlannedComment("c1", {}, [PlannedAttachment("a2", "b.txt", "b", "t", "alice", size=5)])],
        attachments=[PlannedAttachment("a1", "a.txt", "a", "t", "alice", size=10)],
        worklogs=[PlannedWorklog("w1", {})],
        links=[PlannedLink("l1", "P-2", "relates", "t", "alice")],
    )
    tally.issues = 2
    tally.add(planned)
    counts = tally.as_counts()
    assert counts == {
        "issues": 2,
        "comments": 1,
        "attachments": 2,
        "attachment_bytes": 15,
        "links": 1,
        "worklogs": 1,
        "issues_planned": 1,
        "issues_not_planned": 1,
        "local_field_patches": 1,
        "description_patches": 0,
    }


def test_a_link_listed_on_both_ends_counts_once() -> None:
    tally = Tally()
    link = PlannedLink("link:P-1|relates|P-2", "P-2", "relates", "t", "alice")
    tally.add(PlannedIssue(SourceRef("jira", "1"), "P-1", {"unique": "u1"}, links=[link]))
    tally.add(
        PlannedIssue(
            SourceRef("jira", "2"),
            "P-2",
            {"unique": "u2"},
            links=[PlannedLink("link:P-1|relates|P-2", "P-1", "relates", "t", "alice")],
        )
    )
    assert tally.links == 1


def test_estimate_counts_one_call_per_object_plus_reads() -> None:
    tally = Tally(issues=100, planned=100, comments=300, attachments=20, worklogs=5, local_field_patches=10)
    tally.add(
        PlannedIssue(
            SourceRef("jira", "1"),
            "P-1",
            {"unique": "u"},
            links=[PlannedLink(f"l{n}", "P-2", "relates", "t", "a") for n in range(30)],
        )
    )
    tally.planned, tally.comments = 100, 300
    result = estimate(tally, max_rps=10, users=250)
    assert result.calls_by_kind["issue_import"] == 100
    assert result.calls_by_kind["reads"] == 13 + 3
    assert result.api_calls == 100 + 300 + 20 + 30 + 5 + 10 + 16
    assert result.seconds == pytest.approx(result.api_calls / 10)
    with pytest.raises(ValueError):
        estimate(tally, max_rps=0)
