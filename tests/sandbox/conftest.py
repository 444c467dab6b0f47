"""Fixtures for the sandbox tests (helpers live in sandbox_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import SandboxConfig, SandboxServer

from .sandbox_helpers import Api, ts


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox)


MakeSandbox = Callable[..., SandboxServer]


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[MakeSandbox]:
    """``make_sandbox(**settings)`` -> a started sandbox (stopped after the test); ``data`` defaults to a temp file."""
    with ExitStack() as stack:
        counter = iter(range(1000))

        def make(**settings: Any) -> SandboxServer:
            settings.setdefault("data", tmp_path / f"sandbox{next(counter)}.sqlite")
            return stack.enter_context(SandboxServer(SandboxConfig(**settings)))

        yield make


@pytest.fixture
def make_api(make_sandbox: MakeSandbox) -> Callable[..., Api]:
    """``make_api(**settings)`` -> an :class:`Api` on a sandbox with those settings."""
    return lambda **settings: Api(make_sandbox(**settings))


@pytest.fixture(scope="module")
def frozen_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One sandbox per module, for tests whose requests must all be *rejected* (so its state never
    changes): DEMO-1 (window 2020-01-01 .. 2021-01-01) and DEMO-2 (2020-03-01 .. 2020-09-01)."""
    data = tmp_path_factory.mktemp("frozen") / "sandbox.sqlite"
    with SandboxServer(SandboxConfig(data=data)) as server:
        api = Api(server)
        api.import_issue()
        api.import_issue(summary="Second", createdAt=ts("2020-03-01"), updatedAt=ts("2020-09-01"))
        yield api
        assert server.stats()["objects"]["issues"] == 2, "a test using frozen_api changed its state"
