"""HTTP/1.1 keep-alive: several requests share one connection, as against the real API."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from werkzeug.serving import ThreadedWSGIServer

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


def test_a_chunked_request_body_is_read_to_its_end(sandbox: SandboxServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    try:
        body = iter([b'{"filter": ', b'{"queue": "DEMO"}}'])
        headers = dict(HEADERS, **{"Content-Type": "application/json"})
        conn.request("POST", "/v2/issues/_count", body=body, headers=headers, encode_chunked=True)
        first = conn.getresponse()
        assert first.status == 200 and first.read() == b"0"
        assert exchange(conn, "GET", "/v2/myself").status == 200
    finally:
        conn.close()


def _streaming_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A WSGI app whose body length is unknown up front (no Content-Length)."""
    status = "204 No Content" if environ["PATH_INFO"] == "/empty" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [] if status.startswith("204") else [b"first part, ", b"", b"second part"]


def test_a_body_of_unknown_length_is_chunked_and_the_connection_stays_open() -> None:
    server = ThreadedWSGIServer("127.0.0.1", 0, _streaming_app, handler=KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    try:
        conn.request("GET", "/stream")
        streamed = conn.getresponse()
        assert streamed.getheader("Transfer-Encoding") == "chunked"
        assert streamed.read() == b"first part, second part"
        sock = conn.sock
        conn.request("GET", "/empty")
        empty = conn.getresponse()
        assert empty.status == 204 and empty.getheader("Transfer-Encoding") is None and empty.read() == b""
        conn.request("HEAD", "/stream")
        head = conn.getresponse()
        assert head.status == 200 and head.read() == b""
        assert conn.sock is sock
    finally:
        conn.close()
        server.shutdown()
        server.server_close()
