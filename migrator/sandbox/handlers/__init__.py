"""Endpoint handlers, grouped by resource; ``all_routes()`` is the whole API surface."""

from __future__ import annotations

from migrator.sandbox.handlers import attachments, comments, directory, issues, links, transitions, worklogs
from migrator.sandbox.handlers.routes import Route


def all_routes() -> list[Route]:
    return [
        *issues.ROUTES,
        *comments.ROUTES,
        *links.ROUTES,
        *attachments.ROUTES,
        *worklogs.ROUTES,
        *transitions.ROUTES,
        *directory.ROUTES,
    ]
