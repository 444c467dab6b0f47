"""The plan's stored form: ``to_dict`` is ``dataclasses.asdict`` without the copies."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from execution.helpers_executor import make_plan

from migrator.plan import PlannedIssue


def test_to_dict_is_what_asdict_gives_and_round_trips(tmp_path: Path) -> None:
    plan = make_plan(7, tmp_path / "files", local_fields={"abc--customer": "Acme"})
    for issue in plan:
        data = issue.to_dict()
        assert data == dataclasses.asdict(issue)
        assert PlannedIssue.from_dict(json.loads(json.dumps(data))) == issue


def test_to_dict_shares_payloads_instead_of_copying_them(tmp_path: Path) -> None:
    issue = make_plan(1, tmp_path / "files")[0]
    data = issue.to_dict()
    assert data["body"] is issue.body and data["comments"][0]["body"] is issue.comments[0].body
    assert data["comments"][0]["attachments"][0] == dataclasses.asdict(issue.comments[0].attachments[0])
