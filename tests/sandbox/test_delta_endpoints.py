"""What a delta run and a staging queue need from the sandbox, as documented: workflow transitions,
comment edit and delete, deleting links, files and worklogs, and creating a queue's components,
versions and local fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from yandex_tracker_client import TrackerClient

from migrator.sandbox import SandboxServer

from .sandbox_helpers import T_END, T_MID, VIEWER, Api, assert_error

CATEGORY = "000000000000000000000003"
STRING_FIELD = "ru.yandex.startrek.core.fields.StringFieldType"


def _bug(api: Api) -> str:
    return str(api.import_issue(type="bug", status="inProgress")["key"])


# ---------------------------------------------------------------------- transitions


def test_transitions_lead_to_every_other_status_of_the_workflow(api: Api) -> None:
    key = _bug(api)
    response = api.get(f"issues/{key}/transitions")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == ["open", "needInfo", "resolved", "closed"]
    first = response.json()[0]
    assert set(first) == {"self", "id", "display", "to"} and first["to"]["key"] == "open"
    assert first["self"].endswith(f"/v2/issues/{key}/transitions/open")


def test_resolving_transition_sets_resolution_and_stamps(api: Api) -> None:
    key = _bug(api)
    before = api.get(f"issues/{key}").json()
    response = api.post(f"issues/{key}/transitions/resolved/_execute", json={"resolution": "fixed"})
    assert response.status_code == 200
    assert "resolved" not in [t["id"] for t in response.json()]  # the transitions from the new status
    issue = api.get(f"issues/{key}").json()
    assert issue["status"]["key"] == "resolved" and issue["resolution"]["key"] == "fixed"
    assert issue["resolvedBy"]["id"] == "1100000000000001" and issue["updatedBy"]["id"] == "1100000000000001"
    assert issue["resolvedAt"] == issue["updatedAt"] > T_END
    assert issue["version"] == before["version"] + 1

    reopened = api.post(f"issues/{key}/transitions/open/_execute", json={"comment": "back to work"})
    assert reopened.status_code == 200
    issue = api.get(f"issues/{key}").json()
    assert issue["status"]["key"] == "open" and "resolution" not in issue and "resolvedAt" not in issue
    assert [c["text"] for c in api.get(f"issues/{key}/comments").json()] == ["back to work"]


def test_transition_errors(api: Api, make_api: Callable[..., Api]) -> None:
    key = _bug(api)
    assert_error(api.post(f"issues/{key}/transitions/inProgress/_execute"), 404, text="no transition")
    assert_error(api.post(f"issues/{key}/transitions/bogus/_execute"), 404, text="no transition")
    assert_error(
        api.post(f"issues/{key}/transitions/open/_execute", json={"resolution": "fixed"}), 400, "resolution"
    )
    assert_error(
        api.post(f"issues/{key}/transitions/closed/_execute", json={"assignee": "bob"}), 400, "assignee"
    )
    assert api.get(f"issues/{key}").json()["status"]["key"] == "inProgress"  # nothing changed

    strict = make_api(transition_resolution="required")
    other = _bug(strict)
    assert_error(strict.post(f"issues/{other}/transitions/closed/_execute"), 400, "resolution")
    off = make_api(transitions="none")
    assert_error(off.get(f"issues/{_bug(off)}/transitions"), 404, text="not emulated")


def test_official_client_executes_a_transition(sandbox: SandboxServer, api: Api) -> None:
    key = _bug(api)
    client = TrackerClient(token=sandbox.admin_token, org_id=sandbox.org_id, base_url=sandbox.url, retries=0)
    issue = client.issues[key]
    issue.transitions["closed"].execute(resolution="wontFix")
    issue = client.issues[key]
    assert issue.status.key == "closed" and issue.resolution.key == "wontFix"


# ---------------------------------------------------------------------- comments


def test_comment_edit_keeps_author_and_date_and_stamps_the_editor(api: Api) -> None:
    key = _bug(api)
    comment = api.import_comment(key, text="first text")
    issue_before = api.get(f"issues/{key}").json()
    response = api.patch(f"issues/{key}/comments/{comment['id']}", json={"text": "second text"})
    assert response.status_code == 200
    edited = response.json()
    assert edited["text"] == "second text" and edited["version"] == 2
    assert edited["createdAt"] == T_MID and edited["createdBy"]["id"] == "1100000000000004"  # bob
    assert edited["updatedBy"]["id"] == "1100000000000001" and edited["updatedAt"] > T_END
    issue = api.get(f"issues/{key}").json()
    assert issue["version"] == issue_before["version"] + 1 and issue["updatedAt"] > T_END

    same = api.patch(f"issues/{key}/comments/{comment['id']}", json={"text": "second text"}).json()
    assert same["version"] == 2  # nothing changed, nothing stamped
    assert_error(api.patch(f"issues/{key}/comments/{comment['id']}", json={"text": " "}), 400, "text")
    assert_error(api.patch(f"issues/{key}/comments/999", json={"text": "x"}), 404)


def test_comment_delete_removes_it_and_its_files(api: Api) -> None:
    key = _bug(api)
    comment = api.import_comment(key)
    query = {"filename": "a.txt", "createdAt": T_MID, "createdBy": "bob"}
    path = f"issues/{key}/comments/{comment['id']}/attachments/_import"
    assert api.post(path, params=query, files={"file": ("file", b"abc")}).status_code == 200
    assert len(api.get(f"issues/{key}/attachments").json()) == 1

    assert api.delete(f"issues/{key}/comments/{comment['id']}").status_code == 204
    assert api.get(f"issues/{key}/comments").json() == []
    assert api.get(f"issues/{key}/attachments").json() == []
    assert_error(api.delete(f"issues/{key}/comments/{comment['id']}"), 404)


# ---------------------------------------------------------------------- links, files, worklogs


def test_link_delete_unlinks_both_issues_and_clears_the_parent(api: Api) -> None:
    parent, child = _bug(api), _bug(api)
    body = {"relationship": "is subtask for", "issue": parent, "createdAt": T_MID, "createdBy": "bob"}
    link = api.post(f"issues/{child}/links/_import", json=body).json()
    assert api.get(f"issues/{child}").json()["parent"]["key"] == parent

    assert api.delete(f"issues/{child}/links/{link['id']}").status_code == 204
    assert api.get(f"issues/{child}/links").json() == [] and api.get(f"issues/{parent}/links").json() == []
    assert "parent" not in api.get(f"issues/{child}").json()
    assert_error(api.delete(f"issues/{child}/links/{link['id']}"), 404)


def test_file_and_worklog_delete(api: Api) -> None:
    key = _bug(api)
    query = {"filename": "a.txt", "createdAt": T_MID, "createdBy": "bob"}
    file = api.post(f"issues/{key}/attachments/_import", params=query, files={"f": ("file", b"x")}).json()
    worklog = api.post(
        f"issues/{key}/worklogs/_import",
        json={"duration": "PT1H", "start": T_MID, "createdAt": T_MID, "createdBy": "bob"},
    ).json()[0]
    assert api.delete(f"issues/{key}/attachments/{file['id']}").status_code == 204
    assert api.delete(f"issues/{key}/worklog/{worklog['id']}").status_code == 204
    assert api.get(f"issues/{key}/attachments").json() == [] and api.get(f"issues/{key}/worklog").json() == []
    assert_error(api.delete(f"issues/{key}/worklog/{worklog['id']}"), 404)
    assert_error(api.delete(f"issues/{key}/attachments/{file['id']}"), 404)


# ---------------------------------------------------------------------- a queue's components, versions, fields


def _new_queue(api: Api, key: str = "NEWQ") -> None:
    body = {"key": key, "name": "New", "lead": "admin", "defaultType": "task", "defaultPriority": "normal"}
    assert api.post("queues", json=body).status_code == 201


def test_components_versions_and_local_fields_are_created_in_a_queue(api: Api) -> None:
    _new_queue(api)
    component = api.post("components", json={"name": "Backend", "queue": "NEWQ"})
    assert component.status_code == 201 and component.json()["queue"]["key"] == "NEWQ"
    version = api.post("versions", json={"name": "1.0", "queue": "NEWQ", "dueDate": "2024-06-03"})
    assert version.status_code == 200
    body: dict[str, Any] = {
        "id": "customer",
        "name": {"en": "Customer", "ru": "Клиент"},
        "category": CATEGORY,
        "type": STRING_FIELD,
        "optionsProvider": {"type": "FixedListOptionsProvider", "values": ["Acme", "Globex"]},
    }
    field = api.post("queues/NEWQ/localFields", json=body)
    assert field.status_code == 200
    created = field.json()
    assert (
        created["key"] == "customer" and created["id"].endswith("--customer") and created["type"] == "local"
    )
    assert created["optionsProvider"]["values"] == ["Acme", "Globex"]
    assert [c["name"] for c in api.get("queues/NEWQ/components").json()] == ["Backend"]
    assert [v["name"] for v in api.get("queues/NEWQ/versions").json()] == ["1.0"]
    assert [f["key"] for f in api.get("queues/NEWQ/localFields").json()] == ["customer"]
    # component ids are global: the new one follows DEMO's and STAGE's
    assert int(component.json()["id"]) > max(int(c["id"]) for c in api.get("queues/STAGE/components").json())
    issue = api.import_issue(queue="NEWQ", components=["Backend"], fixVersions=["1.0"])
    patched = api.patch(f"issues/{issue['key']}", json={created["id"]: "Acme"})
    assert patched.status_code == 200 and patched.json()[created["id"]] == "Acme"


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("components", {"name": "Backend", "queue": "DEMO"}, 409, "name"),
        ("components", {"name": "X", "queue": "NOPE"}, 404, "queue"),
        ("versions", {"name": "1.0", "queue": "DEMO"}, 409, "name"),
        ("versions", {"name": "9", "queue": "DEMO", "startDate": "03.10.2023"}, 400, "startDate"),
        (
            "queues/DEMO/localFields",
            {"id": "customer", "name": "C", "category": CATEGORY, "type": STRING_FIELD},
            409,
            "id",
        ),
        (
            "queues/DEMO/localFields",
            {"id": "x", "name": "X", "category": CATEGORY, "type": "Bogus"},
            400,
            "type",
        ),
        (
            "queues/DEMO/localFields",
            {"id": "1x", "name": "X", "category": CATEGORY, "type": STRING_FIELD},
            400,
            "id",
        ),
        ("queues/DEMO/localFields", {"id": "x", "name": "X", "type": STRING_FIELD}, 400, "category"),
    ],
)
def test_creation_errors_name_the_field(
    frozen_api: Api, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    assert_error(frozen_api.post(path, json=body), status, field)


def test_local_field_creation_needs_an_administrator(sandbox: SandboxServer) -> None:
    body = {"id": "x", "name": "X", "category": CATEGORY, "type": STRING_FIELD}
    assert_error(Api(sandbox, token=VIEWER).post("queues/DEMO/localFields", json=body), 403)
