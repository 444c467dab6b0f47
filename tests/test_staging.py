"""migrator/staging.py against the sandbox: a queue shaped like DEMO, no half-made queue on failure,
drop only what stage made; and its local-field types are ones the sandbox knows."""

from __future__ import annotations

from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.sandbox import SandboxServer
from migrator.sandbox.handlers.directory import LOCAL_FIELD_SCHEMAS
from migrator.staging import (
    FIELD_TYPE_PREFIX,
    FIELD_TYPES,
    STAGING_MARK,
    create_staging_queue,
    drop_staging_queue,
    local_field_body,
    restore_staging_queue,
)
from migrator.tracker import TrackerClient, TrackerSettings
from migrator.tracker.errors import NotFound


@pytest.fixture
def client(sandbox: SandboxServer) -> TrackerClient:
    return TrackerClient(
        TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    )


def test_every_local_field_type_is_one_the_sandbox_creates() -> None:
    assert set(FIELD_TYPES.values()) <= set(LOCAL_FIELD_SCHEMAS)


def test_staging_queue_is_shaped_like_the_target_queue(client: TrackerClient) -> None:
    staged = create_staging_queue(client, "DEMO")
    assert staged.key == "STG1" and (staged.components, staged.versions, staged.local_fields) == (3, 3, 1)
    queue = client.get_queue("STG1", expand="all")
    assert queue["description"].startswith(f"{STAGING_MARK} DEMO")
    assert queue["lead"]["display"] == "Admin Adminov"
    assert [w["id"] for w in client.list_queue_workflows("STG1")] == ["dev"]
    field = client.list_local_fields("STG1")[0]
    demo_field = client.list_local_fields("DEMO")[0]
    assert field["id"] != demo_field["id"] and field["id"].endswith("--customer")
    assert field["optionsProvider"]["values"] == demo_field["optionsProvider"]["values"]
    assert create_staging_queue(client, "DEMO").key == "STG2"  # the next free key


def test_a_failure_half_way_leaves_no_queue(client: TrackerClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown_type(queue: str) -> list[dict[str, Any]]:
        return [{"id": "abc--odd", "key": "odd", "name": "Odd", "schema": {"type": "geo"}}]

    monkeypatch.setattr(client, "list_local_fields", unknown_type)
    with pytest.raises(MigratorError, match="half-made queue was deleted") as caught:
        create_staging_queue(client, "DEMO")
    assert "cannot recreate" in str(caught.value)
    with pytest.raises(NotFound):
        client.get_queue("STG1")


def test_unknown_queue_and_taken_key(client: TrackerClient) -> None:
    with pytest.raises(MigratorError, match="does not exist"):
        create_staging_queue(client, "NOPE")
    with pytest.raises(MigratorError, match="queue STAGE exists already"):
        create_staging_queue(client, "DEMO", "STAGE")


def test_drop_and_restore(client: TrackerClient) -> None:
    key = create_staging_queue(client, "DEMO").key
    drop_staging_queue(client, key)
    with pytest.raises(NotFound):
        client.get_queue(key)
    restore_staging_queue(client, key)
    assert client.get_queue(key)["key"] == key
    with pytest.raises(MigratorError, match="not a staging queue"):
        drop_staging_queue(client, "DEMO")
    drop_staging_queue(client, "STAGE", force=True)
    with pytest.raises(MigratorError, match="does not exist"):
        drop_staging_queue(client, "STAGE")


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, {"type": FIELD_TYPE_PREFIX + "StringFieldType"}),
        (
            {"type": "array", "items": "user"},
            {"type": FIELD_TYPE_PREFIX + "UserFieldType", "container": True},
        ),
        ({"type": "number"}, {"type": FIELD_TYPE_PREFIX + "FloatFieldType"}),
        ({"type": "date"}, {"type": FIELD_TYPE_PREFIX + "DateFieldType"}),
    ],
)
def test_local_field_body(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    raw = {"id": "hex--team", "key": "team", "name": "Team", "schema": schema, "category": {"id": "c1"}}
    body = local_field_body(raw)
    assert body["id"] == "team" and body["name"] == {"en": "Team", "ru": "Team"} and body["category"] == "c1"
    assert {k: body[k] for k in expected} == expected
