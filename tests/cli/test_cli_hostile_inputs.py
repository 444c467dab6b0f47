"""Hostile inputs at the command line: every command prints one message naming the file, row or
key and field (exit 2), or reports a finding (validate: exit 1) — never a traceback, never a
half-written target. And what validate passes, run writes."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from migrator.cli import main
from migrator.sandbox import SandboxServer

MAPPING = """\
version: 1
source:
  system: demo
  timezone: Europe/Moscow
  date_formats: ["%Y-%m-%d %H:%M", iso]
  files: {directory: files}
  issues:
    fields:
      id: Key
      summary: Summary
      created_at: Created
      created_by: Author
      story_points: Points
  attachments:
    column: File
    pattern: "{filename}"
target: {queue: DEMO, namespace: hostile}
"""
HEADER = ["Key", "Summary", "Created", "Author", "Points", "File"]
GOOD = [["D-1", "First", "2021-05-01 10:00", "alice", "3", ""]]
PointAt = Callable[[SandboxServer], None]
COMMANDS = ["run", "validate", "verify"]


def mapping(tmp_path: Path, text: str = MAPPING) -> Path:
    (tmp_path / "files").mkdir(exist_ok=True)
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def export(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "issues.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def invoke(command: str, source: Path, mapping_path: Path, *extra: str) -> int:
    args = [command, str(source), "--mapping", str(mapping_path), "--no-progress", *extra]
    return main([*args, "--yes"] if command == "run" else args)


def output(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return text


def nothing_written(server: SandboxServer) -> None:
    assert server.stats()["objects"]["issues"] == 0


# --------------------------------------------------------------------------- numeric flags


@pytest.mark.parametrize(
    ("argv", "flag", "says"),
    [
        (["run", "x.csv", "--mapping", "m.yaml", "--workers", "0"], "--workers", "at least 1"),
        (["verify", "x.csv", "--mapping", "m.yaml", "--workers", "-2"], "--workers", "at least 1"),
        (["run", "x.csv", "--mapping", "m.yaml", "--max-rps", "-5"], "--max-rps", "above 0"),
        (["validate", "x.csv", "--mapping", "m.yaml", "--max-rps", "0"], "--max-rps", "above 0"),
        (["verify", "x.csv", "--mapping", "m.yaml", "--max-rps", "nan"], "--max-rps", "not a finite number"),
        (["run", "x.csv", "--mapping", "m.yaml", "--workers", "four"], "--workers", "not a whole number"),
        (["validate", "x.csv", "--mapping", "m.yaml", "--limit", "cell_mb=-1"], "--limit", "positive number"),
        (["validate", "x.csv", "--mapping", "m.yaml", "--limit", "depth=3"], "--limit", "unknown limit"),
        (["sandbox", "serve", "--port", "70000"], "--port", "0 to 65535"),
        (["sandbox", "serve", "--fault-rate", "2"], "--fault-rate", "from 0 to 1"),
        (["sandbox", "serve", "--latency-ms", "-1"], "--latency-ms", "at least 0"),
    ],
)
def test_invalid_numeric_flags_are_refused_by_the_parser(
    capsys: pytest.CaptureFixture[str], argv: list[str], flag: str, says: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = output(capsys)
    assert flag in err and says in err


# ------------------------------------------------------------------- could not run: exit 2


def alias_bomb() -> str:
    lines = ["x-anchors:", '  l0: &l0 ["lol"]']
    lines += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 10)]
    return "\n".join(lines) + "\nvalues:\n  status: {map: {Open: *l9}}\n"


def alias_bomb_mapping(tmp_path: Path) -> tuple[Path, Path]:
    return export(tmp_path, GOOD), mapping(tmp_path, MAPPING + alias_bomb())


def deep_json_export(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "issues.json"
    source.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return source, mapping(tmp_path, MAPPING.replace("  files:", "  format: json\n  files:"))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("make", "parts"),
    [
        (alias_bomb_mapping, ["mapping.yaml", "line 25:", "--limit yaml_nodes=N"]),
        (deep_json_export, ["issues.json: the JSON is nested 100,000 levels deep", "json_depth"]),
    ],
    ids=["alias-bomb-mapping", "json-100000-deep"],
)
def test_a_hostile_file_is_one_message_for_every_command(
    command: str,
    make: Callable[[Path], tuple[Path, Path]],
    parts: list[str],
    tmp_path: Path,
    sandbox: SandboxServer,
    point_at: PointAt,
    capsys: pytest.CaptureFixture[str],
) -> None:
    point_at(sandbox)
    assert invoke(command, *make(tmp_path)) == 2
    out = output(capsys)
    for part in parts:
        assert part in out, f"{part!r} not in:\n{out}"
    nothing_written(sandbox)


@pytest.mark.parametrize("flag", ["--target-snapshot", "--sandbox-fixture"])
def test_a_snapshot_nested_100000_deep_is_one_message(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    snapshot = tmp_path / "target.json"
    snapshot.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    extra = [flag, str(snapshot), "--sandbox-data", str(tmp_path / "new.sqlite")]
    assert invoke("validate", export(tmp_path, GOOD), mapping(tmp_path), *extra) == 2
    assert "target.json" in output(capsys)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_read(
    tmp_path: Path, sandbox: SandboxServer, point_at: PointAt, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(sandbox)
    source = tmp_path / "issues.xlsx"
    book = Workbook()
    sheet = book.active
    for n in range(10_000):  # 3 MB of sheet XML packing 13:1 (a bomb packs 1000:1; the default allows 200)
        sheet.append([f"D-{n}", "same summary", "2021-05-01 10:00", "alice", 3, ""])
    book.save(source)
    code = invoke("validate", source, mapping(tmp_path), "--limit", "xlsx_ratio=10")
    out = output(capsys)
    assert code == 2
    assert "issues.xlsx: part xl/worksheets/sheet1.xml unpacks" in out and "xlsx_ratio" in out


def test_a_cell_over_the_limit_names_the_row_and_the_flag_raises_it(
    tmp_path: Path, sandbox: SandboxServer, point_at: PointAt, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(sandbox)
    source = export(tmp_path, [*GOOD, ["D-2", "y" * (1024 * 1024 + 5), "2021-05-02 10:00", "bob", "", ""]])
    assert invoke("validate", source, mapping(tmp_path), "--limit", "cell_mb=1") == 2
    assert "issues.csv row 3: a cell is over limits.cell_mb (1 MB)" in output(capsys)
    assert invoke("validate", source, mapping(tmp_path)) == 1  # read; then too long for Tracker
    assert "summary.too_long" in output(capsys)


# ------------------------------------------------------------- findings: validate exits 1


@pytest.mark.parametrize(
    ("row", "kind", "parts"),
    [
        (["D-2", "x", "2021-05-02 10:00", "bob", "NaN", ""], "number.not_finite", ["row 3", "story_points"]),
        (["D-2", "x", "2021-05-02 10:00", "bob", "9" * 5000, ""], "number.not_finite", ["row 3", "story_points"]),
        (["D-2", "x", "2021-05-02 10:00", "bob", "", "../secret.txt"], "attachment.outside_directory",
         ["row 3", "attachments[0].location", "../secret.txt"]),
        (["D-2", "x", "0001-01-01 00:00", "bob", "", ""], "date.unparsable", ["row 3", "created_at"]),
    ],
)  # fmt: skip
def test_hostile_values_are_findings_naming_row_and_field(
    tmp_path: Path,
    sandbox: SandboxServer,
    point_at: PointAt,
    capsys: pytest.CaptureFixture[str],
    row: list[str],
    kind: str,
    parts: list[str],
) -> None:
    point_at(sandbox)
    (tmp_path / "secret.txt").write_text("not yours", encoding="utf-8")
    assert invoke("validate", export(tmp_path, [*GOOD, row]), mapping(tmp_path)) == 1
    out = output(capsys)
    assert kind in out
    for part in parts:
        assert part in out, f"{part!r} not in:\n{out}"
    findings = json.loads((tmp_path / "migrator-report" / "report.json").read_text(encoding="utf-8"))[
        "findings"
    ]
    assert kind in {f["kind"] for f in findings}
    nothing_written(sandbox)


def test_what_validate_passes_run_writes(
    tmp_path: Path, sandbox: SandboxServer, point_at: PointAt, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date before year 1000 and a NUL in a summary used to pass validation and fail the write."""
    point_at(sandbox)
    rows = [
        ["D-1", "Fi\x00rst", "0999-05-01 10:00", "alice", "", ""],
        ["D-2", "ok", "2021-05-02 10:00", "bob", "", ""],
    ]
    source, mapping_path = export(tmp_path, rows), mapping(tmp_path)
    assert invoke("validate", source, mapping_path) == 0
    assert "text.control_characters" in output(capsys)
    assert invoke("run", source, mapping_path) == 0
    output(capsys)
    assert sandbox.stats()["objects"]["issues"] == 2 + 1  # and the queue's import-lease marker
    assert invoke("verify", source, mapping_path) == 0
    output(capsys)
