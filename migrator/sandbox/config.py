"""Sandbox settings: where the org comes from, load/fault knobs, and every behaviour the real API
leaves undocumented (each one listed with its default in docs/sandbox.md)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

DEFAULT_ADMIN_TOKEN = "sandbox-admin-token"
DEFAULT_VIEWER_TOKEN = "sandbox-viewer-token"
MIB = 1024 * 1024


@dataclass
class SandboxConfig:
    """Everything a :class:`~migrator.sandbox.SandboxServer` needs.

    ``fixture`` is a path to a YAML/JSON org fixture, an already-parsed mapping, or None for the
    bundled default org. ``data`` is the SQLite file (None = in memory, gone on stop).
    """

    fixture: str | Path | dict[str, Any] | None = None
    data: str | Path | None = None
    admin_token: str | None = None  # guarantees an admin token (added to the org's admin, see docs)
    admin_login: str = "admin"  # who gets ``admin_token`` (created if the org has no such user)
    tokens: dict[str, str] = field(default_factory=dict)  # extra token -> login

    # --- load and fault knobs (changeable at run time through SandboxServer.set_faults) ---
    latency_ms: float = 0.0
    rate_limit: float | None = None  # requests per second (token bucket); None = unlimited
    rate_limit_burst: int | None = None  # bucket size; None = max(1, rate_limit)
    fault_rate: float = 0.0  # 5xx before processing
    fault_statuses: tuple[int, ...] = (500, 503)
    drop_rate: float = 0.0  # close the connection before processing
    commit_then_fail_rate: float = 0.0  # commit the write, then answer 500
    commit_then_drop_rate: float = 0.0  # commit the write, then close without any response
    fault_kinds: frozenset[str] | None = None  # None = every kind; see faults.KIND_GROUPS for aliases
    fault_seed: int | None = None

    # --- limits ---
    max_file_size: int = 1024 * MIB  # 413 above this
    max_summary: int = 255
    max_text: int = 512_000
    max_filename: int = 255
    per_page_default: int = 50
    per_page_max: int = 100
    per_scroll_default: int = 100
    per_scroll_max: int = 1000
    scroll_ttl_ms_default: int = 60_000
    search_window: int = 10_000  # search results reachable page by page; beyond them only a scroll
    search_window_overflow: Literal["error", "truncate"] = "error"  # a page past the window: 400 / empty
    version_cap: int = 11_100  # 423 once an issue's version reaches this

    # --- behaviours the documentation leaves open (see docs/sandbox.md) ---
    import_requires_admin: bool = True
    import_status: int = 200
    create_status: int = 201
    validation_status: int = 400  # invalid/missing/unknown parameter values
    date_window_status: int = 422  # a timestamp outside its allowed window
    not_found_status: int = 404  # queue / issue named in a body does not exist
    reject_unknown_fields: bool = True
    accept_markup_type_on_import: bool = True
    local_fields_in_import: bool = False
    import_default_updated_at: Literal["created", "now"] = "created"
    child_import_touches_issue: bool = False
    child_create_touches_issue: bool = True
    comment_file_window: Literal["issue", "comment"] = "issue"
    duplicate_link: Literal["conflict", "allow"] = "conflict"
    stale_version_status: int = 409
    missing_org_status: int = 401
    wrong_org_status: int = 403
    myself_as_array: bool = False
    retry_after_header: bool = True
    link_seek: bool = True  # also emit Link rel="seek" (lets the official client len() a result)
    # workflow transitions: "workflow" = from any status to every other status of the type's
    # workflow, id = the target status key; "none" = not emulated (404)
    transitions: Literal["workflow", "none"] = "workflow"
    transition_resolution: Literal["optional", "required"] = "optional"  # entering a "done" status

    verbose: bool = False  # log every request line to stderr

    @classmethod
    def setting_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_overrides(self, overrides: dict[str, Any]) -> SandboxConfig:
        """A copy with some settings replaced; unknown names raise ValueError."""
        unknown = sorted(set(overrides) - set(self.setting_names()))
        if unknown:
            raise ValueError(f"unknown sandbox setting(s): {', '.join(unknown)}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(overrides)
        return SandboxConfig(**values)
