"""What a sample's raw files say, read with the standard library only, in one shape for every tracker.

Each extractor (``extract_*.py``) reads one export kind the way the tracker wrote it and returns
:class:`Facts`; ``test_sample_files.py`` compares them with the sample's ``expected.yaml``. The
extractors are deliberately small and independent of ``migrator/``: they keep the facts from
drifting, they are not presets.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
LINK_KINDS = ("relates", "depends", "duplicates", "subtask", "epic")


@dataclass
class Child:
    """A comment, worklog or attachment: when and by whom (either may be unknown)."""

    at: datetime | None
    author: str | None = None


@dataclass
class FileRef:
    """An attachment the export lists, and where its file would be in the sample folder (or its
    bytes, when the export carries them inline)."""

    name: str
    at: datetime | None
    author: str | None
    path: Path
    inline: bytes | None = None

    @property
    def present(self) -> bool:
        return bool(self.inline) if self.inline is not None else self.path.is_file()


@dataclass
class IssueFacts:
    key: str
    summary: str
    status: str | None
    type: str | None
    priority: str | None
    resolution: str | None
    assignee: str | None
    created: datetime | None
    updated: datetime | None
    comments: list[Child] = field(default_factory=list)
    worklogs: list[Child] = field(default_factory=list)
    attachments: list[FileRef] = field(default_factory=list)
    people: set[str] = field(default_factory=set)  # identities named anywhere on the issue


@dataclass
class Facts:
    issues: dict[str, IssueFacts] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, kind), parents included
    not_issues: Counter[str] = field(default_factory=Counter)
    system_notes: int = 0

    def add(self, issue: IssueFacts) -> IssueFacts:
        assert issue.key not in self.issues, f"duplicate source key {issue.key}"
        self.issues[issue.key] = issue
        return issue

    def link(self, frm: str, to: str, kind: str) -> None:
        """Record a link once, however many ends of it the export writes ("relates" has no direction)."""
        assert kind in LINK_KINDS, kind
        same = {(frm, to, kind), (to, frm, kind)} if kind == "relates" else {(frm, to, kind)}
        if not same & set(self.links):
            self.links.append((frm, to, kind))


Extractor = Callable[[Path, dict[str, Any]], Facts]


# ---------------------------------------------------------------------------------------------
# Small readers shared by the extractors


def zone_of(expected: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(expected["timestamps"]["zone"])


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Decode strictly: a wrong encoding is a test failure, not replacement characters."""
    return path.read_bytes().decode(encoding)


def csv_rows(path: Path, encoding: str = "utf-8-sig", **fmt: Any) -> tuple[list[str], list[list[str]]]:
    """Header and rows, positions kept (repeated headers are data); every row has the header's width."""
    rows = list(csv.reader(io.StringIO(read_text(path, encoding), newline=""), **fmt))
    header, body = rows[0], [r for r in rows[1:] if r]
    for n, row in enumerate(body, 2):
        assert len(row) == len(header), f"{path.name} row {n}: {len(row)} cells, header has {len(header)}"
    return header, body


class Row:
    """A CSV row read by header name; a repeated header gives all its non-empty cells."""

    def __init__(self, header: list[str], cells: list[str]) -> None:
        self.header = header
        self.cells = cells

    def __getitem__(self, name: str) -> str:
        positions = [n for n, h in enumerate(self.header) if h == name]
        assert len(positions) == 1, f"column {name!r} appears {len(positions)} times"
        return self.cells[positions[0]]

    def get(self, name: str) -> str:
        return self[name] if name in self.header else ""

    def all(self, name: str) -> list[str]:
        return [c for h, c in zip(self.header, self.cells, strict=True) if h == name and c.strip()]

    def starting(self, prefix: str) -> list[tuple[str, str]]:
        return [(h, c) for h, c in zip(self.header, self.cells, strict=True) if h.startswith(prefix) and c]


def csv_records(path: Path, encoding: str = "utf-8-sig", **fmt: Any) -> list[Row]:
    header, body = csv_rows(path, encoding, **fmt)
    return [Row(header, cells) for cells in body]


def load_json(path: Path) -> Any:
    return json.loads(read_text(path))


def ndjson(path: Path) -> list[Any]:
    return [json.loads(line) for line in read_text(path).splitlines() if line.strip()]


def local(text: str, fmt: str, zone: ZoneInfo) -> datetime:
    return datetime.strptime(text, fmt).replace(tzinfo=zone)


def iso(text: str) -> datetime:
    """ISO 8601 with an offset or Z (Jira's +0300 form included)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, f"{text!r} has no offset"
    return value


def epoch_ms(value: int | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def load_expected(folder: Path) -> dict[str, Any]:
    data = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
