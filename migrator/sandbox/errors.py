"""The one exception handlers raise to answer with a Tracker-shaped error body."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer: ``{"errors": {field: message}, "errorMessages": [...], "statusCode": N}``.

    With a ``field``, ``errors`` maps it to ``message`` and ``errorMessages`` reads
    ``Field '<field>': <message>`` (just ``<message>`` with ``prefix=False``, for documented texts);
    without a field, ``errors`` is empty.
    """

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        prefix: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.prefix = prefix

    def body(self) -> dict[str, Any]:
        if self.field:
            text = f"Field '{self.field}': {self.message}" if self.prefix else self.message
            return {"errors": {self.field: self.message}, "errorMessages": [text], "statusCode": self.status}
        return {"errors": {}, "errorMessages": [self.message], "statusCode": self.status}


class DropConnection(BaseException):  # noqa: N818 - a control-flow signal, like GeneratorExit
    """Close the client's TCP connection without sending any response.

    Derives from BaseException on purpose: it must pass through werkzeug's ``except Exception``
    (which would answer 500) up to the sandbox's request handler, which closes the socket.
    """
