"""CSV reading: delimiters, repeated headers, multi-line cells, ragged rows, missing columns/files."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.sources.csv_reader import read_csv, sniff_delimiter, space_before_quotes
from migrator.sources.reading import read_issues

from .sources_helpers import BASE_HEADER, issue_row, make_config, of_kind, read_all, write_csv


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [BASE_HEADER + ["Labels"], issue_row("1", "A-1", "one, two; three | four") + ["x"]]
    path = write_csv(tmp_path / "issues.csv", rows, delimiter=delimiter)
    issues, findings = read_all(make_config(tmp_path, {}, fields={"tags": "Labels"}), path)
    assert issues[0].summary == "one, two; three | four"
    assert issues[0].tags == ["x"]
    assert list(findings) == []


def test_sniffer_prefers_header_delimiter_over_body_noise() -> None:
    sample = 'a;b;c\n"x, y, z, w";"1,2,3";"q,r"\n'
    assert sniff_delimiter(sample) == ";"


def test_named_delimiter(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "issues.txt", [BASE_HEADER, issue_row("1", "A-1", "s")], delimiter="\t")
    issues, _ = read_all(make_config(tmp_path, {"delimiter": "tab"}), path)
    assert issues[0].key == "A-1"


def test_repeated_headers_become_lists(tmp_path: Path) -> None:
    header = BASE_HEADER + ["Labels", "Labels", "Labels", "Watchers", "Watchers", "Component/s"]
    rows = [header, issue_row("1", "A-1", "s") + ["ui", "", "backend", "bob", "carol", "Core"]]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(
        tmp_path, {}, fields={"tags": "Labels", "followers": "Watchers", "components": "Component/s"}
    )
    (issue,), _ = read_all(config, path)
    assert issue.tags == ["ui", "backend"]
    assert [u.name for u in issue.followers] == ["bob", "carol"]
    assert issue.components == ["Core"]


def test_split_turns_one_cell_into_a_list(tmp_path: Path) -> None:
    rows = [BASE_HEADER + ["Labels"], issue_row("1", "A-1", "s") + ["bug, ui ,,perf"]]
    path = write_csv(tmp_path / "issues.csv", rows)
    config = make_config(tmp_path, {}, fields={"tags": {"column": "Labels", "split": ","}})
    (issue,), _ = read_all(config, path)
    assert issue.tags == ["bug", "ui", "perf"]


def test_multiline_quoted_cells_and_row_numbers(tmp_path: Path) -> None:
    header = BASE_HEADER + ["Description"]
    rows = [
        header,
        issue_row("1", "A-1", "first") + ['line one\nline two, with "quotes"\n\nline four'],
        issue_row("2", "A-2", "second") + ["plain"],
        issue_row("3", "A-3", "third", created="not a date") + [""],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    issues, findings = read_all(make_config(tmp_path, {}, fields={"description": "Description"}), path)
    assert issues[0].description == 'line one\nline two, with "quotes"\n\nline four'
    assert [i.source.row for i in issues] == [2, 3]  # spreadsheet rows, not physical lines
    (bad,) = of_kind(findings, "date.unparsable")
    assert bad.row == 4 and bad.key == "A-3"


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "Issue id,Issue key,Summary,Created,Reporter\r\n\r\n1,A-1,s,2021-01-01T00:00:00,bob\r\n"
    path = tmp_path / "issues.csv"
    path.write_text(text, encoding="utf-8")
    (issue,), findings = read_all(make_config(tmp_path, {}), path)
    assert issue.source.row == 3 and list(findings) == []


def test_ragged_rows_are_reported_with_row_number(tmp_path: Path) -> None:
    rows = [
        BASE_HEADER,
        issue_row("1", "A-1", "ok"),
        issue_row("2", "A-2", "too long") + ["extra"],
        issue_row("3", "A-3", "too short")[:4],
    ]
    path = write_csv(tmp_path / "issues.csv", rows)
    issues, findings = read_all(make_config(tmp_path, {}), path)
    ragged = of_kind(findings, "csv.ragged_row")
    assert [(f.row, f.key, f.severity.value) for f in ragged] == [(3, "A-2", "error"), (4, "A-3", "error")]
    assert "6 cells but the header has 5" in ragged[0].message
    assert [i.key for i in issues] == ["A-1", "A-2"]  # A-3 lacks its reporter
    assert of_kind(findings, "field.required_missing")[0].row == 4


def test_missing_columns_are_listed_all_at_once_with_hints(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "issues.csv", [BASE_HEADER + ["Labels", "Status"], issue_row("1", "A-1", "s") + ["", ""]]
    )
    config = make_config(
        tmp_path,
        {"comments": {"column": "Comment", "pattern": "{created_at};{author};{text}"}},
        fields={
            "summary": ["Title", "Subject"],  # required: one of the candidates must be there
            "tags": {"column": "Label", "required": True},
            "status": {"column": "status", "required": True},
            "priority": "Priority",  # optional: absent is a finding, not a refusal
        },
    )
    with pytest.raises(MigratorError) as err:
        read_all(config, path)
    message = str(err.value)
    assert "issues.csv: 3 column(s)" in message
    assert "'Title' or 'Subject' (from source.issues.fields.summary)" in message
    assert "'Label' (from source.issues.fields.tags) — did you mean 'Labels'?" in message
    assert "'status' (from source.issues.fields.status) — did you mean 'Status'?" in message
    assert "'Priority'" not in message and "'Comment'" not in message
    assert "Traceback" not in message


def test_missing_source_file_is_fatal(tmp_path: Path) -> None:
    config = make_config(tmp_path, {})
    with pytest.raises(MigratorError, match="not found: .*nope.csv"):
        read_all(config, tmp_path / "nope.csv")


def test_missing_child_file_is_fatal(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "issues.csv", [BASE_HEADER])
    config = make_config(
        tmp_path,
        {
            "comments": {
                "file": "comments*.csv",
                "fields": {"issue": "Issue", "author": "A", "created_at": "C", "text": "T"},
            }
        },
    )
    with pytest.raises(MigratorError, match=r"source.comments.file 'comments\*.csv' matches none"):
        read_all(config, path)


def test_empty_file_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(b"")
    with pytest.raises(MigratorError, match="empty"):
        read_all(make_config(tmp_path, {}), path)


def test_huge_cell_is_read(tmp_path: Path) -> None:
    big = "x" * 300_000  # beyond the csv module's default 128 KB field limit
    path = write_csv(
        tmp_path / "issues.csv", [BASE_HEADER + ["Description"], issue_row("1", "A-1", "s") + [big]]
    )
    (issue,), _ = read_all(make_config(tmp_path, {}, fields={"description": "Description"}), path)
    assert issue.description == big


def test_source_ref_and_defaults(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "issues.csv", [BASE_HEADER + ["Type"], ["7", "", "s", "2021-01-01T00:00:00", "bob", ""]]
    )
    config = make_config(tmp_path, {"system": "jira"}, fields={"type": {"column": "Type", "default": "Task"}})
    (issue,), _ = read_all(config, path)
    assert issue.source.system == "jira" and issue.source.file == "issues.csv" and issue.source.row == 2
    assert issue.key == "7"  # an empty key falls back to the id
    assert issue.type == "Task"


def test_problems_in_several_tables_are_reported_together(tmp_path: Path) -> None:
    issues = write_csv(tmp_path / "issues.csv", [BASE_HEADER, issue_row("1", "A-1", "s")])
    comments = write_csv(tmp_path / "comments.csv", [["Issue", "Who", "When", "Body"]])
    config = make_config(
        tmp_path,
        {"comments": {"file": "comments.csv", "fields": {
            "issue": "Issue", "author": "Author", "created_at": "Created", "text": "Body"}}},
        fields={"status": {"column": "Status", "required": True}},
    )  # fmt: skip
    with pytest.raises(MigratorError) as err:
        read_issues(config.source, [issues, comments], Findings())  # raised at call time, before iterating
    message = str(err.value)
    assert message.startswith("2 problems with the SOURCE files")
    assert "issues.csv: 1 column(s)" in message and "'Status' (from source.issues.fields.status)" in message
    assert (
        "comments.csv: 2 column(s)" in message and "'Author' (from source.comments.fields.author)" in message
    )


def test_a_space_before_quotes_is_skipped(tmp_path: Path) -> None:
    # ClickUp writes `, "…"` after the first fields: the quotes must still quote (commas inside stay).
    header = ",".join(BASE_HEADER + ["Labels"])
    row = (
        ",".join(issue_row("1", "A-1", "x")[:2])
        + ', "Onboarding, v2", '
        + ", ".join(f'"{cell}"' for cell in issue_row("1", "A-1", "x")[3:])
        + ', "ios, android"'
    )
    path = tmp_path / "issues.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    config = make_config(tmp_path, {}, fields={"tags": {"column": "Labels", "split": ","}})
    (issue,), findings = read_all(config, path)
    assert issue.summary == "Onboarding, v2"
    assert issue.tags == ["ios", "android"]
    assert of_kind(findings, "csv.ragged_row") == []


def test_space_before_quotes_is_recognised_and_plain_leading_spaces_are_not_it() -> None:
    assert space_before_quotes('a,b\n1, "x, y"\n', ",") is True
    assert space_before_quotes('a,b\n1,  indented\n2,"quoted"\n', ",") is False


def test_a_read_of_some_columns_holds_those_alone_with_repeated_and_short_rows(tmp_path: Path) -> None:
    # The id → key pre-pass reads two columns of every row; the records it gets hold just those,
    # each as a full read would give it (a repeated header as its list, a short row's missing cell as None).
    path = tmp_path / "issues.csv"
    path.write_text(
        "Issue id,Summary,Tag,Issue key,Tag,Note,Note\n1,first,a,P-1,b,x,y\n2,second,,P-2,c,,\n3,short\n",
        "utf-8",
    )
    wanted = {"Issue id", "Issue key", "Tag"}
    full = [r.values for r in read_csv(path, encoding="auto", delimiter="auto", wanted={})]
    some = [r.values for r in read_csv(path, encoding="auto", delimiter="auto", wanted={}, only=wanted)]
    assert some == [{k: v for k, v in row.items() if k in wanted} for row in full]
    assert some[1] == {"Issue id": "2", "Tag": ["c"], "Issue key": "P-2"}
    assert some[2] == {"Issue id": "3", "Tag": [], "Issue key": None}
