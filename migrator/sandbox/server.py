"""The threaded werkzeug server around :class:`SandboxApp`, embeddable and blocking.

Connections are kept alive (HTTP/1.1, as the real API does; see :mod:`migrator.sandbox.keepalive`).
Dropping a connection: the app raises :class:`~migrator.sandbox.errors.DropConnection` (a
BaseException, so werkzeug's ``except Exception`` does not turn it into a 500); the handler returns
without writing anything, and socketserver closes the socket — the client sees the connection closed
with no HTTP response at all.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, select_address_family

from migrator.sandbox.app import SandboxApp
from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.faults import Mode
from migrator.sandbox.keepalive import ConnectionRegistry, KeepAliveHandler

POLL_INTERVAL = 0.01
BACKLOG = 1024


def _listening_socket(host: str, port: int) -> socket.socket:
    family = select_address_family(host, port)
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


class SandboxServer:
    """A Tracker-compatible server on ``host:port`` (port 0 = a free port).

    ``with SandboxServer(cfg) as server:`` starts it on a background thread; :meth:`serve_forever`
    blocks instead (CLI).
    """

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.app = SandboxApp(self.config)
        try:
            listener = _listening_socket(host, port)
        except OSError:
            self.app.close()
            raise
        try:
            self._server = ThreadedWSGIServer(
                host, port, self.app, handler=KeepAliveHandler, fd=listener.fileno()
            )
        finally:
            listener.close()
        self._server.sandbox_verbose = self.config.verbose  # type: ignore[attr-defined]
        self._connections = ConnectionRegistry()
        self._server.connections = self._connections  # type: ignore[attr-defined]
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- lifecycle ---
    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name=f"sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C) or :meth:`stop` is called from another thread."""
        try:
            self._server.serve_forever(poll_interval=POLL_INTERVAL)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._shutdown_now()
            self._thread.join()
        self._connections.close_all()  # idle kept-alive connections would outlive the server
        self._server.server_close()
        self.app.close()

    def _shutdown_now(self) -> None:
        """``shutdown()`` waits for the serve loop's next poll; a throw-away connection wakes it at once."""
        stopper = threading.Thread(target=self._server.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            # the listener may already be gone; then the poll interval still ends the loop
            with contextlib.suppress(OSError):
                socket.create_connection((self.host, self.port), timeout=0.5).close()
            stopper.join(POLL_INTERVAL / 4)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- facts ---
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def admin_token(self) -> str:
        return self.app.state.credentials.admin_token

    @property
    def org_id(self) -> str:
        return self.app.state.org.id

    def token_for(self, login: str) -> str | None:
        return self.app.state.credentials.token_for(login)

    # --- knobs ---
    def set_faults(self, **settings: Any) -> None:
        """Change fault/load knobs: latency_ms, rate_limit, rate_limit_burst, fault_rate, fault_statuses,
        drop_rate, commit_then_fail_rate, commit_then_drop_rate, kinds, seed."""
        self.app.state.faults.update(**settings)

    def fail_next(self, kind: str, n: int = 1, mode: Mode = "drop", status: int | None = None) -> None:
        """Fail the next ``n`` requests of ``kind`` (or a group: write, read, import, *).

        ``mode``: ``drop``/``fail`` commit the write then drop the connection / answer 500;
        ``drop_before``/``fail_before``/``rate_limit`` refuse before processing (nothing committed).
        """
        self.app.state.faults.fail_next(kind, n, mode, status)

    def reset_faults(self) -> None:
        self.app.state.faults.reset()

    def stats(self) -> dict[str, Any]:
        return self.app.stats()

    def reset_stats(self) -> None:
        self.app.state.stats.reset()


def print_banner(server: SandboxServer, out: Any = sys.stdout) -> None:
    creds = server.app.state.credentials
    lines = [
        f"Tracker sandbox listening on {server.url}",
        f"  org id:      {server.org_id}  (send it as X-Org-ID or X-Cloud-Org-ID)",
        f"  admin token: {server.admin_token}  (Authorization: OAuth <token>)",
    ]
    lines += [
        f"  token for {user.login}: {token}"
        for token, user in creds.tokens.items()
        if token != server.admin_token
    ]
    lines.append(f"  data:        {server.config.data or 'in memory (lost on stop)'}")
    lines.append(
        f"  API:         {server.url}/v2/  and  {server.url}/v3/ ;  control: {server.url}/_sandbox/stats"
    )
    print("\n".join(lines), file=out, flush=True)
