"""The client against the sandbox over real loopback HTTP: imports, lists, paging, errors, faults."""

from __future__ import annotations

import hashlib
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import SandboxServer
from migrator.sandbox.fixture import load_org, org_to_dict
from migrator.tracker import (
    BadRequest,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RateLimiter,
    TargetMetadata,
    TrackerClient,
    TrackerUnavailable,
    Unauthorized,
    UnprocessableEntity,
)

from .conftest import sandbox_client

T0 = "2021-03-01T10:00:00.000+0000"
T1 = "2021-03-02T11:30:00.000+0000"
T_END = "2021-03-05T10:00:00.000+0000"


def issue_body(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "queue": "DEMO",
        "summary": f"issue {n}",
        "createdAt": T0,
        "createdBy": "alice",
        "updatedAt": T_END,
        "updatedBy": "bob",
        "unique": f"test:{n}",
        **extra,
    }


def stats_kind(server: SandboxServer, kind: str) -> int:
    return int(server.stats()["by_kind"].get(kind, 0))


def objects(server: SandboxServer, kind: str) -> int:
    return int(server.stats()["objects"][kind])


def test_import_children_and_read_them_back(api: TrackerClient, tmp_path: Path) -> None:
    first = api.import_issue(issue_body(1, type="bug", status="inProgress", priority="critical"))
    second = api.import_issue(issue_body(2))
    key = first["key"]
    assert first["status"]["key"] == "inProgress" and first["createdAt"] == T0

    comment = api.import_comment(key, {"text": "first!", "createdAt": T1, "createdBy": "bob"})
    link = api.import_link(
        key, {"relationship": "relates", "issue": second["key"], "createdAt": T1, "createdBy": "alice"}
    )
    worklogs = api.import_worklog(
        key, {"duration": "PT1H30M", "start": T1, "createdAt": T1, "createdBy": "carol"}
    )
    payload = tmp_path / "log.txt"
    payload.write_bytes(b"line one\nline two\n" * 100)
    attachment = api.import_attachment(key, payload, "сервер.log", T1, "alice")
    on_comment = api.import_attachment(key, payload, "trace.txt", T1, "bob", comment_id=comment["id"])

    assert [c["text"] for c in api.list_comments(key)] == ["first!"]
    assert [lnk["object"]["key"] for lnk in api.list_links(key)] == [second["key"]]
    assert link["type"]["id"] == "relates"
    assert isinstance(worklogs, list) and len(api.list_worklogs(key)) == 1
    files = {a["name"]: a for a in api.list_attachments(key)}
    assert set(files) == {"сервер.log", "trace.txt"}
    assert attachment["size"] == payload.stat().st_size and on_comment["name"] == "trace.txt"
    assert api.download(files["сервер.log"]["content"]) == payload.read_bytes()
    target = tmp_path / "copy.log"
    assert api.download_to(attachment["content"], target) == payload.stat().st_size
    assert target.read_bytes() == payload.read_bytes()
    assert api.download_sha256(attachment["content"]) == hashlib.sha256(payload.read_bytes()).hexdigest()
    assert api.get_issue(key)["summary"] == "issue 1"


def test_find_by_unique(api: TrackerClient) -> None:
    created = api.import_issue(issue_body(7))
    assert api.find_by_unique("test:7")["key"] == created["key"]  # type: ignore[index]
    assert api.find_by_unique("test:never-imported") is None


def test_search_pages_through_250_issues_imported_by_8_threads(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    api = sandbox_client(sandbox, pool_size=8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda n: api.import_issue(issue_body(n)), range(250)))
    assert len({issue["key"] for issue in created}) == 250
    assert "Connection pool is full" not in caplog.text  # one pooled connection per worker suffices
    sandbox.reset_stats()
    keys = [issue["key"] for issue in api.search_issues(queue="DEMO")]
    assert len(keys) == len(set(keys)) == 250
    assert stats_kind(sandbox, "search") == 3  # perPage=100, Link rel="next" followed twice
    assert api.count_issues(queue="DEMO") == 250
    assert len(list(api.search_issues(filter={"queue": "DEMO"}, order="+key"))) == 250
    assert [i["key"] for i in api.search_issues(keys=keys[:3])] == keys[:3]
    api.close()


def test_user_list_follows_pages(sandbox: SandboxServer) -> None:
    with sandbox_client(sandbox) as client:
        logins = [u["login"] for u in client.list_users()]
    assert {"admin", "alice", "dave"} <= set(logins)


def test_metadata_fetch_matches_the_fixture_and_round_trips(api: TrackerClient, tmp_path: Path) -> None:
    meta = TargetMetadata.fetch(api, ["DEMO", "STAGE"])
    expected = org_to_dict(load_org(None))
    data = meta.to_dict()
    for section in ("statuses", "issue_types", "priorities", "resolutions", "link_types", "fields", "queues"):
        assert data[section] == expected[section], section
    assert data["users"] == [
        {k: v for k, v in u.items() if k not in ("token", "admin")} for u in expected["users"]
    ]
    path = tmp_path / "target.json"
    meta.save(path)
    loaded = TargetMetadata.load(path)
    assert loaded == meta
    assert loaded.statuses_for_type("bug", "DEMO") == ["open", "inProgress", "needInfo", "resolved", "closed"]
    assert loaded.user_by_login("dave")["dismissed"] is True  # type: ignore[index]
    assert "sandbox-admin-token" not in path.read_text(encoding="utf-8")


def test_not_found_carries_the_servers_message(api: TrackerClient) -> None:
    with pytest.raises(NotFound) as info:
        api.get_issue("DEMO-999")
    assert info.value.status == 404 and info.value.error_messages
    assert "DEMO-999" in str(info.value) and info.value.method == "GET"


def test_validation_errors_name_the_field(api: TrackerClient) -> None:
    with pytest.raises(BadRequest) as bad:
        api.import_issue(issue_body(1, status="noSuchStatus"))
    assert "status" in bad.value.errors
    with pytest.raises(UnprocessableEntity) as late:
        api.import_issue(issue_body(2, createdAt="2999-01-01T00:00:00.000+0000"))
    assert "createdAt" in late.value.errors
    assert "createdAt" in str(late.value)


def test_bad_token_is_unauthorized(sandbox: SandboxServer) -> None:
    with sandbox_client(sandbox, token="not-a-real-token") as client, pytest.raises(Unauthorized):
        client.myself()


def test_viewer_may_read_but_not_import(sandbox: SandboxServer) -> None:
    viewer = sandbox.token_for("viewer")
    assert viewer is not None
    with sandbox_client(sandbox, token=viewer) as client:
        assert client.myself()["login"] == "viewer"
        with pytest.raises(Forbidden):
            client.import_issue(issue_body(1))


def test_v3_with_bearer_token_and_cloud_org_header(sandbox: SandboxServer) -> None:
    with sandbox_client(
        sandbox, api_version="v3", token_type="iam", org_id=None, cloud_org_id=str(sandbox.org_id)
    ) as client:
        assert client.myself()["login"] == "admin"
        assert client.get_queue("DEMO")["key"] == "DEMO"


# ---------------------------------------------------------------------- rate limits and faults


def test_reads_ride_out_the_sandbox_rate_limit(sandbox: SandboxServer) -> None:
    limiter = RateLimiter(1000.0, max_pause=0.05)
    sandbox.set_faults(rate_limit=50.0, rate_limit_burst=1)
    with sandbox_client(sandbox, rate_limiter=limiter) as client:
        for _ in range(10):
            assert client.get_queue("DEMO")["key"] == "DEMO"
    assert sandbox.stats()["faults"]["rate_limited"] >= 1
    assert limiter.penalties == sandbox.stats()["faults"]["rate_limited"]


def test_a_rate_limited_write_raises_and_is_not_applied(api: TrackerClient, sandbox: SandboxServer) -> None:
    sandbox.fail_next("issue_import", 1, "rate_limit")
    with pytest.raises(RateLimited) as info:
        api.import_issue(issue_body(1))
    assert info.value.retry_after is not None and info.value.retry_after >= 1
    assert stats_kind(sandbox, "issue_import") == 1
    assert objects(sandbox, "issues") == 0


def test_reads_are_retried_through_5xx_and_dropped_connections(
    api: TrackerClient, sandbox: SandboxServer
) -> None:
    created = api.import_issue(issue_body(1))
    sandbox.reset_stats()
    sandbox.fail_next("get_issue", 2, "fail_before")
    sandbox.fail_next("get_issue", 2, "drop_before")
    assert api.get_issue(created["key"])["key"] == created["key"]
    assert stats_kind(sandbox, "get_issue") == 5


@pytest.mark.parametrize("mode", ["fail", "drop", "fail_before", "drop_before"])
def test_failed_writes_raise_outcome_unknown_and_are_sent_once(
    api: TrackerClient, sandbox: SandboxServer, mode: str
) -> None:
    sandbox.fail_next("issue_import", 1, mode)  # type: ignore[arg-type]
    with pytest.raises(OutcomeUnknown) as info:
        api.import_issue(issue_body(1))
    assert info.value.method == "POST"
    assert stats_kind(sandbox, "issue_import") == 1
    applied = api.find_by_unique("test:1") is not None  # reconcile: was it applied?
    assert applied is (mode in ("fail", "drop"))


def test_child_write_dropped_after_commit(api: TrackerClient, sandbox: SandboxServer) -> None:
    key = api.import_issue(issue_body(1))["key"]
    sandbox.fail_next("comment_import", 1, "drop")
    with pytest.raises(OutcomeUnknown):
        api.import_comment(key, {"text": "maybe", "createdAt": T1, "createdBy": "bob"})
    assert stats_kind(sandbox, "comment_import") == 1
    assert [c["text"] for c in api.list_comments(key)] == ["maybe"]


def test_read_timeout_on_a_write_is_outcome_unknown(sandbox: SandboxServer) -> None:
    sandbox.set_faults(latency_ms=400)
    with sandbox_client(sandbox, read_timeout=0.05) as client, pytest.raises(OutcomeUnknown, match="timeout"):
        client.import_issue(issue_body(1))
    sandbox.set_faults(latency_ms=0)
    assert stats_kind(sandbox, "issue_import") == 1


def test_connection_refused_is_unavailable(sandbox: SandboxServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with sandbox_client(sandbox, base_url=f"http://127.0.0.1:{closed_port}") as client:
        with pytest.raises(TrackerUnavailable, match="refused"):
            client.import_issue(issue_body(1))
        with pytest.raises(TrackerUnavailable):
            client.myself()  # retried, then given up


def test_no_token_in_logs_over_real_http(sandbox: SandboxServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.fail_next("get_issue", 1, "fail_before")
    with sandbox_client(sandbox) as client:
        key = client.import_issue(issue_body(1))["key"]
        client.get_issue(key)
        with pytest.raises(NotFound):
            client.get_issue("DEMO-404")
    assert "/v2/issues/_import -> 200" in caplog.text
    assert sandbox.admin_token not in caplog.text
