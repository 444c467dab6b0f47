"""Fixtures for the Tracker client tests (the running ``sandbox`` fixture lives in tests/conftest.py)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from migrator.sandbox import SandboxServer
from migrator.tracker import RetryPolicy, TrackerClient, TrackerSettings
from migrator.tracker.client import build_session

from .tracker_fakes import FakeClock, ScriptedAdapter, Step

SENTINEL_TOKEN = "y0_SENTINEL-token-5e1d9c"  # must never appear in any repr, message, log line or cassette


@pytest.fixture
def settings() -> TrackerSettings:
    return TrackerSettings(
        token=SENTINEL_TOKEN,
        org_id="42",
        base_url="https://tracker.test",
        retry=RetryPolicy(max_attempts=4, backoff_base=0.5, backoff_max=8.0, jitter=0.25),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ScriptedClient = Callable[..., tuple[TrackerClient, ScriptedAdapter]]


@pytest.fixture
def scripted(settings: TrackerSettings, clock: FakeClock) -> ScriptedClient:
    """``client, adapter = scripted(step, step, ...)`` — a real client whose transport plays the steps."""

    def make(
        *steps: Step, client_settings: TrackerSettings | None = None, **kwargs: object
    ) -> tuple[TrackerClient, ScriptedAdapter]:
        chosen = client_settings or settings
        adapter = ScriptedAdapter(list(steps))
        session = build_session(chosen)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        client = TrackerClient(chosen, session=session, sleep=clock.sleep, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]
        return client, adapter

    return make


# ---------------------------------------------------------------------- against the sandbox over HTTP

FAST_RETRY = RetryPolicy(max_attempts=8, backoff_base=0.01, backoff_max=0.05, jitter=0.25)


def sandbox_client(server: SandboxServer, *, token: str | None = None, **changes: Any) -> TrackerClient:
    """A client for ``server`` with fast retries (settings fields may be overridden)."""
    base = TrackerSettings(
        token=token or server.admin_token,
        org_id=str(server.org_id),
        base_url=server.url,
        retry=FAST_RETRY,
        connect_timeout=2.0,
        read_timeout=10.0,
    )
    limiter = changes.pop("rate_limiter", None)
    return TrackerClient(base.with_changes(**changes), rate_limiter=limiter)


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[TrackerClient]:
    """A client for the shared ``sandbox`` fixture (tests/conftest.py: default org, queues DEMO and STAGE)."""
    with sandbox_client(sandbox) as client:
        yield client
