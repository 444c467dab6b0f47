"""Fault and load knobs, the control endpoints and request statistics."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from migrator.sandbox import SandboxServer

from .sandbox_helpers import ADMIN, VIEWER, Api, assert_error, issue_body


def raw_exchange(server: SandboxServer, body: dict[str, Any]) -> bytes:
    """Send one import over a bare socket and return every byte the server sent back (the request
    asks to close the connection after the answer; a dropped one is closed without any)."""
    payload = json.dumps(body).encode()
    head = (
        f"POST /v2/issues/_import HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: OAuth {ADMIN}\r\n"
        f"X-Org-ID: 1\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head + payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def count_issues(api: Api) -> int:
    return int(api.post("issues/_count", json={"filter": {"queue": "DEMO"}}).json())


def test_drop_closes_the_connection_without_any_response(sandbox: SandboxServer, api: Api) -> None:
    sandbox.fail_next("issue_import", 1, mode="drop_before")
    assert raw_exchange(sandbox, issue_body()) == b""
    assert count_issues(api) == 0  # dropped before processing: nothing stored
    assert raw_exchange(sandbox, issue_body()).startswith(b"HTTP/1.1 200")


def test_requests_sees_a_connection_error(sandbox: SandboxServer, api: Api) -> None:
    sandbox.set_faults(drop_rate=1.0, kinds={"issue_import"})
    with pytest.raises(requests.ConnectionError):
        api.post("issues/_import", json=issue_body())
    assert api.get("myself").status_code == 200  # other kinds are untouched
    assert sandbox.stats()["faults"]["dropped_before"] == 1


def test_commit_then_drop_commits_the_write(sandbox: SandboxServer, api: Api) -> None:
    sandbox.set_faults(commit_then_drop_rate=1.0, kinds={"issue_import"}, seed=1)
    assert raw_exchange(sandbox, issue_body(unique="u-1")) == b""
    with pytest.raises(requests.ConnectionError):
        api.post("issues/_import", json=issue_body(unique="u-2"))
    sandbox.set_faults(commit_then_drop_rate=0.0)
    assert count_issues(api) == 2
    assert api.post("issues/_findByUnique", params={"unique": "u-1"}).json()["key"] == "DEMO-1"
    assert sandbox.stats()["faults"]["commit_then_drop"] == 2


def test_commit_then_fail_answers_500_after_committing(sandbox: SandboxServer, api: Api) -> None:
    sandbox.set_faults(commit_then_fail_rate=1.0)
    assert_error(api.post("issues/_import", json=issue_body()), 500)
    assert api.get("issues/DEMO-1").status_code == 200  # reads are never "committed then failed"
    assert count_issues(api) == 1


def test_rejected_writes_do_not_consume_commit_faults(sandbox: SandboxServer, api: Api) -> None:
    sandbox.fail_next("issue_import", 1, mode="fail")
    assert_error(api.post("issues/_import", json=issue_body(summary=None)), 400)
    assert_error(api.post("issues/_import", json=issue_body()), 500)
    assert api.post("issues/_import", json=issue_body()).status_code == 200
    assert count_issues(api) == 2


@pytest.mark.parametrize(("mode", "status"), [("fail_before", 503), ("rate_limit", 429)])
def test_fail_next_before_processing(sandbox: SandboxServer, api: Api, mode: str, status: int) -> None:
    sandbox.fail_next("import", 2, mode=mode)
    for _ in range(2):
        assert_error(api.post("issues/_import", json=issue_body()), status)
    assert api.post("issues/_import", json=issue_body()).status_code == 200
    assert count_issues(api) == 1


def test_fail_next_counts_only_its_kind(sandbox: SandboxServer, api: Api) -> None:
    api.import_issue()
    sandbox.fail_next("comment_import", 2, mode="drop")
    body = {"text": "t", "createdAt": "2020-06-01T00:00:00.000+0000", "createdBy": "bob"}
    assert api.post("issues/_import", json=issue_body()).status_code == 200
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            api.post("issues/DEMO-1/comments/_import", json=body)
    assert api.post("issues/DEMO-1/comments/_import", json=body).status_code == 200
    assert len(api.get("issues/DEMO-1/comments").json()) == 3


def test_random_faults_are_deterministic_with_a_seed(make_sandbox: Callable[..., SandboxServer]) -> None:
    def pattern() -> list[int]:
        server = make_sandbox(fault_rate=0.5, fault_seed=42)
        api = Api(server)
        return [api.get("myself").status_code for _ in range(30)]

    first, second = pattern(), pattern()
    assert first == second
    assert {200} < set(first) <= {200, 500, 503}


def test_rate_limit_answers_429_with_retry_after(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit=0.5, rate_limit_burst=2)
    assert api.get("myself").status_code == api.get("myself").status_code == 200
    limited = api.get("myself")
    assert_error(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1


def test_retry_after_can_be_switched_off(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit=0.5, rate_limit_burst=1, retry_after_header=False)
    api.get("myself")
    limited = api.get("myself")
    assert limited.status_code == 429 and "Retry-After" not in limited.headers


def test_latency_knob_is_applied(sandbox: SandboxServer, api: Api) -> None:
    sandbox.set_faults(latency_ms=150)
    started = time.monotonic()
    assert api.get("myself").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_control_endpoints(sandbox: SandboxServer, api: Api) -> None:
    api.import_issue()
    api.get("myself")
    stats_url = f"{sandbox.url}/_sandbox/stats"
    assert requests.get(stats_url).status_code == 401
    assert requests.get(stats_url, headers={"Authorization": f"OAuth {VIEWER}"}).status_code == 403
    stats = requests.get(stats_url, headers={"Authorization": f"OAuth {ADMIN}"}).json()
    assert stats["by_method"] == {"POST": 1, "GET": 1}
    assert stats["by_kind"] == {"issue_import": 1, "myself": 1}
    assert stats["objects"]["issues"] == 1 and stats["objects"]["queues"] == 2
    faults_url = f"{sandbox.url}/_sandbox/faults"
    changed = requests.post(
        faults_url,
        headers={"Authorization": f"OAuth {ADMIN}"},
        json={
            "latency_ms": 1,
            "kinds": ["comment_import"],
            "fail_next": [{"kind": "issue_import", "n": 1, "mode": "fail"}],
        },
    ).json()
    assert changed["latency_ms"] == 1 and changed["kinds"] == ["comment_import"]
    assert changed["pending"] == [{"kind": "issue_import", "remaining": 1, "mode": "fail", "status": 500}]
    assert_error(api.post("issues/_import", json=issue_body()), 500)
    bad = requests.post(faults_url, headers={"Authorization": f"OAuth {ADMIN}"}, json={"nonsense": 1})
    assert_error(bad, 400, text="nonsense")
    reset = requests.post(
        faults_url, headers={"Authorization": f"OAuth {ADMIN}"}, json={"reset": True}
    ).json()
    assert reset["latency_ms"] == 0 and reset["pending"] == []
    assert requests.delete(stats_url, headers={"Authorization": f"OAuth {ADMIN}"}).status_code == 204
    assert sandbox.stats()["requests"] == 0
    assert requests.get(f"{sandbox.url}/_sandbox/health").json()["status"] == "ok"


def test_knob_validation(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        sandbox.set_faults(fault_rate=2)
    with pytest.raises(ValueError, match="unknown fault setting"):
        sandbox.set_faults(colour="red")
    with pytest.raises(ValueError, match="mode"):
        sandbox.fail_next("issue_import", 1, mode="explode")  # type: ignore[arg-type]


def test_stats_count_methods_kinds_and_statuses(sandbox: SandboxServer, api: Api) -> None:
    api.get("myself")
    api.get("nothing")
    api.post("issues/_import", json=issue_body(summary=None))
    stats = sandbox.stats()
    assert stats["by_method"] == {"GET": 2, "POST": 1}
    assert stats["by_kind"] == {"myself": 1, "unknown": 1, "issue_import": 1}
    assert stats["by_status"] == {"200": 1, "400": 1, "404": 1}
