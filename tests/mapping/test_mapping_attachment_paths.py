"""Attachment paths stay inside ``source.files.directory``: ``..`` (also hidden as ``%2F`` in a
URL), absolute paths and symlinks leading out are an ``attachment.outside_directory`` error, and
the file outside is never read."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.findings import Severity
from migrator.mapping.attachments import OUTSIDE, AttachmentFiles, FileInfo, FileProblem
from migrator.mapping.config import load_mapping
from migrator.model import Attachment, SourceRef

from .mapping_helpers import make_issue, of_kind, transformer

SECRET = b"the neighbour's private key"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``tmp_path/secret.txt`` (outside) and ``tmp_path/files/`` (the attachment directory)."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "files" / "10001").mkdir(parents=True)
    (tmp_path / "files" / "ok.txt").write_bytes(b"fine")
    return tmp_path


def att(location: str | None, filename: str = "secret.txt") -> Attachment:
    return Attachment(SourceRef("jira", "a-1", "issues.csv", 7), filename, location)


def never_read(monkeypatch: pytest.MonkeyPatch, secret: Path) -> None:
    real_open = Path.open

    def guarded(self: Path, *args: object, **kwargs: object) -> object:
        assert self.resolve() != secret.resolve(), "the file outside the directory was opened"
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded)


@pytest.mark.parametrize(
    ("location", "filename"),
    [
        pytest.param("../secret.txt", "secret.txt", id="dot-dot-location"),
        pytest.param("10001/../../secret.txt", "secret.txt", id="dot-dot-inside-a-path"),
        pytest.param(
            "https://jira.example.com/secure/attachment/10001/..%2F..%2Fsecret.txt",
            "x.txt",
            id="encoded-in-url",
        ),
        pytest.param(
            "https://jira.example.com/secure/attachment/..%2Fsecret.txt", "x.txt", id="encoded-last"
        ),
        pytest.param(None, "../secret.txt", id="file-name"),
        pytest.param("https://jira.example.com/download?id=7", "../secret.txt", id="file-name-after-url"),
    ],
)
def test_a_path_leading_out_is_refused_and_not_read(
    layout: Path, monkeypatch: pytest.MonkeyPatch, location: str | None, filename: str
) -> None:
    never_read(monkeypatch, layout / "secret.txt")
    found = AttachmentFiles(layout / "files", 10).resolve(att(location, filename))
    assert isinstance(found, FileProblem), found
    assert found.kind == OUTSIDE
    assert "leads out of the attachment directory" in found.message
    assert str(layout / "files") in found.hint


def test_an_encoded_absolute_path_in_a_url_is_refused_even_when_absolute_paths_are_allowed(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    never_read(monkeypatch, layout / "secret.txt")
    encoded = str(layout / "secret.txt").replace("/", "%2F")
    files = AttachmentFiles(layout / "files", 10, allow_absolute_paths=True)
    found = files.resolve(att(f"https://jira.example.com/a/{encoded}", "x.txt"))
    assert isinstance(found, FileProblem) and found.kind == OUTSIDE


def test_an_absolute_location_needs_the_mapping_to_allow_it(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    never_read(monkeypatch, layout / "secret.txt")
    found = AttachmentFiles(layout / "files", 10).resolve(att(str(layout / "secret.txt")))
    assert isinstance(found, FileProblem) and found.kind == OUTSIDE
    assert "absolute path" in found.message and "allow_absolute_paths: true" in found.hint


def test_a_symlink_leading_out_of_the_directory_is_refused(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layout / "files" / "link.txt").symlink_to(layout / "secret.txt")
    (layout / "files" / "outside").symlink_to(layout, target_is_directory=True)
    never_read(monkeypatch, layout / "secret.txt")
    files = AttachmentFiles(layout / "files", 10)
    for location in ("link.txt", "outside/secret.txt"):
        found = files.resolve(att(location))
        assert isinstance(found, FileProblem) and found.kind == OUTSIDE, location
        assert "symlink leading out" in found.message


def test_a_symlink_inside_the_directory_and_a_harmless_path_are_read(layout: Path) -> None:
    (layout / "files" / "10001" / "alias.txt").symlink_to(layout / "files" / "ok.txt")
    files = AttachmentFiles(layout / "files", 10)
    for location in ("10001/alias.txt", "ok.txt", "https://jira.example.com/secure/attachment/10001/ok.txt"):
        found = files.resolve(att(location, "ok.txt"))
        assert isinstance(found, FileInfo) and found.size == 4, location


def test_the_transform_reports_the_escape_with_file_row_and_field(layout: Path) -> None:
    t = transformer(source_dir=layout)
    assert t.transform(make_issue(attachments=[att("../secret.txt")])) is None
    (f,) = of_kind(t.findings, OUTSIDE)
    assert (f.severity, f.field, f.key, f.file, f.row, f.value) == (
        Severity.ERROR,
        "attachments[0].location",
        "PROJ-1",
        "issues.csv",
        7,
        "../secret.txt",
    )


MAPPING = """\
version: 1
source:
  system: jira
  timezone: UTC
  files: {directory: files, allow_absolute_paths: %s}
  issues:
    fields: {id: Issue id, summary: Summary, created_at: Created, created_by: Reporter}
target: {queue: DEMO, namespace: paths}
"""


def test_allow_absolute_paths_is_a_mapping_key(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING % "true", encoding="utf-8")
    assert load_mapping(path).source.files.allow_absolute_paths is True
    path.write_text(MAPPING % "sometimes", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert caught.value.problems == [
        "source.files.allow_absolute_paths: must be true or false "
        "(hint: true reads absolute attachment locations as they are)"
    ]


def test_an_absolute_path_inside_an_export_root_is_read_and_may_not_leave_it(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers point attachments kept in a SOURCE folder/archive at their local copy."""
    root = layout / "export"
    (root / "uploads").mkdir(parents=True)
    (root / "uploads" / "a.png").write_bytes(b"png")
    (root / "uploads" / "out.txt").symlink_to(layout / "secret.txt")
    files = AttachmentFiles(layout / "files", 10, roots=[root])
    inside = files.resolve(att(str(root / "uploads" / "a.png"), "a.png"))
    assert isinstance(inside, FileInfo) and inside.size == 3
    never_read(monkeypatch, layout / "secret.txt")
    for location in (str(root / "uploads" / ".." / ".." / "secret.txt"), str(root / "uploads" / "out.txt")):
        refused = files.resolve(att(location))
        assert isinstance(refused, FileProblem) and refused.kind == OUTSIDE, location
        assert f"the SOURCE folder {root}" in refused.message
    elsewhere = files.resolve(att(str(layout / "secret.txt")))
    assert isinstance(elsewhere, FileProblem) and "absolute path" in elsewhere.message
