"""State survives a restart with the same data file; fixtures (YAML/JSON, snapshots without tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import ConfigError
from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.sandbox.fixture import default_fixture_text, load_org, org_to_dict

from .sandbox_helpers import T_MID, Api, custom_org, issue_body


def test_restart_with_the_same_data_file_keeps_everything(tmp_path: Path) -> None:
    data = tmp_path / "keep.sqlite"
    with SandboxServer(SandboxConfig(data=data)) as server:
        api = Api(server)
        api.import_issue(unique="u-1")
        api.import_issue()
        api.import_comment("DEMO-1")
        api.post(
            "issues/DEMO-1/attachments/_import",
            params={"filename": "f.bin", "createdAt": T_MID, "createdBy": "bob"},
            files={"file": ("f", b"\x00\x01")},
        )
        api.post(
            "issues/DEMO-1/links/_import",
            json={"relationship": "relates", "issue": "DEMO-2", "createdAt": T_MID, "createdBy": "bob"},
        )
        api.post(
            "queues",
            json={
                "key": "KEPT",
                "name": "Kept",
                "lead": "alice",
                "defaultType": "task",
                "defaultPriority": "normal",
            },
        )
        api.delete("queues/STAGE")
        before = api.get("issues/DEMO-1").text.replace(server.url, "<url>")
    with SandboxServer(SandboxConfig(data=data)) as server:
        api = Api(server)
        assert api.get("issues/DEMO-1").text.replace(server.url, "<url>") == before
        assert [c["text"] for c in api.get("issues/DEMO-1/comments").json()] == ["A comment"]
        (attachment,) = api.get("issues/DEMO-1/attachments").json()
        assert api.get(attachment["content"]).content == b"\x00\x01"
        assert api.get("issues/DEMO-2/links").json()[0]["direction"] == "inward"
        assert [q["key"] for q in api.get("queues").json()] == ["DEMO", "KEPT"]
        assert api.post("issues/_findByUnique", params={"unique": "u-1"}).json()["key"] == "DEMO-1"
        assert api.import_issue()["key"] == "DEMO-3"
        assert api.post("issues/_import", json=issue_body(unique="u-1")).status_code == 409


def test_in_memory_sandbox_starts_empty_each_time() -> None:
    for _ in range(2):
        with SandboxServer(SandboxConfig()) as server:
            api = Api(server)
            assert api.import_issue()["key"] == "DEMO-1"


def test_a_data_file_seeded_from_another_fixture_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "seeded.sqlite"
    with SandboxServer(SandboxConfig(data=data)):
        pass
    with pytest.raises(ConfigError, match="different fixture"):
        SandboxServer(SandboxConfig(data=data, fixture=custom_org()))
    with SandboxServer(SandboxConfig(data=data, fixture=None)) as server:  # no fixture: keep the stored org
        assert server.org_id == "1"


def test_json_fixture_and_cloud_org_id(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text(json.dumps(custom_org()), encoding="utf-8")
    with SandboxServer(SandboxConfig(fixture=path)) as server:
        api = Api(server, token="boss-token", org="cloud-77")
        assert api.get("myself").json()["login"] == "boss"
        assert api.get("queues/Q").json()["key"] == "Q"
        assert api.get("myself", org="77").status_code == 200
        assert server.admin_token == "boss-token"


def snapshot() -> dict[str, Any]:
    """What ``migrator snapshot`` writes: the fixture format without tokens or admin flags."""
    data = org_to_dict(load_org(None))
    for user in data["users"]:
        user.pop("token")
        user.pop("admin")
    data.pop("tokens")
    return data


def test_snapshot_seeded_sandbox_still_has_an_admin(tmp_path: Path) -> None:
    with SandboxServer(SandboxConfig(fixture=snapshot())) as server:
        assert server.admin_token == "sandbox-admin-token"
        api = Api(server)
        assert api.get("myself").json()["login"] == "admin"
        assert api.import_issue()["key"] == "DEMO-1"
        assert api.get("myself", token="sandbox-viewer-token").status_code == 401  # snapshots carry no tokens


def test_admin_token_option_can_add_an_admin_user(tmp_path: Path) -> None:
    data = tmp_path / "snap.sqlite"
    config = SandboxConfig(
        fixture=snapshot(), data=data, admin_token="my-secret", admin_login="migration-bot"
    )
    with SandboxServer(config) as server:
        api = Api(server, token="my-secret")
        assert api.get("myself").json()["login"] == "migration-bot"
        api.import_issue(createdBy="migration-bot")
    with SandboxServer(SandboxConfig(data=data)) as server:
        issue = Api(server).get("issues/DEMO-1").json()
        assert issue["createdBy"]["display"] == "Sandbox Admin"  # the added user survives the restart


def test_fixture_tokens_section(tmp_path: Path) -> None:
    org = custom_org()
    org["tokens"] = {"ann-token": "ann"}
    with SandboxServer(SandboxConfig(fixture=org, tokens={"extra": "boss"})) as server:
        assert Api(server, token="ann-token", org="77").get("myself").json()["login"] == "ann"
        assert Api(server, token="extra", org="77").get("myself").json()["login"] == "boss"
        assert server.token_for("ann") == "ann-token"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda o: o["queues"][0].update(default_type="story"), "default_type"),
        (lambda o: o["queues"][0]["workflows"][0].update(statuses=["open", "gone"]), "unknown status 'gone'"),
        (lambda o: o["queues"][0]["workflows"][0].update(initial="doing"), "initial status"),
        (lambda o: o["queues"][0].update(lead="nobody"), "lead"),
        (lambda o: o["users"].append({"login": "ann"}), "appears twice"),
        (lambda o: o.update(tokens={"t": "nobody"}), "unknown user"),
        (lambda o: o["queues"][0].update(resolutions={"bug": ["nope"]}), "unknown resolution"),
    ],
)
def test_fixture_problems_are_reported(change: Any, problem: str) -> None:
    org = custom_org()
    change(org)
    with pytest.raises(ConfigError, match=problem):
        SandboxServer(SandboxConfig(fixture=org))


def test_unreadable_fixture_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        SandboxServer(SandboxConfig(fixture=tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("org: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid"):
        SandboxServer(SandboxConfig(fixture=broken))


def test_default_fixture_describes_a_new_org() -> None:
    org = load_org(None)
    assert org.id == "1"
    assert [u.login for u in org.users] == ["admin", "viewer", "alice", "bob", "carol", "dave"]
    assert [q.key for q in org.queues] == ["DEMO", "STAGE"]
    assert "sandbox-admin-token" in default_fixture_text()
    demo = org.queues[0]
    assert demo.workflows[0].statuses == ("open", "inProgress", "needInfo", "resolved", "closed")
    assert len(demo.local_fields) == 1 and {"storyPoints", "tags"} <= {f.id for f in org.fields}


def test_malformed_fixture_is_a_config_error() -> None:
    org = custom_org()
    org["statuses"][0]["id"] = "not-a-number"
    with pytest.raises(ConfigError, match="malformed fixture"):
        SandboxServer(SandboxConfig(fixture=org))
