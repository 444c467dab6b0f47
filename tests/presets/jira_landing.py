"""The Jira presets' landings read back through the checkpoint ledger and held to ``expected.yaml``.

``land`` writes the preset with the user's decisions filled in (the ``"?"`` ones: time zone,
people, values the target lacks), takes it through the shared CLI steps (``landing.steps``:
validate, run, verify, run again) and reads the target back — issues by source key (through the
ledger), comments, files, work logs and links — so the test can hold it against the sample's
``expected.yaml``, files and work logs included.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from migrator.sandbox import SandboxServer
from migrator.state import CheckpointStore
from migrator.tracker import TrackerClient, TrackerSettings

from .landing import MAPPINGS, Session, steps

# Tracker link type → the kinds of expected.yaml (its schema has no "clone": clones count as relates)
KINDS = {"relates": "relates", "clone": "relates", "depends": "depends", "duplicates": "duplicates"}
KINDS |= {"subtask": "subtask", "epic": "epic"}
# Where the "from" end of a kind is, for a link listed with this direction on the listing issue.
FROM_HERE = {("depends", "outward"), ("duplicates", "inward"), ("subtask", "inward"), ("epic", "outward")}


@dataclass
class Landed:
    """What the target holds after the run, by source key."""

    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    attachments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    worklogs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    links: set[tuple[str, str, str]] = field(default_factory=set)  # (from, to, kind); relates: sorted
    assignees: dict[str, str | None] = field(default_factory=dict)  # source key → Tracker login
    report: dict[str, Any] = field(default_factory=dict)  # validate's report.json

    def link_counts(self) -> Counter[str]:
        return Counter(kind for _, _, kind in self.links)

    def resolved_logins(self) -> dict[str, str | None]:
        """Source user name → Tracker login, as validate's users table says."""
        return {row["source_name"]: row["login"] for row in self.report["users"]}


def preset_with(preset: str, decisions: dict[str, Any], folder: Path) -> Path:
    """The preset with the user's decisions merged in (nested keys replaced leaf by leaf)."""
    data = yaml.safe_load((MAPPINGS / f"{preset}.yaml").read_text(encoding="utf-8"))
    _merge(data, decisions)
    path = folder / f"{preset}.decided.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict) and value:
            _merge(into[key], value)
        else:
            into[key] = value


def land(preset: str, sources: list[Path], decisions: dict[str, Any], session: Session) -> Landed:
    mapping = preset_with(preset, decisions, session.folder)
    state = session.folder / "state.sqlite"
    report = steps(session, mapping, sources, state)
    assert [f for f in report["findings"] if f["severity"] == "error"] == []
    return _read_back(session.sandbox, state, report)


def _read_back(server: SandboxServer, state: Path, report: dict[str, Any]) -> Landed:
    landed = Landed(report=report)
    settings = TrackerSettings(token=server.admin_token, org_id=str(server.org_id), base_url=server.url)
    with CheckpointStore(state) as store, TrackerClient(settings) as client:
        logins = {str(u["uid"]): u["login"] for u in client.list_users()}
        by_target: dict[str, str] = {}
        for planned in store.iter_planned():
            target = store.issue_target(planned.source_key)
            assert target is not None and target.target_key, planned.source_key
            by_target[target.target_key] = planned.source_key
        for target_key, key in by_target.items():
            landed.issues[key] = client.get_issue(target_key)
            assignee = landed.issues[key].get("assignee")
            landed.assignees[key] = logins[assignee["id"]] if assignee else None
            landed.comments[key] = client.list_comments(target_key)
            landed.attachments[key] = client.list_attachments(target_key)
            landed.worklogs[key] = client.list_worklogs(target_key)
            for link in client.list_links(target_key):
                other = by_target.get(link["object"]["key"], link["object"]["key"])
                landed.links.add(_fact(key, link["type"]["id"], link["direction"], other))
    return landed


def _fact(here: str, type_id: str, direction: str, other: str) -> tuple[str, str, str]:
    kind = KINDS[type_id]
    if kind == "relates":
        first, second = sorted((here, other))
        return first, second, kind
    return (here, other, kind) if (type_id, direction) in FROM_HERE else (other, here, kind)


def assert_lands_as_expected(landed: Landed, expected: dict[str, Any], fallback: str = "admin") -> None:
    """Counts, parents and links inside the export, what could not be carried (named in the
    texts), spot checks and people — every fact ``expected.yaml`` states."""
    counts = expected["counts"]
    assert len(landed.issues) == counts["issues"]
    assert sum(map(len, landed.comments.values())) == counts["comments"]
    assert sum(map(len, landed.attachments.values())) == counts["attachments"]["present"]
    assert sum(map(len, landed.worklogs.values())) == counts["worklogs"]
    wanted_counts = {kind: n for kind, n in counts["links"].items() if n}
    assert dict(landed.link_counts()) == wanted_counts
    wanted = {(p["child"], p["parent"], p["kind"]) for p in expected["parents"]}
    for link in expected["links"]:
        pair = (link["from"], link["to"])
        wanted.add((*sorted(pair), "relates") if link["kind"] == "relates" else (*pair, link["kind"]))  # type: ignore[arg-type]
    assert landed.links == wanted
    for missing in expected["missing_attachments"]:  # source.files.missing: skip-file names them
        assert missing["name"] in (landed.issues[missing["issue"]].get("description") or "")
    for outside in expected["external_links"]:  # target.dangling: text names them
        assert str(outside["to"]) in (landed.issues[outside["from"]].get("description") or "")
    logins = {p["id"]: p["tracker_login"] or fallback for p in expected["people"]}
    for key, facts in expected["issues"].items():
        issue = landed.issues[key]
        assert issue["summary"] == facts["summary"]
        assert len(landed.comments[key]) == facts["comments"]
        assert landed.assignees[key] == (logins[facts["assignee"]] if facts["assignee"] else None), key
    resolved = landed.resolved_logins()
    seen = {pid: resolved[pid] for pid in logins if pid in resolved}
    assert seen == {pid: logins[pid] for pid in seen}
    assert seen, "validate's users table names the export's people by their ids"
