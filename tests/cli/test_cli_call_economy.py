"""What a clean ``migrator run`` costs besides the objects it writes (issue 13: at most ~1.02 calls
per object): the target's core metadata, the catalogues the export uses, one search for the key
plan (reused by the lease marker's key), one lease read, the marker and its release — and the run
counts its requests (during the import and in all) as the target does."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from migrator.cli import main
from migrator.sandbox import SandboxServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/economy"
EXPORT, MAPPING = FIXTURES / "export.csv", FIXTURES / "mapping.yaml"  # 4 issues, 12 comments, 1 link
OBJECTS = Counter({"issue_import": 4, "comment_import": 12, "link_import": 1})
FAST = ["--no-progress", "--max-rps", "1000", "--yes"]


def test_a_clean_run_sends_twelve_requests_besides_its_objects(  # noqa: ANN001
    sandbox: SandboxServer, point_at, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(sandbox)
    before = Counter(sandbox.stats()["by_kind"])
    assert main(["run", str(EXPORT), "--mapping", str(MAPPING), *FAST]) == 0
    sent = Counter(sandbox.stats()["by_kind"]) - before
    assert sent - OBJECTS == Counter(
        {
            "users": 1,
            "queues": 1,  # the queue (expand=all)
            "metadata": 5,  # statuses, issue types, priorities, the workflow, link types (the export links)
            "search": 1,  # the queue's highest key number: the key plan's, reused by the marker
            "find_by_unique": 1,  # the lease: check() read, reused by acquire()
            "myself": 1,  # the marker's author
            "issue_import": 1,  # the marker
            "patch": 1,  # the lease released
        }
    )
    printed = re.search(r"requests: (\d+) during the import \(.*\), (\d+) in all", capsys.readouterr().out)
    assert printed is not None
    assert (int(printed[1]), int(printed[2])) == (OBJECTS.total(), sent.total())
