"""The server is threaded: concurrent writes stay consistent (keys, unique, links)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from migrator.sandbox import SandboxServer

from .sandbox_helpers import T_MID, Api, issue_body


def test_parallel_imports_get_distinct_keys(sandbox: SandboxServer) -> None:
    api = Api(sandbox)

    def one(n: int) -> str:
        response = Api(sandbox).post("issues/_import", json=issue_body(summary=f"p{n}", unique=f"p-{n}"))
        assert response.status_code == 200, response.text
        return str(response.json()["key"])

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(one, range(120)))
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"DEMO-{n}" for n in range(1, 121)]
    assert api.post("issues/_count", json={"filter": {"queue": "DEMO"}}).json() == 120


def test_racing_the_same_unique_creates_one_issue(sandbox: SandboxServer) -> None:
    def one(_: int) -> int:
        return Api(sandbox).post("issues/_import", json=issue_body(unique="same")).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(24)))
    assert sorted(statuses) == [200] + [409] * 23


def test_racing_the_same_link_creates_one_link(sandbox: SandboxServer) -> None:
    api = Api(sandbox)
    api.import_issue()
    api.import_issue()
    body = {"relationship": "relates", "issue": "DEMO-2", "createdAt": T_MID, "createdBy": "bob"}

    def one(_: int) -> int:
        return Api(sandbox).post("issues/DEMO-1/links/_import", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(16)))
    assert sorted(statuses) == [200] + [409] * 15
    assert len(api.get("issues/DEMO-2/links").json()) == 1
