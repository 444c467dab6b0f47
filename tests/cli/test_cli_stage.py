"""`migrator stage`: a staging queue shaped like DEMO, the sample imported into it and verified,
then dropped — and the official client sees it gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from yandex_tracker_client import TrackerClient as OfficialClient
from yandex_tracker_client.exceptions import NotFound

from migrator.cli import main
from migrator.execution.queue_lease import lease_unique
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [str(ROOT / "samples/jira/issues.csv"), "--mapping", str(ROOT / "mappings/jira-csv.yaml")]


def _client(sandbox) -> TrackerClient:  # noqa: ANN001
    return TrackerClient(
        TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    )


def _official(sandbox) -> OfficialClient:  # noqa: ANN001
    return OfficialClient(
        token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url, retries=0
    )


@pytest.mark.slow
def test_stage_imports_verifies_and_drops(sandbox, point_at, capsys) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["stage", *SAMPLE, "--no-progress", "--max-rps", "1000"]) == 0
    out = capsys.readouterr().out
    assert "staging queue STG1 created like DEMO: 5 issue type(s)" in out
    assert "verify: target matches the plan" in out
    assert "Drop it with: migrator stage --drop STG1" in out

    client = _client(sandbox)
    demo, staged = client.get_queue("DEMO", expand="all"), client.get_queue("STG1", expand="all")
    assert staged["defaultType"]["key"] == demo["defaultType"]["key"]
    assert staged["defaultPriority"]["key"] == demo["defaultPriority"]["key"]
    assert sorted(t["key"] for t in staged["issueTypes"]) == sorted(t["key"] for t in demo["issueTypes"])
    assert [c["name"] for c in client.list_components("STG1")] == [
        c["name"] for c in client.list_components("DEMO")
    ]
    assert [v["name"] for v in client.list_versions("STG1")] == [
        v["name"] for v in client.list_versions("DEMO")
    ]
    assert [f["key"] for f in client.list_local_fields("STG1")] == ["customer"]
    staged_uniques = [str(i.get("unique")) for i in client.search_issues(queue="STG1")]
    assert len(staged_uniques) == 26 + 1 and lease_unique("STG1") in staged_uniques  # the lease's marker
    assert len(list(client.search_issues(queue="DEMO"))) == 0  # production untouched

    official = _official(sandbox)
    assert official.queues["STG1"].key == "STG1"
    assert main(["stage", "--drop", "STG1"]) == 0
    assert "staging queue STG1 deleted" in capsys.readouterr().out
    with pytest.raises(NotFound):
        official.queues["STG1"]  # noqa: B018 - the read is the assertion
    assert official.queues["DEMO"].key == "DEMO"

    assert main(["stage", "--restore", "STG1"]) == 0
    assert official.queues["STG1"].key == "STG1"


def test_a_second_stage_takes_the_next_key_and_a_named_key_is_used(sandbox, point_at, capsys) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["stage", *SAMPLE, "--no-progress", "--max-rps", "1000", "--key", "REHEARSE"]) == 0
    assert "staging queue REHEARSE created" in capsys.readouterr().out
    assert main(["stage", *SAMPLE, "--no-progress", "--max-rps", "1000", "--key", "REHEARSE"]) == 2
    assert "queue REHEARSE exists already" in capsys.readouterr().err


def test_drop_refuses_a_queue_stage_did_not_make(sandbox, point_at, capsys) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["stage", "--drop", "DEMO"]) == 2
    assert "is not a staging queue" in capsys.readouterr().err
    assert _client(sandbox).get_queue("DEMO")["key"] == "DEMO"
    assert main(["stage", "--drop", "NOPE"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_stage_without_export_is_a_usage_error(sandbox, point_at, capsys) -> None:  # noqa: ANN001
    point_at(sandbox)
    assert main(["stage"]) == 2
    assert "stage needs the export file(s) and --mapping" in capsys.readouterr().err
