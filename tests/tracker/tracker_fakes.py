"""In-process fakes for unit tests: a scripted transport adapter (no sockets) and a fake clock."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

Step = Callable[[requests.PreparedRequest], requests.Response] | BaseException


def response(
    status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> Callable[[requests.PreparedRequest], requests.Response]:
    """A step that answers with ``status`` and a JSON ``body`` (or ``raw`` bytes)."""

    def make(request: requests.PreparedRequest) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp.headers = CaseInsensitiveDict(headers or {})
        if raw is not None:
            resp._content = raw
        elif body is not None:
            resp._content = json.dumps(body).encode()
            resp.headers.setdefault("Content-Type", "application/json")
        else:
            resp._content = b""
        resp.raw = io.BytesIO(resp._content)
        resp.url = request.url or ""
        resp.request = request
        return resp

    return make


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class ScriptedAdapter(BaseAdapter):
    """Plays ``steps`` in order (a response factory, or an exception to raise) and records requests."""

    steps: list[Step] = field(default_factory=list)
    sent: list[SentRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body
        if body is not None and hasattr(body, "read"):
            body = b"".join(iter(body))  # consume streamed bodies like a real transport would
        if isinstance(body, str):
            body = body.encode()
        self.sent.append(SentRequest(request.method or "", request.url or "", dict(request.headers), body))
        if not self.steps:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step(request)

    def close(self) -> None:
        return None


class FakeClock:
    """Monotonic clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
