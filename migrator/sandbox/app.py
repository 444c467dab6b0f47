"""The WSGI application: routing, the per-request pipeline and the ``/_sandbox`` control endpoints.

Pipeline for ``/v2/...`` and ``/v3/...``: count -> latency -> rate limit / faults before processing
-> authenticate -> handler (writes commit inside) -> commit-then-fail/drop faults -> answer.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.context import Ctx, SandboxState
from migrator.sandbox.errors import ApiError, DropConnection
from migrator.sandbox.faults import Fault, retry_after_header
from migrator.sandbox.handlers import all_routes
from migrator.sandbox.routing import Router
from migrator.sandbox.times import now_ms

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox"


def _error(error: ApiError) -> Response:
    body = json.dumps(error.body(), ensure_ascii=False)
    return Response(body, error.status, headers=error.headers, content_type="application/json; charset=utf-8")


def _normalise(path: str) -> str:
    return re.sub("/{2,}", "/", path).rstrip("/") or "/"


def _drain(request: Request) -> None:
    """Read the unread request body so closing the socket is a clean FIN, not a reset."""
    stream = request.stream
    while stream.read(65536):
        pass


class SandboxApp:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.router = Router(all_routes())
        self._idle = threading.Condition()
        self._active = 0

    def close(self, wait: float = 5.0) -> None:
        """Close the store once in-flight requests are done (waiting at most ``wait`` seconds)."""
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=wait)
        self.state.close()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._idle:
            self._active += 1
        try:
            return self._respond(environ, start_response)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _respond(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        path = _normalise(request.path)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            response = self._control(request, path)
        else:
            response = self._api(request, path)
            self.state.stats.response(response.status_code)
        return response(environ, start_response)

    # --- API ---
    def _api(self, request: Request, path: str) -> Response:
        try:
            kind, handler, args = self.router.match(request.method, path)
        except ApiError as error:
            self.state.stats.request(request.method, "unknown")
            return _error(error)
        self.state.stats.request(request.method, kind)
        latency = self.state.faults.latency_seconds()
        if latency:
            time.sleep(latency)
        fault = self.state.faults.before(kind)
        if fault is not None:
            return self._fault(request, fault, committed=False)
        response = self._handle(request, kind, handler, args)
        if response.status_code < 300:
            fault = self.state.faults.after_commit(kind)
            if fault is not None:
                return self._fault(request, fault, committed=True)
        return response

    def _handle(
        self, request: Request, kind: str, handler: Callable[..., Response], args: dict[str, Any]
    ) -> Response:
        api = args.pop("api")
        try:
            user = self.state.credentials.authenticate(request.headers)
            ctx = Ctx(self.state, request, user, api, now_ms())
            return handler(ctx, **args)
        except ApiError as error:
            return _error(error)
        except Exception:
            logger.exception("sandbox: unexpected error handling %s %s", request.method, request.path)
            return _error(ApiError(500, "Internal sandbox error (see the sandbox log)"))

    def _fault(self, request: Request, fault: Fault, committed: bool) -> Response:
        if fault.action == "drop":
            if not committed:
                _drain(request)
            raise DropConnection()
        headers = {}
        if fault.retry_after is not None and self.config.retry_after_header:
            headers["Retry-After"] = retry_after_header(fault.retry_after)
        messages = {
            429: "Too many requests: the rate limit is exceeded, try again later",
            503: "The API service is temporarily unavailable",
        }
        message = messages.get(
            fault.status, "Internal service error. Try resending your request in a few minutes"
        )
        return _error(ApiError(fault.status, message, headers=headers))

    # --- control ---
    def _control(self, request: Request, path: str) -> Response:
        action = path[len(CONTROL_PREFIX) :].strip("/")
        try:
            if action == "health":
                return self._json({"status": "ok", "org_id": self.state.org.id})
            self._control_auth(request)
            if action == "stats":
                return self._stats(request)
            if action == "faults":
                return self._faults(request)
            raise ApiError(404, f"No such control endpoint: {path}")
        except ApiError as error:
            return _error(error)

    def _control_auth(self, request: Request) -> None:
        _scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        user = self.state.credentials.tokens.get(token.strip())
        if user is None:
            raise ApiError(401, "Control endpoints need the admin token: Authorization: OAuth <token>")
        if not user.admin:
            raise ApiError(403, "Control endpoints need an administrator's token")

    def _json(self, data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data), status, content_type="application/json")

    def _stats(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.stats.reset()
            return Response(status=204)
        if request.method != "GET":
            raise ApiError(405, "Use GET (read) or DELETE (reset) on /_sandbox/stats")
        return self._json(self.stats())

    def stats(self) -> dict[str, Any]:
        out = self.state.stats.snapshot()
        out["objects"] = self.state.store.counts()
        out["faults"] = self.state.faults.snapshot()["injected"]
        return out

    def _faults(self, request: Request) -> Response:
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise ApiError(400, "Send a JSON object of fault settings")
            try:
                self.apply_faults(body)
            except (ValueError, TypeError) as exc:
                raise ApiError(400, str(exc)) from exc
        elif request.method != "GET":
            raise ApiError(405, "Use GET (read) or POST (change) on /_sandbox/faults")
        return self._json(self.state.faults.snapshot())

    def apply_faults(self, body: dict[str, Any]) -> None:
        """``{"reset": true, <setting>: value, ..., "fail_next": [{"kind", "n", "mode", "status"}]}``."""
        settings = dict(body)
        faults = self.state.faults
        if settings.pop("reset", False):
            faults.reset()
        pending = settings.pop("fail_next", None) or []
        faults.update(**settings)
        for item in pending if isinstance(pending, list) else [pending]:
            faults.fail_next(
                str(item["kind"]), int(item.get("n", 1)), item.get("mode", "drop"), item.get("status")
            )
