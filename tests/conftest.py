"""Shared pytest fixtures (keep this file small; feature-specific fixtures live next to their tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A fresh in-process Tracker sandbox: default org, temp SQLite file, random port."""
    with SandboxServer(SandboxConfig(data=tmp_path / "sandbox.sqlite")) as server:
        yield server
