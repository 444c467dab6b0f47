"""HTTP/1.1 keep-alive: several requests share one connection, as against the real API."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.sandbox.keepalive import KeepAliveHandler
from migrator.tracker import TrackerClient, TrackerSettings

from .sandbox_helpers import ADMIN

HEADERS = {"Authorization": f"OAuth {ADMIN}", "X-Org-ID": "1"}


def exchange(
    conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None
) -> http.client.HTTPResponse:
    headers = dict(HEADERS, **({"Content-Type": "application/json"} if body is not None else {}))
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response


def test_several_requests_reuse_one_connection(sandbox: SandboxServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    try:
        first = exchange(conn, "GET", "/v2/myself")
        sock = conn.sock
        assert first.status == 200 and first.version == 11
        assert first.getheader("Connection") is None and first.getheader("Content-Length") is not None
        statuses = [
            exchange(conn, "GET", "/v2/queues/DEMO").status,
            exchange(conn, "GET", "/v2/issues/NOPE-1").status,  # an error answer keeps it open too
            exchange(
                conn, "POST", "/v2/issues/_count", json.dumps({"filter": {"queue": "DEMO"}}).encode()
            ).status,
        ]
        assert statuses == [200, 404, 200]
        assert conn.sock is sock  # never reconnected
    finally:
        conn.close()


def test_an_unread_request_body_does_not_spill_into_the_next_request(sandbox: SandboxServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    try:
        refused = exchange(conn, "POST", "/v2/no/such/endpoint", b'{"padding": "' + b"x" * 100_000 + b'"}')
        assert refused.status == 404
        assert exchange(conn, "GET", "/v2/myself").status == 200
    finally:
        conn.close()


def test_the_client_may_still_ask_to_close(sandbox: SandboxServer) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        sock.sendall(b"GET /_sandbox/health HTTP/1.0\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # the server closes after the answer
            received += chunk
    assert received.startswith(b"HTTP/1.1 200") and b"Connection: close" in received


def test_a_drop_fault_still_drops_a_kept_alive_connection(sandbox: SandboxServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    try:
        assert exchange(conn, "GET", "/v2/myself").status == 200
        sandbox.fail_next("myself", 1, mode="drop_before")
        with pytest.raises(http.client.RemoteDisconnected):
            exchange(conn, "GET", "/v2/myself")
    finally:
        conn.close()
    assert sandbox.stats()["faults"]["dropped_before"] == 1


def test_the_client_pools_its_connections(sandbox: SandboxServer) -> None:
    settings = TrackerSettings(token=ADMIN, org_id="1", base_url=sandbox.url)
    opened: list[object] = []
    original = KeepAliveHandler.setup

    def counting_setup(handler: KeepAliveHandler) -> None:
        opened.append(handler.request)
        original(handler)

    KeepAliveHandler.setup = counting_setup  # type: ignore[method-assign]
    try:
        with TrackerClient(settings) as client:
            for _ in range(10):
                assert client.myself()["login"] == "admin"
    finally:
        KeepAliveHandler.setup = original  # type: ignore[method-assign]
    assert len(opened) == 1


def test_stopping_the_server_closes_idle_kept_alive_connections(tmp_path) -> None:  # noqa: ANN001
    server = SandboxServer(SandboxConfig(data=tmp_path / "s.sqlite")).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        assert exchange(conn, "GET", "/v2/myself").status == 200
        server.stop()
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            exchange(conn, "GET", "/v2/myself")
    finally:
        conn.close()
        server.stop()
