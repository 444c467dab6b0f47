"""Children: embedded pattern cells, separate files, links, attachments, stable ids, orphans."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import ConfigError, MigratorError
from migrator.findings import Findings, Severity
from migrator.sources.children import CellPattern, link_columns
from migrator.sources.reading import read_issues

from .sources_helpers import BASE_HEADER, issue_row, make_config, of_kind, read_all, write_csv

COMMENTS_EMBEDDED = {"comments": {"column": "Comment", "pattern": "{created_at};{author};{text}"}}
COMMENTS_FILE = {
    "comments": {
        "file": "comments*.csv",
        "fields": {"issue": "Issue", "author": "Author", "created_at": "Created", "text": "Body"},
    }
}


def test_pattern_last_field_takes_the_rest() -> None:
    pattern = CellPattern.parse("{created_at};{author};{text}")
    assert pattern.match("2021-01-01T10:00:00;bob;a;b;;c") == {
        "created_at": "2021-01-01T10:00:00", "author": "bob", "text": "a;b;;c",
    }  # fmt: skip
    assert pattern.match("no separators here") is None


def test_pattern_free_text_first_splits_from_the_right() -> None:
    pattern = CellPattern.parse("{comment};{start};{author};{duration}")
    assert pattern.match("fixed; really;2021-01-01T10:00:00;bob;3600") == {
        "comment": "fixed; really", "start": "2021-01-01T10:00:00", "author": "bob", "duration": "3600",
    }  # fmt: skip


def test_pattern_with_prefix_and_suffix() -> None:
    pattern = CellPattern.parse("[{author}] {text} (end)")
    assert pattern.match("[bob] hi (there) (end)") == {"author": "bob", "text": "hi (there)"}
    assert pattern.match("bob hi") is None


def test_embedded_comment_cells_keep_semicolons(tmp_path: Path) -> None:
    header = BASE_HEADER + ["Comment", "Comment", "Comment"]
    rows = [
        header,
        issue_row("1", "A-1", "s")
        + [
            "2021-06-01T10:00:00;bob;Body; with; semicolons\nand a second line",
            "",
            "2021-06-02T10:00:00;carol;ok",
        ],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    (issue,), findings = read_all(make_config(tmp_path, COMMENTS_EMBEDDED), path)
    assert [c.text for c in issue.comments] == ["Body; with; semicolons\nand a second line", "ok"]
    assert issue.comments[0].author.name == "bob"
    assert issue.comments[0].created_at == datetime(2021, 6, 1, 10, tzinfo=UTC)
    assert issue.comments[0].source.file == "issues.csv" and issue.comments[0].source.row == 2
    assert issue.comments[0].source.id.startswith("1/comment/")
    assert list(findings) == []


def test_embedded_children_column_candidates(tmp_path: Path) -> None:
    """A localised export names the repeated column in its own language (Spanish ``Comentario``):
    the first candidate the header has is read, and no column is reported absent."""
    rows = [
        BASE_HEADER + ["Comentario"],
        issue_row("1", "A-1", "s") + ["2021-06-01T10:00:00;bob;Hola; qué tal"],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    table = {"column": ["Comment", "Comentario"], "pattern": "{created_at};{author};{text}"}
    (issue,), findings = read_all(make_config(tmp_path, {"comments": table}), path)
    assert [(c.author.name, c.text) for c in issue.comments] == [("bob", "Hola; qué tal")]
    (used,) = of_kind(findings, "source.column_used")
    assert used.value == "Comentario"
    assert of_kind(findings, "source.column_absent") == []


def test_embedded_cell_not_fitting_pattern(tmp_path: Path) -> None:
    rows = [BASE_HEADER + ["Comment"], issue_row("1", "A-1", "s") + ["just some text"]]
    path = write_csv(tmp_path / "issues.csv", rows)
    (issue,), findings = read_all(make_config(tmp_path, COMMENTS_EMBEDDED), path)
    assert issue.comments == []
    (finding,) = of_kind(findings, "cell.pattern_mismatch")
    assert (finding.severity.value, finding.row, finding.key, finding.field, finding.value) == (
        "error", 2, "A-1", "Comment", "just some text",
    )  # fmt: skip


def test_embedded_worklogs_and_attachments(tmp_path: Path) -> None:
    header = BASE_HEADER + ["Log Work", "Attachment"]
    rows = [
        header,
        issue_row("1", "A-1", "s")
        + ["did; stuff;2021-06-01T10:00:00;bob;5400", "2021-06-01T09:00:00;bob;log.txt;files/log.txt"],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(
        tmp_path,
        {
            "worklogs": {"column": "Log Work", "pattern": "{comment};{start};{author};{duration}"},
            "attachments": {"column": "Attachment", "pattern": "{created_at};{author};{filename};{location}"},
        },
    )
    (issue,), findings = read_all(config, path)
    (worklog,) = issue.worklogs
    assert worklog.comment == "did; stuff" and worklog.duration == timedelta(minutes=90)
    (attachment,) = issue.attachments
    assert (attachment.filename, attachment.location, attachment.author and attachment.author.name) == (
        "log.txt", "files/log.txt", "bob",
    )  # fmt: skip
    assert list(findings) == []


def _comments_csv(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, [["Comment id", "Issue", "Author", "Created", "Body"], *rows])


def test_separate_comment_file_joined_by_id_or_key(tmp_path: Path) -> None:
    issues = write_csv(
        tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one"), issue_row("20", "A-2", "two")]
    )
    comments = _comments_csv(
        tmp_path / "comments.csv",
        [
            ["c1", "20", "bob", "2021-06-01T10:00:00", "by id"],
            ["c2", "A-1", "carol", "2021-06-01T11:00:00", "by key"],
            ["c3", "10", "dave", "2021-06-01T12:00:00", "multi\nline; body"],
        ],
    )
    config = make_config(
        tmp_path,
        {"comments": {"file": "comments*.csv", "fields": {
            "id": "Comment id", "issue": "Issue", "author": "Author", "created_at": "Created", "text": "Body",
        }}},
    )  # fmt: skip
    got, findings = read_all(config, issues, comments)
    assert [[c.text for c in i.comments] for i in got] == [["by key", "multi\nline; body"], ["by id"]]
    assert [c.source.id for c in got[0].comments] == ["c2", "c3"]
    assert (got[1].comments[0].source.file, got[1].comments[0].source.row) == ("comments.csv", 2)
    assert list(findings) == []


def test_separate_table_missing_columns_are_fatal(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one")])
    comments = _comments_csv(tmp_path / "comments.csv", [])
    config = make_config(
        tmp_path,
        {"comments": {"file": "comments.csv", "fields": {
            "issue": "Issue key", "author": "Author", "created_at": "Created", "text": "Text",
        }}},
    )  # fmt: skip
    with pytest.raises(MigratorError, match=r"comments.csv: 2 column\(s\)"):
        read_all(config, issues, comments)


def test_orphan_children_are_reported(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one")])
    comments = _comments_csv(
        tmp_path / "comments.csv",
        [
            ["c1", "10", "bob", "2021-06-01T10:00:00", "ok"],
            ["c2", "99", "bob", "2021-06-01T10:00:00", "lost"],
        ],
    )
    (issue,), findings = read_all(make_config(tmp_path, COMMENTS_FILE), issues, comments)
    assert len(issue.comments) == 1
    (orphan,) = of_kind(findings, "child.orphan")
    assert (orphan.severity.value, orphan.file, orphan.row, orphan.key, orphan.value) == (
        "error", "comments.csv", 3, "99", "99",
    )  # fmt: skip


def test_child_without_issue_reference(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one")])
    comments = _comments_csv(tmp_path / "comments.csv", [["c1", "", "bob", "2021-06-01T10:00:00", "ok"]])
    _, findings = read_all(make_config(tmp_path, COMMENTS_FILE), issues, comments)
    (missing,) = of_kind(findings, "field.required_missing")
    assert (missing.file, missing.row, missing.field) == ("comments.csv", 2, "comments.issue")


def test_child_required_field_missing(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one")])
    comments = _comments_csv(tmp_path / "comments.csv", [["c1", "10", "", "2021-06-01T10:00:00", "ok"]])
    (issue,), findings = read_all(make_config(tmp_path, COMMENTS_FILE), issues, comments)
    assert issue.comments == []
    (missing,) = of_kind(findings, "field.required_missing")
    assert (missing.file, missing.row, missing.key, missing.field) == (
        "comments.csv",
        2,
        "A-1",
        "comments.author",
    )


def _comment_ids(tmp_path: Path, cells: list[str]) -> list[str]:
    rows = [BASE_HEADER + ["Comment"] * len(cells), issue_row("1", "A-1", "s") + cells]
    path = write_csv(tmp_path / "issues.csv", rows)
    (issue,), _ = read_all(make_config(tmp_path, COMMENTS_EMBEDDED), path)
    return [c.source.id for c in issue.comments]


def test_derived_child_ids_are_stable_and_survive_appends(tmp_path: Path) -> None:
    a = "2021-06-01T10:00:00;bob;first"
    b = "2021-06-01T11:00:00;carol;second"
    dup = "2021-06-01T10:00:00;bob;first"
    first_run = _comment_ids(tmp_path, [a, b, dup])
    second_run = _comment_ids(tmp_path, [a, b, dup])
    appended = _comment_ids(tmp_path, [a, b, dup, "2021-06-03T10:00:00;dave;new"])
    assert first_run == second_run
    assert appended[:3] == first_run and len(set(appended)) == 4
    assert first_run[2] == first_run[0] + "#2"  # exact duplicate within the issue
    assert first_run[0].startswith("1/comment/") and len(first_run[0].split("/")[-1]) == 16


def test_derived_ids_do_not_depend_on_date_spelling(tmp_path: Path) -> None:
    same_instant = _comment_ids(tmp_path, ["2021-06-01T12:00:00+02:00;bob;x"])
    assert same_instant == _comment_ids(tmp_path, ["2021-06-01T10:00:00Z;bob;x"])


def test_attachment_tied_to_comment(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one")])
    comments = _comments_csv(
        tmp_path / "comments.csv", [["c1", "10", "bob", "2021-06-01T10:00:00", "see file"]]
    )
    files = write_csv(
        tmp_path / "files.csv",
        [["Issue", "Name", "Path", "Comment"], ["10", "a.png", "att/a.png", "c1"], ["10", "b.png", "", ""],
         ["10", "c.png", "att/c.png", "c9"]],
    )  # fmt: skip
    config = make_config(
        tmp_path,
        {
            "comments": {"file": "comments.csv", "fields": {
                "id": "Comment id", "issue": "Issue", "author": "Author", "created_at": "Created", "text": "Body",
            }},
            "attachments": {"file": "files.csv", "fields": {
                "issue": "Issue", "filename": "Name", "location": "Path", "comment_id": "Comment",
            }},
        },
    )  # fmt: skip
    (issue,), findings = read_all(config, issues, comments, files)
    assert [a.filename for a in issue.comments[0].attachments] == ["a.png"]
    assert [(a.filename, a.location) for a in issue.attachments] == [
        ("b.png", "b.png"),
        ("c.png", "att/c.png"),
    ]
    assert issue.attachments[0].source.id.startswith("10/attachment/")
    assert [f.kind for f in findings] == ["attachment.comment_unknown"]


def test_link_columns_repeated_and_split(tmp_path: Path) -> None:
    header = BASE_HEADER + ["Outward (Blocks)", "Outward (Blocks)", "Inward (Relates)"]
    rows = [
        header,
        issue_row("1", "A-1", "one") + ["A-2", "A-3, A-4", ""],
        issue_row("2", "A-2", "two") + ["", "", "A-1"],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(
        tmp_path, {"links": {"columns": {"Outward (Blocks)": "blocks", "Inward (Relates)": "relates to"}}}
    )
    (one, two), findings = read_all(config, path)
    assert [(lk.from_key, lk.relationship, lk.to_key) for lk in one.links] == [
        ("A-1", "blocks", "A-2"), ("A-1", "blocks", "A-3"), ("A-1", "blocks", "A-4"),
    ]  # fmt: skip
    assert one.links[0].source.id == "A-1|blocks|A-2"
    assert [lk.source.id for lk in two.links] == ["A-2|relates to|A-1"]
    assert list(findings) == []


def test_link_column_patterns_read_every_link_type(tmp_path: Path) -> None:
    """Jira writes one column group per link type, and link types are the instance's own: a header
    pattern reads them all, its ``*`` naming the relationship; an exact header wins over a pattern."""
    header = BASE_HEADER + [
        "Outward issue link (Blocks)", "Inward issue link (Problem/Incident)", "Outward issue link (Cloners)",
    ]  # fmt: skip
    rows = [header, issue_row("1", "A-1", "one") + ["A-2", "A-3", "A-4"]]
    path = write_csv(tmp_path / "issues.csv", rows)
    columns = {
        "Outward issue link (Cloners)": "clones",
        "Outward issue link (*)": "* (outward)",
        "Inward issue link (*)": "* (inward)",
        "Outward issue link (Bl*)": "never used: the first pattern wins",
    }
    (one,), findings = read_all(make_config(tmp_path, {"links": {"columns": columns}}), path)
    assert sorted((lk.relationship, lk.to_key) for lk in one.links) == [
        ("Blocks (outward)", "A-2"), ("Problem/Incident (inward)", "A-3"), ("clones", "A-4"),
    ]  # fmt: skip
    assert of_kind(findings, "source.column_absent") == []


def test_a_link_column_pattern_matching_nothing_is_an_absent_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("1", "A-1", "one")])
    config = make_config(
        tmp_path, {"links": {"columns": {"Vínculo de incidencia saliente (*)": "* (outward)"}}}
    )
    (one,), findings = read_all(config, path)
    assert one.links == []
    (absent,) = of_kind(findings, "source.column_absent")
    assert absent.value == "Vínculo de incidencia saliente (*)"


def test_link_column_patterns_need_text_for_the_star() -> None:
    assert link_columns({"Link (*)": "*"}, ["Link ()", "Link (x)", "Link (*)"]) == [("Link (*)", "*")]
    assert link_columns({"Link (*)": "*"}, ["Link ()", "Link (x)"]) == [("Link (x)", "x")]


def test_separate_link_table_with_ids(tmp_path: Path) -> None:
    issues = write_csv(
        tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one"), issue_row("20", "A-2", "two")]
    )
    links = write_csv(
        tmp_path / "links.csv",
        [["From", "To", "Type"], ["10", "20", "blocks"], ["10", "20", "blocks"], ["10", "77", "relates"],
         ["55", "10", "relates"]],
    )  # fmt: skip
    config = make_config(
        tmp_path,
        {
            "link_ref": "id",
            "links": {"file": "links.csv", "fields": {"from": "From", "to": "To", "relationship": "Type"}},
        },
    )
    (one, two), findings = read_all(config, issues, links)
    assert [(lk.from_key, lk.to_key, lk.source.id) for lk in one.links] == [
        ("A-1", "A-2", "A-1|blocks|A-2"), ("A-1", "A-2", "A-1|blocks|A-2#2"), ("A-1", "77", "A-1|relates|77"),
    ]  # fmt: skip
    assert two.links == []
    assert sorted(f.kind for f in findings) == ["child.orphan", "source.unresolved_ref"]


def test_child_index_is_removed_even_when_the_stream_is_abandoned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    issues = write_csv(
        tmp_path / "issues.csv", [BASE_HEADER, issue_row("10", "A-1", "one"), issue_row("20", "A-2", "two")]
    )
    comments = _comments_csv(tmp_path / "comments.csv", [["c1", "20", "bob", "2021-06-01T10:00:00", "x"]])
    stream = read_issues(make_config(tmp_path, COMMENTS_FILE).source, [issues, comments], Findings())
    next(stream)
    assert [p.name for p in scratch.iterdir()][0].startswith("migrator-sources-")
    stream.close()  # type: ignore[attr-defined]
    assert list(scratch.iterdir()) == []


def _worklog_table(optional: bool) -> dict[str, Any]:
    return {
        "file": "timelog*.csv",
        "optional": optional,
        "fields": {"issue": "Issue", "author": "User", "start": "Date", "duration": "Seconds"},
    }


def test_an_optional_child_table_the_export_lacks_gives_no_children(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("1", "P-1", "One")])
    config = make_config(tmp_path, {"worklogs": _worklog_table(optional=True)})
    read, findings = read_all(config, issues)
    assert [(i.key, i.worklogs) for i in read] == [("P-1", [])]
    (absent,) = of_kind(findings, "source.table_absent")
    assert (absent.severity, absent.field, absent.value) == (
        Severity.INFO,
        "source.worklogs.file",
        "timelog*.csv",
    )
    log = write_csv(
        tmp_path / "timelog.csv", [["Issue", "User", "Date", "Seconds"], ["P-1", "bob", "2021-06-02", "60"]]
    )
    read, findings = read_all(config, issues, log)  # present: read as any separate table
    assert [w.duration.total_seconds() for w in read[0].worklogs] == [60] and not of_kind(
        findings, "source.table_absent"
    )


def test_a_child_table_that_is_not_optional_must_match_a_file(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("1", "P-1", "One")])
    with pytest.raises(MigratorError, match=r"source.worklogs.file 'timelog\*.csv' matches none"):
        read_all(make_config(tmp_path, {"worklogs": _worklog_table(optional=False)}), issues)


def test_optional_applies_to_a_separate_tables_file_only(tmp_path: Path) -> None:
    table = {"column": "Log", "pattern": "{author};{start};{duration}", "optional": True}
    with pytest.raises(
        ConfigError, match=r"source.worklogs.optional: applies to a separate table's 'file' only"
    ):
        make_config(tmp_path, {"worklogs": table})
