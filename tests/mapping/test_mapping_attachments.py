"""Attachment files: where they are looked for, fingerprints, and every file problem."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from migrator.findings import Severity
from migrator.mapping.attachments import AttachmentFiles, FileInfo, FileProblem
from migrator.model import Attachment, Comment, SourceRef, UserRef

from .mapping_helpers import T0, child_ref, make_config, make_issue, of_kind, transformer


def put(root: Path, rel: str, data: bytes = b"data") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def att(location: str, filename: str = "name.png", **kw: object) -> Attachment:
    return Attachment(SourceRef("jira", kw.pop("ident", "a-1"), "issues.csv", 2), filename, location, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stored", "location"),
    [
        ("10001/name.png", "https://jira.example.com/secure/attachment/10001/name.png"),
        ("name.png", "https://jira.example.com/secure/attachment/10001/name.png"),
        ("name.png", "https://files.example.com/download?id=7"),  # falls back to the file name
        ("my file.png", "https://jira.example.com/secure/attachment/10001/my%20file.png"),
        ("10001/name.png", "https://site.atlassian.net/rest/api/3/attachment/content/10001"),  # Cloud
        ("sub/name.png", "sub/name.png"),
    ],
)
def test_files_are_found_relative_to_the_attachment_directory(
    tmp_path: Path, stored: str, location: str
) -> None:
    put(tmp_path, stored)
    filename = Path(stored).name
    found = AttachmentFiles(tmp_path, 10).resolve(att(location, filename))
    assert isinstance(found, FileInfo)
    assert found.path == tmp_path / stored


def test_jira_url_prefers_the_id_folder_over_a_same_named_file(tmp_path: Path) -> None:
    put(tmp_path, "name.png", b"other")
    put(tmp_path, "10001/name.png", b"right")
    found = AttachmentFiles(tmp_path, 10).resolve(att("https://jira/secure/attachment/10001/name.png"))
    assert isinstance(found, FileInfo) and found.path == tmp_path / "10001" / "name.png"


def test_a_url_whose_id_folder_lacks_the_file_is_missing_not_unreadable(tmp_path: Path) -> None:
    (tmp_path / "10001").mkdir()
    found = AttachmentFiles(tmp_path, 10).resolve(
        att("https://site.atlassian.net/rest/api/3/attachment/content/10001")
    )
    assert isinstance(found, FileProblem) and found.kind == "attachment.missing"
    assert str(tmp_path / "10001" / "name.png") in (found.hint or "")


def test_a_file_name_only_is_found_in_the_issues_own_folder(tmp_path: Path) -> None:
    put(tmp_path, "105/report.png", b"issue 105")  # Redmine CSV: files downloaded per issue
    files = AttachmentFiles(tmp_path, 10)
    found = files.resolve(att("report.png", "report.png"), ("105", "r-105"))
    assert isinstance(found, FileInfo) and found.path == tmp_path / "105" / "report.png"
    put(tmp_path, "report.png", b"loose")
    found = AttachmentFiles(tmp_path, 10).resolve(att("report.png", "report.png"), ("105",))
    assert isinstance(found, FileInfo) and found.path == tmp_path / "report.png"  # the location first


def test_issue_folders_are_listed_when_missing_and_never_leave_the_directory(tmp_path: Path) -> None:
    found = AttachmentFiles(tmp_path, 10).resolve(att("a.txt", "a.txt"), ("PRJ-7", "..", "x/y"))
    assert isinstance(found, FileProblem) and found.kind == "attachment.missing"
    assert str(tmp_path / "PRJ-7" / "a.txt") in found.hint
    assert str(tmp_path / ".." / "a.txt") not in found.hint and "x/y" not in found.hint


def test_transform_finds_files_under_the_issue_key(tmp_path: Path) -> None:
    issue = make_issue(attachments=[att("log.txt", "log.txt")])
    put(tmp_path, f"files/{issue.key}/log.txt")
    planned = transformer(source_dir=tmp_path).transform(issue)
    assert planned is not None and [a.filename for a in planned.attachments] == ["log.txt"]


def test_absolute_locations_are_used_as_they_are_when_the_mapping_allows_them(tmp_path: Path) -> None:
    path = put(tmp_path / "elsewhere", "x.bin")
    found = AttachmentFiles(tmp_path / "files", 10, allow_absolute_paths=True).resolve(
        att(str(path), "x.bin")
    )
    assert isinstance(found, FileInfo) and found.path == path


def test_size_and_sha256_are_computed_in_chunks(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    put(tmp_path, "big.bin", data)
    found = AttachmentFiles(tmp_path, 10).resolve(att("big.bin", "big.bin"))
    assert isinstance(found, FileInfo)
    assert (found.size, found.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    found = AttachmentFiles(tmp_path, 10).resolve(att("https://jira/secure/attachment/10001/name.png"))
    assert isinstance(found, FileProblem) and found.kind == "attachment.missing"
    assert str(tmp_path / "10001" / "name.png") in found.hint and str(tmp_path / "name.png") in found.hint


def test_transform_reports_missing_files_with_location(tmp_path: Path) -> None:
    t = transformer(make_config(missing_files="error"), source_dir=tmp_path)
    planned = t.transform(make_issue(attachments=[att("https://jira/secure/attachment/10001/name.png")]))
    assert planned is None
    (f,) = of_kind(t.findings, "attachment.missing")
    assert (f.severity, f.field, f.key, f.file, f.row) == (
        Severity.ERROR,
        "attachments[0].location",
        "PROJ-1",
        "issues.csv",
        2,
    )
    assert str(tmp_path / "files" / "10001" / "name.png") in (f.hint or "")


def test_too_large_files_are_errors(tmp_path: Path) -> None:
    put(tmp_path, "files/big.bin", b"x" * (1024 * 1024 + 1))
    t = transformer(make_config(max_size_mb=1), source_dir=tmp_path)
    assert t.transform(make_issue(attachments=[att("big.bin", "big.bin")])) is None
    (f,) = of_kind(t.findings, "attachment.too_large")
    assert (f.severity, f.field) == (Severity.ERROR, "attachments[0].location")


def test_unreadable_files_are_errors_with_missing_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = put(tmp_path, "files/secret.bin")
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self == secret:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", deny)  # chmod 0 does not stop root, who runs CI
    t = transformer(make_config(missing_files="error"), source_dir=tmp_path)
    assert t.transform(make_issue(attachments=[att("secret.bin", "secret.bin")])) is None
    (f,) = of_kind(t.findings, "attachment.unreadable")
    assert (f.severity, f.field) == (Severity.ERROR, "attachments[0].location")
    assert "Permission denied" in f.message


def test_a_directory_is_not_a_readable_file(tmp_path: Path) -> None:
    (tmp_path / "files" / "folder.png").mkdir(parents=True)
    t = transformer(make_config(missing_files="error"), source_dir=tmp_path)
    assert t.transform(make_issue(attachments=[att("folder.png", "folder.png")])) is None
    (f,) = of_kind(t.findings, "attachment.unreadable")
    assert (f.severity, f.field) == (Severity.ERROR, "attachments[0].location")


def test_file_names_longer_than_255_characters_are_errors(tmp_path: Path) -> None:
    put(tmp_path, "files/short.txt")
    t = transformer(source_dir=tmp_path)
    assert t.transform(make_issue(attachments=[att("short.txt", "n" * 252 + ".txt")])) is None
    (f,) = of_kind(t.findings, "attachment.name_too_long")
    assert (f.severity, f.field) == (Severity.ERROR, "attachments[0].filename")


def test_the_same_file_twice_is_imported_once(tmp_path: Path) -> None:
    put(tmp_path, "files/a/log.txt", b"same")
    put(tmp_path, "files/b/log.txt", b"same")
    comment = Comment(
        child_ref("c", "1"),
        UserRef("bob"),
        T0,
        "again",
        attachments=[att("b/log.txt", "log.txt", ident="a-2")],
    )
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(attachments=[att("a/log.txt", "log.txt")], comments=[comment]))
    assert planned is not None
    # comments (with their files) are planned first: the copy attached where it was posted stays
    (f,) = of_kind(t.findings, "attachment.duplicate")
    assert (f.severity, f.field) == (Severity.WARNING, "attachments[0]")
    assert [a.filename for a in planned.comments[0].attachments] == ["log.txt"]
    assert planned.attachments == []


def test_a_stated_size_that_differs_from_the_file_is_a_warning(tmp_path: Path) -> None:
    put(tmp_path, "files/a.txt", b"12345")
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(attachments=[att("a.txt", "a.txt", size=9)]))
    assert planned is not None and planned.attachments[0].size == 5
    (f,) = of_kind(t.findings, "attachment.size_mismatch")
    assert (f.severity, f.field, f.value) == (Severity.WARNING, "attachments[0].size", "9")


def test_files_of_a_comment_go_with_the_comment_and_others_to_the_issue(tmp_path: Path) -> None:
    put(tmp_path, "files/in-comment.txt")
    put(tmp_path, "files/on-issue.txt")
    put(tmp_path, "files/orphan.txt")
    comment = Comment(SourceRef("jira", "77"), UserRef("bob"), T0, "see attached")
    files = [
        att("in-comment.txt", "in-comment.txt", ident="a-1", comment_id="77"),
        att("on-issue.txt", "on-issue.txt", ident="a-2"),
        att("orphan.txt", "orphan.txt", ident="a-3", comment_id="99"),
    ]
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(comments=[comment], attachments=files))
    assert planned is not None
    assert [a.filename for a in planned.comments[0].attachments] == ["in-comment.txt"]
    assert [a.filename for a in planned.attachments] == ["on-issue.txt", "orphan.txt"]
    (f,) = of_kind(t.findings, "attachment.comment_missing")
    assert (f.severity, f.field, f.value) == (Severity.WARNING, "attachments[2].comment_id", "99")


def test_files_of_a_skipped_empty_comment_move_to_the_issue(tmp_path: Path) -> None:
    put(tmp_path, "files/shot.png")
    comment = Comment(child_ref("c", "1"), UserRef("bob"), T0, "", attachments=[att("shot.png", "shot.png")])
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(comments=[comment]))
    assert planned is not None
    assert (planned.comments, [a.filename for a in planned.attachments]) == ([], ["shot.png"])
    assert [f.kind for f in t.findings] == ["comment.empty"]


def test_the_attachment_directory_may_be_absolute(tmp_path: Path) -> None:
    put(tmp_path / "store", "a.txt")
    t = transformer(make_config(files_dir=str(tmp_path / "store")), source_dir=tmp_path / "exports")
    planned = t.transform(make_issue(attachments=[att("a.txt", "a.txt")]))
    assert planned is not None and planned.attachments[0].path == str(tmp_path / "store" / "a.txt")


# ---------------------------------------------------------------------- source.files.missing


def test_a_missing_file_does_not_drop_its_issue_and_the_description_names_it(tmp_path: Path) -> None:
    put(tmp_path, "files/kept.txt")
    comment = Comment(child_ref("c", "1"), UserRef("bob"), T0, "still here")
    files = [att("gone_1.png", "gone_1.png", ident="a-1"), att("kept.txt", "kept.txt", ident="a-2")]
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(description="The text.", comments=[comment], attachments=files))
    assert planned is not None  # the default policy is skip-file
    assert [a.filename for a in planned.attachments] == ["kept.txt"]
    assert [c.body["text"] for c in planned.comments] == ["still here"]
    assert planned.body["description"] == (
        "The text.\n\n_Attachment not migrated: gone\\_1.png (file missing in the export)_"
    )
    (f,) = of_kind(t.findings, "attachment.missing")
    assert (f.severity, f.field, f.value) == (Severity.WARNING, "attachments[0].location", "gone_1.png")
    assert "the description names it" in f.message and "source.files.missing: error" in (f.hint or "")


def test_a_missing_comment_file_is_named_in_its_comment(tmp_path: Path) -> None:
    comment = Comment(
        child_ref("c", "1"), UserRef("bob"), T0, "see the log", attachments=[att("log.txt", "log.txt")]
    )
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(comments=[comment]))
    assert planned is not None
    assert planned.comments[0].attachments == []
    assert planned.comments[0].body["text"] == (
        "see the log\n\n_Attachment not migrated: log.txt (file missing in the export)_"
    )
    assert "description" not in planned.body
    (f,) = of_kind(t.findings, "attachment.missing")
    assert (f.severity, f.field) == (Severity.WARNING, "comments[0].attachments[0].location")
    assert "the comment names it" in f.message


def test_an_unreadable_file_alone_gives_the_issue_a_description(tmp_path: Path) -> None:
    (tmp_path / "files" / "folder.png").mkdir(parents=True)
    t = transformer(source_dir=tmp_path)
    planned = t.transform(make_issue(attachments=[att("folder.png", "folder.png")]))
    assert planned is not None and planned.attachments == []
    assert (
        planned.body["description"] == "_Attachment not migrated: folder.png (file unreadable in the export)_"
    )
    assert planned.body["markupType"] == "md"
    (f,) = of_kind(t.findings, "attachment.unreadable")
    assert f.severity is Severity.WARNING


def test_skip_file_does_not_cover_files_tracker_would_refuse(tmp_path: Path) -> None:
    put(tmp_path, "files/big.bin", b"x" * (1024 * 1024 + 1))
    t = transformer(make_config(max_size_mb=1), source_dir=tmp_path)
    assert t.transform(make_issue(attachments=[att("big.bin", "big.bin")])) is None
    assert [f.severity for f in of_kind(t.findings, "attachment.too_large")] == [Severity.ERROR]
