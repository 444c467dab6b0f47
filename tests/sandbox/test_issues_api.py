"""The ordinary issue API: create, get, edit with versions, search/paging/scroll, count, find by unique,
and the non-import child endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from .sandbox_helpers import T_MID, VIEWER, Api, assert_error

ONLY_ONE = "You can only use keys, a queue or a search query."


def create(api: Api, expect: Any = 201, **fields: Any) -> dict[str, Any]:
    response = api.post("issues", json={"queue": "DEMO", "summary": "Created", **fields})
    assert response.status_code == expect, response.text
    return dict(response.json())


def test_create_uses_the_token_user_and_now(api: Api) -> None:
    issue = create(api, type="bug", assignee="alice", tags=["t"], storyPoints=2)
    assert issue["key"] == "DEMO-1" and issue["version"] == 1
    assert issue["createdBy"]["display"] == "Admin Adminov"
    assert issue["createdAt"] == issue["updatedAt"] > "2024"
    assert issue["status"]["key"] == "open"
    viewer_issue = api.post("issues", json={"queue": "STAGE", "summary": "v"}, token=VIEWER).json()
    assert viewer_issue["createdBy"]["display"] == "Vera Viewer"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"summary": "x"}, 400, "queue"),
        ({"queue": "DEMO"}, 400, "summary"),
        ({"queue": "NOPE", "summary": "x"}, 404, "queue"),
        ({"queue": "DEMO", "summary": "x", "priority": "nope"}, 400, "priority"),
        ({"queue": "DEMO", "summary": "x", "unknownField": 1}, 400, "unknownField"),
        ({"queue": "DEMO", "summary": "x", "parent": "DEMO-99"}, 404, "parent"),
    ],
)
def test_create_rules(frozen_api: Api, body: dict[str, Any], status: int, field: str) -> None:
    assert_error(frozen_api.post("issues", json=body), status, field)


def test_create_with_parent_and_local_field(api: Api) -> None:
    parent = create(api)
    local = api.get("queues/DEMO/localFields").json()[0]["id"]
    child = create(api, parent="DEMO-1", **{local: "Acme"})
    assert child["parent"]["key"] == parent["key"]
    assert child[local] == "Acme"
    assert api.get("issues/DEMO-1/links").json()[0]["type"]["id"] == "subtask"


def test_unique_on_create_and_find_by_unique(api: Api) -> None:
    create(api, unique="abc")
    assert_error(
        api.post("issues", json={"queue": "DEMO", "summary": "again", "unique": "abc"}), 409, "unique"
    )
    found = api.post("issues/_findByUnique", params={"unique": "abc"})
    assert found.status_code == 200 and found.json()["key"] == "DEMO-1"
    assert_error(api.post("issues/_findByUnique", params={"unique": "nope"}), 404)
    assert_error(api.post("issues/_findByUnique"), 400, "unique")
    by_filter = api.post("issues/_search", json={"filter": {"unique": "abc"}}).json()
    assert [i["key"] for i in by_filter] == ["DEMO-1"]
    assert [i["key"] for i in api.post("issues/_search", json={"query": '"Unique": "abc"'}).json()] == [
        "DEMO-1"
    ]
    assert [i["key"] for i in api.get("issues", params={"filter": "unique:abc"}).json()] == ["DEMO-1"]


def test_get_by_key_or_id_and_404(api: Api) -> None:
    issue = create(api)
    assert api.get(f"issues/{issue['id']}").json()["key"] == "DEMO-1"
    assert api.get("issues/DEMO-1", version="v3").json()["self"] == f"{api.url}/v3/issues/DEMO-1"
    assert_error(api.get("issues/DEMO-2"), 404)


# --- edit ---
def test_patch_increments_version_and_records_the_editor(api: Api) -> None:
    create(api)
    response = api.patch(
        "issues/DEMO-1", json={"summary": "New", "tags": {"add": ["x"]}, "followers": ["bob"]}, token=VIEWER
    )
    assert response.status_code == 200, response.text
    issue = response.json()
    assert (issue["summary"], issue["tags"], issue["version"]) == ("New", ["x"], 2)
    assert issue["updatedBy"]["display"] == "Vera Viewer"
    issue = api.patch(
        "issues/DEMO-1", json={"tags": {"add": ["y"], "remove": ["x"]}, "followers": None}
    ).json()
    assert issue["tags"] == ["y"] and "followers" not in issue and issue["version"] == 3
    assert (
        api.patch("issues/DEMO-1", json={"tags": ["y"]}).json()["version"] == 3
    )  # no change, no new version


@pytest.mark.parametrize("how", ["query", "if-match", "if-match-bare"])
def test_stale_version_is_409(api: Api, how: str) -> None:
    create(api)
    api.patch("issues/DEMO-1", json={"summary": "v2"})
    kwargs: dict[str, Any] = (
        {"params": {"version": "1"}}
        if how == "query"
        else {"headers": {"If-Match": '"1"' if how == "if-match" else "1"}}
    )
    assert_error(api.patch("issues/DEMO-1", json={"summary": "stale"}, **kwargs), 409, "version")
    ok = {"params": {"version": "2"}} if how == "query" else {"headers": {"If-Match": '"2"'}}
    assert api.patch("issues/DEMO-1", json={"summary": "fresh"}, **ok).status_code == 200


def test_stale_version_status_is_configurable(make_api: Callable[..., Api]) -> None:
    api = make_api(stale_version_status=412)
    create(api)
    api.patch("issues/DEMO-1", json={"summary": "v2"})
    assert_error(api.patch("issues/DEMO-1", json={"summary": "x"}, params={"version": 1}), 412)


def test_version_cap_is_423(make_api: Callable[..., Api]) -> None:
    api = make_api(version_cap=3)
    create(api)
    assert api.patch("issues/DEMO-1", json={"summary": "2"}).status_code == 200
    assert api.patch("issues/DEMO-1", json={"summary": "3"}).status_code == 200
    assert_error(api.patch("issues/DEMO-1", json={"summary": "4"}), 423, text="maximum version")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"createdAt": T_MID}, "createdAt"),
        ({"key": "DEMO-5"}, "key"),
        ({"summary": None}, "summary"),
        ({"priority": "nope"}, "priority"),
        ({"nope": 1}, "nope"),
        ({"tags": {"shuffle": ["a"]}}, "tags"),
        ({"assignee": "ghost"}, "assignee"),
    ],
)
def test_patch_rules(frozen_api: Api, body: dict[str, Any], field: str) -> None:
    assert_error(frozen_api.patch("issues/DEMO-1", json=body), 400, field)


def test_patch_local_field_and_type(api: Api) -> None:
    create(api)
    local = api.get("queues/DEMO/localFields").json()[0]["id"]
    issue = api.patch("issues/DEMO-1", json={local: "Globex", "type": {"set": "bug"}}).json()
    assert issue[local] == "Globex" and issue["type"]["key"] == "bug"
    assert_error(api.patch("issues/DEMO-1", json={local: "Nobody"}), 400, local, "options")


# --- search ---
@pytest.fixture
def many(api: Api) -> None:
    for n in range(7):
        create(
            api, summary=f"demo {n}", type="bug" if n % 2 else "task", assignee="alice" if n < 3 else "bob"
        )
    for n in range(3):
        api.post("issues", json={"queue": "STAGE", "summary": f"stage {n}"})


def keys(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [i["key"] for i in response.json()]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"queue": "STAGE"}, ["STAGE-1", "STAGE-2", "STAGE-3"]),
        ({"keys": ["DEMO-2", "STAGE-1"]}, ["DEMO-2", "STAGE-1"]),
        ({"keys": "DEMO-3"}, ["DEMO-3"]),
        ({"filter": {"queue": "DEMO", "type": "bug"}}, ["DEMO-2", "DEMO-4", "DEMO-6"]),
        ({"filter": {"assignee": "alice"}}, ["DEMO-1", "DEMO-2", "DEMO-3"]),
        (
            {"filter": {"queue": "DEMO", "assignee": ["alice", "bob"], "type": "task"}},
            ["DEMO-1", "DEMO-3", "DEMO-5", "DEMO-7"],
        ),
        ({"query": "Queue: STAGE"}, ["STAGE-1", "STAGE-2", "STAGE-3"]),
        ({"query": "Key: DEMO-1, DEMO-7"}, ["DEMO-1", "DEMO-7"]),
        ({"query": 'Queue: DEMO AND Type: bug "Sort by": Key DESC'}, ["DEMO-6", "DEMO-4", "DEMO-2"]),
        ({"query": "Queue: DEMO Assignee: alice", "filter": {"type": "task"}}, ["DEMO-1", "DEMO-3"]),
        ({"query": "Queue: STAGE Assignee: empty()"}, ["STAGE-1", "STAGE-2", "STAGE-3"]),
        ({"filter": {"queue": "DEMO", "summary": "demo 4"}}, ["DEMO-5"]),
        ({"filter": {"queue": "STAGE"}, "order": ["-key"]}, ["STAGE-3", "STAGE-2", "STAGE-1"]),
    ],
)
def test_search(api: Api, many: None, body: dict[str, Any], expected: list[str]) -> None:
    assert keys(api.post("issues/_search", json=body)) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"keys": ["DEMO-1"], "filter": {"queue": "DEMO"}},
        {"queue": "DEMO", "query": "Queue: DEMO"},
        {"keys": ["DEMO-1"], "queue": "DEMO"},
    ],
)
def test_keys_or_queue_cannot_be_combined(frozen_api: Api, body: dict[str, Any]) -> None:
    response = frozen_api.post("issues/_search", json=body)
    assert_error(response, 400)
    assert response.json()["errorMessages"] == [ONLY_ONE]


def test_null_search_parameters_are_ignored(api: Api, many: None) -> None:
    body = {
        "filter": None,
        "filterId": None,
        "query": "Queue: STAGE",
        "keys": None,
        "queue": None,
        "order": None,
    }
    assert len(keys(api.post("issues/_search", json=body))) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "Colour: red"}, "query"),
        ({"query": "Queue DEMO"}, "query"),
        ({"query": "Queue:"}, "query"),
        ({"filter": {"colour": "red"}}, "filter"),
        ({"filter": "queue:DEMO"}, "filter"),
        ({"order": ["+colour"]}, "order"),
    ],
)
def test_search_errors_name_the_parameter(frozen_api: Api, body: dict[str, Any], field: str) -> None:
    assert_error(frozen_api.post("issues/_search", json=body), 400, field)


def test_search_paging_headers(api: Api, many: None) -> None:
    response = api.post("issues/_search", params={"perPage": 3, "page": 2}, json={"queue": "DEMO"})
    assert keys(response) == ["DEMO-4", "DEMO-5", "DEMO-6"]
    assert (response.headers["X-Total-Count"], response.headers["X-Total-Pages"]) == ("7", "3")
    links = response.links
    assert links["next"]["url"] == f"{api.url}/v2/issues/_search?perPage=3&page=3"
    assert links["prev"]["url"].endswith("page=1")
    assert links["first"]["url"].endswith("page=1") and links["last"]["url"].endswith("page=3")
    last = api.post(links["next"]["url"], json={"queue": "DEMO"})
    assert keys(last) == ["DEMO-7"] and "next" not in last.links


def test_per_page_is_capped_at_100(api: Api) -> None:
    for n in range(101):
        api.import_issue(summary=f"i{n}")
    response = api.post("issues/_search", params={"perPage": 500}, json={"queue": "DEMO"})
    assert len(response.json()) == 100 and response.headers["X-Total-Pages"] == "2"


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_bad_paging_parameters(frozen_api: Api, value: str) -> None:
    assert_error(frozen_api.post("issues/_search", params={"perPage": value}, json={}), 400, "perPage")


def test_scroll(api: Api, many: None) -> None:
    params = {"scrollType": "sorted", "perScroll": 4, "scrollTTLMillis": 10000}
    first = api.post("issues/_search", params=params, json={"filter": {"queue": "DEMO"}})
    assert keys(first) == ["DEMO-1", "DEMO-2", "DEMO-3", "DEMO-4"]
    assert first.headers["X-Total-Count"] == "7"
    scroll_id, token = first.headers["X-Scroll-Id"], first.headers["X-Scroll-Token"]
    second = api.post(first.links["next"]["url"], json={"filter": {"queue": "DEMO"}})
    assert keys(second) == ["DEMO-5", "DEMO-6", "DEMO-7"] and "next" not in second.links
    assert second.headers["X-Scroll-Id"] == scroll_id
    assert_error(
        api.post("issues/_search", params={"scrollId": scroll_id, "scrollToken": "bad"}, json={}),
        400,
        "scrollToken",
    )
    assert token
    assert_error(api.post("issues/_search", params={"scrollId": "nope"}, json={}), 400, "scrollId")


def test_scroll_is_not_supported_with_keys_or_queue(api: Api) -> None:
    response = api.post("issues/_search", params={"scrollType": "sorted"}, json={"queue": "DEMO"})
    assert_error(response, 400, text="Scroll is not supported")
    assert "scrollType" in response.json()["errors"]


def test_count(api: Api, many: None) -> None:
    assert api.post("issues/_count", json={"filter": {"queue": "DEMO"}}).json() == 7
    assert api.post("issues/_count", json={"query": "Queue: STAGE"}).json() == 3
    assert_error(api.post("issues/_count", json={"keys": ["DEMO-1"], "query": "Queue: DEMO"}), 400)


# --- non-import children: the token's user, now ---
def test_ordinary_comment_link_worklog_and_attachment(api: Api) -> None:
    create(api)
    create(api)
    comment = api.post("issues/DEMO-1/comments", json={"text": "hi", "summonees": ["bob"]}, token=VIEWER)
    assert comment.status_code == 201, comment.text
    assert comment.json()["createdBy"]["display"] == "Vera Viewer"
    issue = api.get("issues/DEMO-1").json()
    assert (
        issue["version"] == 2 and issue["updatedBy"]["display"] == "Vera Viewer"
    )  # creating touches the issue
    link = api.post("issues/DEMO-1/links", json={"relationship": "relates", "issue": "DEMO-2"})
    assert link.status_code == 201 and link.json()["object"]["key"] == "DEMO-2"
    worklog = api.post("issues/DEMO-1/worklog", json={"duration": "PT2H", "comment": "w"})
    assert worklog.status_code == 201 and worklog.json()["duration"] == "PT2H"
    attached = api.post(
        "issues/DEMO-1/attachments", params={"filename": "a.txt"}, files={"file": ("x", b"abc")}
    )
    assert attached.status_code == 201 and attached.json()["name"] == "a.txt"
    assert_error(api.post("issues/DEMO-1/comments", json={}), 400, "text")


def test_temporary_upload_then_attach_to_a_comment(api: Api) -> None:
    create(api)
    upload = api.post("attachments/", files={"file": ("report.pdf", b"%PDF-1.4")})
    assert upload.status_code == 201, upload.text
    temp = upload.json()
    assert temp["self"] == f"{api.url}/v2/attachments/{temp['id']}" and temp["mimetype"] == "application/pdf"
    assert (
        requests.get(
            temp["content"], headers={"Authorization": "OAuth sandbox-admin-token", "X-Org-ID": "1"}
        ).content
        == b"%PDF-1.4"
    )
    comment = api.post(
        "issues/DEMO-1/comments", json={"text": "see file", "attachmentIds": [temp["id"]]}
    ).json()
    assert comment["attachments"][0]["display"] == "report.pdf"
    assert [a["name"] for a in api.get("issues/DEMO-1/attachments").json()] == ["report.pdf"]
