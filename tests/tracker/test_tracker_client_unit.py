"""Client behaviour against a scripted transport (no sockets): headers, retries, errors, paging."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.client import RemoteDisconnected
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from migrator.tracker import (
    ForeignURL,
    InvalidResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RateLimiter,
    ServerError,
    TrackerSettings,
    TrackerUnavailable,
    UnprocessableEntity,
)

from .conftest import SENTINEL_TOKEN, ScriptedClient
from .tracker_fakes import FakeClock, Step, response

ISSUE = {"key": "DEMO-1", "summary": "x"}


def refused() -> requests.ConnectionError:
    return requests.ConnectionError(
        MaxRetryError(None, "/v2/x", reason=NewConnectionError(None, "Connection refused"))
    )  # type: ignore[arg-type]


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected("closed")))


def test_sends_auth_org_headers_and_the_body_untouched(scripted: ScriptedClient) -> None:
    client, adapter = scripted(response(200, ISSUE))
    body = {"queue": "DEMO", "summary": "s", "createdAt": "2020-01-01T00:00:00.000+0300", "createdBy": "u"}
    assert client.import_issue(body) == ISSUE
    sent = adapter.sent[0]
    assert (sent.method, sent.url) == ("POST", "https://tracker.test/v2/issues/_import")
    assert sent.headers["Authorization"] == f"OAuth {SENTINEL_TOKEN}"
    assert sent.headers["X-Org-ID"] == "42"
    assert json.loads(sent.body or b"") == body


def test_iam_token_and_cloud_org(scripted: ScriptedClient) -> None:
    iam = TrackerSettings(
        token=SENTINEL_TOKEN,
        token_type="iam",
        cloud_org_id="bpf1",
        base_url="https://tracker.test",
        api_version="v3",
    )
    client, adapter = scripted(response(200, {"login": "me"}), client_settings=iam)
    client.myself()
    sent = adapter.sent[0]
    assert sent.url == "https://tracker.test/v3/myself"
    assert sent.headers["Authorization"] == f"Bearer {SENTINEL_TOKEN}"
    assert sent.headers["X-Cloud-Org-ID"] == "bpf1" and "X-Org-ID" not in sent.headers


def test_read_retries_5xx_and_connection_errors_with_capped_jittered_backoff(
    scripted: ScriptedClient, clock: FakeClock
) -> None:
    client, adapter = scripted(response(503), dropped(), refused(), response(200, ISSUE))
    assert client.get_issue("DEMO-1") == ISSUE
    assert len(adapter.sent) == 4
    assert len(clock.sleeps) == 3
    for attempt, slept in enumerate(clock.sleeps, start=1):
        base = min(0.5 * 2 ** (attempt - 1), 8.0)
        assert base <= slept <= base * 1.25


def test_read_honours_retry_after_and_penalizes_the_shared_limiter(
    scripted: ScriptedClient, clock: FakeClock
) -> None:
    limiter = RateLimiter(100.0, clock=clock, sleep=clock.sleep)
    client, adapter = scripted(
        response(429, {"errorMessages": ["Too many"]}, headers={"Retry-After": "3"}),
        response(200, ISSUE),
        rate_limiter=limiter,
    )
    assert client.get_issue("DEMO-1") == ISSUE
    assert limiter.penalties == 1
    assert 3.0 <= clock.sleeps[0] <= 3.75


def test_read_gives_up_after_max_attempts(scripted: ScriptedClient) -> None:
    client, adapter = scripted(*[response(500, {"errorMessages": ["boom"]}) for _ in range(4)])
    with pytest.raises(ServerError, match="boom"):
        client.list_statuses()
    assert len(adapter.sent) == 4


def test_read_connection_failures_end_as_unavailable(scripted: ScriptedClient) -> None:
    client, adapter = scripted(*[dropped() for _ in range(4)])
    with pytest.raises(TrackerUnavailable):
        client.get_issue("DEMO-1")
    assert len(adapter.sent) == 4


@pytest.mark.parametrize(
    ("make_step", "expected"),
    [
        (lambda: response(500, {"errorMessages": ["Internal error"]}), OutcomeUnknown),
        (lambda: response(503), OutcomeUnknown),
        (lambda: requests.ReadTimeout("read timed out"), OutcomeUnknown),
        (dropped, OutcomeUnknown),
        (lambda: requests.ConnectTimeout("connect timed out"), TrackerUnavailable),
        (refused, TrackerUnavailable),
    ],
)
def test_writes_are_sent_once(
    scripted: ScriptedClient, clock: FakeClock, make_step: Callable[[], Step], expected: type
) -> None:
    client, adapter = scripted(make_step())
    with pytest.raises(expected) as info:
        client.import_comment("DEMO-1", {"text": "t"})
    assert len(adapter.sent) == 1 and clock.sleeps == []
    assert info.value.method == "POST" and info.value.url.endswith("/v2/issues/DEMO-1/comments/_import")


def test_write_429_is_rate_limited_not_applied(scripted: ScriptedClient, clock: FakeClock) -> None:
    limiter = RateLimiter(100.0, clock=clock, sleep=clock.sleep)
    client, adapter = scripted(response(429, headers={"Retry-After": "2"}), rate_limiter=limiter)
    with pytest.raises(RateLimited) as info:
        client.import_issue({"queue": "DEMO"})
    assert info.value.retry_after == 2.0
    assert len(adapter.sent) == 1 and limiter.penalties == 1


def test_retry_after_as_http_date(scripted: ScriptedClient) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    client, _ = scripted(response(429, headers={"Retry-After": when}))
    with pytest.raises(RateLimited) as info:
        client.import_issue({})
    assert info.value.retry_after is not None and 20 < info.value.retry_after <= 30


def test_error_messages_and_fields_are_carried(scripted: ScriptedClient) -> None:
    client, _ = scripted(
        response(404, {"errorMessages": ["Issue does not exist."], "errors": {}, "statusCode": 404}),
        response(422, {"errorMessages": [], "errors": {"createdAt": "in the future"}}),
    )
    with pytest.raises(NotFound) as missing:
        client.get_issue("DEMO-9")
    assert missing.value.status == 404 and missing.value.error_messages == ["Issue does not exist."]
    with pytest.raises(UnprocessableEntity) as invalid:
        client.import_issue({})
    assert invalid.value.errors == {"createdAt": "in the future"}
    assert "createdAt: in the future" in str(invalid.value)


def test_non_json_error_body_is_kept_short_and_scrubbed(scripted: ScriptedClient) -> None:
    client, _ = scripted(
        response(400, raw=f"<html>bad header Authorization: OAuth {SENTINEL_TOKEN}</html>".encode())
    )
    with pytest.raises(Exception) as info:
        client.import_issue({})
    assert "bad header" in str(info.value) and SENTINEL_TOKEN not in str(info.value)


def test_find_by_unique(scripted: ScriptedClient) -> None:
    client, adapter = scripted(response(200, ISSUE), response(404, {"errorMessages": ["not found"]}))
    assert client.find_by_unique("src:1") == ISSUE
    assert client.find_by_unique("src:2") is None
    assert adapter.sent[0].method == "POST"
    assert adapter.sent[0].url == "https://tracker.test/v2/issues/_findByUnique?unique=src%3A1"


def test_search_follows_link_next_with_same_method_and_body(scripted: ScriptedClient) -> None:
    nxt = '<https://tracker.test/v2/issues/_search?perPage=100&page=2>; rel="next"'
    client, adapter = scripted(
        response(200, [{"key": "A-1"}], headers={"Link": nxt}), response(200, [{"key": "A-2"}])
    )
    found = [i["key"] for i in client.search_issues(filter={"queue": "A"}, order="+key")]
    assert found == ["A-1", "A-2"]
    first, second = adapter.sent
    assert first.url == "https://tracker.test/v2/issues/_search?perPage=100"
    assert second.method == "POST" and second.url.endswith("page=2")
    assert (
        json.loads(first.body or b"")
        == json.loads(second.body or b"")
        == {"filter": {"queue": "A"}, "order": "+key"}
    )


def test_lists_follow_relative_links_and_refuse_loops_and_foreign_hosts(scripted: ScriptedClient) -> None:
    client, _ = scripted(
        response(200, [{"login": "a"}], headers={"Link": '</v2/users?page=2>; rel="next"'}),
        response(200, [{"login": "b"}]),
    )
    assert [u["login"] for u in client.list_users()] == ["a", "b"]
    loop = '<https://tracker.test/v2/statuses?page=2>; rel="next"'
    client, _ = scripted(
        response(200, [1], headers={"Link": loop}), response(200, [2], headers={"Link": loop})
    )
    with pytest.raises(InvalidResponse, match="loops"):
        client.list_statuses()
    client, adapter = scripted(response(200, [1], headers={"Link": '<https://evil.test/x>; rel="next"'}))
    with pytest.raises(ForeignURL):
        client.list_statuses()
    assert len(adapter.sent) == 1


def test_download_only_from_the_tracker_host(scripted: ScriptedClient) -> None:
    client, adapter = scripted(response(200, raw=b"\x00bytes"), response(200, raw=b"rel"))
    assert client.download("https://tracker.test/v2/issues/A-1/attachments/5/f.bin") == b"\x00bytes"
    assert client.download("/v2/issues/A-1/attachments/6/g.bin") == b"rel"
    with pytest.raises(ForeignURL):
        client.download("https://elsewhere.test/v2/issues/A-1/attachments/5/f.bin")
    with pytest.raises(ForeignURL):
        client.download("http://tracker.test/v2/x")  # scheme change counts as another origin
    assert len(adapter.sent) == 2


def test_import_attachment_streams_multipart(scripted: ScriptedClient, tmp_path: Path) -> None:
    path = tmp_path / "отчёт.pdf"
    path.write_bytes(b"%PDF-1.4 payload")
    client, adapter = scripted(response(200, {"id": "7"}), response(200, {"id": "8"}))
    client.import_attachment("DEMO-1", path, "отчёт.pdf", "2020-01-01T00:00:00.000+0000", "alice")
    client.import_attachment("DEMO-1", path, "a.pdf", "2020-01-01T00:00:00.000+0000", "alice", comment_id=12)
    first, second = adapter.sent
    assert first.url.startswith("https://tracker.test/v2/issues/DEMO-1/attachments/_import?filename=")
    assert "createdAt=2020-01-01T00%3A00%3A00.000%2B0000" in first.url and "createdBy=alice" in first.url
    assert first.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(first.headers["Content-Length"]) == len(first.body or b"")
    assert b'name="file"; filename="file"' in (first.body or b"") and b"%PDF-1.4 payload" in (
        first.body or b""
    )
    assert second.url.startswith("https://tracker.test/v2/issues/DEMO-1/comments/12/attachments/_import?")


def test_success_without_json_is_invalid(scripted: ScriptedClient) -> None:
    client, _ = scripted(response(200, raw=b"<html>"))
    with pytest.raises(InvalidResponse):
        client.get_issue("DEMO-1")


def test_patch_with_version_and_count(scripted: ScriptedClient) -> None:
    client, adapter = scripted(response(200, ISSUE), response(200, 250))
    client.patch_issue("DEMO-1", {"summary": "new"}, version=3)
    assert client.count_issues(filter={"queue": "DEMO"}) == 250
    assert adapter.sent[0].method == "PATCH" and adapter.sent[0].url.endswith("/issues/DEMO-1?version=3")
    assert adapter.sent[1].url.endswith("/issues/_count")


def test_keys_are_quoted_into_paths(scripted: ScriptedClient) -> None:
    client, adapter = scripted(response(200, []))
    client.list_comments("A/../B")
    assert adapter.sent[0].url == "https://tracker.test/v2/issues/A%2F..%2FB/comments"


def broken_stream(request: requests.PreparedRequest) -> requests.Response:
    """A 200 whose body breaks off mid-stream."""
    resp = response(200, raw=b"partial")(request)
    resp.iter_content = lambda chunk_size=1: (_ for _ in ()).throw(  # type: ignore[method-assign]
        requests.exceptions.ChunkedEncodingError("cut")
    )
    return resp


def test_download_to_restarts_a_broken_stream(scripted: ScriptedClient, tmp_path: Path) -> None:
    client, adapter = scripted(broken_stream, response(200, raw=b"complete"))
    target = tmp_path / "out.bin"
    assert client.download_to("/v2/issues/A-1/attachments/1/f", target) == len(b"complete")
    assert target.read_bytes() == b"complete" and len(adapter.sent) == 2


def test_download_sha256_hashes_the_stream_and_restarts_a_broken_one(scripted: ScriptedClient) -> None:
    client, adapter = scripted(broken_stream, response(200, raw=b"complete"))
    assert client.download_sha256("/v2/issues/A-1/attachments/1/f") == hashlib.sha256(b"complete").hexdigest()
    assert len(adapter.sent) == 2
