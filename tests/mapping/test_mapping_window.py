"""The import API's time windows: what updatedAt/updatedBy/resolvedAt become, and every clamp reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from migrator.findings import Severity
from migrator.model import Attachment, Comment, Link, UserRef, Worklog
from migrator.plan import PlannedIssue

from .mapping_helpers import NOW, T0, child_ref, make_issue, of_kind, transformer

H = timedelta(hours=1)


def wire(hours: float) -> str:
    from migrator.timeutil import format_tracker_datetime

    return format_tracker_datetime(T0 + timedelta(hours=hours))


def plan(issue: object, source_dir: Path | None = None) -> tuple[PlannedIssue, list[tuple[str, str | None]]]:
    t = transformer(source_dir=source_dir)
    planned = t.transform(issue)  # type: ignore[arg-type]
    assert planned is not None, [f.render() for f in t.findings]
    return planned, [(f.kind, f.field) for f in t.findings]


def test_updated_at_is_the_latest_of_issue_resolution_and_every_child(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("a")
    issue = make_issue(
        updated_at=T0 + 2 * H,
        resolution="Fixed",
        resolved_at=T0 + 3 * H,
        comments=[Comment(child_ref("c", "1"), UserRef("bob"), T0 + H, "x", updated_at=T0 + 4 * H)],
        attachments=[Attachment(child_ref("a", "1"), "a.txt", "a.txt", T0 + 5 * H, UserRef("bob"))],
        worklogs=[Worklog(child_ref("w", "1"), UserRef("bob"), T0, H, created_at=T0 + 6 * H)],
        links=[Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "relates to", T0 + 7 * H, UserRef("ivanov"))],
    )
    planned, findings = plan(issue, tmp_path)
    assert planned.body["updatedAt"] == wire(7)
    assert planned.body["updatedBy"] == "ivanov"  # no source updated_by: the author of the latest activity
    assert planned.body["resolvedAt"] == wire(3)
    assert findings == [("time.updated_extended", "updated_at")]


def test_source_updated_by_wins_over_the_latest_activity() -> None:
    issue = make_issue(
        updated_by=UserRef("bob"), comments=[Comment(child_ref("c", "1"), UserRef("ivanov"), T0 + H, "x")]
    )
    planned, findings = plan(issue)
    assert (planned.body["updatedAt"], planned.body["updatedBy"]) == (wire(1), "bob")
    assert findings == []  # no source updated_at: nothing was "moved"


def test_updated_by_defaults_to_the_creator() -> None:
    planned, _ = plan(make_issue(updated_at=T0 + H))
    assert (planned.body["updatedAt"], planned.body["updatedBy"]) == (wire(1), "alice")


def test_updated_at_before_created_at_is_clamped() -> None:
    planned, findings = plan(make_issue(updated_at=T0 - H))
    assert planned.body["updatedAt"] == wire(0)
    assert findings == [("time.clamped", "updated_at")]


def test_resolved_at_before_created_at_is_clamped() -> None:
    planned, findings = plan(
        make_issue(resolution="Fixed", resolved_at=T0 - 24 * H, resolved_by=UserRef("bob"))
    )
    assert (planned.body["resolvedAt"], planned.body["resolvedBy"]) == (wire(0), "bob")
    assert findings == [("time.clamped", "resolved_at")]


def test_resolved_at_extends_updated_at() -> None:
    planned, findings = plan(make_issue(updated_at=T0 + H, resolution="Fixed", resolved_at=T0 + 2 * H))
    assert (planned.body["updatedAt"], planned.body["resolvedAt"]) == (wire(2), wire(2))
    assert findings == [("time.updated_extended", "updated_at")]


def test_resolved_by_defaults_to_updated_by() -> None:
    planned, _ = plan(make_issue(updated_by=UserRef("bob"), resolution="Fixed", resolved_at=T0 + H))
    assert planned.body["resolvedBy"] == "bob"


def test_every_kind_of_child_is_clamped_to_created_at_and_named(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("a")
    early = T0 - 2 * H
    issue = make_issue(
        comments=[Comment(child_ref("c", "1"), UserRef("bob"), early, "x")],
        attachments=[Attachment(child_ref("a", "1"), "a.txt", "a.txt", early)],
        worklogs=[Worklog(child_ref("w", "1"), UserRef("bob"), early, H)],
        links=[Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "relates to", early)],
    )
    planned, findings = plan(issue, tmp_path)
    assert sorted(findings) == [
        ("time.clamped", "attachments[0].created_at"),
        ("time.clamped", "comments[0].created_at"),
        ("time.clamped", "links[0].created_at"),
        ("time.clamped", "worklogs[0].created_at"),
    ]
    assert planned.comments[0].body["createdAt"] == wire(0)
    assert planned.attachments[0].created_at == wire(0)
    assert planned.worklogs[0].body["createdAt"] == wire(0)
    assert planned.worklogs[0].body["start"] == wire(-2)  # the work itself may predate the issue
    assert planned.links[0].created_at == wire(0)


def test_comment_updated_before_its_creation_is_clamped() -> None:
    comment = Comment(
        child_ref("c", "1"), UserRef("bob"), T0 + 2 * H, "x", updated_at=T0 + H, updated_by=UserRef("ivanov")
    )
    planned, findings = plan(make_issue(comments=[comment]))
    assert planned.comments[0].body == {
        "text": "x",
        "createdAt": wire(2),
        "createdBy": "bob",
        "updatedAt": wire(2),
        "updatedBy": "ivanov",
        "markupType": "md",
    }
    assert findings == [("time.clamped", "comments[0].updated_at")]


def test_comment_file_without_date_takes_the_comments_time_and_author(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("a")
    comment = Comment(
        child_ref("c", "1"),
        UserRef("bob"),
        T0 + 3 * H,
        "see file",
        attachments=[Attachment(child_ref("a", "1"), "a.txt", "a.txt")],
    )
    planned, findings = plan(make_issue(comments=[comment]), tmp_path)
    (att,) = planned.comments[0].attachments
    assert (att.created_at, att.created_by) == (wire(3), "bob")
    assert findings == []


def test_comment_file_dated_before_its_comment_is_clamped_to_the_comment(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("a")
    comment = Comment(
        child_ref("c", "1"),
        UserRef("bob"),
        T0 + 3 * H,
        "see file",
        attachments=[Attachment(child_ref("a", "1"), "a.txt", "a.txt", T0 + H)],
    )
    planned, findings = plan(make_issue(comments=[comment]), tmp_path)
    assert planned.comments[0].attachments[0].created_at == wire(3)
    assert findings == [("time.clamped", "comments[0].attachments[0].created_at")]


def test_comments_are_sorted_by_creation_stably() -> None:
    comments = [
        Comment(child_ref("c", str(i)), UserRef("bob"), T0 + (H if i != 2 else 0 * H), f"c{i}")
        for i in range(4)
    ]
    planned, _ = plan(make_issue(comments=comments))
    assert [c.body["text"] for c in planned.comments] == ["c2", "c0", "c1", "c3"]


def test_future_children_are_errors() -> None:
    t = transformer()
    later = NOW + 24 * H
    planned = t.transform(
        make_issue(comments=[Comment(child_ref("c", "1"), UserRef("bob"), later, "x")], updated_at=later)
    )
    assert planned is None
    assert sorted(f.field or "" for f in of_kind(t.findings, "time.future")) == [
        "comments[0].created_at",
        "updated_at",
    ]
    assert all(f.severity is Severity.ERROR for f in of_kind(t.findings, "time.future"))


def test_times_are_compared_at_millisecond_precision() -> None:
    comment = Comment(child_ref("c", "1"), UserRef("bob"), T0 - timedelta(microseconds=400), "x")
    planned, findings = plan(make_issue(created_at=T0 + timedelta(microseconds=300), comments=[comment]))
    assert findings == [("time.clamped", "comments[0].created_at")]  # 08:59:59.9996 is before 09:00:00.000
    assert planned.comments[0].body["createdAt"] == planned.body["createdAt"]
