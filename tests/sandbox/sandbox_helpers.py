"""Helpers for the sandbox tests: a thin HTTP client with the sandbox's headers and small builders
for valid import bodies. (A module with a unique name, so tests can import it directly.)"""

from __future__ import annotations

from typing import Any

import requests

from migrator.sandbox import SandboxServer

ADMIN = "sandbox-admin-token"
VIEWER = "sandbox-viewer-token"
T0 = "2020-01-01T00:00:00.000+0000"  # the standard issue's createdAt
T_MID = "2020-06-01T00:00:00.000+0000"  # inside the standard issue's window
T_END = "2021-01-01T00:00:00.000+0000"  # the standard issue's updatedAt


def ts(day: str, time: str = "00:00:00.000") -> str:
    """``ts("2020-03-04")`` -> ``2020-03-04T00:00:00.000+0000``."""
    return f"{day}T{time}+0000"


class Api:
    """requests against ``<url>/v2`` with the admin token and org header unless told otherwise."""

    def __init__(self, server: SandboxServer, token: str = ADMIN, org: str = "1") -> None:
        self.server = server
        self.url = server.url
        self.token = token
        self.org = org
        self.session = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        *,
        token: Any = ...,
        org: Any = ...,
        headers: dict[str, str] | None = None,
        version: str = "v2",
        **kwargs: Any,
    ) -> requests.Response:
        """``token=None`` / ``org=None`` leave that header out; ``...`` uses the Api's own."""
        token = self.token if token is ... else token
        org = self.org if org is ... else org
        sent: dict[str, str] = {}
        if token is not None:
            sent["Authorization"] = f"OAuth {token}"
        if org is not None:
            sent["X-Org-ID"] = org
        sent.update(headers or {})
        url = path if path.startswith("http") else f"{self.url}/{version}/{path.lstrip('/')}"
        return self.session.request(method, url, headers=sent, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # --- building blocks ---
    def import_issue(self, expect: Any = 200, **fields: Any) -> dict[str, Any]:
        response = self.post("issues/_import", json=issue_body(**fields))
        assert response.status_code == expect, response.text
        return dict(response.json())

    def import_comment(self, key: str, expect: int = 200, **fields: Any) -> dict[str, Any]:
        body = {"text": "A comment", "createdAt": T_MID, "createdBy": "bob", **fields}
        response = self.post(f"issues/{key}/comments/_import", json=body)
        assert response.status_code == expect, response.text
        return dict(response.json())


def issue_body(**fields: Any) -> dict[str, Any]:
    """A valid issue import body for queue DEMO, window [T0, T_END]; ``field=None`` removes a field."""
    body: dict[str, Any] = {
        "queue": "DEMO",
        "summary": "Imported issue",
        "createdAt": T0,
        "createdBy": "alice",
        "updatedAt": T_END,
        "updatedBy": "bob",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def assert_error(
    response: requests.Response, status: int, field: str | None = None, text: str | None = None
) -> None:
    """The Tracker error shape, the status, and (optionally) the offending field and a message fragment."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors", "errorMessages", "statusCode"}
    assert body["statusCode"] == status
    assert isinstance(body["errorMessages"], list) and body["errorMessages"]
    if field is not None:
        assert field in body["errors"], body
        assert field in body["errorMessages"][0]
    if text is not None:
        assert text in " ".join(body["errorMessages"]) + " ".join(body["errors"].values()), body


def custom_org() -> dict[str, Any]:
    """A small org with two workflows and a resolution allow-list, for workflow/type rules."""
    return {
        "org": {"id": "77", "cloud_org_id": "cloud-77"},
        "users": [{"login": "boss", "admin": True, "token": "boss-token"}, {"login": "ann"}],
        "statuses": [{"key": "open"}, {"key": "doing"}, {"key": "done"}, {"key": "archived"}],
        "issue_types": [{"key": "bug"}, {"key": "task"}, {"key": "epic"}, {"key": "unused"}],
        "priorities": [{"key": "low"}, {"key": "high"}],
        "resolutions": [{"key": "fixed"}, {"key": "wontFix"}],
        "link_types": [{"id": "relates", "inward": "Relates", "outward": "Relates"}],
        "fields": [],
        "queues": [
            {
                "key": "Q",
                "name": "Queue",
                "lead": "boss",
                "default_type": "task",
                "default_priority": "low",
                "workflows": [
                    {"id": "simple", "initial": "open", "statuses": ["open", "done"], "types": ["task"]},
                    {
                        "id": "full",
                        "initial": "open",
                        "statuses": ["open", "doing", "done"],
                        "types": ["bug", "epic"],
                    },
                ],
                "resolutions": {"bug": ["fixed"]},
            }
        ],
    }
