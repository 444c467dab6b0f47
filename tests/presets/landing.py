"""Landing a preset's sample in the sandbox the way a user would, and comparing it with the facts.

The user takes the preset, decides what it leaves open (``users.map`` — who is who —, a ``"?"``
time zone, what to do with links to issues outside the export), then ``validate`` (no errors),
``run``, ``verify`` (no differences) and ``run`` again (nothing written). :func:`land` does that
through the real CLI against an in-process sandbox; :func:`check_expected` compares what landed
with the sample's ``expected.yaml`` (counts and the spot-checked issues).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrator.cli import main
from migrator.sandbox import SandboxServer
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
SAMPLES = ROOT / "samples"
FIXTURE = ROOT / "migrator" / "sandbox" / "default_fixture.yaml"
WRITES = ("issue_import", "comment_import", "link_import", "attachment_import", "worklog_import", "patch")


@dataclass(frozen=True)
class Decisions:
    """What a user decides before the first run (``init`` pre-fills most of it)."""

    users: dict[str, str | None]  # source name / login / e-mail → Tracker login (None: nobody)
    timezone: str | None = None  # for a preset whose source.timezone is "?"
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # extra values.<field>.map entries


@dataclass
class Landed:
    """What the sandbox holds after the runs."""

    counts: dict[str, int]  # sandbox objects: issues, comments, attachments, worklogs, links
    issues: dict[str, dict[str, Any]]  # by summary: the issue as Tracker returns it, plus "comment_count"
    findings: list[dict[str, Any]]  # validate's report.json findings


def expected(sample: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SAMPLES / sample / "expected.yaml").read_text(encoding="utf-8"))
    return loaded


def decide(preset: str, folder: Path, decisions: Decisions) -> Path:
    """The preset with the user's decisions, written to ``folder``."""
    data = yaml.safe_load((MAPPINGS / f"{preset}.yaml").read_text(encoding="utf-8"))
    data["users"]["map"] = dict(decisions.users)
    if data["source"].get("timezone") == "?":
        assert decisions.timezone, f"{preset} leaves the time zone to the user: give Decisions.timezone"
        data["source"]["timezone"] = decisions.timezone
    data["target"]["dangling"] = "text"  # links to issues outside the export: named in the description
    for name, entries in decisions.values.items():
        data.setdefault("values", {}).setdefault(name, {"map": {}}).setdefault("map", {}).update(entries)
    path = folder / f"{preset}.decided.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Session:
    """The pytest fixtures a landing needs: the sandbox, and where the CLI runs."""

    sandbox: SandboxServer
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    folder: Path  # the working directory (.migrator/, the report)


@pytest.fixture
def session(
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Session:
    """A fresh sandbox and working folder per test (import this fixture into the test module)."""
    return Session(sandbox, monkeypatch, capsys, tmp_path)


def land(session: Session, mapping: Path, sources: Sequence[Path]) -> Landed:
    """validate → run → verify → run again, each through the CLI against the sandbox; every step
    must succeed."""
    sandbox, capsys = session.sandbox, session.capsys
    session.monkeypatch.setenv("TRACKER_API_URL", sandbox.url)
    session.monkeypatch.setenv("TRACKER_TOKEN", sandbox.admin_token)
    session.monkeypatch.setenv("TRACKER_ORG_ID", str(sandbox.org_id))
    session.monkeypatch.chdir(session.folder)
    args = [*(str(s) for s in sources), "--mapping", str(mapping), "--no-progress"]
    _step(capsys, ["validate", *args, "--report", "report"])
    findings = json.loads(Path("report/report.json").read_text(encoding="utf-8"))["findings"]
    _step(capsys, ["run", *args, "--yes", "--max-rps", "1000"])
    _step(capsys, ["verify", *args, "--max-rps", "1000"])
    before = _writes(sandbox)
    _step(capsys, ["run", *args, "--yes", "--max-rps", "1000"])
    assert _writes(sandbox) == before, "a second run wrote to the target"
    return Landed(dict(sandbox.stats()["objects"]), _issues(sandbox), findings)


def check_expected(landed: Landed, facts: dict[str, Any], mapping: Path) -> None:
    """The landed counts and spot-checked issues are the sample's ``expected.yaml``."""
    counts = facts["counts"]
    assert landed.counts["issues"] == counts["issues"]
    assert landed.counts["comments"] == counts["comments"]
    assert landed.counts["attachments"] == counts["attachments"]["present"]
    assert landed.counts["worklogs"] == counts["worklogs"]
    assert landed.counts["links"] == sum(counts["links"].values())  # parents, epics and links inside
    config = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    people = {str(p["id"]): p for p in facts["people"]}
    display = {u["login"]: u["display"] for u in yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["users"]}
    for key, spot in facts["issues"].items():
        issue = landed.issues.get(spot["summary"])
        assert issue is not None, f"issue {key} ({spot['summary']!r}) did not land"
        status = _mapped(config, "status", spot["status"])
        assert issue["status"]["key"] == status, f"issue {key}: status"
        assert issue["comment_count"] == spot["comments"], f"issue {key}: comments"
        login = people[str(spot["assignee"])]["tracker_login"] if spot["assignee"] is not None else None
        if login is not None:
            assert issue.get("assignee", {}).get("display") == display[login], f"issue {key}: assignee"


def _mapped(config: dict[str, Any], name: str, value: str) -> str:
    section = config["values"][name]
    found = {str(k).casefold(): v for k, v in section["map"].items()}.get(str(value).casefold())
    return str(found if found is not None else section.get("default"))


def _step(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, f"migrator {argv[0]} exited {code}:\n{out.out}\n{out.err}"


def _writes(sandbox: SandboxServer) -> int:
    return sum(sandbox.stats()["by_kind"].get(kind, 0) for kind in WRITES)


def _issues(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    out: dict[str, dict[str, Any]] = {}
    with TrackerClient(settings) as client:
        for issue in client.search_issues(queue="DEMO"):
            issue["comment_count"] = len(client.list_comments(issue["key"]))
            out[issue["summary"]] = issue
    return out
