"""The read-only lookups of the target queue: keys already used (``keep_keys`` collisions) and the
highest number used (where planned keys start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from migrator.sandbox import SandboxServer
from migrator.snapshot import QueueKeyLookup, highest_key_number
from migrator.tracker import TrackerClient, TrackerSettings


class FakeSearchClient:
    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = issues
        self.calls: list[tuple[str, Any]] = []

    def count_issues(self, queue: str | None = None, **_: Any) -> int:
        self.calls.append(("count", queue))
        return len(self.issues)

    def search_issues(
        self, queue: str | None = None, keys: list[str] | None = None, **_: Any
    ) -> Iterator[dict[str, Any]]:
        self.calls.append(("search", queue or len(keys or [])))
        return iter([i for i in self.issues if keys is None or i["key"] in keys])


def test_key_lookup_empty_queue_costs_one_count() -> None:
    client = FakeSearchClient([])
    assert QueueKeyLookup(client, "DEMO")(["DEMO-1"]) == {}  # type: ignore[arg-type]
    assert client.calls == [("count", "DEMO")]


def test_key_lookup_scans_a_small_queue_and_batches_keys_for_a_big_one() -> None:
    small = FakeSearchClient([{"key": "DEMO-1", "unique": "u1"}, {"key": "DEMO-7"}])
    assert QueueKeyLookup(small, "DEMO")(["DEMO-1", "DEMO-2", "DEMO-3"]) == {"DEMO-1": "u1"}  # type: ignore[arg-type]
    assert small.calls == [("count", "DEMO"), ("search", "DEMO")]
    big = FakeSearchClient([{"key": f"DEMO-{n}", "unique": None} for n in range(1, 400)])
    wanted = [f"DEMO-{n}" for n in range(1, 151)]
    lookup = QueueKeyLookup(big, "DEMO")  # type: ignore[arg-type]
    assert len(lookup(wanted)) == 150
    assert big.calls == [("count", "DEMO"), ("search", 100), ("search", 50)]
    assert lookup.requests == 3


def test_the_highest_key_number_is_one_search_request_against_the_sandbox(sandbox: SandboxServer) -> None:
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    with TrackerClient(settings) as client:
        assert highest_key_number(client, "DEMO") == 0
        for number in (9, 120, 11):  # explicit keys, as a migration imports them
            client.import_issue(
                {
                    "queue": "DEMO",
                    "key": f"DEMO-{number}",
                    "summary": f"n{number}",
                    "createdAt": "2023-01-01T00:00:00.000+0000",
                    "createdBy": "admin",
                }
            )
        before = sandbox.stats()["requests"]
        assert highest_key_number(client, "DEMO") == 120
        assert highest_key_number(client, "STAGE") == 0
        assert sandbox.stats()["requests"] - before == 2
