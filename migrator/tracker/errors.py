"""Typed errors of the Tracker client.

Every error carries the HTTP status (``None`` when no response arrived), Tracker's own messages
(``errorMessages`` list and ``errors`` field → message map) and the request that failed
(method + URL). Requests never put the token in the URL, and nothing here ever sees a header,
so no exception text or ``repr`` can contain a token.

Two errors describe *transport* outcomes rather than HTTP statuses:

* :class:`TrackerUnavailable` — the request certainly did not reach the server (connection
  refused, connect timeout, DNS/TLS failure). Safe to send again.
* :class:`OutcomeUnknown` — a *write* that may or may not have been applied (read timeout,
  connection dropped after the request was sent, 5xx). The caller must reconcile (look the object
  up) before deciding to send it again; the client never re-sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_QUERY_PARAMS = frozenset({"token", "access_token", "oauth_token", "iam_token", "authorization"})


def redact_url(url: str) -> str:
    """Drop user-info and any credential-looking query parameter from ``url``."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = [
        (name, "***" if name.lower() in _SECRET_QUERY_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


class TrackerError(Exception):
    """A request to Tracker failed. ``str()`` names the request, the status and Tracker's messages."""

    status_code: int | None = None  # the status this subclass stands for (None: several / no response)
    title = "request failed"

    def __init__(
        self,
        status: int | None,
        error_messages: Sequence[str] = (),
        errors: Mapping[str, Any] | None = None,
        method: str = "",
        url: str = "",
        *,
        detail: str | None = None,
    ) -> None:
        self.status = status
        self.error_messages: list[str] = [str(m) for m in error_messages]
        self.errors: dict[str, Any] = dict(errors or {})
        self.method = method.upper()
        self.url = redact_url(url) if url else ""
        self.detail = detail
        super().__init__(self._compose())

    def _compose(self) -> str:
        head = f"{self.method} {self.url}".strip() or "Tracker request"
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        parts = [f"{head} failed: {status} ({self.title})"]
        if self.detail:
            parts.append(self.detail)
        if self.error_messages:
            parts.append("; ".join(self.error_messages))
        unsaid = {
            f: m for f, m in self.errors.items() if not any(str(m) in text for text in self.error_messages)
        }
        if unsaid:
            parts.append("; ".join(f"{field}: {message}" for field, message in unsaid.items()))
        return " — ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, error_messages={self.error_messages!r}, "
            f"errors={self.errors!r}, method={self.method!r}, url={self.url!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))

    @property
    def messages(self) -> list[str]:
        """All of Tracker's messages: ``errorMessages`` then ``field: message`` from ``errors``."""
        return self.error_messages + [f"{field}: {message}" for field, message in self.errors.items()]


def _rebuild(cls: type[TrackerError], state: dict[str, Any]) -> TrackerError:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    Exception.__init__(exc, exc._compose())
    return exc


class BadRequest(TrackerError):
    """Bad request: a parameter has an invalid value."""

    status_code = 400
    title = "bad request"


class Unauthorized(TrackerError):
    """Not authorized: the token is missing, invalid or expired."""

    status_code = 401
    title = "not authorized: token missing, invalid or expired"


class Forbidden(TrackerError):
    """Forbidden: the token's user may not do this (import needs an organization administrator)."""

    status_code = 403
    title = "forbidden for this user"


class NotFound(TrackerError):
    """Not found: no such object (or it is not visible to this user)."""

    status_code = 404
    title = "not found"


class Conflict(TrackerError):
    """Conflict: duplicate unique value or stale version."""

    status_code = 409
    title = "conflict"


class PreconditionFailed(TrackerError):
    """Precondition failed: stale version."""

    status_code = 412
    title = "precondition failed"


class PayloadTooLarge(TrackerError):
    """Payload too large: the file exceeds the upload limit."""

    status_code = 413
    title = "payload too large"


class UnprocessableEntity(TrackerError):
    """Unprocessable entity: the request body failed validation."""

    status_code = 422
    title = "validation failed"


class Locked(TrackerError):
    """Locked: the object can no longer be edited (version limit reached)."""

    status_code = 423
    title = "object locked"


class RateLimited(TrackerError):
    """Rate limited: too many requests; a rejected write was not applied."""

    status_code = 429
    title = "rate limited: the request was not applied"

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(TrackerError):
    """Server error: Tracker failed to process the request."""

    title = "server error"


class TrackerUnavailable(TrackerError):
    """Tracker unreachable: the request was not sent (connection refused, connect timeout); safe to retry."""

    title = "not sent; safe to retry"


class OutcomeUnknown(TrackerError):
    """Outcome unknown: the write may or may not have been applied; reconcile before sending it again."""

    title = "the write may or may not have been applied"


class UnsendableRequest(TrackerError):
    """Not sent: the request cannot be encoded (a body with NaN/Infinity is not JSON). Permanent."""

    title = "not sent: the request cannot be encoded"


class InvalidResponse(TrackerError):
    """Invalid response: the body is not the JSON Tracker should have sent."""

    title = "invalid response"


class ForeignURL(TrackerError):
    """Refused URL: it does not point at the configured Tracker host."""

    title = "refused: not the Tracker host"


_BY_STATUS: dict[int, type[TrackerError]] = {
    cls.status_code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnprocessableEntity,
        Locked,
        RateLimited,
    )
    if cls.status_code is not None
}


def error_class_for(status: int) -> type[TrackerError]:
    """The exception class for an HTTP error status (``TrackerError`` for unlisted 4xx)."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, TrackerError)


__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "ForeignURL",
    "InvalidResponse",
    "Locked",
    "NotFound",
    "OutcomeUnknown",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RateLimited",
    "ServerError",
    "TrackerError",
    "TrackerUnavailable",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsendableRequest",
    "error_class_for",
    "redact_url",
]
