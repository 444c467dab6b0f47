"""A small path router for the API routes (``/<v2|v3>/...``).

Cheaper to build than a werkzeug ``Map`` (which compiles URL builders for every rule — a fresh
server per test would pay that each time). Static segments win over variables:
``/issues/_search`` is matched before ``/issues/<key>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from migrator.sandbox.errors import ApiError
from migrator.sandbox.handlers.routes import Route

API_VERSIONS = ("v2", "v3")
_VARIABLE = re.compile(r"<(?:(path):)?(\w+)>")


def _pattern(path: str) -> re.Pattern[str]:
    def replace(match: re.Match[str]) -> str:
        return f"(?P<{match.group(2)}>.+)" if match.group(1) else f"(?P<{match.group(2)}>[^/]+)"

    regex = ""
    pos = 0
    for match in _VARIABLE.finditer(path):
        regex += re.escape(path[pos : match.start()]) + replace(match)
        pos = match.end()
    regex += re.escape(path[pos:])
    return re.compile(f"^/(?P<api>{'|'.join(API_VERSIONS)}){regex}$")


def _specificity(route: Route) -> tuple[int, int]:
    variables = len(_VARIABLE.findall(route.path))
    return variables, -len(_VARIABLE.sub("", route.path))


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        ordered = sorted(routes, key=_specificity)
        self._routes = [(_pattern(r.path), set(r.method_list()), r) for r in ordered]

    def match(self, method: str, path: str) -> tuple[str, Callable[..., Any], dict[str, str]]:
        """(kind, handler, path args incl. ``api``); ApiError 404 / 405 otherwise."""
        allowed = False
        for pattern, methods, route in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            if method in methods:
                return route.kind, route.handler, found.groupdict()
            allowed = True
        if allowed:
            raise ApiError(405, f"Method {method} is not allowed for {path}")
        raise ApiError(404, f"No such resource: {path}")
