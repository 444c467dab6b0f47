"""Bad inputs never leave a half-imported target: `migrator run` names file, row/key and field, and writes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from migrator.cli import main

MAPPING = """
version: 1
source:
  system: demo
  timezone: Europe/Moscow
  date_formats: ["%Y-%m-%d %H:%M"]
  parent_ref: key
  files: {directory: files, missing: error}
  issues:
    fields:
      id: Key
      summary: Summary
      created_at: Created
      created_by: Author
      status: Status
      parent: Parent
  attachments:
    column: File
    pattern: "{filename}"
  links:
    columns: {Relates: relates}
target: {queue: DEMO, namespace: bad-inputs}
values:
  status: {map: {Open: open, Done: closed}, unmapped: error}
  link: {map: {relates: relates}, unmapped: error}
users:
  map: {}
  match: [login]
"""
HEADER = ["Key", "Summary", "Created", "Author", "Status", "Parent", "File", "Relates"]
GOOD = [
    ["D-1", "First", "2021-05-01 10:00", "alice", "Open", "", "", ""],
    ["D-2", "Second", "2021-05-02 10:00", "bob", "Done", "D-1", "", "D-1"],
]


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    (tmp_path / "files").mkdir(exist_ok=True)
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "issues.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _run(tmp_path: Path, source: Path, sandbox, point_at, capsys) -> tuple[int, str]:  # noqa: ANN001
    point_at(sandbox)
    code = main(["run", str(source), "--mapping", str(tmp_path / "mapping.yaml"), "--yes", "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _assert_nothing_written(sandbox) -> None:  # noqa: ANN001
    objects = sandbox.stats()["objects"]
    assert objects["issues"] == 0 and objects["comments"] == 0 and objects["attachments"] == 0


def test_clean_input_lands(tmp_path: Path, sandbox, point_at, capsys) -> None:  # noqa: ANN001
    code, out = _run(tmp_path, _write(tmp_path, GOOD), sandbox, point_at, capsys)
    assert code == 0, out
    assert sandbox.stats()["objects"]["issues"] == 2 + 1  # and the queue's import-lease marker


@pytest.mark.parametrize(
    ("rows", "kind", "expected"),
    [
        pytest.param(
            GOOD + [["D-3", "x", "3rd of May", "alice", "Open", "", "", ""]],
            "date.unparsable",
            ["issues.csv row 4", "created_at", "3rd of May"],
            id="unparsable-date",
        ),
        pytest.param(
            GOOD + [["D-3", "x", "2021-05-03 10:00", "alice", "Open", "", "", "", "extra"]],
            "csv.ragged_row",
            ["issues.csv row 4"],
            id="ragged-row",
        ),
        pytest.param(
            GOOD + [["D-3", "x", "2021-05-03 10:00", "alice", "Open", "", "missing.png", ""]],
            "attachment.missing",
            ["issue D-3", "missing.png"],
            id="missing-attachment",
        ),
        pytest.param(
            GOOD + [["D-3", "x", "2021-05-03 10:00", "alice", "Open", "", "", "NOPE-9"]],
            "link.dangling",
            ["issue D-3", "NOPE-9"],
            id="dangling-link",
        ),
        pytest.param(
            [
                ["D-1", "a", "2021-05-01 10:00", "alice", "Open", "D-2", "", ""],
                ["D-2", "b", "2021-05-02 10:00", "bob", "Open", "D-1", "", ""],
            ],
            "parent.cycle",
            ["D-1", "D-2"],
            id="parent-cycle",
        ),
        pytest.param(
            GOOD + [["D-3", "x", "2021-05-03 10:00", "mallory", "Open", "", "", ""]],
            "user.unresolved",
            ["issue D-3", "created_by", "mallory"],
            id="unknown-user",
        ),
        pytest.param(
            GOOD + [["D-3", "x", "2021-05-03 10:00", "alice", "Reopened", "", "", ""]],
            "value.unmapped",
            ["issue D-3", "status", "Reopened"],
            id="unmapped-status",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    tmp_path: Path,
    sandbox,
    point_at,
    capsys,
    rows: list[list[str]],
    kind: str,
    expected: list[str],  # noqa: ANN001
) -> None:
    code, out = _run(tmp_path, _write(tmp_path, rows), sandbox, point_at, capsys)
    assert code == 1, out
    assert kind in out
    for part in expected:
        assert part in out, f"{part!r} not in:\n{out}"
    assert "Traceback" not in out
    assert "Nothing was written" in out
    _assert_nothing_written(sandbox)
    report = json.loads(
        (tmp_path / ".migrator" / "bad-inputs.report" / "report.json").read_text(encoding="utf-8")
    )
    assert kind in {f["kind"] for f in report["findings"]}  # the full list the console points to


def test_unreadable_encoding_is_a_clear_error(tmp_path: Path, sandbox, point_at, capsys) -> None:  # noqa: ANN001
    _write(tmp_path, GOOD)
    source = tmp_path / "issues.csv"
    source.write_bytes(bytes(range(256)) * 64)  # not text in any encoding
    code, out = _run(tmp_path, source, sandbox, point_at, capsys)
    assert code == 2, out
    assert "issues.csv" in out and "Traceback" not in out
    _assert_nothing_written(sandbox)


def test_broken_mapping_lists_every_problem_with_its_key_path(
    tmp_path: Path, sandbox, point_at, capsys
) -> None:  # noqa: ANN001
    source = _write(tmp_path, GOOD)
    (tmp_path / "mapping.yaml").write_text(
        MAPPING.replace("timezone: Europe/Moscow", "timezone: Mars/Base").replace(
            "summary: Summary", "sumary: Summary"
        ),
        encoding="utf-8",
    )
    code, out = _run(tmp_path, source, sandbox, point_at, capsys)
    assert code == 2
    assert "source.timezone" in out and "Mars/Base" in out
    assert "source.issues.fields.sumary" in out and "did you mean 'summary'" in out
    assert "source.issues.fields.summary: is required" in out
    _assert_nothing_written(sandbox)
