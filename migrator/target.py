"""Which Tracker a command talks to: the one named by ``TRACKER_*`` variables, or the embedded sandbox.

With no credentials in the environment every command targets the embedded sandbox (persisted under
``.migrator/`` so a later ``verify``, ``status`` or ``sandbox serve`` sees the same data) and says
so in a banner: rehearsal is the default, a real org needs an explicit token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migrator.tracker.ceilings import CeilingMemory, RateSetting, limiter_for, remember_learned
from migrator.tracker.client import TrackerClient
from migrator.tracker.ratelimit import RateLimiter
from migrator.tracker.settings import TrackerSettings

DEFAULT_WORKDIR = Path(".migrator")
DEFAULT_SANDBOX_DATA = DEFAULT_WORKDIR / "sandbox.sqlite"
DEFAULT_CEILINGS = DEFAULT_WORKDIR / "rate-ceilings.json"


@dataclass
class Target:
    client: TrackerClient
    label: str  # what to print: the API URL, or "embedded sandbox (...)"
    identity: str  # stable identity stored in the state file: URL + org
    is_sandbox: bool


@contextmanager
def open_target(
    env: Mapping[str, str],
    *,
    max_rps: RateSetting | None,
    sandbox_data: Path = DEFAULT_SANDBOX_DATA,
    sandbox_fixture: Path | None = None,
    announce: Callable[[str], None] = print,
    ceilings: CeilingMemory | None = CeilingMemory(DEFAULT_CEILINGS),  # noqa: B008 - immutable
    workers: int = 1,
) -> Iterator[Target]:
    """``max_rps``: ``"auto"`` (learn the org's limit), a number (cap), or None (no limiter: a few reads).
    ``workers``: threads sharing the client; its connection pool keeps at least one connection each."""
    settings = TrackerSettings.from_env(env)
    if settings is not None:
        settings = settings.with_changes(pool_size=max(settings.pool_size, workers))
        org = settings.org_id or settings.cloud_org_id or "-"
        identity = f"{settings.base_url.rstrip('/')}#org={org}"
        limiter = limiter_for(max_rps, identity, ceilings) if max_rps is not None else None
        client = TrackerClient(settings, rate_limiter=limiter)
        try:
            yield Target(client, settings.base_url, identity, is_sandbox=False)
        finally:
            client.close()
            _remember(limiter, identity, ceilings)
        return
    from migrator.sandbox import SandboxConfig, SandboxServer  # werkzeug: only for the embedded sandbox

    sandbox_data.parent.mkdir(parents=True, exist_ok=True)
    fixture = str(sandbox_fixture) if sandbox_fixture else None
    with SandboxServer(
        SandboxConfig(data=str(sandbox_data), fixture=fixture), host="127.0.0.1", port=0
    ) as server:
        announce(
            "No TRACKER_TOKEN / TRACKER_IAM_TOKEN in the environment: using the EMBEDDED SANDBOX "
            f"(data in {sandbox_data}; browse it with `migrator sandbox serve --data {sandbox_data}`)."
        )
        settings = TrackerSettings(base_url=server.url, token=server.admin_token, org_id=server.org_id)
        settings = settings.with_changes(pool_size=max(settings.pool_size, workers))
        identity = f"sandbox:{sandbox_data.resolve()}"
        limiter = limiter_for(max_rps, identity, ceilings) if max_rps is not None else None
        client = TrackerClient(settings, rate_limiter=limiter)
        try:
            yield Target(client, f"embedded sandbox ({sandbox_data})", identity, is_sandbox=True)
        finally:
            client.close()
            _remember(limiter, identity, ceilings)


def _remember(limiter: RateLimiter | None, identity: str, ceilings: CeilingMemory | None) -> None:
    if limiter is not None:
        remember_learned(limiter, identity, ceilings)
