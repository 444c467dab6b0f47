"""The part of :class:`~migrator.tracker.client.TrackerClient` the executor and verify use.

How the executor treats each error the client raises (the tree lives in ``migrator/tracker/errors.py``):

* ``RateLimited`` (429) — the write was refused: back to ``pending``, slow every worker down, send again
  (bounded by ``ExecutorPolicy.max_rate_limited``; not counted as an attempt).
* ``TrackerUnavailable`` — the request certainly did not reach the service: back to ``pending``,
  back off, send again.
* ``OutcomeUnknown`` — the write may or may not have landed: the row stays ``in_flight`` with
  ``unsure`` set and is *reconciled* (looked up in the target) before anything is re-sent.
* ``Conflict`` (409) — for an issue (its ``unique`` is taken) or a link (already there) the object
  exists: it is looked up and claimed; for any other kind it is a failure.
* any other ``TrackerError`` — a permanent refusal: ``failed`` with the API's message.
* ``OSError`` — a local file could not be read, so nothing was sent: ``failed``.

During reconciliation ``TrackerUnavailable``, ``ServerError`` and ``RateLimited`` are retried with
back-off (``ExecutorPolicy.max_reconcile_attempts``); other errors fail the row, keeping ``unsure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from migrator.tracker.ratelimit import RateLimiter


class TrackerApi(Protocol):
    """The Tracker calls the executor (writes, listings) and verify (reads) make."""

    rate_limiter: RateLimiter | None

    def myself(self) -> Any: ...
    def get_issue(self, key: str) -> Any: ...
    def find_by_unique(self, unique: str) -> Any: ...
    def import_issue(self, body: Mapping[str, Any]) -> Any: ...
    def import_comment(self, key: str, body: Mapping[str, Any]) -> Any: ...
    def import_link(self, key: str, body: Mapping[str, Any]) -> Any: ...
    def create_link(self, key: str, relationship: str, other_key: str) -> Any: ...
    def import_worklog(self, key: str, body: Mapping[str, Any]) -> Any: ...
    def import_attachment(
        self,
        key: str,
        path: str,
        filename: str,
        created_at: str,
        created_by: str | int,
        comment_id: str | int | None = None,
    ) -> Any: ...
    def patch_issue(self, key: str, body: Mapping[str, Any], version: int | None = None) -> Any: ...
    def list_comments(self, key: str) -> list[Any]: ...
    def list_links(self, key: str) -> list[Any]: ...
    def list_attachments(self, key: str) -> list[Any]: ...
    def list_worklogs(self, key: str) -> list[Any]: ...
    def list_users(self) -> list[Any]: ...
    def download(self, url: str) -> bytes: ...
    def download_sha256(self, url: str) -> str: ...
