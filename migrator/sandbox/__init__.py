"""A local, faithful, Tracker-API-compatible HTTP server (see docs/sandbox.md).

from migrator.sandbox import SandboxConfig, SandboxServer
with SandboxServer(SandboxConfig()) as server:
    server.url, server.admin_token, server.org_id
"""

from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer"]
