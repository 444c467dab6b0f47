"""TargetMetadata from API-shaped answers (as documented for the real service), and its lookups."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import ConfigError
from migrator.tracker import NotFound, TargetMetadata, TrackerSettings
from migrator.tracker.metadata import ALL_READS, MetadataReads

API = "https://api.tracker.yandex.net/v2"
HEX = "6054ae3a2b6b2c7f80bb9a93"


def ref(kind: str, id_: str, key: str | None = None, display: str = "") -> dict[str, Any]:
    out = {"self": f"{API}/{kind}/{id_}", "id": id_, "display": display or key or id_}
    if key:
        out["key"] = key
    return out


class FakeApi:
    """Duck-types the TrackerClient readers TargetMetadata.fetch uses, with documented shapes."""

    settings = TrackerSettings(token="t", org_id="77")

    def __init__(self) -> None:
        self.workflow_calls: list[str] = []

    def list_users(self) -> list[dict[str, Any]]:
        return [
            {
                "uid": 1130000000000001,
                "login": "alice",
                "email": "Alice@Example.com",
                "display": "Alice A",
                "firstName": "Alice",
                "lastName": "A",
                "dismissed": False,
                "trackerUid": 5,
            },
            {
                "uid": 1130000000000002,
                "login": "bob",
                "email": "bob@example.com",
                "display": "Bob",
                "dismissed": True,
            },
        ]

    def list_statuses(self) -> list[dict[str, Any]]:
        return [
            {"id": 1, "key": "open", "name": "Open", "type": "new", "order": 100},
            {"id": 2, "key": "inProgress", "name": "In progress", "type": "inProgress", "order": 200},
            {"id": 3, "key": "closed", "name": "Closed", "type": "done", "order": 300},
        ]

    def list_issue_types(self) -> list[dict[str, Any]]:
        return [{"id": 1, "key": "bug", "name": "Bug"}, {"id": 2, "key": "task", "name": "Task"}]

    def list_priorities(self) -> list[dict[str, Any]]:
        return [{"id": 3, "key": "normal", "name": "Normal", "order": 3}]

    def list_resolutions(self) -> list[dict[str, Any]]:
        return [{"id": 1, "key": "fixed", "name": "Fixed"}, {"id": 2, "key": "wontFix", "name": "Won't fix"}]

    def list_link_types(self) -> list[dict[str, Any]]:
        return [{"id": "relates", "inward": "Relates", "outward": "Relates"}]

    def list_fields(self) -> list[dict[str, Any]]:
        return [{"id": "storyPoints", "name": "Story Points", "schema": {"type": "number"}}]

    def get_queue(self, key: str, expand: str | None = None) -> dict[str, Any]:
        assert expand == "all"
        return {
            "id": "3",
            "key": key,
            "name": "Test",
            "description": "d",
            "lead": ref("users", "1130000000000001", display="Alice A"),
            "defaultType": ref("issuetypes", "2", "task"),
            "defaultPriority": ref("priorities", "3", "normal"),
            "workflows": {"dev": [ref("issuetypes", "1", "bug"), ref("issuetypes", "2", "task")]},
            "issueTypesConfig": [
                {
                    "issueType": ref("issuetypes", "1", "bug"),
                    "workflow": ref("workflows", "dev"),
                    "resolutions": [ref("resolutions", "1", "fixed")],
                },
                {
                    "issueType": ref("issuetypes", "2", "task"),
                    "workflow": ref("workflows", "dev"),
                    "resolutions": [],
                },
            ],
        }

    def get_workflow(self, workflow_id: str) -> dict[str, Any]:
        self.workflow_calls.append(workflow_id)
        return {
            "id": workflow_id,
            "name": {"en": "Development", "ru": "Разработка"},
            "initialAction": {"id": "open", "target": ref("statuses", "1", "open")},
            "steps": [
                {"status": ref("statuses", "1", "open"), "actions": []},
                {"status": {"id": "2"}, "actions": []},
                {"status": "closed", "actions": []},
            ],
        }

    def list_components(self, queue: str) -> list[dict[str, Any]]:
        return [{"id": 7, "name": "Backend"}]

    def list_versions(self, queue: str) -> list[dict[str, Any]]:
        return [{"id": "4", "name": "1.0", "released": True}]

    def list_local_fields(self, queue: str) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{HEX}--customer",
                "key": "customer",
                "name": "Customer",
                "schema": {"type": "string"},
                "optionsProvider": {"type": "FixedListOptionsProvider", "values": ["Acme", "Globex"]},
            }
        ]


@pytest.fixture
def meta() -> TargetMetadata:
    return TargetMetadata.fetch(FakeApi(), "TEST")  # type: ignore[arg-type]


def test_fetch_produces_the_fixture_format(meta: TargetMetadata) -> None:
    data = meta.to_dict()
    assert data["org"] == {"id": "77", "cloud_org_id": None}
    assert data["users"][0] == {
        "uid": 1130000000000001,
        "login": "alice",
        "email": "Alice@Example.com",
        "display": "Alice A",
        "first_name": "Alice",
        "last_name": "A",
        "dismissed": False,
    }
    assert data["statuses"][0] == {"id": 1, "key": "open", "name": "Open", "type": "new", "order": 100}
    queue = data["queues"][0]
    assert queue["id"] == 3 and queue["lead"] == "alice"
    assert (queue["default_type"], queue["default_priority"]) == ("task", "normal")
    assert queue["workflows"] == [
        {
            "id": "dev",
            "name": "Development",
            "initial": "open",
            "statuses": ["open", "inProgress", "closed"],
            "types": ["bug", "task"],
        }
    ]
    assert queue["resolutions"] == {"bug": ["fixed"]}
    assert queue["versions"][0]["id"] == 4 and queue["versions"][0]["released"] is True
    assert queue["local_fields"][0]["options"] == ["Acme", "Globex"]
    assert queue["hex_id"] == HEX


def test_lookups(meta: TargetMetadata) -> None:
    assert meta.status_by_key("open")["name"] == "Open"  # type: ignore[index]
    assert meta.status_by_key("Open") is None  # keys are case-sensitive
    assert meta.status_by_name("in PROGRESS")["key"] == "inProgress"  # type: ignore[index]
    assert meta.type_by_name("bug")["key"] == "bug"  # type: ignore[index]
    assert meta.user_by_email("alice@example.com")["login"] == "alice"  # type: ignore[index]
    assert meta.user_by_uid("1130000000000002")["login"] == "bob"  # type: ignore[index]
    assert meta.user_by_login("carol") is None
    assert meta.statuses_for_type("bug") == ["open", "inProgress", "closed"]
    assert meta.statuses_for_type("epic") == []
    assert meta.initial_status("task", "TEST") == "open"
    assert meta.resolutions_for_type("bug") == ["fixed"]
    assert meta.resolutions_for_type("task") == ["fixed", "wontFix"]  # no allow-list: all
    assert meta.types_for_queue() == ["bug", "task"]
    assert meta.component_by_name("backend")["id"] == 7  # type: ignore[index]
    assert meta.version_by_name("1.0")["id"] == 4  # type: ignore[index]
    assert meta.field_by_key("storyPoints")["schema"] == {"type": "number"}  # type: ignore[index]
    assert meta.field_by_key("customer", queue="TEST")["id"] == f"{HEX}--customer"  # type: ignore[index]
    assert meta.local_field_by_key("customer")["name"] == "Customer"  # type: ignore[index]
    with pytest.raises(KeyError):
        meta.queue("NOPE")


def test_save_load_round_trip(meta: TargetMetadata, tmp_path: Path) -> None:
    path = tmp_path / "snap" / "target.json"
    meta.save(path)
    assert TargetMetadata.load(path) == meta
    assert json.loads(path.read_text(encoding="utf-8")) == meta.to_dict()


def test_from_dict_drops_tokens_and_reads_a_yaml_fixture(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(
        "org: {id: '1'}\n"
        "users: [{uid: 1, login: admin, admin: true, token: sandbox-admin-token}]\n"
        "tokens: {other-token: admin}\n"
        "statuses: [{id: 1, key: open, name: Open}]\n",
        encoding="utf-8",
    )
    meta = TargetMetadata.load(path)
    assert meta.users == [{"uid": 1, "login": "admin", "admin": True}]
    assert "token" not in json.dumps(meta.to_dict())
    assert meta.status_by_key("open") is not None and meta.queues == []


@pytest.mark.parametrize("text", ["{", "[]", '{"users": {"a": 1}}'])
def test_load_reports_bad_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        TargetMetadata.load(path)


class NoWorkflowEndpoint(FakeApi):
    def get_workflow(self, workflow_id: str) -> dict[str, Any]:
        raise NotFound(404, ["No such resource"], None, "GET", f"{API}/workflows/{workflow_id}")


def test_target_without_workflow_endpoint_allows_every_status(caplog: pytest.LogCaptureFixture) -> None:
    meta = TargetMetadata.fetch(NoWorkflowEndpoint(), "TEST")  # type: ignore[arg-type]
    assert meta.statuses_for_type("bug") == ["open", "inProgress", "closed"]
    assert meta.initial_status("bug") == "open"
    assert meta.queue()["workflows"][0]["name"] == "dev"  # the reference in this fake has no display name
    assert "does not expose workflow" in caplog.text


class InlinePool(ThreadPoolExecutor):
    """Runs each read as it is submitted: every future is done before its callbacks are added."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


def test_a_queue_read_already_done_starts_its_workflows_without_deadlock() -> None:
    """The callback that starts the workflow reads runs at once when the queue's read is already
    done: it must not wait for the lock the read was started under."""
    api = FakeApi()
    with InlinePool() as pool:
        reads = MetadataReads(api, pool)  # type: ignore[arg-type]
        reads.start_core("TEST")
        assert api.workflow_calls  # started by the queue's answer, before anyone asked
        meta = TargetMetadata.assemble(reads, ["TEST"], ALL_READS)
    assert meta.statuses_for_type("bug") == ["open", "inProgress", "closed"]
    assert meta.queue()["workflows"][0]["id"] == api.workflow_calls[0]
