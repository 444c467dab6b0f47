"""Issues outside this export that are already in Tracker, for ``target.dangling: existing``.

A link or parent that names an issue not in the export may name one an earlier run imported (an
earlier export, another namespace). :class:`ExistingIssueFinder` looks for it, read-only, in order:

1. the **ledgers** — checkpoint files given with ``--ledger`` and every ``*.state.sqlite`` in
   ``.migrator/`` — for an issue of the same source system whose key or id is the reference, done,
   in a namespace bound to this very target; the issue is then read to confirm it (same ``unique``)
   and to learn its window;
2. ``_findByUnique`` of ``<namespace>:<system>:<reference>`` for every namespace those ledgers know
   (and this run's), when references are source ids (``unique`` is built from ids, not keys);
3. with ``target.keep_keys``, the old key's number in the target queue (``PROJ-42`` → ``DEMO-42``),
   accepted only when that issue's ``unique`` says it was imported from the same source system.

What it finds is an :class:`~migrator.plan.ExistingIssue`: target key, window, how it was found.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from migrator.plan import ExistingIssue
from migrator.state import ImportedIssue, LedgerReader
from migrator.tracker.errors import NotFound

_NUMBER = re.compile(r"(\d+)\s*$")


class IssueReads(Protocol):
    """The two reads the finder makes (``TrackerClient``)."""

    def get_issue(self, key: str) -> Any: ...
    def find_by_unique(self, unique: str) -> Any: ...


class ExistingIssueFinder:
    """``finder(refs)`` with refs = ``(reference, "id" | "key")`` → the issues found, by ref."""

    def __init__(
        self,
        client: IssueReads,
        *,
        system: str,
        namespace: str,
        queue: str,
        keep_keys: bool,
        ledgers: Sequence[Path],
        identity: str | None,
    ) -> None:
        self.client = client
        self.system = system
        self.namespace = namespace
        self.queue = queue
        self.keep_keys = keep_keys
        self.ledgers = list(dict.fromkeys(Path(p).resolve() for p in ledgers))
        self.identity = identity

    def __call__(self, refs: Collection[tuple[str, str]]) -> dict[tuple[str, str], ExistingIssue]:
        imported, namespaces = self._ledgers({ref for ref, _mode in refs})
        found: dict[tuple[str, str], ExistingIssue] = {}
        for ref, mode in refs:
            issue = self._from_ledgers(ref, mode, imported)
            if issue is None and mode == "id":
                issue = self._by_unique(ref, namespaces)
            if issue is None and mode == "key" and self.keep_keys:
                issue = self._by_kept_key(ref)
            if issue is not None:
                found[(ref, mode)] = issue
        return found

    def _ledgers(self, refs: Collection[str]) -> tuple[list[tuple[Path, ImportedIssue]], list[str]]:
        """What the ledgers imported under these references, and every namespace they know."""
        imported: list[tuple[Path, ImportedIssue]] = []
        namespaces = {self.namespace}
        for path in self.ledgers:
            with LedgerReader(path) as ledger:
                names = ledger.namespaces(self.identity)
                namespaces.update(names)
                imported += [(path, issue) for issue in ledger.imported(self.system, names, refs)]
        return imported, sorted(namespaces)

    def _from_ledgers(
        self, ref: str, mode: str, imported: list[tuple[Path, ImportedIssue]]
    ) -> ExistingIssue | None:
        for path, issue in imported:
            if (issue.source_id if mode == "id" else issue.source_key) != ref:
                continue
            data = self._read(issue.target_key)
            if data is not None and data.get("unique", issue.unique) == issue.unique:
                return _existing(data, f"ledger {path.name} (namespace {issue.namespace})")
        return None

    def _by_unique(self, ref: str, namespaces: Sequence[str]) -> ExistingIssue | None:
        for namespace in namespaces:
            unique = f"{namespace}:{self.system}:{ref}"
            data = self.client.find_by_unique(unique)
            if isinstance(data, Mapping) and data.get("key"):
                return _existing(data, f"unique {unique}")
        return None

    def _by_kept_key(self, ref: str) -> ExistingIssue | None:
        match = _NUMBER.search(ref)
        if match is None:
            return None
        key = f"{self.queue}-{int(match.group(1))}"
        data = self._read(key)
        if data is None or not re.match(rf"[^:]+:{re.escape(self.system)}:", str(data.get("unique") or "")):
            return None
        return _existing(data, f"kept key {key}")

    def _read(self, key: str) -> Mapping[str, Any] | None:
        try:
            data = self.client.get_issue(key)
        except NotFound:
            return None
        return data if isinstance(data, Mapping) else None


def _existing(data: Mapping[str, Any], found_by: str) -> ExistingIssue:
    return ExistingIssue(
        target_key=str(data["key"]),
        created_at=str(data.get("createdAt") or ""),
        updated_at=str(data.get("updatedAt") or ""),
        found_by=found_by,
    )
