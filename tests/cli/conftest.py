from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrator.sandbox import SandboxServer


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[SandboxServer], None]:
    """Point the CLI (TRACKER_* variables) at a served sandbox and work in ``tmp_path``."""

    def point(server: SandboxServer) -> None:
        monkeypatch.setenv("TRACKER_API_URL", server.url)
        monkeypatch.setenv("TRACKER_TOKEN", server.admin_token)
        monkeypatch.setenv("TRACKER_ORG_ID", str(server.org_id))
        monkeypatch.chdir(tmp_path)

    return point
