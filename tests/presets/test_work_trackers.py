"""The work-management presets end to end: asana-csv, asana-json, linear-csv, pivotal-csv,
clickup-csv and generic-excel, each on its bundled sample.

The preset as a user takes it (the time zone, where it is ``"?"``, from the sample's
``expected.yaml``) → ``validate`` (no errors) → ``run`` → ``verify`` → a second ``run`` (nothing
written); then what landed in the sandbox is compared with ``expected.yaml``: counts, every parent
and link inside the export (by kind and direction), the spot-checked issues (summary, status,
assignee, comments), and the references the export cannot carry (files it lacks, issues outside
it) named in the descriptions.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrator.cli import main
from migrator.execution.queue_lease import lease_unique
from migrator.sandbox import SandboxServer
from migrator.tracker import TrackerClient, TrackerSettings
from migrator.vocabulary import RELATIONSHIPS

from .landing import Session, steps

ROOT = Path(__file__).resolve().parents[2]
GROUP = ["asana-csv", "asana-json", "linear-csv", "pivotal-csv", "clickup-csv", "generic-excel"]
# expected.yaml's relationship kind (seen from its ``from``/``child``) → Tracker's import relationship
RELATIONSHIP = {
    "subtask": "is subtask for",
    "depends": "depends on",
    "duplicates": "duplicates",
    "relates": "relates",
    "epic": "has epic",
}
KINDS = {kind: RELATIONSHIPS[name] for kind, name in RELATIONSHIP.items()}  # → (link type, direction)
STATUS = {"open", "inProgress", "needInfo", "resolved", "closed"}


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[TrackerClient]:
    """A client of the session's sandbox (the same server, one per test), to read the target back."""
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    with TrackerClient(settings) as client:
        yield client


@pytest.mark.parametrize("preset", GROUP)
def test_the_sample_lands_as_expected(preset: str, session: Session, client: TrackerClient) -> None:
    config = yaml.safe_load((ROOT / "mappings" / f"{preset}.yaml").read_text(encoding="utf-8"))
    sample = ROOT / config["preset"]["sample"]
    expected = yaml.safe_load((sample / "expected.yaml").read_text(encoding="utf-8"))
    if config["source"]["timezone"] == "?":
        config["source"]["timezone"] = expected["timestamps"]["zone"]  # what init asks the user
    mapping = session.folder / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    steps(session, mapping, [sample / name for name in expected["files"]])

    landed = Landed(client, config, sample, expected)
    counts = expected["counts"]
    assert len(landed.issues) == counts["issues"]
    assert sum(len(client.list_comments(i["key"])) for i in landed.issues.values()) == counts["comments"]
    assert landed.relations() == _expected_relations(expected, landed.ids)
    for source_key, facts in expected["issues"].items():
        issue = landed.issues[landed.unique(source_key)]
        assert issue["summary"] == facts["summary"]
        assert (issue.get("status") or {}).get("key") in STATUS
        assert landed.assignee(issue) == _login(expected, facts["assignee"]), source_key
        assert len(client.list_comments(issue["key"])) == facts["comments"], source_key
    for outside in expected["external_links"]:  # target.dangling: text names them
        assert str(outside["to"]) in landed.issues[landed.unique(outside["from"])].get("description", "")
    for missing in expected["missing_attachments"]:  # source.files.missing: skip-file names them
        assert missing["name"] in landed.issues[landed.unique(missing["issue"])].get("description", "")


class Landed:
    """The sample's issues as the sandbox holds them, by their ``unique``."""

    def __init__(self, client: TrackerClient, config: dict[str, Any], sample: Path, expected: dict[str, Any]):
        self.client = client
        self.prefix = f"{config['target']['namespace']}:{config['source']['system']}:"
        self.issues = {
            i["unique"]: i
            for i in client.search_issues(queue="DEMO")
            if str(i.get("unique", "")).startswith(self.prefix)
        }
        self.by_key = {i["key"]: u for u, i in self.issues.items()}
        self.ids = _source_ids(sample, expected)
        self.logins = {str(u["uid"]): u["login"] for u in client.list_users()}

    def unique(self, source_key: str) -> str:
        return self.prefix + self.ids.get(str(source_key), str(source_key))

    def assignee(self, issue: dict[str, Any]) -> str | None:
        assignee = issue.get("assignee")
        return self.logins.get(str(assignee.get("id"))) if isinstance(assignee, dict) else None

    def relations(self) -> set[tuple[str, str, str]]:
        """Every link between two of the sample's issues once: (kind, from, to) in source ids."""
        back = {u: u[len(self.prefix) :] for u in self.issues}
        out: set[tuple[str, str, str]] = set()
        for unique, issue in self.issues.items():
            for link in self.client.list_links(issue["key"]):
                other = self.by_key.get(link["object"]["key"])
                if other is None:
                    continue
                kind = next(k for k, (t, _) in KINDS.items() if t == link["type"]["id"])
                direction = KINDS[kind][1]
                if kind == "relates":
                    out.add((kind, *sorted((back[unique], back[other]))))
                elif link["direction"] == direction:
                    out.add((kind, back[unique], back[other]))
        return out


def _expected_relations(expected: dict[str, Any], ids: dict[str, str]) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for item in [
        *expected["parents"],
        *({"child": x["from"], "parent": x["to"], **x} for x in expected["links"]),
    ]:
        kind = item["kind"]
        a, b = str(item["child"]), str(item["parent"])
        a, b = ids.get(a, a), ids.get(b, b)
        out.add((kind, *sorted((a, b))) if kind == "relates" else (kind, a, b))
    return out


def _source_ids(sample: Path, expected: dict[str, Any]) -> dict[str, str]:
    """expected.yaml names issues by the export's key; a preset whose id is another column
    (Linear: the UUID) is mapped back through the export."""
    if expected["sample"] != "linear-csv":
        return {}
    with (sample / expected["files"][0]).open(encoding="utf-8", newline="") as fh:
        return {row["ID"]: row["UUID"] for row in csv.DictReader(fh)}


def _login(expected: dict[str, Any], person: str | None) -> str | None:
    if person is None:
        return None
    found = next(p for p in expected["people"] if str(p["id"]) == str(person))
    return found["tracker_login"] or "admin"  # users.fallback


SHEET_CSV = (
    "№;Тема;Описание;Тип;Статус;Приоритет;Исполнитель;Автор;Дата создания;Родитель;Теги\n"
    "1;Переезд офиса;Всё к 15 апреля;Эпик;В работе;Высокий;alice@example.com;alice@example.com;01.03.2024 10:00;;переезд\n"
    "2;Проложить сеть;;Задача;Закрыта;Средний;bob@example.com;alice@example.com;02.03.2024 09:30;1;сеть, переезд\n"
    '3;"Принтер; не печатает";"Строка 1\nСтрока 2";Ошибка;Новая;-;;Дмитрий Орлов;05.03.2024 14:15;1;\n'
)


def test_a_plain_csv_lands_through_init_with_the_generic_csv_preset(
    session: Session, client: TrackerClient
) -> None:
    # Russian headers, ";" as Excel saves it, day-first dates: read through the preset's candidates.
    export = session.folder / "tasks.csv"
    export.write_text(SHEET_CSV, encoding="utf-8-sig")
    mapping = session.folder / "mapping.yaml"
    init = ["init", str(export), "--queue", "DEMO", "--timezone", "Europe/Moscow", "-o", str(mapping)]
    assert main(init) == 0
    assert "preset generic-csv" in session.capsys.readouterr().out  # recognised among every preset
    steps(session, mapping, [export])

    marker = lease_unique("DEMO")  # the queue's import-lease marker is not one of the rows
    landed = {i["summary"]: i for i in client.search_issues(queue="DEMO") if i.get("unique") != marker}
    assert set(landed) == {"Переезд офиса", "Проложить сеть", "Принтер; не печатает"}
    printer = landed["Принтер; не печатает"]
    assert (printer["type"]["key"], printer["status"]["key"]) == ("bug", "open")
    assert "Строка 1\nСтрока 2" in printer["description"]
    assert printer["createdAt"].startswith("2024-03-05T11:15:00.000")  # 14:15 Moscow time
    assert landed["Проложить сеть"]["tags"] == ["сеть", "переезд"]
    parents = {
        link["object"]["key"]
        for title in ("Проложить сеть", "Принтер; не печатает")
        for link in client.list_links(landed[title]["key"])
        if link["type"]["id"] == "subtask"
    }
    assert parents == {landed["Переезд офиса"]["key"]}
