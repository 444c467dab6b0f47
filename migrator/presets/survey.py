"""What an export holds, read through a mapping (a preset) in dry mode: ``migrator inspect``'s facts.

One pass of the real readers (``sources.reading.read_issues`` with an observer): no target, no transform,
nothing written. It counts issues and children, fills of every column/path, the distinct values of
each value-mapped field, the people named (with e-mails and display names), how dates are written
and whether they carry an offset, and what would block ``validate`` already at this stage (reading
problems, values the preset's maps do not cover, open ``"?"`` decisions). ``init`` builds on the
same facts.

Memory: counters per distinct value, person, column and date shape, plus the set of issue keys and
the target of each link (to tell links inside the export from links outside it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from migrator.findings import Findings, Severity
from migrator.mapping.attachments import AttachmentFiles
from migrator.mapping.config import MappingConfig
from migrator.mapping.undecided import UNDECIDED
from migrator.model import Attachment, Issue, UserRef
from migrator.sources.reading import read_issues
from migrator.sources.records import Record, is_empty
from migrator.vocabulary import CHILD_OF, RELATIONSHIPS

# Tracker relationships that make the linking issue a child: a sub-task of, or in an epic.
CHILD_RELATIONSHIPS = frozenset(
    {CHILD_OF, next(r for r, side in RELATIONSHIPS.items() if side == ("epic", "outward"))}
)

_MAX_PATHS = 400  # distinct columns/paths tracked per table
_MAX_DEPTH = 8
_EXAMPLES = 3
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_OFFSET = re.compile(_TIME + r"\s*(Z|[+-]\d{2}:?\d{2}|GMT|UTC)\s*$", re.IGNORECASE)
_HAS_TIME = re.compile(_TIME)
_EPOCH_TEXT = re.compile(r"^\d{10}(\d{3})?$")
_AMPM = re.compile(r"^[AaPp]\.?[Mm]\.?$")
VALUE_FIELDS = ("type", "status", "priority", "resolution", "components", "versions", "tags", "link")
_DATE_KINDS = ("datetime", "date")


@dataclass
class TableFill:
    kind: str  # issues | comments | attachments | links | worklogs
    table: str
    records: int = 0
    filled: Counter[str] = field(default_factory=Counter)  # column/path -> records with a value
    order: list[str] = field(default_factory=list)  # columns/paths in the order first seen

    def see(self, path: str) -> None:
        if path not in self.filled and len(self.order) >= _MAX_PATHS:
            return
        if path not in self.filled:
            self.order.append(path)
        self.filled[path] += 1


@dataclass
class DateField:
    path: str  # the field as findings name it: created_at, comments.created_at
    values: int = 0
    shapes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # shape -> first value
    offsets: Counter[str] = field(default_factory=Counter)  # "Z", "+03:00", …
    naive: int = 0  # a time of day without an offset
    date_only: int = 0
    epochs: int = 0


@dataclass
class Person:
    name: str
    email: str | None
    display: str | None
    count: int = 0
    roles: Counter[str] = field(default_factory=Counter)


@dataclass
class Counts:
    issues: int = 0
    with_parent: int = 0
    child_by_link: int = 0  # no parent field, but a child through a hierarchy link (sub-task of, in an epic)
    comments: int = 0
    files_present: int = 0
    files_missing: int = 0
    files_remote: int = 0  # URLs without a local copy (downloaded by run with files.download)
    worklogs: int = 0
    links_inside: int = 0
    links_outside: int = 0
    parents_inside: int = 0
    parents_outside: int = 0


@dataclass
class Survey:
    """Everything ``inspect`` prints (``to_dict`` is the ``--json`` shape)."""

    counts: Counts
    tables: list[TableFill]
    values: dict[str, Counter[str]]
    people: list[Person]
    dates: list[DateField]
    blocking: list[dict[str, Any]]
    outside: list[str]  # a few link/parent targets outside the export

    @property
    def naive_times(self) -> int:
        return sum(d.naive for d in self.dates)

    @property
    def zoned_times(self) -> int:
        return sum(sum(d.offsets.values()) + d.epochs for d in self.dates)

    def timezone_verdict(self) -> str:
        """``offsets``: every time carries its zone (or is an epoch); ``naive``: some do not;
        ``none``: no time of day was seen."""
        if self.naive_times:
            return "naive"
        return "offsets" if self.zoned_times else "none"


class _Observer:
    """Fills and raw date values, as the readers see them."""

    def __init__(self) -> None:
        self.tables: dict[tuple[str, str], TableFill] = {}
        self.dates: dict[str, DateField] = {}

    def record(self, kind: str, table: str, record: Record) -> None:
        fill = self.tables.setdefault((kind, table), TableFill(kind, table))
        fill.records += 1
        if record.nested:
            for path in sorted(set(filled_paths(record.values))):
                fill.see(path)
        else:
            for column, cell in record.values.items():
                if column not in fill.filled and len(fill.order) < _MAX_PATHS:
                    fill.order.append(column)
                    fill.filled[column] += 0
                if not is_empty(cell):
                    fill.see(column)

    def value(self, field_name: str, kind: str, raw: Any) -> None:
        if kind not in _DATE_KINDS or is_empty(raw):
            return
        for item in raw if isinstance(raw, list) else [raw]:
            if not is_empty(item):
                _classify(self.dates.setdefault(field_name, DateField(field_name)), item)


def filled_paths(value: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """The paths of a JSON-like record that hold a non-empty value (``labels[].name``)."""
    if depth > _MAX_DEPTH or is_empty(value):
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from filled_paths(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from filled_paths(item, f"{prefix}[]", depth + 1)
    elif prefix:
        yield prefix


def _classify(field: DateField, raw: Any) -> None:
    field.values += 1
    if isinstance(raw, dict) and "$date" in raw:
        shape = "Mongo {$date}"
        field.epochs += 1
    elif isinstance(raw, bool):
        shape = "yes/no"
    elif isinstance(raw, int | float):
        shape = "epoch number (ms)" if abs(raw) > 1e11 else "epoch number (s)"
        field.epochs += 1
    elif isinstance(raw, datetime):
        shape = "spreadsheet date-time cell"
        field.naive += raw.tzinfo is None
    elif isinstance(raw, date):
        shape = "spreadsheet date cell"
        field.date_only += 1
    else:
        text = str(raw).strip()
        shape = text_shape(text)
        if _EPOCH_TEXT.match(text):
            field.epochs += 1
        elif (offset := _OFFSET.search(text)) is not None:
            field.offsets[offset.group(1).upper()] += 1
        elif _HAS_TIME.search(text):
            field.naive += 1
        else:
            field.date_only += 1
    field.shapes[shape] += 1
    field.examples.setdefault(shape, str(raw)[:60])


def text_shape(text: str) -> str:
    """``23/Nov/21 1:36 PM`` → ``99/Mon/99 99:99 PM``: a run of one or two digits becomes 99, a
    longer one as many 9s, words Mon (AM/PM kept)."""
    out: list[str] = []
    for token in re.findall(r"\d+|[^\W\d_]+|.", text):
        if token.isdigit():
            out.append("99" if len(token) <= 2 else "9" * len(token))
        elif token.isalpha() and len(token) > 1:
            out.append(token.upper().replace(".", "") if _AMPM.match(token) else "Mon")
        else:
            out.append(token)
    return "".join(out)


class _Tally:
    """Counts, values and people from the canonical issues."""

    def __init__(self, config: MappingConfig) -> None:
        self.config = config
        self.counts = Counts()
        self.values: dict[str, Counter[str]] = {name: Counter() for name in VALUE_FIELDS}
        self.people: dict[tuple[str, str, str], Person] = {}
        self.keys: set[str] = set()
        self.link_targets: list[str] = []
        self.parents: list[str] = []

    def add(self, issue: Issue, files: AttachmentFiles) -> None:
        c = self.counts
        c.issues += 1
        self.keys.update(k for k in (issue.key, issue.source.id) if k)
        for name in ("type", "status", "priority", "resolution"):
            value = getattr(issue, name)
            if value:
                self.values[name][str(value).strip()] += 1
        self.values["components"].update(issue.components)
        self.values["versions"].update([*issue.affected_versions, *issue.fix_versions])
        self.values["tags"].update(issue.tags)
        if issue.parent_key:
            c.with_parent += 1
            self.parents.append(issue.parent_key)
        self._people(issue)
        c.comments += len(issue.comments)
        c.worklogs += len(issue.worklogs)
        for link in issue.links:
            self.values["link"][link.relationship.strip()] += 1
            self.link_targets.append(link.to_key)
        if not issue.parent_key and any(self._makes_child(link.relationship) for link in issue.links):
            c.child_by_link += 1
        for attachment in [*issue.attachments, *(a for cm in issue.comments for a in cm.attachments)]:
            self._file(attachment, files, (issue.key, issue.source.id))

    def _makes_child(self, relationship: str) -> bool:
        """Whether a link of this source relationship makes its issue a child in Tracker (a sub-task
        or an epic's issue), read through the mapping's ``values.link`` — as exports whose hierarchy
        comes as links (Azure DevOps' tree queries, Jira's "Parent/Child" links) have it."""
        value = relationship.strip()
        link_map = self.config.value_map("link")
        if link_map is None:
            return value.casefold() in CHILD_RELATIONSHIPS
        found, target = link_map.lookup(value)
        if not found and link_map.unmapped == "default":
            target = link_map.default
        elif not found and link_map.unmapped == "keep":
            target = value
        return target is not None and target.casefold() in CHILD_RELATIONSHIPS

    def _file(self, attachment: Attachment, files: AttachmentFiles, issue_folders: tuple[str, str]) -> None:
        if any(path.is_file() for path in files.local_paths(attachment, issue_folders)):
            self.counts.files_present += 1
        elif attachment.location.startswith(("http://", "https://")) and self.config.source.files.download:
            self.counts.files_remote += 1
        else:
            self.counts.files_missing += 1

    def _people(self, issue: Issue) -> None:
        refs: list[tuple[str, UserRef | None]] = [
            ("author", issue.created_by),
            ("updater", issue.updated_by),
            ("resolver", issue.resolved_by),
            ("assignee", issue.assignee),
            *(("follower", u) for u in issue.followers),
            *(("commenter", cm.author) for cm in issue.comments),
            *(("worklog", w.author) for w in issue.worklogs),
            *(("file", a.author) for a in issue.attachments),
        ]
        for role, ref in refs:
            if ref is None:
                continue
            key = (ref.name.casefold(), (ref.email or "").casefold(), (ref.display or "").casefold())
            person = self.people.setdefault(key, Person(ref.name, ref.email, ref.display))
            person.count += 1
            person.roles[role] += 1

    def finish(self) -> None:
        c = self.counts
        for target in self.link_targets:
            if target in self.keys:
                c.links_inside += 1
            else:
                c.links_outside += 1
        for parent in self.parents:
            if parent in self.keys:
                c.parents_inside += 1
            else:
                c.parents_outside += 1

    def outside(self) -> list[str]:
        return sorted({t for t in [*self.link_targets, *self.parents] if t not in self.keys})[:10]


def survey(config: MappingConfig, paths: Sequence[Path], files: AttachmentFiles) -> tuple[Survey, Findings]:
    """Read the export once through ``config``; ``files`` (an ``AttachmentFiles``) tells which
    attachment files are present. Raises ``MigratorError`` when the export cannot be read at all."""
    findings = Findings()
    observer = _Observer()
    tally = _Tally(config)
    for issue in read_issues(config.source, list(paths), findings, observer=observer):
        tally.add(issue, files)
    tally.finish()
    values = {name: counter for name, counter in tally.values.items() if counter}
    people = sorted(tally.people.values(), key=lambda p: (-p.count, p.name.casefold()))
    result = Survey(
        counts=tally.counts,
        tables=list(observer.tables.values()),
        values=values,
        people=people,
        dates=sorted(observer.dates.values(), key=lambda d: d.path),
        blocking=blocking(config, findings, values),
        outside=tally.outside(),
    )
    return result, findings


def blocking(
    config: MappingConfig, findings: Findings, values: dict[str, Counter[str]]
) -> list[dict[str, Any]]:
    """What would already block ``validate`` without looking at the target: reading errors (by kind,
    with a count and the first example), values the mapping's maps leave unmapped (``unmapped:
    error``) or undecided, and open ``"?"`` settings."""
    out: list[dict[str, Any]] = []
    by_kind: dict[str, list[Any]] = {}
    for finding in findings:
        if finding.severity is Severity.ERROR:
            by_kind.setdefault(finding.kind, []).append(finding)
    for kind, items in by_kind.items():
        first = items[0]
        out.append(
            {"kind": kind, "count": len(items), "message": first.message, "where": first.location(),
             "value": first.value, "hint": first.hint}
        )  # fmt: skip
    for name, counter in values.items():
        vmap = config.values.get(name)
        if vmap is None:
            continue
        for value, count in counter.most_common():
            found, target = vmap.lookup(value)
            if found and target == UNDECIDED:
                kind, why = "decision.undecided", f'values.{name}.map leaves it undecided ("?")'
            elif not found and vmap.unmapped == "error":
                kind, why = "value.unmapped", f"not in values.{name}.map (unmapped: error)"
            else:
                continue
            out.append(
                {"kind": kind, "count": count, "message": f"{name} {value!r}: {why}", "where": f"values.{name}",
                 "value": value, "hint": "`migrator init` lists it with the best Tracker match"}
            )  # fmt: skip
    for item in config.undecided:
        if item.scalar:
            out.append(
                {"kind": "decision.undecided", "count": 1, "message": f"{item.path} is undecided (\"?\")",
                 "where": item.path, "value": UNDECIDED, "hint": "decide it (init asks, or --timezone)"}
            )  # fmt: skip
    return out
