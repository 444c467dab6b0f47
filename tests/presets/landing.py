"""Landing a preset's sample in the sandbox as a user would, and holding it to ``expected.yaml``.

The user takes the preset and decides what it leaves open — the time zone when it is ``"?"``, who
is who (``users.map``), list or state names the preset cannot know, and that links to issues
outside the export are named in the description (``target.dangling: text``). Then ``validate``
(no errors), ``run``, ``verify`` (no differences), ``run`` again (nothing written). The landed
target is compared with the sample's facts: counts, every parent and link inside the export by
kind and direction, and the spot-checked issues (summary, type, status, assignee, comments).

Every preset's landing goes through ``steps`` (the ``session`` fixture is in ``conftest.py``);
the Jira tests read the target back through the ledger (``jira_landing.py``), the work-tracker
group by ``unique`` (``test_work_trackers.py``).
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
from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.plan import make_unique
from migrator.sandbox import SandboxServer
from migrator.sandbox.faults import WRITE_KINDS
from migrator.sources.reading import read_issues
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
SAMPLES = ROOT / "samples"
FIXTURE = ROOT / "migrator" / "sandbox" / "default_fixture.yaml"
# expected.yaml's link kinds → (Tracker link type, direction listed on the `from` issue); None: either
KIND_ON_FROM: dict[str, tuple[str, str | None]] = {
    "subtask": ("subtask", "inward"),
    "epic": ("epic", "outward"),
    "depends": ("depends", "outward"),
    "duplicates": ("duplicates", "inward"),
    "relates": ("relates", None),
}


@dataclass(frozen=True)
class Decisions:
    """What a user decides before the first run."""

    users: dict[str, str | None] = field(default_factory=dict)  # source person → Tracker login
    timezone: str | None = None  # for a preset whose source.timezone is "?"
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)  # more values.<field>.map entries
    files: dict[str, Any] = field(default_factory=dict)  # source.files keys (where the files are)


@dataclass(frozen=True)
class Session:
    """The pytest fixtures a landing needs."""

    sandbox: SandboxServer
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    folder: Path


@dataclass
class Landed:
    counts: dict[str, int]  # sandbox objects after the runs
    by_key: dict[str, dict[str, Any]]  # source key → the Tracker issue (+ "comment_count", "links")
    findings: list[dict[str, Any]]  # validate's report.json findings
    config: MappingConfig


def facts(sample: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SAMPLES / sample / "expected.yaml").read_text(encoding="utf-8"))
    return loaded


def sources(sample: str) -> list[Path]:
    """The sample's files as expected.yaml lists them (each passed as a SOURCE)."""
    return [SAMPLES / sample / name for name in facts(sample)["files"]]


def decide(preset: str, folder: Path, decisions: Decisions) -> Path:
    """The preset with the user's decisions, written to ``folder``."""
    data = yaml.safe_load((MAPPINGS / f"{preset}.yaml").read_text(encoding="utf-8"))
    if data["source"].get("timezone") == "?":
        assert decisions.timezone, f"{preset} leaves the time zone to the user"
        data["source"]["timezone"] = decisions.timezone
    data["users"]["map"] = {**(data["users"].get("map") or {}), **decisions.users}
    for name, entries in decisions.values.items():
        data["values"][name]["map"].update(entries)
    if decisions.files:
        data["source"]["files"] = {**(data["source"].get("files") or {}), **decisions.files}
    # links to issues outside the export: the preset's own policy ([existing, text]: none is in the
    # sandbox, so the description names them), else named in the description
    data["target"].setdefault("dangling", "text")
    path = folder / f"{preset}.decided.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def land(session: Session, mapping: Path, files: Sequence[Path]) -> Landed:
    """The CLI steps (``steps``), then the landed issues read back by source key."""
    report = steps(session, mapping, files)
    config = load_mapping(mapping)
    sandbox = session.sandbox
    return Landed(
        dict(sandbox.stats()["objects"]), _by_source_key(sandbox, config, files), report["findings"], config
    )


def steps(
    session: Session, mapping: Path, files: Sequence[Path], state: Path | None = None
) -> dict[str, Any]:
    """validate → run → verify → run again through the CLI against the session's sandbox, each
    exiting 0, the second run writing nothing; validate's report.json. ``state``: the checkpoint
    file (for a test that reads the ledger back), else the mapping's default."""
    sandbox = session.sandbox
    session.monkeypatch.setenv("TRACKER_API_URL", sandbox.url)
    session.monkeypatch.setenv("TRACKER_TOKEN", sandbox.admin_token)
    session.monkeypatch.setenv("TRACKER_ORG_ID", str(sandbox.org_id))
    session.monkeypatch.chdir(session.folder)
    args = [*(str(f) for f in files), "--mapping", str(mapping), "--no-progress"]
    _step(session.capsys, ["validate", *args, "--report", "report"])
    report: dict[str, Any] = json.loads(Path("report/report.json").read_text(encoding="utf-8"))
    sending = [*args, "--max-rps", "1000", *(["--state", str(state)] if state else [])]
    _step(session.capsys, ["run", *sending, "--yes"])
    _step(session.capsys, ["verify", *sending])
    before = _writes(sandbox)
    _step(session.capsys, ["run", *sending, "--yes"])
    assert _writes(sandbox) == before, "a second run wrote to the target"
    return report


def land_sample(session: Session, preset: str, decisions: Decisions, files: Sequence[Path]) -> Landed:
    """The preset decided, landed from ``files`` and held to its sample's facts (the preset's
    ``sample`` folder has the same name)."""
    landed = land(session, decide(preset, session.folder, decisions), files)
    check_expected(landed, facts(preset))
    return landed


def check_expected(landed: Landed, expected: dict[str, Any]) -> None:
    """Counts, parents and links, and the spot-checked issues are the sample's facts."""
    counts = expected["counts"]
    assert landed.counts["issues"] == counts["issues"] + 1  # and the queue's import-lease marker
    assert landed.counts["comments"] == counts["comments"]
    assert landed.counts["attachments"] == counts["attachments"]["present"]
    assert landed.counts["worklogs"] == counts["worklogs"]
    assert landed.counts["links"] == sum(counts["links"].values())
    for link in [*expected["parents"], *expected["links"]]:
        kind, direction = KIND_ON_FROM[link["kind"]]
        listed = landed.by_key[str(link["from"] if "from" in link else link["child"])]["links"]
        other = str(link["to"] if "to" in link else link["parent"])
        assert any(
            t == kind and (direction is None or d == direction) and o == other for t, d, o in listed
        ), f"{link}: not in Tracker (the issue lists {listed})"
    people = {str(p["id"]): p for p in expected["people"]}
    display = {u["login"]: u["display"] for u in yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["users"]}
    for key, spot in expected["issues"].items():
        issue = landed.by_key[str(key)]
        assert issue["summary"] == spot["summary"], key
        assert issue["status"]["key"] == _mapped(landed.config, "status", spot["status"]), key
        if spot.get("type") is not None and "type" in landed.config.values:
            assert issue["type"]["key"] == _mapped(landed.config, "type", spot["type"]), key
        assert issue["comment_count"] == spot["comments"], key
        login = people[str(spot["assignee"])]["tracker_login"] if spot["assignee"] is not None else None
        assignee = issue.get("assignee", {}).get("display")
        if spot["assignee"] is None:
            assert assignee is None, f"{key}: assigned to {assignee}"
        elif login is not None:
            assert assignee == display[login], key


def findings_of(landed: Landed, kind: str) -> list[dict[str, Any]]:
    return [f for f in landed.findings if f["kind"] == kind]


def _mapped(config: MappingConfig, name: str, value: str) -> str | None:
    found, target = config.values[name].lookup(value)
    return target if found else config.values[name].default


def _step(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, f"migrator {argv[0]} exited {code}:\n{out.out}\n{out.err}"


def _writes(sandbox: SandboxServer) -> int:
    by_kind = sandbox.stats()["by_kind"]
    return sum(int(by_kind.get(kind, 0)) for kind in WRITE_KINDS)


def _by_source_key(
    sandbox: SandboxServer, config: MappingConfig, files: Sequence[Path]
) -> dict[str, dict[str, Any]]:
    """The landed issues by their source key (found through Tracker's ``unique``), each with its
    comment count and links as (link type, direction, the other issue's source key)."""
    unique_to_key = {
        make_unique(config.target.namespace, issue.source): issue.key
        for issue in read_issues(config.source, list(files), Findings())
    }
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    out: dict[str, dict[str, Any]] = {}
    with TrackerClient(settings) as client:
        issues = [i for i in client.search_issues(queue="DEMO") if i.get("unique") in unique_to_key]
        tracker_to_source = {i["key"]: unique_to_key[i["unique"]] for i in issues}
        for issue in issues:
            issue["comment_count"] = len(client.list_comments(issue["key"]))
            issue["links"] = [
                (link["type"]["id"], link["direction"], tracker_to_source.get(link["object"]["key"]))
                for link in client.list_links(issue["key"])
            ]
            out[unique_to_key[issue["unique"]]] = issue
    return out
