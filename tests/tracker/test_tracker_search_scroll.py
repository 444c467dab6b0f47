"""Search past the 10,000-result window (small here): the client switches to a sorted scroll by
itself, for filters, queries, queues and key lists; a broken scroll starts over without losing or
repeating an issue. And a body JSON cannot carry is never sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.snapshot import QueueKeyLookup
from migrator.tracker import OutcomeUnknown, TrackerClient, UnsendableRequest

from .conftest import ScriptedClient, sandbox_client
from .tracker_fakes import response

WINDOW = 10
COUNT = 25
ALL = [f"DEMO-{n}" for n in range(1, COUNT + 1)]


@pytest.fixture(params=["error", "truncate"])
def windowed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SandboxServer]:
    """A sandbox whose search window is 10 rows, holding 25 issues in DEMO and 3 in STAGE."""
    config = SandboxConfig(
        data=tmp_path / "s.sqlite", search_window=WINDOW, search_window_overflow=request.param
    )
    with SandboxServer(config) as server:
        with sandbox_client(server) as client:
            for n in range(COUNT):
                client.import_issue(issue_body("DEMO", n))
            for n in range(3):
                client.import_issue(issue_body("STAGE", n))
        yield server


def issue_body(queue: str, n: int) -> dict[str, object]:
    return {
        "queue": queue,
        "summary": f"{queue} {n}",
        "createdAt": "2021-03-01T10:00:00.000+0000",
        "createdBy": "alice",
        "unique": f"scroll:{queue}:{n}",
    }


def client_for(server: SandboxServer) -> TrackerClient:
    return TrackerClient(sandbox_client(server).settings, search_window=WINDOW)


def searches(server: SandboxServer) -> int:
    return int(server.stats()["by_kind"].get("search", 0))


@pytest.mark.parametrize(
    "query",
    [{"queue": "DEMO"}, {"filter": {"queue": "DEMO"}}, {"query": "Queue: DEMO"}],
    ids=["queue", "filter", "query"],
)
def test_every_issue_past_the_window_is_read_once(windowed: SandboxServer, query: dict[str, object]) -> None:
    with client_for(windowed) as client:
        keys = [issue["key"] for issue in client.search_issues(**query)]  # type: ignore[arg-type]
    assert keys == ALL
    assert searches(windowed) == 1 + 3  # the first page tells the total; then 3 scroll chunks of 10


def test_a_key_list_longer_than_the_window_is_searched_in_batches(windowed: SandboxServer) -> None:
    with client_for(windowed) as client:
        keys = [issue["key"] for issue in client.search_issues(keys=ALL + ["STAGE-1"])]
    assert sorted(keys) == sorted(ALL + ["STAGE-1"])


def test_a_small_result_is_one_page_without_a_scroll(windowed: SandboxServer) -> None:
    with client_for(windowed) as client:
        assert [i["key"] for i in client.search_issues(queue="STAGE")] == ["STAGE-1", "STAGE-2", "STAGE-3"]
    assert searches(windowed) == 1


def test_the_key_collision_lookup_sees_keys_past_the_window(windowed: SandboxServer) -> None:
    with client_for(windowed) as client:
        found = QueueKeyLookup(client, "DEMO")(ALL + [f"DEMO-{n}" for n in range(26, 40)])
    assert sorted(found) == sorted(ALL)


def test_a_failed_scroll_chunk_starts_the_scroll_over_without_duplicates(windowed: SandboxServer) -> None:
    with client_for(windowed) as client:
        issues = client.search_issues(filter={"queue": "DEMO"})
        first = next(issues)  # the first page and the first scroll chunk have been read
        windowed.fail_next("search", 1, mode="fail_before")
        keys = [first["key"]] + [issue["key"] for issue in issues]
    assert keys == ALL


def test_a_lost_scroll_answer_is_not_retried_as_is(scripted: ScriptedClient) -> None:
    """The server advanced the scroll but the answer was lost: re-sending the continuation would
    skip issues 3–4, so the scroll starts over and skips what was already yielded."""

    def page(first: int, last: int, more: bool) -> object:
        headers = {"X-Total-Count": "6", "X-Scroll-Id": "s1", "X-Scroll-Token": "t1"}
        if more:
            headers["Link"] = (
                '<https://tracker.test/v2/issues/_search?scrollId=s1&scrollToken=t1>; rel="next"'
            )
        return response(
            200, [{"key": f"Q-{n}", "id": str(n)} for n in range(first, last + 1)], headers=headers
        )

    client, adapter = scripted(
        response(200, [{"key": "Q-1", "id": "1"}], headers={"X-Total-Count": "6"}),  # the first page
        page(1, 2, True),
        requests.ConnectionError("connection dropped"),  # chunk 3–4 was served, the answer lost
        page(1, 2, True),  # started over
        page(3, 4, True),
        page(5, 6, False),
        search_window=1,
    )
    assert [i["key"] for i in client.search_issues(filter={"queue": "Q"})] == [f"Q-{n}" for n in range(1, 7)]
    assert [r.url.split("?")[1] for r in adapter.sent[1:]] == [
        "scrollType=sorted&perScroll=1&scrollTTLMillis=60000",
        "scrollId=s1&scrollToken=t1",
        "scrollType=sorted&perScroll=1&scrollTTLMillis=60000",
        "scrollId=s1&scrollToken=t1",
        "scrollId=s1&scrollToken=t1",
    ]


def test_a_body_json_cannot_carry_is_not_sent(sandbox: SandboxServer) -> None:
    before = sandbox.stats()["requests"]
    with sandbox_client(sandbox) as client, pytest.raises(UnsendableRequest) as caught:
        client.import_issue({"queue": "DEMO", "summary": "s", "storyPoints": float("nan")})
    assert not isinstance(caught.value, OutcomeUnknown)
    assert "not valid JSON" in str(caught.value)
    assert sandbox.stats()["requests"] == before
