"""Which preset reads this export: the presets' ``detect:`` signatures tried on the SOURCE.

Bounded work, never a full read: the export's file names (a folder is listed, an archive's table of
contents read), and for the file each preset would read the issues from, its header (CSV/Excel) or
the record paths of its first :data:`PROBE_RECORDS` records (JSON, at most :data:`PROBE_BYTES` of
it; NDJSON; XML). Files are found and opened exactly as ``run`` would (``sources.inputs``,
``sources.tables``), so a preset whose ``issues.file`` glob matches nothing does not match.

Every condition met is evidence and counts one point; a preset matches when all its conditions
hold, and the match with the most points wins — a Jira Cloud preset that also checks ``Parent``
beats a generic CSV one that only checks ``Summary``. With no match, the closest presets are listed
with what they expected and did not find.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ijson

from migrator.errors import MigratorError
from migrator.mapping.preset_section import DetectConditions
from migrator.presets.registry import Preset
from migrator.sources.inputs import Export, FolderSource, resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, SourceSpec
from migrator.sources.tables import ADAPTER, TABULAR, TableSource, file_format, issue_sources, open_table

PROBE_RECORDS = 50
PROBE_BYTES = 4 * 1024 * 1024
_MAX_DEPTH = 10
_MAX_ITEMS = 20  # array items flattened per array
# ijson's C backend turns a whole chunk into events before yielding any, each with its prefix (as long
# as the nesting): small chunks keep a run of "[" from costing memory with the square of its length.
_PROBE_CHUNK = 4096
_NESTING = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}  # ijson events


@dataclass
class FileProbe:
    """What the first records of one file show."""

    label: str
    format: str
    columns: tuple[str, ...] = ()  # CSV/Excel header
    paths: frozenset[str] = frozenset()  # record paths seen (normalised: see ``normal_path``)
    records: int = 0
    problem: str | None = None  # the file could not be read as this format


@dataclass
class Verdict:
    """One preset tried on the export."""

    preset: Preset
    evidence: list[str] = field(default_factory=list)  # conditions met
    missing: list[str] = field(default_factory=list)  # conditions not met
    probe: FileProbe | None = None

    @property
    def matched(self) -> bool:
        return bool(self.evidence) and not self.missing

    @property
    def score(self) -> int:
        return len(self.evidence)

    @property
    def closeness(self) -> float:
        total = len(self.evidence) + len(self.missing)
        return len(self.evidence) / total if total else 0.0


@dataclass
class Detection:
    matched: list[Verdict]  # best first
    closest: list[Verdict]  # when nothing matched: the nearest misses, nearest first

    @property
    def best(self) -> Verdict | None:
        return self.matched[0] if self.matched else None


class ExportView:
    """The SOURCE arguments resolved once, with every probe made cached."""

    def __init__(self, paths: Sequence[Path], archives: ArchiveSpec | None = None) -> None:
        self.paths = list(paths)
        self.export: Export = resolve_sources(self.paths, archives or ArchiveSpec())
        self._probes: dict[tuple[str, str, str | None, str, str, str | None], FileProbe] = {}

    @property
    def kinds(self) -> set[str]:
        """``folder`` and/or ``archive`` when the SOURCE is one."""
        return {"folder" if isinstance(c, FolderSource) else "archive" for c in self.export.containers}

    def names(self) -> list[str]:
        return [f.name for f in self.export.files]

    def probe(self, table: TableSource, source: SourceSpec, records: str | None) -> FileProbe:
        if table.format == ADAPTER:  # an adapter's input is read as the file it is
            table = replace(table, format=file_format(table.file.name, source.format))
        key = (table.file.label, table.format, table.sheet, source.encoding, source.delimiter, records)
        if key not in self._probes:
            self._probes[key] = _probe(table, source, records)
        return self._probes[key]


def detect(view: ExportView, presets: Iterable[Preset]) -> Detection:
    verdicts = [judge(view, preset) for preset in presets]
    matched = sorted((v for v in verdicts if v.matched), key=lambda v: (-v.score, v.preset.name))
    closest = sorted(
        (v for v in verdicts if not v.matched and v.evidence),
        key=lambda v: (-v.closeness, -v.score, v.preset.name),
    )
    return Detection(matched, [] if matched else closest[:3])


def judge(view: ExportView, preset: Preset) -> Verdict:
    """Try one preset's signature on the export."""
    verdict = Verdict(preset)
    spec = preset.info.detect
    if spec.when.empty:
        verdict.missing.append("the preset has no detect: signature (use --preset)")
        return verdict
    source = preset.config.source
    records = spec.records if spec.records is not None else source.issues.records
    probe = _issues_probe(view, source, records, verdict)
    verdict.probe = probe
    for ok, text in _conditions(spec.when, view, probe):
        (verdict.evidence if ok else verdict.missing).append(text)
    if spec.unless is not None:
        hits = [text for ok, text in _conditions(spec.unless, view, probe) if ok]
        if hits:
            verdict.missing.extend(f"not expected: {text}" for text in hits)
        else:
            verdict.evidence.append("none of its exclusions (not:) holds")
    return verdict


def _issues_probe(
    view: ExportView, source: SourceSpec, records: str | None, verdict: Verdict
) -> FileProbe | None:
    try:
        tables = issue_sources(source, view.export)
    except MigratorError as exc:
        verdict.missing.append(f"the issues file: {exc.message}")
        return None
    probe = view.probe(tables[0], source, records)
    if probe.problem is not None:
        verdict.missing.append(f"{probe.label} read as {probe.format}: {probe.problem}")
    return probe


def _conditions(c: DetectConditions, view: ExportView, probe: FileProbe | None) -> Iterator[tuple[bool, str]]:
    if c.format is not None:
        if c.format in ("folder", "archive"):
            yield c.format in view.kinds, f"the SOURCE is a {c.format}"
        else:
            got = probe.format if probe is not None and probe.problem is None else None
            yield (
                got == c.format,
                f"the issues file is {c.format}" + (f" (it is {got})" if got not in (None, c.format) else ""),
            )
    header = {_fold(h) for h in probe.columns} if probe is not None else set()
    for spellings in c.columns_all:
        yield any(_fold(s) in header for s in spellings), f"column {' / '.join(spellings)!r}"
    if c.columns_any:
        hits = [s for group in c.columns_any for s in group if _fold(s) in header]
        names = ", ".join(repr(s) for group in c.columns_any for s in group)
        yield bool(hits), f"one of the columns {names}" + (f" ({hits[0]!r})" if hits else "")
    seen = probe.paths if probe is not None else frozenset()
    for path in c.paths_all:
        yield normal_path(path) in seen, f"path {path!r}"
    if c.paths_any:
        hits = [p for p in c.paths_any if normal_path(p) in seen]
        yield (
            bool(hits),
            f"one of the paths {', '.join(map(repr, c.paths_any))}" + (f" ({hits[0]!r})" if hits else ""),
        )
    files = view.export.files
    for pattern in c.files_all:
        yield any(f.matches(pattern) for f in files), f"a file {pattern!r}"
    if c.files_any:
        hits = [p for p in c.files_any if any(f.matches(p) for f in files)]
        yield (
            bool(hits),
            f"one of the files {', '.join(map(repr, c.files_any))}" + (f" ({hits[0]!r})" if hits else ""),
        )


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def normal_path(path: str) -> str:
    """``labels[].name``, ``labels[type=x].name`` and ``labels.name`` are one path for detection."""
    out: list[str] = []
    depth = 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(char)
    return ".".join(p for p in "".join(out).split(".") if p)


# -- probing one file -------------------------------------------------------------------------------


def _probe(table: TableSource, source: SourceSpec, records: str | None) -> FileProbe:
    probe = FileProbe(table.file.label, table.format)
    try:
        if table.format == "json":
            _probe_json(table.path, records, probe, source.limits.json_depth)
        else:
            _probe_records(open_table(replace(table, records=records), source, {}), probe)
    except MigratorError as exc:
        probe.problem = exc.message
    return probe


def _probe_records(records: Iterator[Record], probe: FileProbe) -> None:
    paths: set[str] = set()
    try:
        for record in records:
            if probe.format in TABULAR:
                probe.columns = tuple(str(h) for h in record.values)
            else:
                paths.update(record_paths(record.values))
            probe.records += 1
            if probe.format in TABULAR or probe.records >= PROBE_RECORDS:
                break
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()
    probe.paths = frozenset(paths)


def record_paths(value: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Every path of a JSON-like record that leads to a value, normalised (arrays are transparent)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from record_paths(inner, path, depth + 1)
    elif isinstance(value, list):
        for item in value[:_MAX_ITEMS]:
            yield from record_paths(item, prefix, depth + 1)


def _probe_json(path: Path, records: str | None, probe: FileProbe, max_depth: int) -> None:
    """Paths of the first records, from ``ijson`` events over at most ``PROBE_BYTES``. Nesting over
    ``max_depth`` (``limits.json_depth``, which the reader refuses) ends the probe: every event's
    prefix is as long as the nesting, so a few hundred KB of ``[`` would take time and memory
    growing with its square."""
    with path.open("rb") as fh:
        head = fh.read(PROBE_BYTES)
    parts = [p for p in (records or "").split(".") if p]
    keyed = bool(parts) and parts[-1] == "*"
    root = ".".join(parts[:-1] if keyed else parts)
    paths: set[str] = set()
    starts = depth = 0
    try:
        for prefix, event, _ in ijson.parse(io.BytesIO(head), buf_size=_PROBE_CHUNK):
            depth += _NESTING.get(event, 0)
            if depth > max_depth:
                probe.problem = f"nested more than {max_depth} levels deep (limits.json_depth)"
                break
            relative = _relative(prefix, root, keyed)
            if relative is None:
                continue
            if relative == "" and event == "start_map":
                starts += 1
                if starts > PROBE_RECORDS:
                    break
            elif relative:
                paths.add(relative)
    except ijson.JSONError as exc:
        if len(head) < PROBE_BYTES or not paths:  # a cut at the byte limit is expected
            probe.problem = f"not valid JSON: {exc}"
    probe.paths = frozenset(_with_parents(paths))
    probe.records = min(starts, PROBE_RECORDS)
    if not paths and probe.problem is None:
        probe.problem = f"no records at {records or '(top level)'!r}"


def _relative(prefix: str, root: str, keyed: bool) -> str | None:
    """The path of an ijson prefix inside one record, or None outside the records."""
    parts = prefix.split(".") if prefix else []
    head = root.split(".") if root else []
    if parts[: len(head)] != head:
        return None
    rest = parts[len(head) :]
    if keyed or (rest and rest[0] == "item"):
        if not rest:
            return None
        rest = rest[1:]
    return ".".join(p for p in rest if p != "item")


def _with_parents(paths: set[str]) -> set[str]:
    out = set(paths)
    for path in paths:
        parts = path.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return out
