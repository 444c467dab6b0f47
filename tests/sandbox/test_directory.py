"""Reference data endpoints: users, myself, queues and their sub-resources, org-wide lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .sandbox_helpers import VIEWER, Api, assert_error

DEFAULT_LOGINS = ["admin", "viewer", "alice", "bob", "carol", "dave"]


def test_myself_is_an_object(api: Api) -> None:
    body = api.get("myself").json()
    assert isinstance(body, dict)
    assert {
        "self",
        "uid",
        "login",
        "trackerUid",
        "passportUid",
        "firstName",
        "lastName",
        "display",
        "email",
        "external",
        "hasLicense",
        "dismissed",
    } <= set(body)
    assert (body["uid"], body["email"], body["display"]) == (
        1100000000000001,
        "admin@example.com",
        "Admin Adminov",
    )


def test_myself_as_array_is_configurable(make_api: Callable[..., Api]) -> None:
    body = make_api(myself_as_array=True).get("myself").json()
    assert isinstance(body, list) and body[0]["login"] == "admin"


def test_users_are_paged_with_link_headers(api: Api) -> None:
    first = api.get("users", params={"perPage": 4})
    assert [u["login"] for u in first.json()] == DEFAULT_LOGINS[:4]
    assert (first.headers["X-Total-Count"], first.headers["X-Total-Pages"]) == ("6", "2")
    assert 'rel="next"' in first.headers["Link"] and 'rel="seek"' in first.headers["Link"]
    second = api.get(first.links["next"]["url"])
    assert [u["login"] for u in second.json()] == DEFAULT_LOGINS[4:]
    assert "next" not in second.links
    assert [u["login"] for u in api.get("users").json()] == DEFAULT_LOGINS
    assert next(u for u in api.get("users").json() if u["login"] == "dave")["dismissed"] is True


@pytest.mark.parametrize("ref", ["carol", "1100000000000005", "login:carol"])
def test_user_by_login_or_uid(api: Api, ref: str) -> None:
    assert api.get(f"users/{ref}").json()["email"] == "carol@example.com"


def test_unknown_user_is_404(api: Api) -> None:
    assert_error(api.get("users/ghost"), 404)


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("statuses", ["open", "inProgress", "needInfo", "resolved", "closed"]),
        ("issuetypes", ["bug", "task", "story", "epic", "improvement"]),
        ("priorities", ["trivial", "minor", "normal", "critical", "blocker"]),
        ("resolutions", ["fixed", "wontFix", "duplicate", "invalid", "later"]),
    ],
)
def test_org_wide_lists(api: Api, path: str, keys: list[str]) -> None:
    items = api.get(path).json()
    assert [i["key"] for i in items] == keys
    for item in items:
        assert item["self"] == f"{api.url}/v2/{path}/{item['id']}"
        assert isinstance(item["id"], int) and {"key", "name", "version"} <= set(item)
    assert api.get(f"{path}/{items[0]['id']}").json()["key"] == keys[0]
    assert_error(api.get(f"{path}/999"), 404)


def test_status_shape(api: Api) -> None:
    status = api.get("statuses/1").json()
    assert status == {
        "self": f"{api.url}/v2/statuses/1",
        "id": 1,
        "version": 1,
        "key": "open",
        "name": "Open",
        "description": "",
        "order": 100,
        "type": "new",
    }


def test_link_types(api: Api) -> None:
    types = {t["id"]: t for t in api.get("linktypes").json()}
    assert set(types) == {"relates", "depends", "subtask", "duplicates", "epic", "clone"}
    assert types["subtask"] == {
        "self": f"{api.url}/v2/linktypes/subtask",
        "id": "subtask",
        "inward": "Sub-issue",
        "outward": "Parent issue",
    }


def test_fields_have_a_schema_type(api: Api) -> None:
    fields = {f["id"]: f for f in api.get("fields", params={"perPage": 100}).json()}
    assert {"storyPoints", "tags", "summary", "businessValue"} <= set(fields)
    assert fields["tags"]["schema"]["type"] == "array"
    assert fields["severity"]["options"] is True
    assert fields["severity"]["optionsProvider"]["values"] == ["S1", "S2", "S3", "S4"]
    assert api.get("fields/storyPoints").json()["schema"] == {"type": "number"}


def test_queue_get_and_expand(api: Api) -> None:
    plain = api.get("queues/DEMO").json()
    assert (plain["key"], plain["id"], plain["name"]) == ("DEMO", 1, "Demo")
    assert plain["defaultType"]["key"] == "task" and plain["defaultPriority"]["key"] == "normal"
    assert plain["lead"]["display"] == "Admin Adminov"
    assert "issueTypes" not in plain
    full = api.get("queues/DEMO", params={"expand": "all"}).json()
    assert [t["key"] for t in full["issueTypes"]] == ["bug", "task", "story", "epic", "improvement"]
    assert [c["display"] for c in full["components"]] == ["Backend", "Frontend", "Docs"]
    assert [v["display"] for v in full["versions"]] == ["1.0", "1.1", "2.0"]
    assert list(full["workflows"]) == ["dev"]
    config = full["issueTypesConfig"][0]
    assert config["workflow"]["id"] == "dev" and len(config["resolutions"]) == 5
    some = api.get("queues/1", params={"expand": "components,versions"}).json()
    assert "components" in some and "versions" in some and "issueTypes" not in some
    assert_error(api.get("queues/NOPE"), 404)


def test_queue_sub_resources(api: Api) -> None:
    (local,) = api.get("queues/DEMO/localFields").json()
    assert local["id"].endswith("--customer") and local["key"] == "customer" and local["type"] == "local"
    assert local["queue"]["key"] == "DEMO"
    assert api.get("queues/DEMO/localFields/customer").json()["id"] == local["id"]
    components = api.get("queues/STAGE/components").json()
    assert [(c["id"], c["name"]) for c in components] == [(4, "Backend"), (5, "Frontend"), (6, "Docs")]
    assert api.get("components/4").json()["queue"]["key"] == "STAGE"
    assert [v["name"] for v in api.get("queues/DEMO/versions").json()] == ["1.0", "1.1", "2.0"]
    assert api.get("versions/2").json()["name"] == "1.1"
    assert len(api.get("queues/DEMO/issuetypes").json()) == 5
    assert [q["key"] for q in api.get("queues").json()] == ["DEMO", "STAGE"]


def queue_body(**fields: Any) -> dict[str, Any]:
    body = {
        "key": "NEWQ",
        "name": "New queue",
        "lead": "alice",
        "defaultType": "task",
        "defaultPriority": "normal",
        "issueTypesConfig": [
            {"issueType": "task", "workflow": "dev", "resolutions": ["fixed", "wontFix"]},
            {"issueType": "bug", "workflow": {"id": "dev"}, "resolutions": []},
        ],
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def test_queue_create_delete_restore(api: Api) -> None:
    created = api.post("queues/", json=queue_body())
    assert created.status_code == 201, created.text
    assert created.json()["key"] == "NEWQ" and created.json()["id"] == 3
    issue = api.import_issue(
        queue="NEWQ",
        type="task",
        resolution="fixed",
        resolvedAt="2020-06-01T00:00:00.000+0000",
        resolvedBy="bob",
    )
    assert issue["key"] == "NEWQ-1"
    assert_error(api.post("issues/_import", json={**_import(), "type": "story"}), 400, "type")
    assert_error(api.post("queues", json=queue_body()), 409, "key")
    assert api.delete("queues/NEWQ").status_code == 204
    assert_error(api.get("queues/NEWQ"), 404)
    assert_error(api.post("issues/_import", json=_import()), 404, "queue")
    restored = api.post("queues/NEWQ/_restore")
    assert restored.status_code == 200 and restored.json()["key"] == "NEWQ"
    assert api.get("queues/NEWQ").json()["version"] == 3


def _import() -> dict[str, Any]:
    return {
        "queue": "NEWQ",
        "summary": "x",
        "createdAt": "2020-01-01T00:00:00.000+0000",
        "createdBy": "alice",
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": None}, "key"),
        ({"key": "lower"}, "key"),
        ({"name": None}, "name"),
        ({"lead": "ghost"}, "lead"),
        ({"defaultType": "nope"}, "defaultType"),
        ({"defaultType": "story"}, "defaultType"),
        ({"defaultPriority": None}, "defaultPriority"),
        ({"issueTypesConfig": [{"issueType": "task", "workflow": "nope"}]}, "issueTypesConfig"),
    ],
)
def test_queue_create_rules(api: Api, fields: dict[str, Any], field: str) -> None:
    assert_error(api.post("queues", json=queue_body(**fields)), 400, field)


def test_queue_admin_actions_need_admin(api: Api) -> None:
    assert_error(api.post("queues", json=queue_body(), token=VIEWER), 403)
    assert_error(api.delete("queues/DEMO", token=VIEWER), 403)
    assert_error(api.post("queues/DEMO/_restore", token=VIEWER), 403)
    assert_error(api.post("queues/NOPE/_restore"), 404)


def test_workflows(api: Api) -> None:
    workflow = api.get("workflows/dev").json()
    assert (workflow["id"], workflow["name"]) == ("dev", "Development")
    assert workflow["initialAction"]["target"]["key"] == "open"
    assert [s["status"]["key"] for s in workflow["steps"]] == [
        "open",
        "inProgress",
        "needInfo",
        "resolved",
        "closed",
    ]
    assert len(workflow["steps"][0]["actions"]) == 4
    assert [w["id"] for w in api.get("queues/STAGE/workflows").json()] == ["dev"]
    assert [w["id"] for w in api.get("workflows").json()] == ["dev"]
    assert_error(api.get("workflows/nope"), 404)
