"""Streaming: a big export is read lazily, in memory far below its size (no timing assertions)."""

from __future__ import annotations

import csv
import tracemalloc
from itertools import islice
from pathlib import Path

import pytest

from migrator.findings import Findings
from migrator.sources.reading import read_issues

from .sources_helpers import BASE_HEADER, make_config

ROWS = 50_000
APPENDED = 10
TRACED = 10_000
BODY = "Описание задачи, достаточно длинное; с разделителями. " * 4  # ~220 characters, ~400 bytes


def _write_rows(path: Path, numbers: range, *, header: bool) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        if header:
            writer.writerow(BASE_HEADER + ["Description", "Comment"])
        for n in numbers:
            writer.writerow(
                [
                    n,
                    f"BIG-{n}",
                    f"Issue {n}",
                    "2021-06-01T12:00:00",
                    "bob",
                    BODY,
                    f"2021-06-02T10:00:00;ann;{BODY}",
                ]
            )


@pytest.mark.slow
def test_big_csv_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    _write_rows(path, range(1, ROWS + 1), header=True)
    size = path.stat().st_size
    config = make_config(
        tmp_path,
        {"comments": {"column": "Comment", "pattern": "{created_at};{author};{text}"}},
        fields={"description": "Description"},
    )
    findings = Findings()
    tracemalloc.start()  # traced for the first TRACED issues only: tracing every allocation is slow
    try:
        stream = read_issues(config.source, [path], findings)
        first = next(stream)
        # Rows appended now are still seen: the reader had not reached the end of the file.
        _write_rows(path, range(ROWS + 1, ROWS + APPENDED + 1), header=False)
        count, comments = 1, len(first.comments)
        for issue in islice(stream, TRACED - 1):
            count += 1
            comments += len(issue.comments)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for issue in stream:
        count += 1
        comments += len(issue.comments)
    print(
        f"\nexport {size / 1e6:.1f} MB, {ROWS} rows: peak traced memory for {TRACED} issues {peak / 1e6:.1f} MB"
    )
    assert first.key == "BIG-1" and first.comments[0].text == BODY
    assert count == ROWS + APPENDED and comments == ROWS + APPENDED
    assert list(findings) == []
    assert peak < size / 10  # rows are not accumulated (only the ids/keys seen so far are kept)


def test_ndjson_is_streamed_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "issues.ndjson"
    record = '{{"id": "{n}", "key": "N-{n}", "summary": "{body}", "created": "2021-06-01T12:00:00Z", "by": "bob"}}\n'
    path.write_text("".join(record.format(n=n, body=BODY) for n in range(1, 5001)), encoding="utf-8")
    fields = {"id": "id", "key": "key", "summary": "summary", "created_at": "created", "created_by": "by"}
    config = make_config(tmp_path, {"issues": {"fields": fields}})
    stream = read_issues(config.source, [path], Findings())
    first = next(stream)
    with path.open("a", encoding="utf-8") as fh:  # still seen: the reader is not at the end yet
        fh.write(record.format(n=5001, body="late"))
    keys = [first.key] + [i.key for i in stream]
    assert len(keys) == 5001 and keys[-1] == "N-5001"
