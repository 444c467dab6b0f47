"""Comment, link, file and worklog imports: contracts and rules, over real HTTP."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import requests

from .sandbox_helpers import T0, T_END, T_MID, VIEWER, Api, assert_error, ts

BEFORE = "2019-12-31T23:59:59.999+0000"
AFTER = "2021-01-01T00:00:00.001+0000"


def png(width: int = 128, height: int = 64) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + b"rest"
    )


@pytest.fixture
def issue(api: Api) -> dict[str, Any]:
    """DEMO-1 with window [T0, T_END]."""
    return api.import_issue()


# --- comments ---
def test_comment_import_matches_the_documented_example(api: Api, issue: dict[str, Any]) -> None:
    comment = api.import_comment(
        "DEMO-1", text="Comment", createdAt=T_MID, createdBy="bob", updatedAt=T_END, updatedBy="carol"
    )
    assert set(comment) == {
        "self",
        "id",
        "longId",
        "text",
        "createdBy",
        "updatedBy",
        "createdAt",
        "updatedAt",
        "version",
        "type",
        "transport",
    }
    assert comment["self"] == f"{api.url}/v2/issues/DEMO-1/comments/{comment['id']}"
    assert isinstance(comment["id"], int)
    assert re.fullmatch(r"[0-9a-f]{24}", comment["longId"])
    assert (comment["text"], comment["createdAt"], comment["updatedAt"]) == ("Comment", T_MID, T_END)
    assert set(comment["createdBy"]) == {"self", "id", "display"}
    assert comment["updatedBy"]["display"] == "Carol Clark"
    assert (comment["version"], comment["type"], comment["transport"]) == (1, "standard", "internal")


def test_imported_comments_are_listed_and_counted(api: Api, issue: dict[str, Any]) -> None:
    api.import_comment("DEMO-1", text="one", createdAt=T0)
    api.import_comment("DEMO-1", text="two", createdAt=T_END)
    listed = api.get("issues/DEMO-1/comments").json()
    assert [c["text"] for c in listed] == ["one", "two"]
    assert listed[0]["updatedAt"] == T0 and listed[0]["updatedBy"] == listed[0]["createdBy"]
    refreshed = api.get("issues/DEMO-1").json()
    assert refreshed["commentWithoutExternalMessageCount"] == 2
    assert (refreshed["updatedAt"], refreshed["version"]) == (T_END, 1)  # child import leaves the issue alone
    assert api.get(f"issues/DEMO-1/comments/{listed[1]['id']}").json()["text"] == "two"


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"text": None}, 400, "text"),
        ({"text": ""}, 400, "text"),
        ({"text": "   "}, 400, "text"),
        ({"text": 5}, 400, "text"),
        ({"createdAt": None}, 400, "createdAt"),
        ({"createdBy": None}, 400, "createdBy"),
        ({"createdBy": "ghost"}, 400, "createdBy"),
        ({"createdAt": "2020-06-01T00:00:00Z"}, 400, "createdAt"),
        ({"updatedAt": T_END}, 400, "updatedBy"),
        ({"updatedBy": "bob"}, 400, "updatedAt"),
        ({"summonees": ["bob"]}, 400, "summonees"),
        ({"createdAt": BEFORE}, 422, "createdAt"),
        ({"createdAt": AFTER}, 422, "createdAt"),
        ({"updatedAt": AFTER, "updatedBy": "bob"}, 422, "updatedAt"),
        ({"createdAt": T_END, "updatedAt": T_MID, "updatedBy": "bob"}, 422, "updatedAt"),
    ],
)
def test_comment_rules(frozen_api: Api, fields: dict[str, Any], status: int, field: str) -> None:
    body = {"text": "c", "createdAt": T_MID, "createdBy": "bob", **fields}
    body = {k: v for k, v in body.items() if v is not None}
    assert_error(frozen_api.post("issues/DEMO-1/comments/_import", json=body), status, field)


def test_comment_text_limit(api: Api, issue: dict[str, Any]) -> None:
    api.import_comment("DEMO-1", text="x" * 512_000)
    response = api.post(
        "issues/DEMO-1/comments/_import", json={"text": "x" * 512_001, "createdAt": T_MID, "createdBy": "bob"}
    )
    assert_error(response, 400, "text", "512000")


def test_comment_import_needs_admin_and_an_existing_issue(frozen_api: Api) -> None:
    body = {"text": "c", "createdAt": T_MID, "createdBy": "bob"}
    assert_error(frozen_api.post("issues/DEMO-1/comments/_import", json=body, token=VIEWER), 403)
    assert_error(frozen_api.post("issues/DEMO-9/comments/_import", json=body), 404)


def test_comment_markup_type_is_accepted(api: Api, issue: dict[str, Any]) -> None:
    assert api.import_comment("DEMO-1", markupType="md")["text"] == "A comment"


def test_child_import_can_touch_the_issue(make_api: Callable[..., Api]) -> None:
    api = make_api(child_import_touches_issue=True)
    api.import_issue()
    api.import_comment("DEMO-1")
    refreshed = api.get("issues/DEMO-1").json()
    assert refreshed["version"] == 2 and refreshed["updatedAt"] > T_END


# --- links ---
@pytest.fixture
def two_issues(api: Api) -> None:
    api.import_issue()
    api.import_issue(summary="Second", createdAt=ts("2020-03-01"), updatedAt=ts("2020-09-01"))


def link(
    api: Api, relationship: str = "depends on", target: Any = "DEMO-2", **fields: Any
) -> requests.Response:
    body = {"relationship": relationship, "issue": target, "createdAt": T_MID, "createdBy": "carol", **fields}
    return api.post("issues/DEMO-1/links/_import", json={k: v for k, v in body.items() if v is not None})


def test_link_import_matches_the_documented_example(api: Api, two_issues: None) -> None:
    response = link(api, "is parent task for", updatedAt=ts("2020-07-01"), updatedBy="bob")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "self",
        "id",
        "type",
        "direction",
        "object",
        "createdBy",
        "updatedBy",
        "createdAt",
        "updatedAt",
        "status",
    }
    assert body["self"] == f"{api.url}/v2/issues/DEMO-1/links/{body['id']}"
    assert isinstance(body["id"], int)
    assert body["type"] == {
        "self": f"{api.url}/v2/linktypes/subtask",
        "id": "subtask",
        "inward": "Sub-issue",
        "outward": "Parent issue",
    }
    assert body["direction"] == "outward"
    assert set(body["object"]) == {"self", "id", "key", "display"}
    assert (body["object"]["key"], body["object"]["display"]) == ("DEMO-2", "Second")
    assert body["status"]["key"] == "open"
    assert (body["createdAt"], body["updatedAt"]) == (T_MID, ts("2020-07-01"))
    assert api.get("issues/DEMO-2").json()["parent"]["key"] == "DEMO-1"


@pytest.mark.parametrize(
    ("relationship", "type_id", "direction"),
    [
        ("relates", "relates", "outward"),
        ("depends on", "depends", "outward"),
        ("is dependent by", "depends", "inward"),
        ("is subtask for", "subtask", "inward"),
        ("is parent task for", "subtask", "outward"),
        ("duplicates", "duplicates", "inward"),
        ("is duplicated by", "duplicates", "outward"),
        ("clone", "clone", "outward"),
        ("original", "clone", "inward"),
    ],
)
def test_link_import_creates_both_directions(
    api: Api, two_issues: None, relationship: str, type_id: str, direction: str
) -> None:
    created = link(api, relationship).json()
    assert (created["type"]["id"], created["direction"]) == (type_id, direction)
    inverse = {"outward": "inward", "inward": "outward"}[direction]
    seen = api.get("issues/DEMO-2/links").json()
    assert [(x["type"]["id"], x["direction"], x["object"]["key"]) for x in seen] == [
        (type_id, inverse, "DEMO-1")
    ]
    assert api.get(f"issues/DEMO-1/links/{created['id']}").json()["object"]["key"] == "DEMO-2"


def test_link_target_by_issue_id(api: Api, two_issues: None) -> None:
    target_id = api.get("issues/DEMO-2").json()["id"]
    assert link(api, "relates", target_id).json()["object"]["key"] == "DEMO-2"


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"relationship": None}, 400, "relationship"),
        ({"relationship": "blocks"}, 400, "relationship"),
        ({"target": None}, 400, "issue"),
        ({"target": "DEMO-99"}, 404, "issue"),
        ({"target": "DEMO-1"}, 400, "issue"),
        ({"createdBy": None}, 400, "createdBy"),
        ({"createdAt": "yesterday"}, 400, "createdAt"),
        ({"updatedAt": T_END}, 400, "updatedBy"),
        ({"createdAt": ts("2020-02-01")}, 422, "createdAt"),  # inside DEMO-1, before DEMO-2 was created
        ({"createdAt": ts("2020-10-01")}, 422, "createdAt"),  # inside DEMO-1, after DEMO-2's last update
        ({"updatedAt": ts("2020-10-01"), "updatedBy": "bob"}, 422, "updatedAt"),
        ({"extra": 1}, 400, "extra"),
    ],
)
def test_link_rules(frozen_api: Api, fields: dict[str, Any], status: int, field: str) -> None:
    relationship = fields.pop("relationship", "relates") if "relationship" in fields else "relates"
    target = fields.pop("target", "DEMO-2") if "target" in fields else "DEMO-2"
    assert_error(link(frozen_api, relationship, target, **fields), status, field)


def test_duplicate_link_is_409_from_either_end(api: Api, two_issues: None) -> None:
    assert link(api, "depends on").status_code == 200
    assert_error(link(api, "depends on"), 409, "issue", "already linked")
    reverse = {"relationship": "is dependent by", "issue": "DEMO-1", "createdAt": T_MID, "createdBy": "bob"}
    assert_error(api.post("issues/DEMO-2/links/_import", json=reverse), 409)
    assert link(api, "relates").status_code == 200  # another link type between the same issues is fine
    assert_error(api.post("issues/DEMO-2/links/_import", json={**reverse, "relationship": "relates"}), 409)


def test_duplicate_links_can_be_allowed(make_api: Callable[..., Api]) -> None:
    api = make_api(duplicate_link="allow")
    api.import_issue()
    api.import_issue()
    assert link(api).status_code == link(api).status_code == 200
    assert len(api.get("issues/DEMO-1/links").json()) == 2


def test_epic_relationships_need_an_epic(api: Api) -> None:
    api.import_issue(type="epic")
    api.import_issue(type="task")
    assert link(api, "is epic of").status_code == 200
    body = {"relationship": "is epic of", "issue": "DEMO-1", "createdAt": T_MID, "createdBy": "bob"}
    assert_error(api.post("issues/DEMO-2/links/_import", json=body), 400, "relationship", "epic")
    assert_error(link(api, "has epic"), 400, "relationship", "epic")


def test_link_import_needs_admin(frozen_api: Api) -> None:
    body = {"relationship": "relates", "issue": "DEMO-2", "createdAt": T_MID, "createdBy": "bob"}
    assert_error(frozen_api.post("issues/DEMO-1/links/_import", json=body, token=VIEWER), 403)


# --- files ---
def upload(
    api: Api,
    path: str,
    content: bytes = b"hello",
    part: str = "file",
    params: dict[str, str] | None = None,
    **kwargs: Any,
) -> requests.Response:
    query = {"filename": "notes.txt", "createdAt": T_MID, "createdBy": "bob"}
    query.update(params or {})
    return api.post(
        path, params={k: v for k, v in query.items() if v}, files={part: ("file", content)}, **kwargs
    )


def test_file_import_matches_the_documented_example(api: Api, issue: dict[str, Any]) -> None:
    response = upload(api, "issues/DEMO-1/attachments/_import", png(), params={"filename": "pic.png"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "self",
        "id",
        "name",
        "content",
        "thumbnail",
        "createdBy",
        "createdAt",
        "mimetype",
        "size",
        "metadata",
    }
    assert body["self"] == f"{api.url}/v2/issues/DEMO-1/attachments/{body['id']}"
    assert isinstance(body["id"], str)
    assert body["content"] == f"{body['self']}/pic.png"
    assert body["thumbnail"] == f"{api.url}/v2/issues/DEMO-1/thumbnails/{body['id']}"
    assert (body["name"], body["mimetype"], body["size"], body["createdAt"]) == (
        "pic.png",
        "image/png",
        len(png()),
        T_MID,
    )
    assert body["metadata"] == {"size": "128x64"}
    assert body["createdBy"]["display"] == "Bob Brown"
    assert requests.get(body["content"], headers=api_headers()).content == png()
    assert_error(api.get(body["thumbnail"]), 404)


def api_headers() -> dict[str, str]:
    return {"Authorization": "OAuth sandbox-admin-token", "X-Org-ID": "1"}


def test_non_image_has_no_thumbnail_and_any_part_name_works(api: Api, issue: dict[str, Any]) -> None:
    body = upload(api, "issues/DEMO-1/attachments/_import", b"plain text", part="file_data").json()
    assert "thumbnail" not in body and "metadata" not in body
    assert (body["name"], body["mimetype"], body["size"]) == ("notes.txt", "text/plain", 10)
    listed = api.get("issues/DEMO-1/attachments").json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert api.get(f"issues/DEMO-1/attachments/{body['id']}").json()["name"] == "notes.txt"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"filename": ""}, 400, "filename"),
        ({"createdAt": ""}, 400, "createdAt"),
        ({"createdBy": ""}, 400, "createdBy"),
        ({"createdBy": "ghost"}, 400, "createdBy"),
        ({"filename": "x" * 256}, 400, "filename"),
        ({"createdAt": "2020-06-01"}, 400, "createdAt"),
        ({"createdAt": BEFORE}, 422, "createdAt"),
        ({"createdAt": AFTER}, 422, "createdAt"),
    ],
)
def test_file_import_rules(frozen_api: Api, params: dict[str, str], status: int, field: str) -> None:
    assert_error(upload(frozen_api, "issues/DEMO-1/attachments/_import", params=params), status, field)


def test_file_name_of_255_characters_is_fine(api: Api, issue: dict[str, Any]) -> None:
    response = upload(api, "issues/DEMO-1/attachments/_import", params={"filename": "x" * 255})
    assert response.status_code == 200


def test_file_import_needs_exactly_one_file(frozen_api: Api) -> None:
    query = {"filename": "a", "createdAt": T_MID, "createdBy": "bob"}
    assert_error(
        frozen_api.post("issues/DEMO-1/attachments/_import", params=query, data={"x": "y"}), 400, "file"
    )
    two = {"a": ("a", b"1"), "b": ("b", b"2")}
    assert_error(frozen_api.post("issues/DEMO-1/attachments/_import", params=query, files=two), 400, "file")


def test_file_size_limit_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_file_size=1000)
    api.import_issue()
    assert upload(api, "issues/DEMO-1/attachments/_import", b"x" * 1000).status_code == 200
    assert_error(upload(api, "issues/DEMO-1/attachments/_import", b"x" * 1001), 413, "file")
    assert_error(upload(api, "issues/DEMO-1/attachments/_import", b"x" * 200_000), 413, "file")


def test_file_import_needs_admin(frozen_api: Api) -> None:
    assert_error(upload(frozen_api, "issues/DEMO-1/attachments/_import", token=VIEWER), 403)


def test_comment_file_import(api: Api, issue: dict[str, Any]) -> None:
    comment = api.import_comment("DEMO-1", createdAt=T_MID)
    path = f"issues/DEMO-1/comments/{comment['id']}/attachments/_import"
    body = upload(api, path, b"data", params={"filename": "log.txt", "createdAt": T_END}).json()
    assert body["name"] == "log.txt"
    listed = api.get("issues/DEMO-1/comments").json()
    assert listed[0]["attachments"] == [{"self": body["self"], "id": body["id"], "display": "log.txt"}]
    assert [a["name"] for a in api.get("issues/DEMO-1/attachments").json()] == ["log.txt"]
    assert_error(upload(api, path, params={"createdAt": AFTER}), 422, "createdAt")
    assert_error(upload(api, "issues/DEMO-1/comments/999/attachments/_import"), 404)


def test_comment_file_window_can_be_the_comment(make_api: Callable[..., Api]) -> None:
    api = make_api(comment_file_window="comment")
    api.import_issue()
    comment = api.import_comment("DEMO-1", createdAt=T_MID)
    path = f"issues/DEMO-1/comments/{comment['id']}/attachments/_import"
    assert_error(upload(api, path, params={"createdAt": T_END}), 422, "createdAt", "comment")
    assert upload(api, path).status_code == 200


# --- worklogs ---
def test_worklog_import_answers_with_an_array(api: Api, issue: dict[str, Any]) -> None:
    body = {
        "duration": "PT1H30M",
        "createdAt": T_MID,
        "createdBy": "bob",
        "start": ts("2020-05-01"),
        "comment": "did it",
    }
    response = api.post("issues/DEMO-1/worklogs/_import", json=body)
    assert response.status_code == 200, response.text
    (worklog,) = response.json()
    assert set(worklog) == {
        "self",
        "id",
        "version",
        "issue",
        "comment",
        "createdBy",
        "updatedBy",
        "createdAt",
        "updatedAt",
        "start",
        "duration",
    }
    assert worklog["self"] == f"{api.url}/v2/issues/DEMO-1/worklog/{worklog['id']}"
    assert (worklog["duration"], worklog["start"], worklog["comment"]) == (
        "PT1H30M",
        ts("2020-05-01"),
        "did it",
    )
    assert worklog["issue"]["key"] == "DEMO-1"
    assert api.get("issues/DEMO-1/worklog").json() == [worklog]


@pytest.mark.parametrize(
    ("duration", "expected"),
    [("PT8H", "P1D"), ("P5D", "P1W"), ("PT90M", "PT1H30M"), (3_600_000, "PT1H"), ("1d 2h", "P1DT2H")],
)
def test_worklog_durations_use_business_days(
    api: Api, issue: dict[str, Any], duration: Any, expected: str
) -> None:
    body = {"duration": duration, "createdAt": T_MID, "createdBy": "bob", "start": T_MID}
    assert api.post("issues/DEMO-1/worklogs/_import", json=body).json()[0]["duration"] == expected


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"duration": None}, 400, "duration"),
        ({"duration": "soon"}, 400, "duration"),
        ({"duration": "PT0S"}, 400, "duration"),
        ({"start": None}, 400, "start"),
        ({"start": "2020-05-01"}, 400, "start"),
        ({"createdBy": "ghost"}, 400, "createdBy"),
        ({"createdAt": AFTER}, 422, "createdAt"),
        ({"worker": "bob"}, 400, "worker"),
    ],
)
def test_worklog_rules(frozen_api: Api, fields: dict[str, Any], status: int, field: str) -> None:
    body = {"duration": "PT1H", "createdAt": T_MID, "createdBy": "bob", "start": T_MID, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    assert_error(frozen_api.post("issues/DEMO-1/worklogs/_import", json=body), status, field)


def test_worklog_import_needs_admin(frozen_api: Api) -> None:
    body = {"duration": "PT1H", "createdAt": T_MID, "createdBy": "bob", "start": T_MID}
    assert_error(frozen_api.post("issues/DEMO-1/worklogs/_import", json=body, token=VIEWER), 403)
