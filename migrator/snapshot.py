"""Target snapshot: capture a real org's metadata once, validate offline later.

``take_snapshot(client, "DEMO", "target.json")`` reads the queue's and the org's metadata (queue,
workflows per type, statuses, types, priorities, resolutions, users, global and local fields,
components, versions, link types) — reads only — and saves it in the fixture format of
``docs/architecture.md``, so the same file also seeds the embedded sandbox.

``load_target_info(source, queue)`` turns a snapshot file, a sandbox fixture, a ``TargetMetadata``
or a live client into the ``TargetInfo`` the transform checks against. ``QueueKeyLookup`` answers
"which of these keys already exist in the queue?" with read-only searches; ``highest_key_number``
"which is the highest issue number used in the queue?" with one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import ConfigError
from migrator.mapping.target_info import TargetInfo
from migrator.tracker.metadata import TargetMetadata

if TYPE_CHECKING:
    from migrator.tracker.client import TrackerClient

SEARCH_BATCH = 100  # keys per search request (Tracker's page size)


def take_snapshot(client: TrackerClient, queue: str, path: str | Path) -> TargetMetadata:
    """Read the target's metadata for ``queue`` and save it as a snapshot (no secrets in it)."""
    metadata = TargetMetadata.fetch(client, queue)
    metadata.save(path)
    return metadata


def load_metadata(source: str | Path | TrackerClient | TargetMetadata, queue: str) -> TargetMetadata:
    """Metadata from a snapshot/fixture file, a live client (read-only), or as given."""
    if isinstance(source, TargetMetadata):
        return source
    if isinstance(source, str | Path):
        return TargetMetadata.load(source)
    return TargetMetadata.fetch(source, queue)


def load_target_info(source: str | Path | TrackerClient | TargetMetadata, queue: str) -> TargetInfo:
    """The transform's view of the target; raises ``ConfigError`` when the queue is not in it."""
    metadata = load_metadata(source, queue)
    if queue not in metadata.queue_keys:
        where = str(source) if isinstance(source, str | Path) else "the target"
        raise ConfigError(
            where, [f"queue {queue!r} is not in {where} (queues: {', '.join(metadata.queue_keys) or 'none'})"]
        )
    return TargetInfo.from_fixture_dict(metadata.to_dict(), queue)


class QueueKeyLookup:
    """``lookup(keys) -> {key: unique}`` for keys that already exist in the queue; reads only.

    One ``_count`` first (an empty queue costs one request); then whichever is cheaper: scan the
    queue (when it holds fewer issues than we ask about) or search the keys 100 at a time.
    """

    def __init__(self, client: TrackerClient, queue: str) -> None:
        self.client = client
        self.queue = queue
        self.requests = 0

    def __call__(self, keys: Collection[str]) -> dict[str, str | None]:
        wanted = set(keys)
        if not wanted:
            return {}
        self.requests += 1
        total = self.client.count_issues(queue=self.queue)
        if total == 0:
            return {}
        if total <= len(wanted):
            self.requests += max(1, math.ceil(total / SEARCH_BATCH))
            return _matching(self.client.search_issues(queue=self.queue), wanted)
        found: dict[str, str | None] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), SEARCH_BATCH):
            self.requests += 1
            found.update(
                _matching(self.client.search_issues(keys=ordered[start : start + SEARCH_BATCH]), wanted)
            )
        return found


def _matching(issues: Iterable[Any], wanted: set[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for issue in issues:
        key = issue.get("key") if isinstance(issue, dict) else None
        if key in wanted:
            unique = issue.get("unique")
            found[key] = None if unique is None else str(unique)
    return found


def highest_key_number(client: TrackerClient, queue: str) -> int:
    """The highest issue number used in ``queue`` (0 when it is empty): one search request, keys in
    descending order; the highest number of that first page is taken (it is the first one when
    Tracker orders keys by number)."""
    pattern = re.compile(re.escape(queue) + r"-(\d+)")
    numbers: list[int] = []
    for index, issue in enumerate(client.search_issues(queue=queue, order="-key")):
        match = pattern.fullmatch(str(issue.get("key") or "")) if isinstance(issue, dict) else None
        if match:
            numbers.append(int(match.group(1)))
        if index + 1 >= SEARCH_BATCH:
            break  # the first page only: one request
    return max(numbers, default=0)
