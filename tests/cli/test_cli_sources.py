"""SOURCE as an archive through the whole CLI: read in place, its attachment imported from the
extracted copy; a SOURCE that matches nothing exits 2 naming it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from migrator.cli import main

MAPPING = """
version: 1
source:
  system: demo
  timezone: UTC
  date_formats: ["%Y-%m-%d %H:%M"]
  files: {directory: files}
  issues:
    file: "export/issues.csv"
    fields: {id: Key, summary: Summary, created_at: Created, created_by: Author}
  attachments:
    column: File
    pattern: "{filename}"
target: {queue: DEMO, namespace: archive-cli}
users: {map: {}, match: [login]}
"""
ISSUES = "Key,Summary,Created,Author,File\r\nZ-1,Zipped,2021-05-01 10:00,alice,notes.txt\r\n"


def test_an_archive_source_is_imported_with_its_attachment(tmp_path: Path, sandbox, point_at, capsys) -> None:  # noqa: ANN001
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/issues.csv", ISSUES)
        zf.writestr("export/files/notes.txt", "meeting notes\n")
    point_at(sandbox)
    code = main(["run", str(archive), "--mapping", "mapping.yaml", "--yes", "--no-progress"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    objects = sandbox.stats()["objects"]
    assert (objects["issues"], objects["attachments"]) == (1 + 1, 1)  # and the queue's import-lease marker
    extracted = list((tmp_path / ".migrator" / "archives").rglob("notes.txt"))
    assert [p.read_text() for p in extracted] == ["meeting notes\n"]


def test_a_source_that_matches_nothing_exits_2_naming_it(tmp_path: Path, sandbox, point_at, capsys) -> None:  # noqa: ANN001
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    point_at(sandbox)
    code = main(["validate", "exports/*.zip", "--mapping", "mapping.yaml"])
    err = capsys.readouterr().err
    assert code == 2
    assert "SOURCE not found: exports/*.zip" in err
