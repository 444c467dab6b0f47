"""Fixtures of the preset tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.sandbox import SandboxServer

from .landing import Session


@pytest.fixture
def session(
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Session:
    """A fresh sandbox and working folder for landing a sample (tests/presets/landing.py)."""
    return Session(sandbox, monkeypatch, capsys, tmp_path)
