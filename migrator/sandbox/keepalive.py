"""An HTTP/1.1 keep-alive request handler for werkzeug's threaded server.

werkzeug's development server answers every request with ``Connection: close`` and then drains the
socket (which, on a kept-alive connection, would swallow the client's next request), so every
request paid a TCP connect. The real API keeps connections open, and a client that reuses them is
much faster; the sandbox should measure that. This handler writes the response itself: a
``Content-Length`` when the application set one, else chunked transfer encoding; ``Connection:
close`` only when the client asked for it (or spoke HTTP/1.0); and after the response it reads
exactly the rest of *this* request's body, so the next request on the connection starts cleanly.

:class:`~migrator.sandbox.errors.DropConnection` (the drop faults) still propagates: the handler
closes the socket without a byte of response.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import InternalServerError
from werkzeug.serving import WSGIRequestHandler

from migrator.sandbox.errors import DropConnection

IDLE_TIMEOUT = 75.0  # seconds a kept-alive connection may wait for its next request (nginx's default)
_NO_BODY_STATUSES = frozenset({204, 304})


class _BodyInput(io.RawIOBase):
    """The request body as the application sees it: at most ``length`` bytes of the socket stream."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.remaining <= 0:
            return 0
        data = self._stream.read(min(len(buffer), self.remaining))
        self.remaining -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.remaining > 0 and self.read(65536):
            pass


class ConnectionRegistry:
    """The server's open connections, so that stopping it also ends the idle kept-alive ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def close_all(self) -> None:
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by its handler
                continue


class KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    wbufsize = -1  # buffer the head and the body: one segment per response, flushed at its end

    def setup(self) -> None:
        super().setup()
        try:  # a small last segment must not wait for the client's delayed ACK (Nagle)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket
            self.log_message("TCP_NODELAY not available on this connection")
        registry = getattr(self.server, "connections", None)
        if registry is not None:
            registry.add(self.connection)

    def finish(self) -> None:
        registry = getattr(self.server, "connections", None)
        if registry is not None:
            registry.discard(self.connection)
        super().finish()

    def handle(self) -> None:
        try:
            super().handle()
        except DropConnection:
            self.close_connection = True

    def log_error(self, format: str, *args: Any) -> None:
        if format.startswith("Request timed out"):  # an idle kept-alive connection expired: routine
            self.close_connection = True
            return
        super().log_error(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if getattr(self.server, "sandbox_verbose", False):
            super().log_request(code, size)

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        environ = self.make_environ()
        body = self._body(environ)
        writer = _ResponseWriter(self, environ["REQUEST_METHOD"])
        try:
            writer.run(self.server.app, environ)
        except (ConnectionError, TimeoutError) as exc:
            self.close_connection = True
            self.connection_dropped(exc, environ)
            return
        except DropConnection:
            raise
        except Exception:
            self.close_connection = True
            if writer.started:
                raise  # half a response is out: only closing the connection tells the client
            writer.run(InternalServerError(), environ)
        if body is None:
            self.close_connection = True
        else:
            body.drain()

    def _body(self, environ: dict[str, Any]) -> _BodyInput | Any | None:
        """Wrap the body so its unread rest can be skipped; None when that is impossible."""
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's reader stops at the last chunk
            return _ChunkedRest(environ["wsgi.input"])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        body = _BodyInput(self.rfile, max(0, length))
        environ["wsgi.input"] = io.BufferedReader(body)
        return body


class _ChunkedRest:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def drain(self) -> None:
        while self._stream.read(65536):
            pass


class _ResponseWriter:
    """Writes one WSGI response: status, headers (length or chunked), body."""

    def __init__(self, handler: KeepAliveHandler, method: str) -> None:
        self._handler = handler
        self._method = method
        self._status: str | None = None
        self._headers: list[tuple[str, str]] = []
        self.started = False
        self._chunked = False

    def run(self, app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> None:
        self._status, self._headers, self.started, self._chunked = None, [], False, False
        chunks = app(environ, self._start_response)
        try:
            for data in chunks:
                self._write(data)
            if not self.started:
                self._write(b"")
            if self._chunked:
                self._handler.wfile.write(b"0\r\n\r\n")
            self._handler.wfile.flush()
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        self._status, self._headers = status, list(headers)
        return self._write

    def _write(self, data: bytes) -> None:
        if not self.started:
            self._send_head()
        if not data:
            return
        out = self._handler.wfile
        if self._chunked:
            out.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
        else:
            out.write(data)

    def _send_head(self) -> None:
        assert self._status is not None, "write() before start_response()"
        handler = self._handler
        code_text, _, reason = self._status.partition(" ")
        code = int(code_text)
        handler.send_response(code, reason)
        names = set()
        for name, value in self._headers:
            if name.lower() != "connection":
                handler.send_header(name, value)
                names.add(name.lower())
        bodiless = self._method == "HEAD" or code < 200 or code in _NO_BODY_STATUSES
        if "content-length" not in names and not bodiless:
            self._chunked = True
            handler.send_header("Transfer-Encoding", "chunked")
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        self.started = True
