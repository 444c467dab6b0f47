"""A read-only window on one pass of the readers, for ``migrator inspect``.

``read_issues(..., observer=...)`` tells the observer about every record it reads (issues and
separate child tables, after the file is opened and before any field is taken from it) and about
every raw value before it is typed (a date cell as written, before parsing). The observer may only
look: records and values are passed as they are, and nothing it does changes what is read.
"""

from __future__ import annotations

from typing import Any, Protocol

from migrator.sources.records import Record


class ReadObserver(Protocol):
    def record(self, kind: str, table: str, record: Record) -> None:
        """``kind``: issues | comments | attachments | links | worklogs; ``table``: the file's label."""
        ...

    def value(self, field: str, kind: str, raw: Any) -> None:
        """``field`` as findings name it (``created_at``, ``comments.created_at``), ``kind`` the
        value kind being read (``datetime``, ``date``, ``string``, ``user``, …)."""
        ...
