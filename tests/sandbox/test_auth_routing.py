"""Authentication, organization headers, API versions, routing and the error body shape."""

from __future__ import annotations

import pytest
import requests

from .sandbox_helpers import ADMIN, VIEWER, Api, assert_error


def test_myself_with_oauth_token_on_v2_and_v3(frozen_api: Api) -> None:
    for version in ("v2", "v3"):
        response = frozen_api.get("myself", version=version)
        assert response.status_code == 200
        body = response.json()
        assert body["login"] == "admin"
        assert body["self"] == f"{frozen_api.url}/{version}/users/{body['uid']}"


def test_bearer_token_is_accepted(frozen_api: Api) -> None:
    response = requests.get(
        f"{frozen_api.url}/v2/myself", headers={"Authorization": f"Bearer {VIEWER}", "X-Org-ID": "1"}
    )
    assert response.status_code == 200
    assert response.json()["login"] == "viewer"


@pytest.mark.parametrize("authorization", [None, "", "OAuth", "Basic abc", "OAuth wrong-token"])
def test_missing_or_unknown_token_is_401(frozen_api: Api, authorization: str | None) -> None:
    headers = {"X-Org-ID": "1"}
    if authorization is not None:
        headers["Authorization"] = authorization
    assert_error(requests.get(f"{frozen_api.url}/v2/myself", headers=headers), 401)


def test_missing_org_header_is_401(frozen_api: Api) -> None:
    assert_error(frozen_api.get("myself", org=None), 401, text="X-Org-ID")


def test_wrong_org_is_403(frozen_api: Api) -> None:
    assert_error(frozen_api.get("myself", org="2"), 403, text="'2'")


@pytest.mark.parametrize("header", ["X-Org-ID", "X-Org-Id", "x-org-id", "X-Cloud-Org-ID", "x-cloud-org-id"])
def test_org_header_names_are_case_insensitive(frozen_api: Api, header: str) -> None:
    response = requests.get(
        f"{frozen_api.url}/v2/myself", headers={"Authorization": f"OAuth {ADMIN}", header: "1"}
    )
    assert response.status_code == 200


def test_official_client_placeholder_org_next_to_cloud_org(frozen_api: Api) -> None:
    headers = {"Authorization": f"OAuth {ADMIN}", "X-Org-Id": "not provided", "X-Cloud-Org-Id": "1"}
    assert requests.get(f"{frozen_api.url}/v2/myself", headers=headers).status_code == 200


def test_placeholder_org_alone_is_missing(frozen_api: Api) -> None:
    headers = {"Authorization": f"OAuth {ADMIN}", "X-Org-Id": "not provided"}
    assert_error(requests.get(f"{frozen_api.url}/v2/myself", headers=headers), 401)


def test_unknown_path_is_404_with_error_body(frozen_api: Api) -> None:
    assert_error(frozen_api.get("nothing/here"), 404)
    assert_error(requests.get(f"{frozen_api.url}/v1/myself"), 404)


def test_wrong_method_is_405(frozen_api: Api) -> None:
    assert_error(frozen_api.delete("myself"), 405)


def test_trailing_slash_and_py_client_params_are_tolerated(frozen_api: Api) -> None:
    response = frozen_api.get("users/", params={"_pyClientLocalMapRead": "x", "_pyClientLocalMapUpdate": "y"})
    assert response.status_code == 200
    assert {u["login"] for u in response.json()} >= {"admin", "alice"}


def test_invalid_json_body_is_400(frozen_api: Api) -> None:
    response = frozen_api.post(
        "issues/_import", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, text="JSON")


@pytest.mark.parametrize("body", [[1, 2], "text", 5])
def test_non_object_body_is_400(frozen_api: Api, body: object) -> None:
    assert_error(frozen_api.post("issues/_import", json=body), 400, text="JSON object")


def test_error_body_names_the_field(frozen_api: Api) -> None:
    body = frozen_api.post("issues/_import", json={"queue": "DEMO"}).json()
    assert body == {
        "errors": {"summary": "is required"},
        "errorMessages": ["Field 'summary': is required"],
        "statusCode": 400,
    }
