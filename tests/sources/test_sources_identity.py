"""Issue identity: duplicates (first wins), parent id→key resolution, unresolved references."""

from __future__ import annotations

from pathlib import Path

from .sources_helpers import BASE_HEADER, issue_row, make_config, of_kind, read_all, write_csv


def test_duplicate_ids_and_keys_first_wins(tmp_path: Path) -> None:
    rows = [
        BASE_HEADER,
        issue_row("1", "A-1", "first"),
        issue_row("1", "A-9", "same id"),
        issue_row("2", "A-1", "same key"),
        issue_row("3", "A-3", "fine"),
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    issues, findings = read_all(make_config(tmp_path, {}), path)
    assert [i.summary for i in issues] == ["first", "fine"]
    dups = of_kind(findings, "source.duplicate_key")
    assert [(f.severity.value, f.row, f.field, f.value) for f in dups] == [
        ("error", 3, "id", "1"), ("error", 4, "key", "A-1"),
    ]  # fmt: skip


def test_duplicates_of_issues_read_long_before_are_still_found(tmp_path: Path) -> None:
    # Ids and keys seen are kept on disk past a write buffer of ~1,000: duplicates of the first
    # rows, found after 1,500 others, are still caught (by id, then by key).
    rows = [BASE_HEADER] + [issue_row(str(n), f"A-{n}", f"issue {n}") for n in range(1, 1_501)]
    rows += [issue_row("2", "A-9999", "same id as row 3"), issue_row("9999", "A-1", "same key as row 2")]
    path = write_csv(tmp_path / "issues.csv", rows)
    issues, findings = read_all(make_config(tmp_path, {}), path)
    assert len(issues) == 1_500
    dups = of_kind(findings, "source.duplicate_key")
    assert [(f.row, f.field, f.value) for f in dups] == [(1_502, "id", "2"), (1_503, "key", "A-1")]


def test_parent_ids_are_resolved_to_keys_even_when_the_parent_comes_later(tmp_path: Path) -> None:
    rows = [
        BASE_HEADER + ["Parent id"],
        issue_row("200", "A-2", "child") + ["100"],
        issue_row("100", "A-1", "parent") + [""],
        issue_row("300", "A-3", "lost child") + ["999"],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(tmp_path, {"parent_ref": "id"}, fields={"parent": "Parent id"})
    issues, findings = read_all(config, path)
    assert [(i.key, i.parent_key) for i in issues] == [("A-2", "A-1"), ("A-1", None), ("A-3", "999")]
    (unresolved,) = findings
    assert (unresolved.kind, unresolved.severity.value, unresolved.row, unresolved.value) == (
        "source.unresolved_ref", "warning", 4, "999",
    )  # fmt: skip


def test_parent_keys_are_kept(tmp_path: Path) -> None:
    rows = [BASE_HEADER + ["Parent"], issue_row("2", "A-2", "child") + ["A-1"]]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(tmp_path, {"parent_ref": "key"}, fields={"parent": "Parent"})
    (issue,), findings = read_all(config, path)
    assert issue.parent_key == "A-1" and list(findings) == []


def test_several_issue_files(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "issues-1.csv", [BASE_HEADER, issue_row("1", "A-1", "one")])
    second = write_csv(
        tmp_path / "issues-2.csv", [BASE_HEADER, issue_row("2", "A-2", "two"), issue_row("1", "A-1", "again")]
    )
    config = make_config(tmp_path, {"issues": {"file": "issues-*.csv"}})
    issues, findings = read_all(config, first, second)
    assert [(i.key, i.source.file) for i in issues] == [("A-1", "issues-1.csv"), ("A-2", "issues-2.csv")]
    assert [(f.kind, f.file, f.row) for f in findings] == [("source.duplicate_key", "issues-2.csv", 3)]
