"""POST /v2/issues/_import: response contract and every documented rule, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .sandbox_helpers import T0, T_END, T_MID, VIEWER, Api, assert_error, custom_org, issue_body, ts

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
LOCAL_CUSTOMER = "0602f3cabcfa935561935bb6--customer"  # DEMO's local field (stable hex id from the queue key)


def assert_ref(value: dict[str, Any], path: str, keyed: bool = False) -> None:
    """A reference object exactly as in the documented examples."""
    expected = {"self", "id", "display"} | ({"key"} if keyed else set())
    assert set(value) == expected, value
    assert isinstance(value["id"], str)
    assert f"/v2/{path}/" in value["self"]


def test_response_matches_the_documented_example(api: Api) -> None:
    body = issue_body(
        key="DEMO-5",
        summary="Test",
        description="Test",
        type="task",
        priority="normal",
        status="closed",
        resolution="fixed",
        resolvedAt=ts("2020-09-08"),
        resolvedBy="bob",
        deadline="2018-05-28",
        start="2017-09-04",
        end="2017-09-07",
        assignee="carol",
        fixVersions=[1],
        affectedVersions=["1.0"],
        components=[2],
        tags=["a", "b"],
        followers=["alice"],
        access=["bob"],
        unique="issue_5182786599824772824459",
        followingMaillists=["test@test.yaconnect.com"],
        originalEstimation=3_600_000,
        estimation=3_600_000,
        spent=3_600_000,
        storyPoints=1.0,
        votedBy=["bob"],
        favoritedBy=["admin"],
    )
    issue = api.import_issue(**body)
    assert issue["self"] == f"{api.url}/v2/issues/DEMO-5"
    assert re.fullmatch(r"[0-9a-f]{24}", issue["id"])
    assert (issue["key"], issue["version"], issue["summary"], issue["description"]) == (
        "DEMO-5",
        1,
        "Test",
        "Test",
    )
    for name, path in (
        ("type", "issuetypes"),
        ("priority", "priorities"),
        ("resolution", "resolutions"),
        ("status", "statuses"),
        ("queue", "queues"),
    ):
        assert_ref(issue[name], path, keyed=True)
    assert issue["type"]["key"] == "task" and issue["status"]["key"] == "closed"
    assert issue["queue"] == {
        "self": f"{api.url}/v2/queues/DEMO",
        "id": "1",
        "key": "DEMO",
        "display": "Demo",
    }
    for name in ("createdBy", "updatedBy", "resolvedBy", "assignee"):
        assert_ref(issue[name], "users")
    assert issue["createdBy"]["display"] == "Alice Anderson"
    for name in (
        "followers",
        "access",
        "fixVersions",
        "affectedVersions",
        "components",
        "followingMaillists",
    ):
        assert isinstance(issue[name], list) and issue[name]
    assert_ref(issue["fixVersions"][0], "versions")
    assert_ref(issue["components"][0], "components")
    assert issue["components"][0]["display"] == "Frontend"
    assert issue["affectedVersions"][0]["display"] == "1.0"
    assert issue["followingMaillists"][0] == {
        "self": f"{api.url}/v2/maillists/test@test.yaconnect.com",
        "id": "test@test.yaconnect.com",
        "display": "test",
    }
    for name in ("createdAt", "updatedAt", "resolvedAt"):
        assert DATE_RE.match(issue[name]), issue[name]
    assert (issue["createdAt"], issue["updatedAt"], issue["resolvedAt"]) == (T0, T_END, ts("2020-09-08"))
    assert (issue["deadline"], issue["start"], issue["end"]) == ("2018-05-28", "2017-09-04", "2017-09-07")
    assert issue["originalEstimation"] == issue["estimation"] == issue["spent"] == "PT1H"
    assert issue["storyPoints"] == 1.0
    assert issue["unique"] == "issue_5182786599824772824459"
    assert issue["tags"] == ["a", "b"]
    assert (issue["votes"], issue["favorite"]) == (1, True)
    assert issue["commentWithoutExternalMessageCount"] == 0 and issue["commentWithExternalMessageCount"] == 0


def test_minimal_import_gets_defaults(api: Api) -> None:
    issue = api.import_issue(updatedAt=None, updatedBy=None)
    assert issue["key"] == "DEMO-1"
    assert issue["type"]["key"] == "task" and issue["priority"]["key"] == "normal"
    assert issue["status"]["key"] == "open"
    assert issue["updatedAt"] == issue["createdAt"] == T0
    assert issue["updatedBy"]["display"] == "Alice Anderson"


def test_import_is_readable_and_non_utc_offsets_are_normalised(api: Api) -> None:
    api.import_issue(createdAt="2020-01-01T03:00:00.000+0300")
    issue = api.get("issues/DEMO-1").json()
    assert issue["createdAt"] == T0


@pytest.mark.parametrize("field", ["queue", "summary", "createdAt", "createdBy"])
def test_required_fields(frozen_api: Api, field: str) -> None:
    assert_error(
        frozen_api.post("issues/_import", json=issue_body(**{field: None})), 400, field, "is required"
    )


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"updatedBy": None}, "updatedBy"),
        ({"updatedAt": None}, "updatedAt"),
        ({"resolution": "fixed"}, "resolvedAt"),
        ({"resolvedAt": T_MID}, "resolution"),
        ({"resolvedBy": "bob"}, "resolution"),
        ({"resolution": "fixed", "resolvedAt": T_MID}, "resolvedBy"),
        ({"resolution": "fixed", "resolvedBy": "bob"}, "resolvedAt"),
    ],
)
def test_pairing_rules(frozen_api: Api, given: dict[str, Any], missing: str) -> None:
    assert_error(frozen_api.post("issues/_import", json=issue_body(**given)), 400, missing, "together")


@pytest.mark.parametrize("field", ["createdAt", "updatedAt", "resolvedAt"])
@pytest.mark.parametrize(
    "value",
    [
        "2020-01-01T00:00:00+0000",
        "2020-01-01T00:00:00.000Z",
        "2020-01-01T00:00:00.000+00:00",
        "2020-01-01 00:00:00.000+0000",
        "2020-01-01",
        "2020-01-01T00:00:00.00+0000",
        "2020-13-01T00:00:00.000+0000",
        1577836800000,
    ],
)
def test_strict_date_format(frozen_api: Api, field: str, value: Any) -> None:
    extra = {"resolution": "fixed", "resolvedAt": T_MID, "resolvedBy": "bob"}
    body = issue_body(**{**extra, field: value})
    assert_error(frozen_api.post("issues/_import", json=body), 400, field, "YYYY-MM-DDThh:mm:ss.sss±hhmm")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"createdAt": "2999-01-01T00:00:00.000+0000", "updatedAt": None, "updatedBy": None}, "createdAt"),
        ({"updatedAt": "2999-01-01T00:00:00.000+0000"}, "updatedAt"),
        ({"updatedAt": "2019-12-31T23:59:59.999+0000"}, "updatedAt"),
        (
            {"resolution": "fixed", "resolvedAt": "2019-12-31T23:59:59.999+0000", "resolvedBy": "bob"},
            "resolvedAt",
        ),
        (
            {"resolution": "fixed", "resolvedAt": "2021-01-01T00:00:00.001+0000", "resolvedBy": "bob"},
            "resolvedAt",
        ),
        (
            {
                "updatedAt": None,
                "updatedBy": None,
                "resolution": "fixed",
                "resolvedAt": T_MID,
                "resolvedBy": "bob",
            },
            "resolvedAt",
        ),
    ],
)
def test_timestamp_windows_are_422(frozen_api: Api, fields: dict[str, Any], field: str) -> None:
    assert_error(frozen_api.post("issues/_import", json=issue_body(**fields)), 422, field)


def test_window_edges_are_inclusive(api: Api) -> None:
    issue = api.import_issue(updatedAt=T0, resolution="fixed", resolvedAt=T0, resolvedBy="bob")
    assert issue["resolvedAt"] == issue["updatedAt"] == T0


def test_explicit_key_then_auto_numbering_continues_after_it(api: Api) -> None:
    assert api.import_issue(key="DEMO-7")["key"] == "DEMO-7"
    assert api.import_issue()["key"] == "DEMO-8"


@pytest.mark.parametrize("key", ["STAGE-5", "DEMO-0", "DEMO-x", "demo-5", "DEMO5", "DEMO-5-1", 5])
def test_key_must_belong_to_the_queue(frozen_api: Api, key: Any) -> None:
    assert_error(frozen_api.post("issues/_import", json=issue_body(key=key)), 400, "key")


def test_key_must_be_free(api: Api) -> None:
    api.import_issue(key="DEMO-3")
    assert_error(api.post("issues/_import", json=issue_body(key="DEMO-3")), 409, "key", "DEMO-3")


def test_unique_reuse_is_409_for_import_and_create(api: Api) -> None:
    api.import_issue(unique="u-1")
    assert_error(api.post("issues/_import", json=issue_body(unique="u-1")), 409, "unique", "DEMO-1")
    assert_error(api.post("issues", json={"queue": "DEMO", "summary": "x", "unique": "u-1"}), 409, "unique")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "nope"),
        ("type", "nope"),
        ("priority", "nope"),
        ("priority", 99),
        ("type", {"id": "99"}),
        ("fixVersions", [99]),
        ("affectedVersions", ["9.9"]),
        ("components", [99]),
        ("components", [4]),
        ("createdBy", "ghost"),
        ("assignee", "ghost"),
        ("followers", ["alice", "ghost"]),
        ("access", [123]),
        ("votedBy", ["ghost"]),
        ("favoritedBy", [{"login": "ghost"}]),
        ("sprint", [1]),
    ],
)
def test_referenced_values_must_exist(frozen_api: Api, field: str, value: Any) -> None:
    assert_error(frozen_api.post("issues/_import", json=issue_body(**{field: value})), 400, field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("updatedBy", "ghost"),
        ("resolvedBy", "ghost"),
        ("resolution", "nope"),
    ],
)
def test_paired_references_must_exist(frozen_api: Api, field: str, value: Any) -> None:
    body = issue_body(resolution="fixed", resolvedAt=T_MID, resolvedBy="bob")
    body[field] = value
    assert_error(frozen_api.post("issues/_import", json=body), 400, field)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("status", 5, "closed"),
        ("status", "5", "closed"),
        ("status", "closed", "closed"),
        ("status", {"id": "5"}, "closed"),
        ("status", {"key": "closed"}, "closed"),
        ("status", {"name": "Closed"}, "closed"),
        ("type", 1, "bug"),
        ("type", {"key": "epic"}, "epic"),
        ("priority", "blocker", "blocker"),
        ("priority", {"name": "Minor"}, "minor"),
    ],
)
def test_reference_fields_accept_id_key_or_object(api: Api, field: str, value: Any, expected: str) -> None:
    assert api.import_issue(**{field: value})[field]["key"] == expected


@pytest.mark.parametrize(
    "value",
    ["bob", 1100000000000004, "1100000000000004", {"uid": 1100000000000004}, {"login": "bob"}, "login:bob"],
)
def test_users_by_login_or_uid(api: Api, value: Any) -> None:
    assert api.import_issue(createdBy=value)["createdBy"]["id"] == "1100000000000004"


def test_resolution_and_versions_by_id_or_name(api: Api) -> None:
    issue = api.import_issue(
        resolution={"key": "wontFix"},
        resolvedAt=T_MID,
        resolvedBy="bob",
        fixVersions=["2.0", {"id": 1}],
        components=["Backend", "3"],
    )
    assert issue["resolution"]["key"] == "wontFix"
    assert [v["display"] for v in issue["fixVersions"]] == ["2.0", "1.0"]
    assert [c["display"] for c in issue["components"]] == ["Backend", "Docs"]


def test_dismissed_users_can_still_be_authors(api: Api) -> None:
    assert api.import_issue(createdBy="dave")["createdBy"]["display"] == "Dave Davis"


@pytest.mark.parametrize(("field", "limit"), [("summary", 255), ("description", 512_000)])
def test_text_length_limits(api: Api, field: str, limit: int) -> None:
    assert api.import_issue(**{field: "x" * limit})[field] == "x" * limit
    assert_error(
        api.post("issues/_import", json=issue_body(**{field: "x" * (limit + 1)})),
        400,
        field,
        f"limit is {limit}",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("summary", 5),
        ("summary", "   "),
        ("description", ["x"]),
        ("storyPoints", "3"),
        ("tags", "a"),
        ("tags", [1]),
        ("deadline", "2020/01/01"),
        ("deadline", "2020-02-30"),
        ("originalEstimation", -1),
        ("originalEstimation", "soon"),
        ("followers", "alice"),
        ("components", 1),
        ("unique", 5),
    ],
)
def test_value_types(frozen_api: Api, field: str, value: Any) -> None:
    assert_error(frozen_api.post("issues/_import", json=issue_body(**{field: value})), 400, field)


def test_unknown_field_is_rejected_by_name(frozen_api: Api) -> None:
    assert_error(
        frozen_api.post("issues/_import", json=issue_body(nonsense=1)), 400, "nonsense", "unknown field"
    )


def test_global_custom_fields_are_accepted_and_checked(api: Api) -> None:
    issue = api.import_issue(
        businessValue=8, severity="S2", reviewer="carol", environment="prod", dueAt=T_MID
    )
    assert (issue["businessValue"], issue["severity"], issue["environment"]) == (8, "S2", "prod")
    assert issue["reviewer"]["display"] == "Carol Clark"
    assert issue["dueAt"] == T_MID
    assert_error(api.post("issues/_import", json=issue_body(severity="S9")), 400, "severity", "options")
    assert_error(api.post("issues/_import", json=issue_body(businessValue="high")), 400, "businessValue")


def test_local_fields_are_not_importable(frozen_api: Api) -> None:
    response = frozen_api.post("issues/_import", json=issue_body(**{LOCAL_CUSTOMER: "Acme"}))
    assert_error(response, 400, LOCAL_CUSTOMER, "PATCH")


def test_markup_type_is_accepted_on_import(api: Api) -> None:
    assert api.import_issue(markupType="md", description="**bold**")["markupType"] == "md"


def test_non_admin_cannot_import(frozen_api: Api) -> None:
    assert_error(
        frozen_api.post("issues/_import", json=issue_body(), token=VIEWER), 403, text="administrator"
    )


def test_unknown_queue_is_404(frozen_api: Api) -> None:
    assert_error(frozen_api.post("issues/_import", json=issue_body(queue="NOPE")), 404, "queue")


@pytest.mark.parametrize("queue", [1, "1", {"key": "DEMO"}, {"id": 1}])
def test_queue_by_id_key_or_object(api: Api, queue: Any) -> None:
    assert api.import_issue(queue=queue)["queue"]["key"] == "DEMO"


def test_import_into_stage_queue(api: Api) -> None:
    assert api.import_issue(queue="STAGE", components=["Backend"])["key"] == "STAGE-1"


# --- a custom org: workflows per type and a resolution allow-list ---
@pytest.fixture
def q_api(make_api: Callable[..., Api]) -> Api:
    api = make_api(fixture=custom_org())
    api.token, api.org = "boss-token", "77"
    return api


def q_body(**fields: Any) -> dict[str, Any]:
    return issue_body(queue="Q", createdBy="ann", updatedBy="ann", **fields)


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"type": "task", "status": "doing"}, "status", "workflow 'simple'"),
        ({"type": "bug", "status": "archived"}, "status", "workflow 'full'"),
        ({"type": "unused"}, "type", "not used in queue Q"),
        (
            {"type": "bug", "resolution": "wontFix", "resolvedAt": T_MID, "resolvedBy": "ann"},
            "resolution",
            "not allowed",
        ),
    ],
)
def test_workflow_type_and_resolution_rules(
    q_api: Api, fields: dict[str, Any], field: str, text: str
) -> None:
    assert_error(q_api.post("issues/_import", json=q_body(**fields)), 400, field, text)


def test_status_in_the_types_workflow_is_accepted(q_api: Api) -> None:
    response = q_api.post(
        "issues/_import",
        json=q_body(type="bug", status="doing", resolution="fixed", resolvedAt=T_MID, resolvedBy="ann"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"]["key"] == "doing"
    assert q_api.post("issues/_import", json=q_body(type="epic")).json()["status"]["key"] == "open"


# --- configurable choices ---
def test_import_admin_rule_can_be_relaxed(make_api: Callable[..., Api]) -> None:
    api = make_api(import_requires_admin=False)
    assert api.post("issues/_import", json=issue_body(), token=VIEWER).status_code == 200


@pytest.mark.parametrize(
    ("settings", "body", "status"),
    [
        ({"date_window_status": 400}, issue_body(updatedAt="2019-01-01T00:00:00.000+0000"), 400),
        ({"validation_status": 422}, issue_body(summary=None), 422),
        ({"import_status": 201}, issue_body(), 201),
        ({"reject_unknown_fields": False}, issue_body(nonsense=1), 200),
        ({"accept_markup_type_on_import": False}, issue_body(markupType="md"), 400),
        ({"local_fields_in_import": True}, issue_body(**{LOCAL_CUSTOMER: "Acme"}), 200),
    ],
)
def test_configurable_choices(
    make_api: Callable[..., Api], settings: dict[str, Any], body: dict[str, Any], status: int
) -> None:
    response = make_api(**settings).post("issues/_import", json=body)
    assert response.status_code == status, response.text


def test_default_updated_at_can_be_now(make_api: Callable[..., Api]) -> None:
    api = make_api(import_default_updated_at="now")
    issue = api.import_issue(
        updatedAt=None, updatedBy=None, resolution="fixed", resolvedAt=T_MID, resolvedBy="bob"
    )
    assert issue["updatedAt"] > "2024"
