"""Connection settings for the Tracker client, read from the environment.

Tokens come only from the environment (or a file named there), never from the command line or
a config file, and never show up in ``repr``/``str`` of the settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from migrator.errors import ConfigError

DEFAULT_API_URL = "https://api.tracker.yandex.net"
DEFAULT_API_VERSION = "v2"
API_VERSIONS = ("v2", "v3")
ENV_SOURCE = "environment"  # the "file" named in ConfigError for problems in env variables

TokenType = Literal["oauth", "iam"]


@dataclass(frozen=True)
class RetryPolicy:
    """How *safe reads* are retried (writes are never re-sent).

    ``max_attempts`` counts the first try. The wait before retry *n* (1-based) is the server's
    ``Retry-After`` when given, else ``backoff_base * 2**(n-1)``; either is capped at ``backoff_max``
    and jittered by up to ``jitter`` (a fraction) so that workers do not retry in lock-step.
    """

    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff_base/backoff_max must be ≥ 0 and jitter within [0, 1]")


@dataclass(frozen=True)
class TrackerSettings:
    """Everything the client needs to talk to one Tracker organization."""

    token: str = field(repr=False)
    org_id: str | None = None
    cloud_org_id: str | None = None
    token_type: TokenType = "oauth"
    base_url: str = DEFAULT_API_URL
    api_version: str = DEFAULT_API_VERSION
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    pool_size: int = 16  # ≥ the number of worker threads sharing one client
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "migrator"

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError(ENV_SOURCE, problems)
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def problems(self) -> list[str]:
        """Every inconsistency in these settings (never mentions the token's value)."""
        problems: list[str] = []
        if not self.token or any(ch.isspace() for ch in self.token):
            problems.append("the Tracker token is empty or contains whitespace")
        if self.token_type not in ("oauth", "iam"):
            problems.append(f"token_type must be 'oauth' or 'iam', got {self.token_type!r}")
        if bool(self.org_id) == bool(self.cloud_org_id):
            problems.append(
                "set exactly one of TRACKER_ORG_ID (Yandex 360) or TRACKER_CLOUD_ORG_ID (Cloud Organization)"
            )
        if self.token_type == "iam" and not self.cloud_org_id:
            problems.append("an IAM token (TRACKER_IAM_TOKEN) works only with TRACKER_CLOUD_ORG_ID")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"TRACKER_API_URL must be an http(s) URL, got {self.base_url!r}")
        if parts.username or parts.password:
            problems.append("TRACKER_API_URL must not contain credentials")
        if self.api_version not in API_VERSIONS:
            problems.append(
                f"TRACKER_API_VERSION must be one of {', '.join(API_VERSIONS)}, got {self.api_version!r}"
            )
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            problems.append("timeouts must be positive")
        if self.pool_size < 1:
            problems.append("pool_size must be at least 1")
        return problems

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value. Only the client's session ever reads it."""
        scheme = "Bearer" if self.token_type == "iam" else "OAuth"
        return f"{scheme} {self.token}"

    @property
    def org_headers(self) -> dict[str, str]:
        if self.cloud_org_id:
            return {"X-Cloud-Org-ID": self.cloud_org_id}
        return {"X-Org-ID": str(self.org_id)}

    @property
    def api_root(self) -> str:
        """``https://host/v2`` — every request path is appended to this."""
        return f"{self.base_url}/{self.api_version}"

    def with_changes(self, **changes: object) -> TrackerSettings:
        """A copy with some fields replaced (e.g. ``pool_size`` for the worker count)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        org = f"cloud_org_id={self.cloud_org_id!r}" if self.cloud_org_id else f"org_id={self.org_id!r}"
        return (
            f"TrackerSettings(base_url={self.base_url!r}, api_version={self.api_version!r}, {org}, "
            f"token_type={self.token_type!r}, token='***')"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TrackerSettings | None:
        """Settings from ``TRACKER_*`` variables; ``None`` when no token is configured at all.

        Raises :class:`~migrator.errors.ConfigError` listing every problem when a token is set but
        the rest is inconsistent.
        """
        token, token_type, problems = _token_from_env(env)
        if token is None and not problems:
            return None
        org_id = _clean(env.get("TRACKER_ORG_ID"))
        cloud_org_id = _clean(env.get("TRACKER_CLOUD_ORG_ID"))
        kwargs: dict[str, object] = {
            "token": token or "",
            "token_type": token_type,
            "org_id": org_id,
            "cloud_org_id": cloud_org_id,
            "base_url": _clean(env.get("TRACKER_API_URL")) or DEFAULT_API_URL,
            "api_version": _clean(env.get("TRACKER_API_VERSION")) or DEFAULT_API_VERSION,
        }
        for name, env_name in (
            ("connect_timeout", "TRACKER_CONNECT_TIMEOUT"),
            ("read_timeout", "TRACKER_READ_TIMEOUT"),
        ):
            raw = _clean(env.get(env_name))
            if raw is not None:
                try:
                    kwargs[name] = float(raw)
                except ValueError:
                    problems.append(f"{env_name} must be a number of seconds, got {raw!r}")
        if problems:
            raise ConfigError(ENV_SOURCE, problems)
        return cls(**kwargs)  # type: ignore[arg-type]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _token_from_env(env: Mapping[str, str]) -> tuple[str | None, TokenType, list[str]]:
    """(token, token type, problems). Exactly one of the three token sources may be set."""
    oauth = _clean(env.get("TRACKER_TOKEN"))
    iam = _clean(env.get("TRACKER_IAM_TOKEN"))
    token_file = _clean(env.get("TRACKER_TOKEN_FILE"))
    given = [
        name
        for name, value in (
            ("TRACKER_TOKEN", oauth),
            ("TRACKER_IAM_TOKEN", iam),
            ("TRACKER_TOKEN_FILE", token_file),
        )
        if value
    ]
    if len(given) > 1:
        return None, "oauth", [f"set only one of {', '.join(given)}"]
    if iam:
        return iam, "iam", []
    if oauth:
        return oauth, "oauth", []
    if token_file:
        return _read_token_file(token_file, env)
    return None, "oauth", []


def _read_token_file(path: str, env: Mapping[str, str]) -> tuple[str | None, TokenType, list[str]]:
    kind = (_clean(env.get("TRACKER_TOKEN_TYPE")) or "oauth").lower()
    if kind not in ("oauth", "iam"):
        return None, "oauth", [f"TRACKER_TOKEN_TYPE must be 'oauth' or 'iam', got {kind!r}"]
    token_type: TokenType = "iam" if kind == "iam" else "oauth"
    try:
        token = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        return (
            None,
            token_type,
            [f"TRACKER_TOKEN_FILE {path!r} cannot be read: {exc.strerror or type(exc).__name__}"],
        )
    if not token:
        return None, token_type, [f"TRACKER_TOKEN_FILE {path!r} is empty"]
    return token, token_type, []
