"""History is never changed silently, end to end on the sandbox: link dates planned (never the
moment of the run unless asked), missing files that do not drop their issue, dangling links to
issues of an earlier run, honest exit codes of ``run --force`` and ``verify``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from migrator.cli import main
from migrator.execution.queue_lease import UNIQUE_PREFIX
from migrator.tracker import TrackerClient, TrackerSettings

MAPPING = """
version: 1
source:
  system: demo
  timezone: Europe/Moscow
  date_formats: ["%Y-%m-%d %H:%M"]
  issue_url: "https://old.example.com/browse/{{key}}"
  files: {{directory: files}}
  issues:
    fields:
      id: Key
      summary: Summary
      created_at: Created
      updated_at: Updated
      created_by: Author
      status: Status
  comments:
    column: Comment
    pattern: "{{created_at}};{{author}};{{text}}"
  attachments:
    column: File
    pattern: "{{filename}}"
  links:
    columns: {{Relates: relates}}
target:
  queue: DEMO
  namespace: {namespace}
{target_extra}
values:
  status: {{map: {{Open: open, Done: closed}}, unmapped: error}}
  link: {{map: {{relates: relates}}, unmapped: error}}
users:
  match: [login]
"""
HEADER = ["Key", "Summary", "Created", "Updated", "Author", "Status", "Comment", "File", "Relates"]
# D-1 lived in May; D-2 was created in June and links to it (the export gives no link date).
OLD_AND_NEW = [
    ["D-1", "Old", "2021-05-01 10:00", "2021-05-02 10:00", "alice", "Done", "", "", ""],
    ["D-2", "New", "2021-06-01 10:00", "2021-06-03 10:00", "bob", "Open", "", "", "D-1"],
]


def write_export(
    folder: Path, rows: list[list[str]], *, namespace: str = "history", target_extra: str = ""
) -> list[str]:
    """The export and its mapping in ``folder``; returns the SOURCE + --mapping arguments."""
    (folder / "files").mkdir(parents=True, exist_ok=True)
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING.format(namespace=namespace, target_extra=target_extra), encoding="utf-8")
    source = folder / "issues.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return [str(source), "--mapping", str(mapping)]


def cli(capsys: Any, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def run(capsys: Any, args: list[str], *extra: str) -> tuple[int, str]:
    return cli(capsys, "run", *args, "--yes", "--max-rps", "1000", *extra)


def client_of(sandbox: Any) -> TrackerClient:
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    return TrackerClient(settings)


def admin_uid(sandbox: Any) -> str:
    with client_of(sandbox) as client:
        return uid(client.myself())


def issues_by_summary(sandbox: Any) -> dict[str, dict[str, Any]]:
    with client_of(sandbox) as client:
        found = {}
        for issue in client.search_issues(queue="DEMO"):
            if str(issue.get("unique")).startswith(UNIQUE_PREFIX):
                continue  # the queue's import-lease marker
            full = dict(client.get_issue(issue["key"]))
            full["links"] = client.list_links(issue["key"])
            full["comments"] = client.list_comments(issue["key"])
            found[str(issue["summary"])] = full
        return found


def uid(user: Any) -> str:
    if isinstance(user, list):  # /myself may answer with a one-element array
        user = user[0]
    return str(user.get("uid") or user.get("id"))


def report_findings(path: Path, kind: str) -> list[dict[str, Any]]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return [f for f in report["findings"] if f["kind"] == kind]


def test_a_link_between_issues_that_never_lived_together_is_dated_by_the_plan(
    tmp_path: Path, sandbox: Any, point_at: Any, capsys: Any
) -> None:
    point_at(sandbox)
    args = write_export(tmp_path, OLD_AND_NEW)

    code, out = cli(capsys, "validate", *args, "--report", "report")
    assert code == 0, out
    (extended,) = report_findings(tmp_path / "report" / "report.json", "time.window_extended_for_link")
    assert (extended["severity"], extended["key"], extended["field"]) == ("warning", "D-1", "updated_at")
    assert extended["value"] == "2021-05-02T07:00:00.000+0000 → 2021-06-01T07:00:00.000+0000"

    code, out = run(capsys, args)
    assert code == 0, out
    issues = issues_by_summary(sandbox)
    old = issues["Old"]
    assert old["updatedAt"] == "2021-06-01T07:00:00.000+0000"  # the link's date, not the run's
    assert uid(old["updatedBy"]) == uid(old["createdBy"]) != admin_uid(sandbox)  # the export's people
    (link,) = issues["New"]["links"]
    assert link["createdAt"] == "2021-06-01T07:00:00.000+0000"
    assert uid(link["createdBy"]) == uid(issues["New"]["createdBy"])
    assert sandbox.stats()["by_kind"].get("link_create", 0) == 0  # nothing undated

    code, out = cli(capsys, "verify", *args)
    assert code == 0 and "verify: target matches the plan" in out, out


def test_undated_links_only_when_the_mapping_asks(
    tmp_path: Path, sandbox: Any, point_at: Any, capsys: Any
) -> None:
    point_at(sandbox)
    args = write_export(tmp_path, OLD_AND_NEW, target_extra="  undated_links: now")
    code, out = run(capsys, args)
    assert code == 0 and "link.undated" in out, out
    assert sandbox.stats()["by_kind"].get("link_create", 0) == 1
    assert uid(issues_by_summary(sandbox)["Old"]["updatedBy"]) == admin_uid(sandbox)  # what "now" means

    code, out = cli(capsys, "verify", *args)
    assert code == 0, out
    assert "expected difference(s) noted" in out  # the run's moment on both issues, as planned


def test_a_missing_file_leaves_its_issue_and_comments_in_and_names_the_file(
    tmp_path: Path, sandbox: Any, point_at: Any, capsys: Any
) -> None:
    point_at(sandbox)
    rows = [
        [
            "D-1",
            "Has a lost file",
            "2021-05-01 10:00",
            "",
            "alice",
            "Open",
            "2021-05-01 11:00;bob;Seen it",
            "",
            "",
        ],
        ["D-2", "Plain", "2021-05-02 10:00", "", "bob", "Open", "", "", ""],
    ]
    rows[0][HEADER.index("File")] = "screen_shot.png"
    args = write_export(tmp_path, rows)
    code, out = run(capsys, args)
    assert code == 0, out
    assert "attachment.missing" in out
    issue = issues_by_summary(sandbox)["Has a lost file"]
    assert issue["description"] == "_Attachment not migrated: screen\\_shot.png (file missing in the export)_"
    assert [c["text"] for c in issue["comments"]] == ["Seen it"]
    code, out = cli(capsys, "verify", *args)
    assert code == 0, out


def test_a_dangling_link_goes_to_the_issue_an_earlier_run_imported(
    tmp_path: Path, sandbox: Any, point_at: Any, capsys: Any
) -> None:
    point_at(sandbox)
    first = write_export(tmp_path / "first", OLD_AND_NEW, namespace="first")
    assert run(capsys, first)[0] == 0  # its ledger stays in .migrator/
    later = [
        ["E-5", "While D-1 lived", "2021-05-15 10:00", "", "alice", "Open", "", "", "D-1"],
        ["E-6", "After D-2 ended", "2021-07-02 10:00", "", "alice", "Open", "", "", "D-2"],
        ["E-7", "Elsewhere", "2021-07-03 10:00", "", "alice", "Open", "", "", "NOPE-1"],
    ]
    second = write_export(
        tmp_path / "second", later, namespace="second", target_extra="  dangling: [existing, text]"
    )
    code, out = cli(capsys, "validate", *second, "--report", "report")
    assert code == 0, out
    (resolved,) = report_findings(tmp_path / "report" / "report.json", "link.dangling_existing")
    assert resolved["key"] == "E-5" and "first.state.sqlite" in resolved["message"]
    texts = report_findings(tmp_path / "report" / "report.json", "link.dangling_text")
    assert [(f["key"], f["value"]) for f in texts] == [("E-6", "D-2"), ("E-7", "NOPE-1")]
    assert "a dated link would have to change it" in texts[0]["message"]  # D-2 cannot grow any more

    assert run(capsys, second)[0] == 0
    issues = issues_by_summary(sandbox)
    (link,) = issues["While D-1 lived"]["links"]
    assert link["object"]["key"] == issues["Old"]["key"]
    assert link["createdAt"] == "2021-05-15T07:00:00.000+0000"
    assert issues["Elsewhere"]["description"] == (
        "_Link not migrated: relates NOPE-1 (https://old.example.com/browse/NOPE-1), not in this export_"
    )
    assert "D-2" in issues["After D-2 ended"]["description"] and issues["After D-2 ended"]["links"] == []
    code, out = cli(capsys, "verify", *second)
    assert code == 0, out


def test_run_force_exits_with_what_was_left_out(
    tmp_path: Path, sandbox: Any, point_at: Any, capsys: Any
) -> None:
    point_at(sandbox)
    rows = [*OLD_AND_NEW, ["D-3", "Odd", "2021-05-03 10:00", "", "alice", "Reopened", "", "", ""]]
    args = write_export(tmp_path, rows)
    assert run(capsys, args)[0] == 1  # refused: nothing written
    code, out = run(capsys, args, "--force")
    assert code == 1, out
    assert "1 issue(s) not imported because of errors" in out
    assert sorted(issues_by_summary(sandbox)) == ["New", "Old"]


def test_verify_says_when_nothing_was_imported_or_nothing_could_be_planned(
    tmp_path: Path, sandbox: Any, point_at: Any, capsys: Any
) -> None:
    point_at(sandbox)
    code, out = cli(capsys, "verify", *write_export(tmp_path / "a", OLD_AND_NEW))
    assert code == 1
    assert "none of the 2 planned issue(s) is in the target" in out
    broken = [["D-9", "Odd", "2021-05-03 10:00", "", "alice", "Reopened", "", "", ""]]
    code, out = cli(capsys, "verify", *write_export(tmp_path / "b", broken))
    assert code == 1
    assert "nothing to compare: the plan is empty" in out
    assert "1 issue(s) of the export have errors" in out
