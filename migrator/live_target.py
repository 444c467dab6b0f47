"""The transform's view of a live target (``TargetInfo``), read in the background as it is asked.

A run or a validation needs the target's users, statuses, issue types, priorities and the queue
with its workflows for every issue, so those reads start as soon as the target is open and overlap
what comes before the first issue is mapped (opening the checkpoint file, the lease check, imports).
The other catalogues — resolutions, link types, global fields, and the queue's local fields,
components and versions — are read the first time the transform asks about them: an export with no
resolutions, links, extra fields, components or versions costs none of those requests (a run's
fixed cost counts against the ~1 call per object Tracker's rate limit leaves). Whatever is asked
gets the same answer as from a full snapshot (``FixtureTarget`` over the reads made so far).

A read that fails raises its error (``TrackerError``) to the question that waits for it, as a
full read before the run would have.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from migrator.mapping.target_info import FieldInfo, FixtureTarget, TargetInfo, TargetUserLike
from migrator.snapshot import load_target_info
from migrator.tracker.metadata import FETCH_PARALLEL, QUEUE_PART_READS, MetadataReads, TargetMetadata

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from migrator.tracker.client import TrackerClient


class LiveTarget:
    """``TargetInfo`` of one queue of a live target; ``close()`` when the command ends."""

    def __init__(self, client: TrackerClient, queue: str, *, parallel: int = FETCH_PARALLEL) -> None:
        self._queue = queue
        self._pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="metadata")
        self._reads = MetadataReads(client, self._pool)
        self._reads.start_core(queue)
        self._lock = threading.Lock()
        self._asked: set[str] = set()
        self._view: TargetInfo | None = None

    @staticmethod
    def from_fixture_dict(data: Mapping[str, Any], queue: str) -> FixtureTarget:
        return FixtureTarget(data, queue)

    def close(self) -> None:
        """Stop reads nobody waits for (a command that ends before asking)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def ready(self) -> LiveTarget:
        """Wait for the core reads (raising their error, or ``ConfigError`` when the queue is not there)."""
        self._answers()
        return self

    def _answers(self, section: str | None = None) -> TargetInfo:
        """The view holding the core reads and ``section`` (read now if it was not asked before)."""
        with self._lock:
            if self._view is None or (section is not None and section not in self._asked):
                if section is not None:
                    self._asked.add(section)
                metadata = TargetMetadata.assemble(self._reads, [self._queue], self._asked)
                self._view = _view(metadata, self._queue)
            return self._view

    def read_ahead(self, section: str) -> None:
        """Start reading a catalogue the transform is about to ask about (``link_types`` when the
        mapping reads links), so that its answer arrives while the export is being read instead of
        stopping the pass at the first question. Asking still decides what the view holds."""
        self._reads.read_ahead(section, self._queue if section in QUEUE_PART_READS else None)

    @property
    def queue_key(self) -> str:
        return self._queue

    def has_status(self, key: str) -> bool:
        return self._answers().has_status(key)

    def has_type(self, key: str) -> bool:
        return self._answers().has_type(key)

    def default_type(self) -> str | None:
        return self._answers().default_type()

    def statuses_for_type(self, type_key: str) -> set[str] | None:
        return self._answers().statuses_for_type(type_key)

    def has_priority(self, key: str) -> bool:
        return self._answers().has_priority(key)

    def users(self) -> Iterable[TargetUserLike]:
        return self._answers().users()

    def has_resolution(self, key: str) -> bool:
        return self._answers("resolutions").has_resolution(key)

    def components(self) -> dict[str, Any]:
        return self._answers("components").components()

    def versions(self) -> dict[str, Any]:
        return self._answers("versions").versions()

    def global_field(self, field_id: str) -> FieldInfo | None:
        return self._answers("fields").global_field(field_id)

    def local_field(self, key: str) -> FieldInfo | None:
        return self._answers("local_fields").local_field(key)

    def link_relationships(self) -> set[str]:
        return self._answers("link_types").link_relationships()


def _view(metadata: TargetMetadata, queue: str) -> TargetInfo:
    return load_target_info(metadata, queue)  # ConfigError (with the queues there) when it is absent
