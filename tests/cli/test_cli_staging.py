"""Repeatable staging imports: a new namespace gives a fresh identical copy, the same one is a no-op."""

from __future__ import annotations

from pathlib import Path

from migrator.cli import main
from migrator.execution.queue_lease import UNIQUE_PREFIX
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]
IMPORT_KINDS = (
    "issue_import",
    "comment_import",
    "link_import",
    "attachment_import",
    "worklog_import",
    "patch",
)


def _writes(sandbox) -> int:  # noqa: ANN001
    return sum(sandbox.stats()["by_kind"].get(kind, 0) for kind in IMPORT_KINDS)


def _summaries(sandbox, queue: str) -> list[str]:  # noqa: ANN001
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    with TrackerClient(settings) as client:
        return sorted(
            issue["summary"]
            for issue in client.search_issues(queue=queue)
            if not str(issue.get("unique")).startswith(UNIQUE_PREFIX)  # the queue's import-lease marker
        )


def test_staging_copies(sandbox, point_at, capsys) -> None:  # noqa: ANN001
    point_at(sandbox)
    run = ["run", *SAMPLE, "--yes", "--no-progress", "--max-rps", "1000"]

    assert main(run) == 0
    production = _summaries(sandbox, "DEMO")
    assert len(production) == 26

    assert main([*run, "--queue", "STAGE", "--namespace", "stage-1"]) == 0
    assert _summaries(sandbox, "STAGE") == production  # an identical copy in the staging queue

    before = _writes(sandbox)
    assert main([*run, "--queue", "STAGE", "--namespace", "stage-1"]) == 0
    assert _writes(sandbox) == before  # same namespace: a no-op

    assert main([*run, "--queue", "STAGE", "--namespace", "stage-2"]) == 0
    assert _summaries(sandbox, "STAGE") == sorted(production * 2)  # a fresh second copy
    assert _summaries(sandbox, "DEMO") == production  # production untouched
    capsys.readouterr()
