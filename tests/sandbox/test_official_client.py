"""The official ``yandex_tracker_client`` 2.10, unmodified, against a running sandbox.

It builds follow-up requests from the path of ``self`` URLs, follows ``Link: rel="next"``
re-sending the same body, and on a 409 for ``unique`` calls ``_findByUnique``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from yandex_tracker_client import TrackerClient
from yandex_tracker_client import exceptions as ytc

from migrator.sandbox import SandboxServer

from .sandbox_helpers import T0, T_END, T_MID, VIEWER, ts


@pytest.fixture
def client(sandbox: SandboxServer) -> TrackerClient:
    return TrackerClient(token=sandbox.admin_token, org_id=sandbox.org_id, base_url=sandbox.url, retries=0)


def import_history(client: TrackerClient, **fields: Any) -> Any:
    body = {
        "queue": "DEMO",
        "summary": "Historic",
        "createdAt": T0,
        "createdBy": "alice",
        "updatedAt": T_END,
        "updatedBy": "bob",
        "status": "closed",
        "resolution": "fixed",
        "resolvedAt": T_MID,
        "resolvedBy": "carol",
        "type": "bug",
        "priority": "critical",
        "unique": "jira:1",
        **fields,
    }
    return client.issues.import_object(**body)


def test_import_issue_with_historical_authors_dates_status_and_resolution(client: TrackerClient) -> None:
    issue = import_history(client)
    assert issue.key == "DEMO-1"
    assert (issue.createdAt, issue.updatedAt, issue.resolvedAt) == (T0, T_END, T_MID)
    assert (issue.status.key, issue.resolution.key, issue.type.key, issue.priority.key) == (
        "closed",
        "fixed",
        "bug",
        "critical",
    )
    assert issue.createdBy.login == "alice"  # dereferenced through the self URL
    assert issue.resolvedBy.email == "carol@example.com"
    again = client.issues["DEMO-1"]
    assert again.summary == "Historic" and again.unique == "jira:1"


def test_reused_unique_returns_the_existing_issue(client: TrackerClient) -> None:
    first = import_history(client)
    second = import_history(client, summary="A retry of the same import")
    assert second.key == first.key and second.summary == "Historic"
    created = client.issues.create(queue="DEMO", summary="Made", unique="made-1")
    assert client.issues.create(queue="DEMO", summary="Made again", unique="made-1").key == created.key


def test_children_import_and_read_back(client: TrackerClient, tmp_path: Path) -> None:
    issue = import_history(client)
    other = import_history(client, unique="jira:2", summary="Other")
    comment = issue.comments.import_object(
        text="old comment",
        createdAt=ts("2020-02-01"),
        createdBy="carol",
        updatedAt=ts("2020-03-01"),
        updatedBy="bob",
    )
    assert isinstance(comment.id, int) and comment.createdBy.login == "carol"
    link = issue.links.import_object(
        relationship="is dependent by", issue=other.key, createdAt=ts("2020-02-02"), createdBy="bob"
    )
    assert (link.direction, link.type.id, link.object.key) == ("inward", "depends", other.key)
    assert [(x.direction, x.object.key) for x in other.links.get_all()] == [("outward", issue.key)]
    source = tmp_path / "notes.txt"
    source.write_bytes(b"file body")
    attachment = issue.attachments.import_object(
        str(source), params={"filename": "notes.txt", "createdAt": ts("2020-02-03"), "createdBy": "bob"}
    )
    assert (attachment.name, attachment.size, attachment.createdAt) == ("notes.txt", 9, ts("2020-02-03"))
    worklogs = issue.worklog.import_object(
        duration="PT2H", createdAt=ts("2020-02-04"), createdBy="alice", start=ts("2020-02-04"), comment="work"
    )
    assert [w.duration for w in worklogs] == ["PT2H"]
    assert [c.text for c in issue.comments.get_all()] == ["old comment"]
    assert [w.comment for w in issue.worklog.get_all()] == ["work"]
    (listed,) = issue.attachments.get_all()
    out = tmp_path / "out"
    out.mkdir()
    listed.download_to(str(out))
    assert (out / "notes.txt").read_bytes() == b"file body"


def test_find_pages_through_250_issues(client: TrackerClient) -> None:
    for n in range(250):
        client.issues.import_object(queue="STAGE", summary=f"Issue {n}", createdAt=T0, createdBy="alice")
    found = client.issues.find(filter={"queue": "STAGE"}, per_page=50)
    assert len(found) == 250
    assert [i.summary for i in found] == [f"Issue {n}" for n in range(250)]
    by_query = list(client.issues.find(query="Queue: STAGE", per_page=100))
    assert len(by_query) == 250 and by_query[-1].key == "STAGE-250"
    assert client.issues.find(filter={"queue": "STAGE"}, count_only=True) == 250


@pytest.mark.parametrize(
    ("call", "exception"),
    [
        (lambda c: c.issues.import_object(queue="DEMO", summary="x", createdAt=T0), ytc.BadRequest),
        (
            lambda c: c.issues.import_object(
                queue="DEMO", summary="x", createdAt="2999-01-01T00:00:00.000+0000", createdBy="alice"
            ),
            ytc.UnprocessableEntity,
        ),
        (lambda c: c.issues["DEMO-404"], ytc.NotFound),
        (lambda c: c.issues.find(keys=["DEMO-1"], query="Queue: DEMO"), ytc.BadRequest),
        (
            lambda c: c.queues.create(
                key="DEMO", name="d", lead="admin", defaultType="task", defaultPriority="normal"
            ),
            ytc.Conflict,
        ),
    ],
)
def test_documented_exceptions(
    client: TrackerClient, call: Callable[[TrackerClient], Any], exception: type[Exception]
) -> None:
    with pytest.raises(exception):
        call(client)


def test_forbidden_for_non_admin_via_cloud_org_header(sandbox: SandboxServer) -> None:
    viewer = TrackerClient(token=VIEWER, cloud_org_id=sandbox.org_id, base_url=sandbox.url, retries=0)
    assert viewer.myself.login == "viewer"  # X-Org-Id: not provided + X-Cloud-Org-Id: 1
    with pytest.raises(ytc.Forbidden):
        viewer.issues.import_object(queue="DEMO", summary="x", createdAt=T0, createdBy="alice")


def test_stale_update_is_a_conflict(client: TrackerClient) -> None:
    issue = client.issues.create(queue="DEMO", summary="v1")
    stale = client.issues[issue.key]
    issue.update(summary="v2")
    with pytest.raises(ytc.Conflict):
        stale.update(summary="stale")
    assert client.issues[issue.key].summary == "v2"


def test_precondition_failed_when_configured(make_sandbox: Callable[..., SandboxServer]) -> None:
    server = make_sandbox(stale_version_status=412)
    client = TrackerClient(token=server.admin_token, org_id=server.org_id, base_url=server.url, retries=0)
    issue = client.issues.create(queue="DEMO", summary="v1")
    stale = client.issues[issue.key]
    issue.update(summary="v2")
    with pytest.raises(ytc.PreconditionFailed):
        stale.update(summary="stale")


def test_reference_data_through_the_client(client: TrackerClient) -> None:
    assert [u.login for u in client.users] == ["admin", "viewer", "alice", "bob", "carol", "dave"]
    queue = client.queues["DEMO"]
    assert queue.defaultType.key == "task"
    assert [f.key for f in queue.local_fields] == ["customer"]
    assert [c.name for c in queue.components] == ["Backend", "Frontend", "Docs"]
    assert {s.key for s in client.statuses} >= {"open", "closed"}
    assert {t.id for t in client.linktypes} >= {"relates", "subtask"}
    assert client.myself.login == "admin"


def test_api_v3_through_the_client(sandbox: SandboxServer) -> None:
    client = TrackerClient(
        token=sandbox.admin_token, org_id=sandbox.org_id, base_url=sandbox.url, api_version="v3", retries=0
    )
    issue = import_history(client)
    assert issue._path == "/v3/issues/DEMO-1"
    assert issue.createdBy.login == "alice"
