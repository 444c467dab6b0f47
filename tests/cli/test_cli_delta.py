"""Rehearse, then cut over, through the CLI on the sandbox: import the Jira sample, then the cut-over
export (samples/jira/issues-cutover.csv: a new issue, a new comment, an edited comment, a changed
summary/status/assignee, a deleted issue, a comment after the old window); validate shows the delta,
run applies it, verify is clean against the newer export, a third run writes nothing, and the run
history lists all three runs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.execution.queue_lease import lease_unique
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ["--mapping", str(ROOT / "mappings/jira-csv.yaml")]
FIRST = [str(ROOT / "samples/jira/issues.csv"), *MAPPING]
CUTOVER = [str(ROOT / "samples/jira/issues-cutover.csv"), *MAPPING]
FAST = ["--no-progress", "--max-rps", "1000"]
WRITE_KINDS = (
    "issue_import",
    "comment_import",
    "link_import",
    "attachment_import",
    "comment_attachment_import",
    "worklog_import",
    "patch",
    "transition",
    "comment_edit",
    "comment_delete",
    "create",
    "comment_create",
    "link_create",
)


def _writes(sandbox) -> dict[str, int]:  # noqa: ANN001
    by_kind = sandbox.stats()["by_kind"]
    return {kind: int(by_kind.get(kind, 0)) for kind in WRITE_KINDS if by_kind.get(kind)}


def _diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


def _client(sandbox) -> TrackerClient:  # noqa: ANN001
    return TrackerClient(
        TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    )


def _issue(client: TrackerClient, source_id: str) -> dict:  # type: ignore[type-arg]
    found = client.find_by_unique(f"jira-sample:jira:{source_id}")
    assert found is not None, source_id
    return dict(found)


@pytest.mark.slow
def test_rehearse_then_cut_over(sandbox, point_at, capsys, tmp_path: Path) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["run", *FIRST, "--yes", *FAST]) == 0
    capsys.readouterr()
    # the queue also holds the import lease's marker issue: never in the ledger, so neither a
    # deleted issue below nor a difference for verify
    assert _client(sandbox).find_by_unique(lease_unique("DEMO")) is not None
    # the first import's local-field PATCHes moved five issues' stamps: verify notes them as announced
    first_verify = tmp_path / "first-verify.json"
    assert main(["verify", *FIRST, "--output", str(first_verify), "--no-progress"]) == 0
    first = json.loads(first_verify.read_text(encoding="utf-8"))
    assert first["clean"] and first["problems"] == []
    assert {(n["issue"], n["field"]) for n in first["notes"]} == {
        (key, stamp)
        for key in ("PAY-12", "PAY-13", "PAY-20", "PAY-22", "PAY-26")
        for stamp in ("updatedAt", "updatedBy")
    }
    assert all(n["message"].endswith("local_fields.updated_at_moves)") for n in first["notes"])
    capsys.readouterr()

    # validate: the delta, before anything is written
    before = _writes(sandbox)
    assert main(["validate", *CUTOVER, "--report", str(tmp_path / "report"), "--no-progress"]) == 0
    shown = capsys.readouterr().out
    assert _writes(sandbox) == before
    assert "Delta against the last import" in shown
    assert "1 new, 4 changed, 21 unchanged, 1 deleted from the export" in shown
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    delta = report["extra"]["delta"]
    assert delta["issues"] == {"new": 1, "changed": 4, "unchanged": 21, "unfinished": 0, "deleted": 1}
    assert delta["children"]["edited_comments"] == 1 and delta["windows_opened"] == 1
    # PAY-26, PAY-11 (fields) and PAY-5 (its window); PAY-12's edited comment moved only its stamps
    assert delta["planned_writes"] == {"issue_update": 3, "comment_edit": 1, "removal": 0}
    by_kind = report["summary"]["by_kind"]
    for kind in (
        "delta.changed",
        "delta.updated_at_moves",
        "delta.resolved_at_moves",
        "delta.comment_edited",
        "delta.comment_identity",
        "delta.deleted",
        "delta.late_child",
        "delta.window_opened",
        "local_fields.updated_at_moves",
    ):
        assert kind in by_kind, kind
    # PAY-12: only its comment and its stamps changed — no field change, no update of its own
    pay12 = {f["kind"] for f in report["findings"] if f["key"] == "PAY-12" and f["kind"].startswith("delta.")}
    assert pay12 == {"delta.comment_edited", "delta.comment_identity"}
    local = sorted(f["key"] for f in report["findings"] if f["kind"] == "local_fields.updated_at_moves")
    assert local == ["PAY-12", "PAY-13", "PAY-20", "PAY-22", "PAY-26"]
    deleted = next(f for f in report["findings"] if f["kind"] == "delta.deleted")
    assert deleted["key"] == "PAY-24"
    assert "delta" in (tmp_path / "report" / "report.html").read_text(encoding="utf-8")

    # run: the delta is applied
    assert main(["run", *CUTOVER, "--yes", *FAST]) == 0
    out = capsys.readouterr().out
    assert "issue_update" in out and "comment_edit" in out
    assert _diff(_writes(sandbox), before) == {
        "issue_import": 1,  # PAY-27
        "comment_import": 3,  # PAY-27's, PAY-26's, PAY-5's late one
        # PAY-26 and PAY-11 fields, PAY-5's window (tag added and removed), the queue lease (taken, released)
        "patch": 4 + 2,
        "transition": 1,  # PAY-26 In Progress → Resolved
        "comment_edit": 1,  # PAY-12
    }
    client = _client(sandbox)
    pay26 = _issue(client, "10125")
    assert pay26["summary"].endswith("(ВТБ, Почта Банк)")
    assert pay26["status"]["key"] == "resolved" and pay26["resolution"]["key"] == "fixed"
    assert pay26["assignee"]["display"] == "Alice Anderson"  # jsmith
    pay5 = _issue(client, "10104")
    late = [c for c in client.list_comments(pay5["key"]) if c["createdAt"] == "2024-02-27T11:00:00.000+0000"]
    assert [c["createdBy"]["display"] for c in late] == ["Bob Brown"]  # mpetrova, with her own date
    assert "migrator-window" not in pay5.get("tags", [])
    pay12 = _issue(client, "10111")
    texts = [c["text"] for c in client.list_comments(pay12["key"])]
    assert len(texts) == 6 and sum("HAR-файл" in t for t in texts) == 1
    assert _issue(client, "10126")["summary"] == "Refund an SBP payment to the buyer's phone number"
    assert _issue(client, "10123")["summary"] == "Save a card for repeat purchases"  # PAY-24, kept

    # verify: clean against the newer export
    output = tmp_path / "verify.json"
    assert main(["verify", *CUTOVER, "--output", str(output), "--no-progress"]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert result["clean"] and result["problems"] == []
    noted = {(n["issue"], n["field"]) for n in result["notes"] if n.get("field")}
    assert {("PAY-26", "updatedAt"), ("PAY-26", "resolvedAt"), ("PAY-5", "updatedAt")} <= noted
    assert {("PAY-12", "updatedAt"), ("PAY-12", "updatedBy")} <= noted  # its local-field PATCH
    for note in result["notes"]:  # every note names a finding validate showed
        named = re.findall(r"\b(?:delta|local_fields|text|link)\.[a-z_]+", note["message"])
        assert named and set(named) <= set(by_kind), note["message"]
    capsys.readouterr()

    # a third run with the same export writes nothing
    before = _writes(sandbox)
    assert main(["run", *CUTOVER, "--yes", *FAST]) == 0
    assert _writes(sandbox) == before
    assert "0 new, 0 changed, 26 unchanged" in capsys.readouterr().out

    # the run history
    assert main(["status", "--history"]) == 0
    table = capsys.readouterr().out
    assert table.count("complete") == 3
    assert main(["status", "--history", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["outcome"] for r in runs] == ["complete", "complete", "complete"]
    assert runs[0]["export_sha256"] != runs[1]["export_sha256"] == runs[2]["export_sha256"]
    assert runs[0]["mapping_sha256"] == runs[2]["mapping_sha256"]
    assert runs[1]["written"]["written"] == {
        "issue": 1,
        "comment": 3,
        "issue_update": 3,
        "comment_edit": 1,
    }
    assert runs[2]["written"]["written"] == {}
    assert runs[1]["delta"]["issues"]["changed"] == 4 and runs[0]["delta"]["earlier_import"] is False
    assert sandbox.admin_token not in json.dumps(runs)
    assert runs[1]["target"].startswith(sandbox.url)


def test_validate_without_an_earlier_import_says_so(sandbox, point_at, capsys, tmp_path: Path) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["validate", *FIRST, "--report", str(tmp_path / "r"), "--no-progress"]) == 0
    assert "Delta: no earlier import" in capsys.readouterr().out
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["extra"]["delta"]["earlier_import"] is False


def test_status_json_and_refused_run_in_history(sandbox, point_at, capsys, tmp_path: Path) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["run", *FIRST, "--no-progress", "--strict"]) == 1  # warnings block under --strict
    capsys.readouterr()
    assert main(["status", "--history", "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["outcome"] == "refused" and record["written"] == {}
    assert record["findings"]["warning"] > 0 and "user.fallback" in record["findings"]["by_kind"]
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["namespace"] == "jira-sample" and status["counts"]["issue"]["pending"] == 26


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def test_delete_missing_deletes_a_comment_the_export_dropped(
    sandbox, point_at, capsys, tmp_path: Path
) -> None:  # noqa: ANN001
    point_at(sandbox)
    export = tmp_path / "export"
    export.mkdir()
    (export / "attachments").symlink_to(ROOT / "samples/jira/attachments", target_is_directory=True)
    with (ROOT / "samples/jira/issues.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    _write_csv(export / "issues.csv", rows)
    source = [str(export / "issues.csv"), *MAPPING]
    assert main(["run", *source, "--yes", *FAST]) == 0
    pay19 = next(r for r in rows if r[1] == "PAY-19")
    last = max(i for i, name in enumerate(rows[0]) if name == "Comment" and pay19[i])
    assert pay19[last].startswith("08/Nov/23 6:10 PM;jsmith;")
    pay19[last] = ""  # the comment was deleted in Jira
    _write_csv(export / "issues.csv", rows)
    capsys.readouterr()

    assert (
        main(["validate", *source, "--delete-missing", "--report", str(tmp_path / "r"), "--no-progress"]) == 0
    )
    shown = capsys.readouterr().out
    assert "1 comment(s) deleted from the export (deleted in Tracker: --delete-missing)" in shown
    assert "1 issue update(s), 0 comment edit(s), 1 deletion(s)" in shown
    # the mapping derives PAY-19's resolvedBy from its last activity: Tracker cannot change it
    assert "field 'resolvedBy': resolvedBy changed in the export ('alice' → 'bob')" in shown
    before = _writes(sandbox)
    assert main(["run", *source, "--yes", "--delete-missing", *FAST]) == 0
    assert _diff(_writes(sandbox), before) == {"comment_delete": 1, "patch": 2}  # and the queue lease
    assert main(["verify", *source, "--output", str(tmp_path / "v.json"), "--no-progress"]) == 0
