"""The GitHub adapters read through their presets: REST API dumps (``github``) and migration
archives (``github-archive``) → issues with comments, uploads, sub-issues, dependencies and
duplicates; pull requests left out."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migrator.findings import Severity
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.model import Issue
from migrator.sources.adapters.github import duplicate_target, uploads_in

from ..sources_helpers import of_kind, read_all

ROOT = Path(__file__).resolve().parents[3]
REST = ROOT / "tests" / "fixtures" / "adapters" / "github"
ARCHIVE = ROOT / "tests" / "fixtures" / "adapters" / "github-archive"


def preset(name: str) -> MappingConfig:
    return load_mapping(ROOT / "mappings" / f"{name}.yaml")


def by_key(issues: list[Issue]) -> dict[str, Issue]:
    return {i.key or "": i for i in issues}


def test_rest_pages_written_back_to_back_are_read_and_pull_requests_skipped() -> None:
    issues, findings = read_all(preset("github-json"), REST)
    assert sorted(by_key(issues)) == ["1", "3"]  # #2 is a pull request
    (filtered,) = of_kind(findings, "source.filtered")
    assert filtered.value == "1"


def test_an_issue_listed_twice_keeps_its_latest_version() -> None:
    issues, findings = read_all(preset("github-json"), REST)
    child = by_key(issues)["3"]
    assert child.summary == "Child task" and child.status == "closed"
    (note,) = of_kind(findings, "github.duplicate_issue")
    assert (note.severity, note.value) == (Severity.INFO, "3")


def test_comments_come_from_the_comments_file_by_issue_url() -> None:
    issues, _ = read_all(preset("github-json"), REST)
    parent = by_key(issues)["1"]
    assert [(c.source.id, c.author.name, c.created_at) for c in parent.comments] == [
        ("501", "bob", datetime(2025, 1, 10, 10, tzinfo=UTC)),
        ("502", "carol", datetime(2025, 1, 11, 10, tzinfo=UTC)),
    ]


def test_uploads_linked_from_body_and_comments_become_attachments() -> None:
    issues, _ = read_all(preset("github-json"), REST)
    parent = by_key(issues)["1"]
    on_issue = [(a.filename, Path(a.location).name) for a in parent.attachments]
    assert on_issue == [
        ("log.txt", "log.txt"),
        (
            "0f0e0d0c-1111-2222-3333-444455556666.png",
            "0f0e0d0c-1111-2222-3333-444455556666",
        ),  # named by content
    ]
    (trace,) = [a for c in parent.comments for a in c.attachments]
    assert (trace.filename, trace.comment_id) == ("trace.txt", "502")


def test_sub_issues_blocked_by_and_duplicates_become_parents_and_links() -> None:
    issues, _ = read_all(preset("github-json"), REST)
    parent, child = by_key(issues)["1"], by_key(issues)["3"]
    assert child.parent_key == "1"  # parent_issue_url on the issue
    assert sorted((link.to_key, link.relationship) for link in parent.links) == [
        ("3", "blocked_by"),  # blocked_by/1.json
        ("acme/gadgets#4", "sub_issue"),  # sub_issues/1.json: a sub-issue in another repository
    ]  # "Duplicate of acme/gadgets#5" was unmarked later (events.json): no link
    assert [(link.to_key, link.relationship) for link in child.links] == [("1", "duplicate_of")]


def test_who_closed_comes_from_the_closed_event() -> None:
    issues, _ = read_all(preset("github-json"), REST)
    child = by_key(issues)["3"]
    assert child.resolved_by is not None and child.resolved_by.name == "carol"
    assert child.resolution == "duplicate"


def test_comments_github_counts_but_the_export_lacks_are_reported(tmp_path: Path) -> None:
    shutil.copytree(REST, tmp_path / "dump")
    (tmp_path / "dump" / "comments.json").write_text("[]", encoding="utf-8")
    _, findings = read_all(preset("github-json"), tmp_path / "dump")
    assert sorted((f.key, f.value) for f in of_kind(findings, "github.comments_missing")) == [
        ("1", "0 of 3"),
        ("3", "0 of 1"),
    ]
    (tmp_path / "dump" / "comments.json").unlink()
    _, findings = read_all(preset("github-json"), tmp_path / "dump")
    (not_exported,) = of_kind(findings, "github.comments_not_exported")
    assert (not_exported.severity, not_exported.value) == (Severity.WARNING, "2")


def test_the_old_shape_with_comments_embedded_still_reads(tmp_path: Path) -> None:
    issue = {
        "url": "https://api.github.com/repos/acme/shop/issues/9",
        "id": 99,
        "number": 9,
        "title": "Old dump",
        "user": {"login": "dana"},
        "state": "open",
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z",
        "comments": 2,
        "comments_data": [
            {
                "id": 1,
                "user": {"login": "dana"},
                "created_at": "2025-01-02T00:00:00Z",
                "body": "Duplicate of #7",
            },
            {"id": 2, "user": None, "created_at": "2025-01-02T01:00:00Z", "body": "by a deleted account"},
        ],
    }
    (tmp_path / "issues.json").write_text(json.dumps([issue]), encoding="utf-8")
    (read,), findings = read_all(preset("github-json"), tmp_path / "issues.json")
    assert [(c.author.name, c.text) for c in read.comments] == [
        ("dana", "Duplicate of #7"),
        ("ghost", "by a deleted account"),  # GitHub's own name for a deleted account
    ]
    assert [(link.to_key, link.relationship) for link in read.links] == [("7", "duplicate_of")]
    assert not of_kind(findings, "github.comments_not_exported")


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ("Duplicate of #7", "7"),
        ("duplicate of #7.\nsee above", "7"),
        ("Duplicate of acme/widgets#7", "7"),  # the issue's own repository
        ("Duplicate of acme/other#7", "acme/other#7"),
        ("Duplicate of https://github.com/acme/other/issues/7", "acme/other#7"),
        ("It is a duplicate of #7", None),  # GitHub's marker starts the comment
        ("\n\nDuplicate of #7", "7"),
        ("Duplicate of something else", None),
    ],
)
def test_duplicate_markers(body: str, target: str | None) -> None:
    assert duplicate_target(body, "acme/widgets", "acme/widgets") == target


def test_upload_urls_and_where_their_files_are_expected() -> None:
    text = (
        "![a](https://github.com/user-attachments/assets/abc-def) and "
        "[b.log](https://github.com/acme/widgets/files/12/b.log) and "
        "https://private-user-images.githubusercontent.com/1/2-3.png?jwt=x and "
        "https://github.com/acme/widgets/issues/3 (not a file)"
    )
    assert [u.path for u in uploads_in(text)] == ["assets/abc-def", "files/12/b.log", "user-images/1/2-3.png"]


# -- the migration archive -------------------------------------------------------------------------


def test_archive_issues_are_keyed_by_repository_when_it_holds_several() -> None:
    issues, _ = read_all(preset("github-archive"), ARCHIVE)
    assert sorted(by_key(issues)) == ["acme/api#1", "acme/web#1"]
    api = by_key(issues)["acme/api#1"]
    assert (api.source.id, api.status) == ("acme/api#1", "closed")  # closed_at set: closed
    assert by_key(issues)["acme/web#1"].status == "open"


def test_archive_people_labels_and_milestones_are_joined_by_url() -> None:
    issues, _ = read_all(preset("github-archive"), ARCHIVE)
    api, web = by_key(issues)["acme/api#1"], by_key(issues)["acme/web#1"]
    assert (api.created_by.name, api.created_by.email, api.created_by.display) == (
        "alice",
        "alice@example.com",  # the primary address
        "Alice Anderson",
    )
    assert api.assignee is not None and (api.assignee.name, api.assignee.email) == ("bob", None)
    assert web.created_by.name == "departed"  # not in users_*.json: the URL's last segment
    assert api.tags == ["needs triage", "unknown-label"]
    assert api.fix_versions == ["v2.0"]
    assert api.resolved_by is not None and api.resolved_by.name == "alice"


def test_archive_comments_skip_pull_requests_and_files_keep_their_comment() -> None:
    issues, _ = read_all(preset("github-archive"), ARCHIVE)
    api, web = by_key(issues)["acme/api#1"], by_key(issues)["acme/web#1"]
    assert [c.source.id for c in api.comments] == ["71"]
    (trace,) = api.comments[0].attachments
    assert (trace.filename, trace.location.endswith("trace.txt")) == ("trace.txt", True)
    assert [(link.to_key, link.relationship) for link in web.links] == [("acme/api#1", "duplicate_of")]


def test_an_archive_of_another_schema_version_is_read_with_a_warning(tmp_path: Path) -> None:
    shutil.copytree(ARCHIVE, tmp_path / "archive")
    (tmp_path / "archive" / "schema.json").write_text('{"version": "2.0.0"}', encoding="utf-8")
    issues, findings = read_all(preset("github-archive"), tmp_path / "archive")
    assert len(issues) == 2
    (note,) = of_kind(findings, "github.archive_schema")
    assert (note.severity, note.value) == (Severity.WARNING, "2.0.0")
    _, findings = read_all(preset("github-archive"), ARCHIVE)
    assert not of_kind(findings, "github.archive_schema")
