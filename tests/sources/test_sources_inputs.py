"""SOURCE as a file, a folder or an archive (.zip, .tar.gz): member globs, lazy extraction into the
cache, unsafe members, size limits, attachments inside the archive, and SOURCEs that match nothing."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.sources.inputs import cache_folder, export_roots, resolve_sources, safe_member_name
from migrator.sources.spec import ArchiveSpec

from .sources_helpers import BASE_HEADER, csv_text, make_config, of_kind, read_all

FIELDS = {
    "id": "iid",
    "key": "iid",
    "summary": "title",
    "created_at": "created_at",
    "created_by": "author_id",
}
ISSUES = [
    {"iid": 1, "title": "Webhook v3", "created_at": "2024-03-01T10:00:00Z", "author_id": 11,
     "notes": [{"note": "see file", "author_id": 12, "created_at": "2024-03-02T10:00:00Z"}],
     "files": [{"name": "flow.csv", "path": "uploads/ab12/flow.csv"}]},
    {"iid": 2, "title": "Retry storm", "created_at": "2024-03-03T10:00:00Z", "author_id": 12, "notes": [],
     "files": [{"name": "trace.txt", "path": "tarball://root/attachments/9f3e/trace.txt"}]},
]  # fmt: skip
MEMBERS = {
    "VERSION": b"0.2.4\n",
    "tree/project.json": b'{"description": "billing"}\n',
    "tree/project/issues.ndjson": "".join(json.dumps(i) + "\n" for i in ISSUES).encode(),
    "tree/project/project_members.ndjson": b'{"user_id": 11, "user": {"username": "ana"}}\n',
    "uploads/ab12/flow.csv": b"step,ok\n1,yes\n",
    "attachments/9f3e/trace.txt": b"trace\n",
}


def _source(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {
        "archives": {"cache": str(tmp_path / "cache")},
        "issues": {"file": "tree/project/issues.ndjson"},
        "comments": {
            "path": "notes",
            "fields": {"author": "author_id", "created_at": "created_at", "text": "note"},
        },
        "attachments": {"path": "files", "fields": {"filename": "name", "location": "path"}},
        **extra,
    }


def _tar(path: Path, members: dict[str, bytes], prefix: str = "./") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _export(tmp_path: Path, kind: str) -> Path:
    """MEMBERS as a .tar.gz, a .zip or a folder named project_export."""
    if kind == "tar.gz":
        return _tar(tmp_path / "project_export.tar.gz", MEMBERS)
    if kind == "zip":
        return _zip(tmp_path / "project_export.zip", MEMBERS)
    folder = tmp_path / "project_export"
    for name, data in MEMBERS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("kind", ["tar.gz", "zip", "folder"])
def test_an_archive_or_folder_is_read_in_place_by_member_path(tmp_path: Path, kind: str) -> None:
    source = _export(tmp_path, kind)
    config = make_config(tmp_path, _source(tmp_path), fields=FIELDS)
    (first, second), findings = read_all(config, source)
    assert [c.text for c in first.comments] == ["see file"]
    label = (
        "project_export/tree/project/issues.ndjson"
        if kind == "folder"
        else f"project_export.{kind}:tree/project/issues.ndjson"
    )
    assert (first.source.file, first.source.row) == (label, 1)
    flow, trace = first.attachments[0], second.attachments[0]
    assert Path(flow.location).read_bytes() == b"step,ok\n1,yes\n"  # extracted, found by its path
    assert Path(trace.location).read_bytes() == b"trace\n"  # GitHub's tarball://root/ form
    if kind != "folder":
        assert Path(flow.location).is_relative_to(tmp_path / "cache")
    assert not list(findings)


@pytest.mark.parametrize("kind", ["tar.gz", "folder"])
def test_a_lookup_file_inside_an_archive_or_folder_is_found_by_its_member_name(
    tmp_path: Path, kind: str
) -> None:
    source = _export(tmp_path, kind)
    members = {"file": "project_members.ndjson", "key": "user_id", "value": "user.username"}
    fields = {**FIELDS, "created_by": {"column": "author_id", "lookup": members}}
    config = make_config(tmp_path, _source(tmp_path), fields=fields)
    (first, second), findings = read_all(config, source)
    assert first.created_by.name == "ana"  # 11 → ana, from tree/project/project_members.ndjson
    assert second.created_by.name == "12"  # not a member: kept, reported once
    assert [f.value for f in of_kind(findings, "lookup.missing")] == ["12"]


def test_attachment_ids_do_not_depend_on_where_the_file_was_extracted(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "export.tar.gz", MEMBERS)
    folder = tmp_path / "export"
    for name, data in MEMBERS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    config = make_config(tmp_path, _source(tmp_path), fields=FIELDS)
    from_archive, _ = read_all(config, archive)
    from_folder, _ = read_all(config, folder)
    assert [a.source.id for i in from_archive for a in i.attachments] == [
        a.source.id for i in from_folder for a in i.attachments
    ]


def test_members_are_extracted_once_into_the_cache(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "export.tar.gz", MEMBERS)
    config = make_config(tmp_path, _source(tmp_path), fields=FIELDS)
    read_all(config, archive)
    extracted = sorted(
        p.relative_to(tmp_path / "cache").as_posix() for p in (tmp_path / "cache").rglob("*") if p.is_file()
    )
    folder = extracted[0].split("/")[0]
    assert folder.startswith("export-")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    read_all(config, archive)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()} == before


def test_unsafe_members_are_never_written_and_reported(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in [("tree/project/issues.ndjson", MEMBERS["tree/project/issues.ndjson"]),
                           ("../escape.txt", b"x"), ("/abs.txt", b"y")]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("uploads/ab12/flow.csv")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    config = make_config(tmp_path, _source(tmp_path), fields=FIELDS)
    (first, _second), findings = read_all(config, archive)
    assert sorted((f.value, f.file) for f in of_kind(findings, "archive.unsafe_member")) == [
        ("../escape.txt", "evil.tar.gz"),
        ("/abs.txt", "evil.tar.gz"),
        ("uploads/ab12/flow.csv", "evil.tar.gz"),
    ]
    assert first.attachments[0].location == "uploads/ab12/flow.csv"  # not resolved to the symlink
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "cache" / "escape.txt").exists()
    assert [safe_member_name(n) for n in ("./a/b", "a/../b", "/x", "C:/x", "a//b")] == [
        "a/b",
        None,
        None,
        None,
        "a/b",
    ]


def test_a_member_over_the_size_limit_stops_extraction(tmp_path: Path) -> None:
    big = {**MEMBERS, "tree/project/issues.ndjson": MEMBERS["tree/project/issues.ndjson"] + b" " * 2_000_000}
    archive = _zip(tmp_path / "big.zip", big)
    config = make_config(
        tmp_path,
        _source(tmp_path, archives={"cache": str(tmp_path / "c"), "max_member_mb": 1}),
        fields=FIELDS,
    )
    with pytest.raises(
        MigratorError,
        match=r"big.zip: .*'tree/project/issues.ndjson' is larger than source.archives.max_member_mb \(1\)",
    ):
        read_all(config, archive)
    assert not [p for p in (tmp_path / "c").rglob("*") if p.is_file()]  # the partial file is gone


def test_a_folder_with_several_data_files_needs_issues_file(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "issues.csv").write_text(csv_text([BASE_HEADER]), encoding="utf-8")
    (folder / "users.csv").write_text("a\n", encoding="utf-8")
    with pytest.raises(
        MigratorError, match=r"holds 2 data files \(issues.csv, users.csv\); which one holds the issues"
    ):
        read_all(make_config(tmp_path, {}), folder)


def test_a_quoted_glob_is_expanded_and_one_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "part1.csv").write_text(
        csv_text([BASE_HEADER, ["1", "A-1", "x", "2021-06-01T12:00:00", "ana"]]), encoding="utf-8"
    )
    (tmp_path / "part2.csv").write_text(
        csv_text([BASE_HEADER, ["2", "A-2", "y", "2021-06-01T12:00:00", "ana"]]), encoding="utf-8"
    )
    issues, _ = read_all(make_config(tmp_path, {}), tmp_path / "part*.csv")
    assert [i.key for i in issues] == ["A-1", "A-2"]
    with pytest.raises(MigratorError, match=r"SOURCE not found: .*nothing\*.csv"):
        read_all(make_config(tmp_path, {}), tmp_path / "nothing*.csv")


def test_an_empty_folder_and_an_unused_source_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(MigratorError, match=r"SOURCE .*empty holds no files"):
        read_all(make_config(tmp_path, {}), tmp_path / "empty")
    (tmp_path / "issues.csv").write_text(csv_text([BASE_HEADER]), encoding="utf-8")
    (tmp_path / "notes.csv").write_text(csv_text([BASE_HEADER]), encoding="utf-8")
    config = make_config(tmp_path, {"issues": {"file": "issues.csv"}})
    with pytest.raises(
        MigratorError, match=r"SOURCE not used: .*notes.csv \(no table of the mapping reads it\)"
    ):
        read_all(config, tmp_path / "issues.csv", tmp_path / "notes.csv")


def test_a_member_glob_that_matches_nothing_lists_the_members(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "export.tar.gz", MEMBERS)
    config = make_config(tmp_path, _source(tmp_path, issues={"file": "tree/issues.ndjson"}), fields=FIELDS)
    with pytest.raises(
        MigratorError,
        match=r"source.issues.file 'tree/issues.ndjson' matches none of the SOURCE files \(VERSION, .*issues.ndjson",
    ):
        read_all(config, archive)


def test_a_damaged_archive_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(MigratorError, match="export.zip: cannot read the zip archive"):
        resolve_sources([broken], ArchiveSpec(cache=str(tmp_path / "c")))


def test_the_data_file_nearest_the_top_of_a_folder_holds_the_issues(tmp_path: Path) -> None:
    folder = tmp_path / "board-export"
    (folder / "attachments" / "65d0").mkdir(parents=True)
    (folder / "issues.csv").write_text(
        csv_text([BASE_HEADER, ["1", "A-1", "x", "2021-06-01T12:00:00", "ana"]])
    )
    (folder / "attachments" / "65d0" / "redirects.csv").write_text("from,to\n/a,/b\n", encoding="utf-8")
    (issue,), _ = read_all(make_config(tmp_path, {}), folder)
    assert (issue.key, issue.source.file) == ("A-1", "board-export/issues.csv")


def test_export_roots_are_the_folders_the_archive_cache_and_each_files_own_cache(tmp_path: Path) -> None:
    folder, data = tmp_path / "export", tmp_path / "show_bug.xml"
    folder.mkdir()
    data.write_text("<bugzilla/>", encoding="utf-8")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("issues.json", "[]")
    spec = ArchiveSpec(cache=str(tmp_path / "cache"))
    roots = export_roots([folder, data, archive], spec)
    # the folder as given; the extraction cache (an archive is given); where an adapter decodes
    # what the XML holds — and nothing else: the file's own folder is not a root
    assert roots == [folder.absolute(), tmp_path / "cache", cache_folder(data, spec)]
    assert cache_folder(data, spec).parent == tmp_path / "cache"
