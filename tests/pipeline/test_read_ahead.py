"""The sources stage read ahead in a child process gives what ``read_issues`` gives in this one:
the same issues, the same findings, each finding added before the same issue; errors raised where
they would be; the child never outlives the stream."""

from __future__ import annotations

import json
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from migrator.errors import ConfigError, MigratorError
from migrator.findings import Finding, Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.model import Issue
from migrator.pipeline.prepared import Stages
from migrator.pipeline.read_ahead import (
    ReadAhead,
    ReadAheadStream,
    ReadStarted,
    _ParentGone,
    _Sender,
    export_bytes,
)
from migrator.report.json_report import write_json_report
from migrator.sources.reading import read_issues
from migrator.timeutil import format_tracker_datetime
from migrator.validate import validate
from tests.sources.sources_helpers import BASE_HEADER, issue_row, make_config, write_csv
from tests.validate_helpers import default_target

ROOT = Path(__file__).resolve().parents[2]

# (sample folder, preset, SOURCE files): a CSV with embedded comments, child tables in separate
# files, an archive, an adapter's JSON, an Excel workbook, an XML export
SAMPLES = [
    ("jira", "jira-csv", ["issues.csv"]),
    ("bugzilla-json", "bugzilla-json", ["bug.json", "comments.json", "attachments.json"]),
    ("github-archive", "github-archive", ["migration_archive.tar.gz"]),
    ("trello-json", "trello-json", ["board.json"]),
    ("generic", "generic-excel", ["tracker.xlsx"]),
    ("jira-xml", "jira-xml", ["SearchRequest.xml"]),
]

Trace = list[tuple[Issue, list[Finding]]]


def preset_config(tmp_path: Path, preset: str) -> MappingConfig:
    """The preset with a time zone where it leaves it to the user."""
    data = yaml.safe_load((ROOT / "mappings" / f"{preset}.yaml").read_text(encoding="utf-8"))
    if data["source"].get("timezone") == "?":
        data["source"]["timezone"] = "UTC"
    path = tmp_path / f"{preset}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_mapping(path)


def traced(issues: Iterator[Issue], findings: Findings) -> tuple[Trace, list[Finding]]:
    """Each issue with the findings added since the previous one, and what came after the last."""
    trace: Trace = []
    seen = 0
    for issue in issues:
        now = list(findings)
        trace.append((issue, now[seen:]))
        seen = len(now)
    return trace, list(findings)[seen:]


@pytest.mark.parametrize(("sample", "preset", "files"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_read_ahead_equals_reading_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str, preset: str, files: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # an archive's cache is relative to the current folder, in both
    config = preset_config(tmp_path, preset)
    paths = [ROOT / "samples" / sample / name for name in files]
    here, ahead = Findings(), Findings()
    expected = traced(read_issues(config.source, paths, here), here)
    stream = ReadAhead(min_bytes=0)(config.source, paths, ahead)
    assert isinstance(stream, ReadAheadStream)
    got = traced(stream, ahead)
    assert len(expected[0]) > 0
    assert got == expected


def test_orphans_skips_and_duplicates_come_at_their_place(tmp_path: Path) -> None:
    """Findings of the reading made mid-stream (duplicates, where:) and at its end (orphans)."""
    config = make_config(
        tmp_path,
        {
            "issues": {"where": {"not": {"Summary": "skip me"}}},
            "comments": {
                "file": "comments.csv",
                "fields": {"issue": "Issue", "text": "Text", "author": "Author", "created_at": "Created"},
            },
        },
    )
    issues = write_csv(
        tmp_path / "issues.csv",
        [
            BASE_HEADER,
            issue_row("1", "P-1", "one"),
            issue_row("2", "P-2", "skip me"),
            issue_row("1", "P-1", "again"),
            issue_row("3", "P-3", "three"),
        ],
    )
    when = "2021-06-02T12:00:00"
    comments = write_csv(
        tmp_path / "comments.csv",
        [
            ["Issue", "Text", "Author", "Created"],
            ["P-1", "hi", "bob", when],
            ["P-9", "lost", "bob", when],
            ["P-2", "gone", "bob", when],
        ],
    )
    here, ahead = Findings(), Findings()
    expected = traced(read_issues(config.source, [issues, comments], here), here)
    got = traced(ReadAheadStream(config.source, [issues, comments], ahead), ahead)
    assert got == expected
    kinds = [f.kind for _, found in got[0] for f in found] + [f.kind for f in got[1]]
    assert "source.duplicate_key" in kinds and "child.orphan" in kinds


def test_a_set_up_error_is_raised_at_the_first_issue_with_its_message(tmp_path: Path) -> None:
    config = make_config(tmp_path, {})
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(MigratorError) as here:
        read_issues(config.source, [missing], Findings())
    stream = ReadAheadStream(config.source, [missing], Findings())  # started, not waited for
    with pytest.raises(MigratorError) as ahead:
        next(stream)
    assert not stream._process.is_alive()
    assert type(ahead.value) is type(here.value)
    assert str(ahead.value) == str(here.value)


def test_an_error_mid_stream_is_raised_where_the_stream_stood(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"format": "json", "issues": {"records": "issues"}})
    broken = tmp_path / "issues.json"
    broken.write_text('{"issues": [{"Issue id": "1", "Issue key": "P-1"', encoding="utf-8")
    with pytest.raises(MigratorError) as here:
        list(read_issues(config.source, [broken], Findings()))
    with pytest.raises(MigratorError) as ahead:
        list(ReadAheadStream(config.source, [broken], Findings()))
    assert str(ahead.value) == str(here.value)


def test_errors_of_every_kind_cross_processes_intact() -> None:
    import pickle

    config = pickle.loads(pickle.dumps(ConfigError("mapping.yaml", ["a", "b"])))
    assert isinstance(config, ConfigError)
    assert (config.file, config.problems) == ("mapping.yaml", ["a", "b"])
    assert str(config) == str(ConfigError("mapping.yaml", ["a", "b"]))
    plain = pickle.loads(pickle.dumps(MigratorError("bad", hint="fix it")))
    assert (plain.message, plain.hint, str(plain)) == ("bad", "fix it", "bad\n  hint: fix it")


def _csv_export(tmp_path: Path, issues: int) -> tuple[MappingConfig, Path]:
    config = make_config(tmp_path, {})
    rows = [BASE_HEADER, *(issue_row(str(n), f"P-{n}", f"issue {n}") for n in range(1, issues + 1))]
    return config, write_csv(tmp_path / "issues.csv", rows)


def test_abandoning_the_stream_stops_the_child(tmp_path: Path) -> None:
    config, path = _csv_export(tmp_path, 2000)
    stream = ReadAheadStream(config.source, [path], Findings())
    assert next(stream).key == "P-1"
    child = stream._process
    assert child.is_alive()
    stream.close()
    assert not child.is_alive()
    assert list(stream) == []


def test_a_child_killed_mid_stream_is_an_error_not_a_short_export(tmp_path: Path) -> None:
    config, path = _csv_export(tmp_path, 5000)
    stream = ReadAheadStream(config.source, [path], Findings())
    next(stream)
    assert stream._process.pid is not None
    os.kill(stream._process.pid, signal.SIGKILL)
    with pytest.raises(MigratorError, match="ended before the export did"):
        list(stream)


def test_a_reading_started_early_is_the_stream_the_pass_asks_for(tmp_path: Path) -> None:
    config, path = _csv_export(tmp_path, 300)
    findings = Findings()
    early = ReadStarted(config.source, [path], findings, min_bytes=0)
    assert early.started and early._started is not None and early._started._process.is_alive()
    child = early._started._process
    stream = early(config.source, [path], findings)  # what PreparedRun asks of its stage
    assert isinstance(stream, ReadAheadStream) and stream._process is child
    here = Findings()
    assert traced(stream, findings) == traced(read_issues(config.source, [path], here), here)
    assert not early.started  # handed over once: asked again, it reads anew
    again = early(config.source, [path], Findings())
    assert isinstance(again, ReadAheadStream) and again._process is not child
    again.close()


def test_a_reading_started_early_and_not_asked_for_is_stopped(tmp_path: Path) -> None:
    config, path = _csv_export(tmp_path, 2000)
    early = ReadStarted(config.source, [path], Findings(), min_bytes=0)
    assert early._started is not None
    child = early._started._process
    early.close()  # the run was refused before its pass
    assert not child.is_alive()
    other = ReadStarted(config.source, [path], Findings(), min_bytes=0)
    assert other._started is not None
    second = other._started._process
    asked = Findings()  # another reading than the one started: it gets its own stream
    assert [i.key for i in other(config.source, [path], asked)][:2] == ["P-1", "P-2"]
    assert not second.is_alive()


def test_a_small_export_is_not_started_early(tmp_path: Path) -> None:
    config, path = _csv_export(tmp_path, 3)
    early = ReadStarted(config.source, [path], Findings(), min_bytes=path.stat().st_size + 1)
    assert not early.started
    assert [i.key for i in early(config.source, [path], Findings())] == ["P-1", "P-2", "P-3"]


def test_a_child_killed_in_the_middle_of_a_message_is_an_error_not_a_hang(tmp_path: Path) -> None:
    # Batches of long issues are larger than a pipe holds: while this process reads nothing the
    # child is blocked half-way through writing one. Killed then (the system's OOM killer), it leaves
    # half a message; reading it waited for the rest forever (the whole suite hung on it once).
    config = make_config(tmp_path, {})
    rows = [BASE_HEADER, *(issue_row(str(n), f"P-{n}", "long " * 800) for n in range(1, 3001))]
    path = write_csv(tmp_path / "issues.csv", rows)
    stream = ReadAheadStream(config.source, [path], Findings())
    next(stream)
    time.sleep(1.0)  # the child fills what the queue and the pipe hold, and blocks mid-write
    assert stream._process.pid is not None
    os.kill(stream._process.pid, signal.SIGKILL)
    outcome: list[BaseException] = []

    def read_the_rest() -> None:
        try:
            list(stream)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread to assert on
            outcome.append(exc)

    reader = threading.Thread(target=read_the_rest, daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "reading after the child died mid-message hung"
    assert len(outcome) == 1 and isinstance(outcome[0], MigratorError)
    assert "ended before the export did" in str(outcome[0])


def test_the_child_gives_up_when_its_parent_is_gone() -> None:
    full: queue.Queue[bytes] = queue.Queue(maxsize=1)
    full.put(b"waiting")
    send = _Sender(full, parent=-1)  # type: ignore[arg-type]  # a queue.Queue stands in for the process queue
    with pytest.raises(_ParentGone):
        send("issues", [])


def test_small_exports_are_read_here(tmp_path: Path) -> None:
    config, path = _csv_export(tmp_path, 3)
    size = path.stat().st_size
    assert export_bytes([path]) == size
    assert export_bytes([tmp_path]) >= size  # a folder is walked
    assert export_bytes([tmp_path / "*.csv"]) == size  # a pattern is expanded
    assert export_bytes([tmp_path / "missing.csv"]) == 0
    here = ReadAhead(min_bytes=size + 1)(config.source, [path], Findings())
    assert not isinstance(here, ReadAheadStream)
    ahead = ReadAhead(min_bytes=size)(config.source, [path], Findings())
    assert isinstance(ahead, ReadAheadStream)
    assert [i.key for i in here] == [i.key for i in ahead] == ["P-1", "P-2", "P-3"]


@pytest.mark.parametrize(
    ("sample", "preset", "files", "issues"),
    [
        ("jira", "jira-csv", ["issues.csv"], 26),
        ("github-archive", "github-archive", ["migration_archive.tar.gz"], 9),
    ],
    ids=["jira", "github-archive"],
)
def test_validate_reads_ahead_to_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str, preset: str, files: list[str], issues: int
) -> None:
    """The whole dry run (transform, global checks, files, reports) read here and read ahead: the
    same JSON report — attachments the child extracted from an archive are found by this process."""
    monkeypatch.chdir(tmp_path)
    config = preset_config(tmp_path, preset)
    paths = [ROOT / "samples" / sample / name for name in files]
    reports = []
    for name, read in (("here", read_issues), ("ahead", ReadAhead(min_bytes=0))):
        result = validate(config, paths, default_target(), stages=Stages(read=read))
        when = datetime(2026, 1, 1, tzinfo=UTC)
        report = write_json_report(
            replace(result, generated_at=format_tracker_datetime(when)), tmp_path / name
        )
        reports.append(json.loads(report.read_text(encoding="utf-8")))
    counts = reports[0]["summary"]["counts"]
    assert counts["issues"] == issues and reports[0]["findings"]
    if sample == "github-archive":
        assert counts["attachment_bytes"] > 0  # the files inside the archive were read by this process
    assert reports[0] == reports[1]
