"""Benchmark: ``validate`` on a generated 100,000-issue Jira-style CSV export.

Generates, in a temporary directory, an export with ~3 comments per issue (repeated ``Comment``
cells), ~0.3 links per issue (link columns) and parent/child rows, plus a mapping and a target
snapshot (the sandbox's default org fixture saved as a snapshot). Then runs the dry run against the
snapshot and writes the reports (JSON always; HTML and XLSX when those writers exist), printing the
time of each stage and the peak memory.

    python benchmarks/bench_validate.py                 # 100,000 issues
    python benchmarks/bench_validate.py --issues 20000 --keep /tmp/bench
    python benchmarks/bench_validate.py --issues 20000 --text-workers 1   # markup converted in-process

Peak memory is the process's maximum resident set size (``ru_maxrss``), measured once everything
ran (the markup pool's worker processes are reported apart); ``--tracemalloc`` additionally reports
the Python heap peak of the validate stage (slower). ``--text-workers N`` sets the processes that
convert markup ahead (``1``: in this process; default: one per CPU, once a batch is large enough).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.transform import IssueTransformer
from migrator.pipeline.prepared import PrepareOptions
from migrator.pipeline.prepared import Stages as PipelineStages
from migrator.report.json_report import format_console_summary, write_json_report
from migrator.snapshot import load_target_info
from migrator.tracker.metadata import TargetMetadata
from migrator.validate import validate

QUEUE = "DEMO"
COMMENT_COLUMNS = 4  # cells per row; ~3 used on average
LINK_COLUMNS = {"Outward issue link (Relates)": "relates to", "Outward issue link (Blocks)": "blocks"}
SOURCE_TYPES = {"Bug": "bug", "Task": "task", "Story": "story", "Sub-task": "task"}
SOURCE_PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
DATE_FORMAT = "%Y-%m-%d %H:%M"


@dataclass
class Stages:
    times: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.times[name] = time.perf_counter() - start


# ---------------------------------------------------------------------- the org


def default_fixture() -> dict[str, Any]:
    from migrator.sandbox.fixture import read_fixture

    data, _ = read_fixture(None)
    return data


def write_snapshot(directory: Path) -> tuple[Path, dict[str, Any]]:
    """The sandbox's default org, saved the way ``migrator snapshot`` saves a real one."""
    data = default_fixture()
    metadata = TargetMetadata.from_dict(data)
    path = directory / "target.json"
    metadata.save(path)
    return path, metadata.to_dict()


def queue_vocabulary(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Statuses of the task workflow, priorities, resolutions and logins the export will use."""
    queue = next(q for q in snapshot["queues"] if q["key"] == QUEUE)
    workflow = next(w for w in queue["workflows"] if "task" in w["types"])
    priorities = [p["key"] for p in snapshot["priorities"]]
    users = [u for u in snapshot["users"] if u.get("login")]
    return {
        "statuses": list(workflow["statuses"]),
        "priorities": priorities,
        "resolution": snapshot["resolutions"][0]["key"],
        "users": users,
        "types_ok": all(
            t in sum((w["types"] for w in queue["workflows"]), []) for t in set(SOURCE_TYPES.values())
        ),
    }


# ---------------------------------------------------------------------- the export


def write_mapping(directory: Path, vocab: dict[str, Any], markup: str = "jira") -> Path:
    statuses = {f"S-{s}": s for s in vocab["statuses"]}
    priorities = dict(
        zip(SOURCE_PRIORITIES, (vocab["priorities"] * 5)[: len(SOURCE_PRIORITIES)], strict=True)
    )
    mapping = {
        "version": 1,
        "name": "benchmark: generated Jira-style CSV",
        "source": {
            "system": "jira",
            "format": "csv",
            "encoding": "utf-8",
            "delimiter": ",",
            "timezone": "UTC",
            "date_formats": [DATE_FORMAT],
            "markup": markup,
            "parent_ref": "id",
            "link_ref": "key",
            "issues": {
                "fields": {
                    "id": "Issue id",
                    "key": "Issue key",
                    "summary": "Summary",
                    "description": "Description",
                    "type": "Issue Type",
                    "status": "Status",
                    "priority": "Priority",
                    "resolution": "Resolution",
                    "created_at": "Created",
                    "created_by": "Reporter",
                    "updated_at": "Updated",
                    "resolved_at": "Resolved",
                    "assignee": "Assignee",
                    "parent": "Parent id",
                    "tags": {"column": "Labels", "split": " "},
                },
            },
            "comments": {"column": "Comment", "pattern": "{created_at};{author};{text}"},
            "links": {"columns": dict(LINK_COLUMNS)},
        },
        "target": {"queue": QUEUE, "namespace": "bench"},
        "values": {
            "type": {"map": dict(SOURCE_TYPES), "unmapped": "default", "default": "task"},
            "status": {"map": statuses, "unmapped": "error"},
            "priority": {"map": priorities, "unmapped": "error"},
            "resolution": {"map": {"Fixed": vocab["resolution"]}, "unmapped": "error"},
            "link": {"map": {"relates to": "relates", "blocks": "is dependent by"}, "unmapped": "error"},
        },
        "users": {"match": ["email", "login"], "fallback": vocab["users"][0]["login"]},
    }
    path = directory / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def export_rows(
    count: int, vocab: dict[str, Any], defect_rate: float = 0.0, seed: int = 7
) -> Iterator[list[str]]:
    """Rows of the export, streamed; deterministic for a seed. ``defect_rate`` of the rows get one
    defect each (see ``DEFECTS``) so that findings, not just clean issues, are exercised."""
    rng = random.Random(seed)
    emails = [u.get("email") or u["login"] for u in vocab["users"]]
    start = datetime(2019, 1, 1, 9, 0, tzinfo=UTC)
    parents: list[int] = []
    for n in range(1, count + 1):
        created = start + timedelta(minutes=n * 7)
        updated = created + timedelta(days=rng.randint(1, 60))
        is_child = bool(parents) and rng.random() < 0.1
        status = rng.choice(vocab["statuses"])
        resolved = status in ("resolved", "closed")
        row = [
            str(10_000 + n),
            f"PROJ-{n}",
            f"Issue {n}: {rng.choice(['crash', 'typo', 'slow page', 'feature'])}",
            f"h2. Steps\n* open page {n}\n* click *Save*\n{{code}}print({n}){{code}}",
            "Sub-task" if is_child else rng.choice(["Bug", "Task", "Story"]),
            f"S-{status}",
            rng.choice(SOURCE_PRIORITIES),
            "Fixed" if resolved else "",
            created.strftime(DATE_FORMAT),
            rng.choice(emails),
            updated.strftime(DATE_FORMAT),
            updated.strftime(DATE_FORMAT) if resolved else "",
            rng.choice(emails),
            str(10_000 + rng.choice(parents)) if is_child else "",
            "bench generated",
        ]
        row += comment_cells(rng, created, updated, emails)
        row += link_cells(rng, n, count)
        if not is_child and rng.random() < 0.2:
            parents.append(n)
        if rng.random() < defect_rate:
            rng.choice(DEFECTS)(row, rng)
        yield row


# Column positions in the generated header (see ``write_export``).
PRIORITY, CREATED, REPORTER, FIRST_COMMENT = 6, 8, 9, 15
FIRST_LINK = FIRST_COMMENT + COMMENT_COLUMNS


def _unmapped_priority(row: list[str], rng: random.Random) -> None:
    row[PRIORITY] = "Urgent!"  # not in values.priority.map → value.unmapped (error)


def _unknown_reporter(row: list[str], rng: random.Random) -> None:
    row[REPORTER] = f"former.employee{rng.randint(1, 300)}@old-company.example"  # → user.fallback


def _dangling_link(row: list[str], rng: random.Random) -> None:
    row[FIRST_LINK] = f"OTHER-{rng.randint(1, 10_000)}"  # → link.dangling


def _unparsable_date(row: list[str], rng: random.Random) -> None:
    row[CREATED] = "last Tuesday"  # → date.unparsable


def _early_comment(row: list[str], rng: random.Random) -> None:
    row[FIRST_COMMENT] = (
        "2018-12-31 23:00;" + row[FIRST_COMMENT].split(";", 1)[1] if row[FIRST_COMMENT] else ""
    )


DEFECTS: tuple[Callable[[list[str], random.Random], None], ...] = (
    _unmapped_priority,
    _unknown_reporter,
    _dangling_link,
    _unparsable_date,
    _early_comment,
)


def comment_cells(rng: random.Random, created: datetime, updated: datetime, emails: list[str]) -> list[str]:
    used = rng.choice((2, 3, 3, 4))
    span = max(1, int((updated - created).total_seconds() // 60))
    cells = []
    for index in range(COMMENT_COLUMNS):
        if index >= used:
            cells.append("")
            continue
        when = created + timedelta(minutes=rng.randint(0, span))
        cells.append(
            f"{when.strftime(DATE_FORMAT)};{rng.choice(emails)};comment {index} with *bold*; and a semicolon"
        )
    return cells


def link_cells(rng: random.Random, n: int, count: int) -> list[str]:
    """~0.15 links per column to another issue anywhere in the export (never the issue itself)."""
    cells = []
    for _ in LINK_COLUMNS:
        other = rng.randint(1, count - 1) if count > 1 else n
        other += int(other >= n)
        cells.append(f"PROJ-{other}" if rng.random() < 0.15 and other != n else "")
    return cells


def write_export(directory: Path, count: int, vocab: dict[str, Any], defect_rate: float = 0.0) -> Path:
    header = [
        "Issue id",
        "Issue key",
        "Summary",
        "Description",
        "Issue Type",
        "Status",
        "Priority",
        "Resolution",
        "Created",
        "Reporter",
        "Updated",
        "Resolved",
        "Assignee",
        "Parent id",
        "Labels",
    ]
    header += ["Comment"] * COMMENT_COLUMNS + list(LINK_COLUMNS)
    path = directory / "issues.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(export_rows(count, vocab, defect_rate))
    return path


# ---------------------------------------------------------------------- running


def optional_writer(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def transformer_with(text_workers: int | None) -> Callable[..., IssueTransformer]:
    """The real transformer; ``text_workers`` set how many processes convert markup ahead."""

    def make(config: MappingConfig, target: TargetInfo, findings: Findings, **kw: Any) -> IssueTransformer:
        transformer = IssueTransformer(config, target, findings, **kw)
        if text_workers is not None:
            transformer.texts.workers = text_workers
            if text_workers <= 1:
                transformer.texts.min_parallel = sys.maxsize  # never start the pool
        return transformer

    return make


def run(
    count: int,
    directory: Path,
    *,
    trace: bool,
    markup: str = "jira",
    defect_rate: float = 0.0,
    text_workers: int | None = None,
) -> None:
    stages = Stages()
    with stages.stage("generate export"):
        snapshot_path, snapshot = write_snapshot(directory)
        vocab = queue_vocabulary(snapshot)
        mapping_path = write_mapping(directory, vocab, markup)
        export = write_export(directory, count, vocab, defect_rate)
    rss_before = peak_rss_mb()
    with stages.stage("load mapping + snapshot"):
        config = load_mapping(mapping_path)
        target_info = load_target_info(snapshot_path, QUEUE)
    if trace:
        tracemalloc.start()
    with stages.stage("validate (read + transform + checks)"):
        options = PrepareOptions(source_label=export.name, target_label=f"snapshot {snapshot_path.name}")
        stages_used = PipelineStages(transformer=transformer_with(text_workers))
        result = validate(config, [export], target_info, options, stages=stages_used)
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    reports = write_reports(result, directory / "report", stages)
    print(format_console_summary(result, reports, examples_per_kind=1))
    print()
    print(
        f"export: {export.stat().st_size / 2**20:,.1f} MB, {count:,} issues, "
        f"{result.counts['comments']:,} comments, {result.counts['links']:,} links"
    )
    for name, seconds in stages.times.items():
        print(f"  {name:<40} {seconds:8.2f} s")
    print(
        f"  {'total (without generation)':<40} {sum(stages.times.values()) - stages.times['generate export']:8.2f} s"
    )
    print(f"peak RSS: {peak_rss_mb():,.0f} MB (after generating the export: {rss_before:,.0f} MB)")
    print(f"peak RSS of a markup worker process: {peak_rss_mb(resource.RUSAGE_CHILDREN):,.0f} MB")
    if heap_peak is not None:
        print(f"validate Python heap peak (tracemalloc): {heap_peak:,.0f} MB")


def write_reports(result: Any, directory: Path, stages: Stages) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with stages.stage("write report.json"):
        written.append(write_json_report(result, directory / "report.json"))
    writers = {
        "report.html": optional_writer("migrator.report.html", "write_html_report"),
        "report.xlsx": optional_writer("migrator.report.xlsx", "write_xlsx_report"),
    }
    for name, writer in writers.items():
        if writer is None:
            print(f"({name}: writer not available, skipped)")
            continue
        with stages.stage(f"write {name}"):
            written.append(writer(result, directory / name))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also measure the Python heap peak (slower)"
    )
    parser.add_argument(
        "--markup",
        default="jira",
        choices=["jira", "plain"],
        help="source markup of the generated texts (jira exercises the converter)",
    )
    parser.add_argument(
        "--defect-rate",
        type=float,
        default=0.02,
        help="fraction of issues given one defect (unmapped value, unknown user, dangling link, ...)",
    )
    parser.add_argument(
        "--text-workers",
        type=int,
        default=None,
        help="processes converting markup ahead (1: in this process; default: one per CPU)",
    )
    args = parser.parse_args(argv)
    options = {
        "trace": args.tracemalloc,
        "markup": args.markup,
        "defect_rate": args.defect_rate,
        "text_workers": args.text_workers,
    }
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.issues, args.keep, **options)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        run(args.issues, Path(tmp), **options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
