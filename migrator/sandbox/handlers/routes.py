"""A route: method(s), path under ``/v2`` or ``/v3``, the request kind (for stats and fault
selection) and the handler ``(ctx, **path_args) -> Response``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Response


@dataclass(frozen=True)
class Route:
    methods: str | tuple[str, ...]
    path: str
    kind: str
    handler: Callable[..., Response]

    def method_list(self) -> list[str]:
        return [self.methods] if isinstance(self.methods, str) else list(self.methods)
