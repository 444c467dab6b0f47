"""The adapter contract: one export in, issue records out.

An adapter is for an export whose shape needs code rather than mapping keys (Trello's board JSON:
cards, lists, members and comments live in separate arrays joined by id). It turns the export's
files into the same :class:`~migrator.sources.records.Record` objects the readers give — one per
issue, children embedded as arrays — so the mapping's ``fields`` and ``path``\\s then apply as for
any JSON export. The shape follows the Singer SDK's ``Stream.get_records``: one abstract method.

Rules every adapter keeps (``tests/sources/adapters/test_adapter_conformance.py`` checks them on
each registered adapter's fixture):

* records are ``nested`` (read with record paths), in a deterministic order, each naming its
  ``file`` (the input's label) and a 1-based ``row``;
* every record has a stable, unique ``id`` that does not change when the export is taken again;
* bad data is a :class:`~migrator.sources.records.Note` on the record (reported once, by whoever
  consumes it), never an exception; an unreadable file is a ``MigratorError`` naming it;
* adapters never call any API, never download, and read nothing of the mapping but ``source``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from migrator.sources.inputs import Export, SourceFile
from migrator.sources.records import Record
from migrator.sources.spec import SourceSpec


@dataclass(frozen=True)
class AdapterInput:
    """What an adapter reads."""

    files: list[SourceFile]  # the files chosen for the issues (``source.issues.file``, or the default)
    export: Export  # every file of the export: ``export.find("members*.ndjson")`` for joins
    encoding: str  # ``source.encoding`` ("auto" detects)


class Adapter(ABC):
    """Base class of the adapters registered in :data:`migrator.sources.adapters.ADAPTERS`."""

    name: ClassVar[str]  # the value of ``source.adapter``
    # Globs of the other files of the export the adapter reads (a members file, comments pages):
    # they count as read (a SOURCE file no table reads is an error), are never chosen as issue
    # files by default, and archive members among them are extracted with the issue files.
    companions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, source: SourceSpec) -> None:
        self.source = source

    @abstractmethod
    def records(self, given: AdapterInput) -> Iterator[Record]:
        """The issue records of the export, in a deterministic order."""
