from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.tracker import TrackerSettings
from migrator.tracker.settings import DEFAULT_API_URL

TOKEN = "y0_settings-secret"


def test_no_token_means_no_settings() -> None:
    assert TrackerSettings.from_env({"TRACKER_ORG_ID": "1"}) is None
    assert TrackerSettings.from_env({}) is None


def test_oauth_token_with_defaults() -> None:
    s = TrackerSettings.from_env({"TRACKER_TOKEN": TOKEN, "TRACKER_ORG_ID": "123"})
    assert s is not None
    assert s.authorization == f"OAuth {TOKEN}"
    assert s.org_headers == {"X-Org-ID": "123"}
    assert s.base_url == DEFAULT_API_URL
    assert s.api_root == "https://api.tracker.yandex.net/v2"


def test_iam_token_uses_bearer_and_cloud_org() -> None:
    s = TrackerSettings.from_env(
        {
            "TRACKER_IAM_TOKEN": TOKEN,
            "TRACKER_CLOUD_ORG_ID": "bpf123",
            "TRACKER_API_URL": "http://localhost:8080/",
            "TRACKER_API_VERSION": "v3",
        }
    )
    assert s is not None
    assert s.authorization == f"Bearer {TOKEN}"
    assert s.org_headers == {"X-Cloud-Org-ID": "bpf123"}
    assert s.api_root == "http://localhost:8080/v3"


def test_token_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n", encoding="utf-8")
    s = TrackerSettings.from_env({"TRACKER_TOKEN_FILE": str(path), "TRACKER_ORG_ID": "1"})
    assert s is not None and s.token == TOKEN and s.token_type == "oauth"
    iam = TrackerSettings.from_env(
        {"TRACKER_TOKEN_FILE": str(path), "TRACKER_TOKEN_TYPE": "iam", "TRACKER_CLOUD_ORG_ID": "c1"}
    )
    assert iam is not None and iam.authorization.startswith("Bearer ")


def test_timeouts_from_env() -> None:
    s = TrackerSettings.from_env(
        {
            "TRACKER_TOKEN": TOKEN,
            "TRACKER_ORG_ID": "1",
            "TRACKER_CONNECT_TIMEOUT": "3",
            "TRACKER_READ_TIMEOUT": "90.5",
        }
    )
    assert s is not None and (s.connect_timeout, s.read_timeout) == (3.0, 90.5)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TRACKER_TOKEN": TOKEN}, "exactly one of TRACKER_ORG_ID"),
        ({"TRACKER_TOKEN": TOKEN, "TRACKER_ORG_ID": "1", "TRACKER_CLOUD_ORG_ID": "2"}, "exactly one of"),
        ({"TRACKER_TOKEN": TOKEN, "TRACKER_IAM_TOKEN": TOKEN, "TRACKER_ORG_ID": "1"}, "set only one of"),
        ({"TRACKER_IAM_TOKEN": TOKEN, "TRACKER_ORG_ID": "1"}, "only with TRACKER_CLOUD_ORG_ID"),
        ({"TRACKER_TOKEN": TOKEN, "TRACKER_ORG_ID": "1", "TRACKER_API_VERSION": "v9"}, "TRACKER_API_VERSION"),
        ({"TRACKER_TOKEN": TOKEN, "TRACKER_ORG_ID": "1", "TRACKER_API_URL": "ftp://x"}, "TRACKER_API_URL"),
        ({"TRACKER_TOKEN": TOKEN, "TRACKER_ORG_ID": "1", "TRACKER_API_URL": "https://u:p@x"}, "credentials"),
        (
            {"TRACKER_TOKEN": TOKEN, "TRACKER_ORG_ID": "1", "TRACKER_READ_TIMEOUT": "soon"},
            "TRACKER_READ_TIMEOUT",
        ),
        ({"TRACKER_TOKEN_FILE": "/nonexistent/token", "TRACKER_ORG_ID": "1"}, "cannot be read"),
    ],
)
def test_bad_configuration_is_reported_without_the_token(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        TrackerSettings.from_env(env)
    assert expected in str(info.value)
    assert TOKEN not in str(info.value)


def test_empty_token_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        TrackerSettings.from_env({"TRACKER_TOKEN_FILE": str(path), "TRACKER_ORG_ID": "1"})


def test_repr_hides_token() -> None:
    s = TrackerSettings(token=TOKEN, org_id="1")
    assert TOKEN not in repr(s) and TOKEN not in str(s) and "***" in repr(s)
    assert TOKEN not in repr(s.with_changes(pool_size=32))
    assert s.with_changes(pool_size=32).pool_size == 32
