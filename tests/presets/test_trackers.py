"""The Redmine, YouTrack, Trello and Azure DevOps presets land their samples: validate has no
errors, run imports, verify is clean, a second run writes nothing, and what landed is the sample's
``expected.yaml`` — plus what is special about each export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.cli import main

from .landing import (
    Decisions,
    Landed,
    Session,
    facts,
    findings_of,
    land_sample,
    sources,
)


def _land(session: Session, preset: str, decisions: Decisions) -> Landed:
    return land_sample(session, preset, decisions, sources(preset))


def test_redmine_csv_lands_latin1_hours_relations_and_the_timelog(session: Session) -> None:
    zone = facts("redmine-csv")["timestamps"]["zone"]
    landed = _land(session, "redmine-csv", Decisions({"Hélène Dubois": "alice"}, timezone=zone))
    sso = landed.by_key["101"]
    assert sso["createdAt"] == "2025-01-13T08:00:00.000+0000"  # 01/13/2025 09:00 AM in Zurich
    assert sso["originalEstimation"] == "P1W"  # 40.00 hours = five 8-hour days
    assert "Jürgen Weiß" in landed.by_key["105"]["description"]  # Latin-1 read right; his text keeps his name
    assert landed.by_key["108"]["summary"].endswith("12 000 ? validated for 2025")  # "?" is what the file has
    assert "logo.svg" in landed.by_key["104"]["description"]  # the missing file is named, not lost
    assert "99" in landed.by_key["109"]["description"]  # the parent in another project is named
    clamped = {(f["key"], f["field"]) for f in findings_of(landed, "time.clamped")}
    assert ("105", "worklogs[1].created_at") in clamped  # spent on 03/31 (midnight) < created 08:10


def test_redmine_json_lands_journals_relations_and_time_entries(session: Session) -> None:
    landed = _land(session, "redmine-json", Decisions({"bbraun": "bob"}))
    filtered = {f["field"]: f["value"] for f in findings_of(landed, "source.filtered")}
    assert filtered == {"source.comments.where": "6"}  # journals that only change fields
    assert landed.by_key["212"]["parent"]["display"] == landed.by_key["211"]["summary"]
    assert landed.by_key["215"]["comment_count"] == 3  # the private note is imported too
    assert "42" in landed.by_key["218"]["description"]  # the relation to another project is named


def test_youtrack_csv_lands_empty_value_labels_dates_and_periods(session: Session) -> None:
    zone = facts("youtrack-csv")["timestamps"]["zone"]
    landed = _land(session, "youtrack-csv", Decisions({"carol.clark": "carol"}, timezone=zone))
    drive = landed.by_key["SUP-46"]
    assert (drive["deadline"], drive["originalEstimation"], drive["spent"]) == ("2025-06-30", "P2W", "P3DT2H")
    room = landed.by_key["SUP-43"]  # Unassigned, No Subsystem, Unscheduled: nothing, not values
    assert "assignee" not in room and not room.get("components") and not room.get("fixVersions")
    assert sorted(landed.by_key["SUP-41"]["tags"]) == ["macos", "vpn"]
    assert landed.by_key["SUP-42"]["resolution"]["key"] == "fixed"


def test_youtrack_json_lands_custom_fields_links_and_work_items(session: Session) -> None:
    landed = _land(session, "youtrack-json", Decisions())
    epic = landed.by_key["APP-101"]
    assert epic["type"]["key"] == "epic" and epic["originalEstimation"] == "P2W"  # 4800 minutes
    assert landed.by_key["APP-106"]["resolution"]["key"] == "duplicate"
    assert "WEB-88" in landed.by_key["APP-107"]["description"]  # the link to another project is named


def test_trello_json_lands_lists_archived_cards_and_checklist_subtasks(session: Session) -> None:
    landed = _land(session, "trello-json", Decisions(values={"status": {"Alt (2024)": "closed"}}))
    assert landed.by_key["10"]["status"]["key"] == "closed"  # archived with its archived list
    assert landed.by_key["11"]["status"]["key"] == "closed"  # archived card in "Erledigt"
    assert "- [x]" in landed.by_key["7"]["description"]  # checklists become task lists
    assert [f["key"] for f in findings_of(landed, "trello.created_from_id")] == ["10"]


def test_azure_devops_csv_lands_the_tree_as_epics_and_subtasks(session: Session) -> None:
    zone = facts("azure-devops-csv")["timestamps"]["zone"]
    landed = _land(session, "azure-devops-csv", Decisions(timezone=zone))
    epic = landed.by_key["4101"]
    assert epic["createdAt"] == "2025-01-06T12:00:00.000+0000"  # 1/6/2025 9:00:00 AM in São Paulo
    assert "**Pix**" in epic["description"]  # HTML → YFM
    assert sorted(landed.by_key["4101"]["tags"]) == ["2025-H1", "pix"]
    assert landed.by_key["4050"]["resolution"]["key"] == "wontFix"  # Removed
    assert landed.by_key["4103"]["storyPoints"] == 5


@pytest.mark.parametrize(
    ("sample", "issues", "files", "worklogs", "outside"),
    [
        ("redmine-csv", 10, {"present": 3, "missing": 2}, 8, {"links": 0, "parents": 1}),
        ("redmine-json", 9, {"present": 4, "missing": 1}, 3, {"links": 1, "parents": 0}),
        ("youtrack-csv", 10, {"present": 0, "missing": 0}, 0, {"links": 0, "parents": 0}),
        ("youtrack-json", 8, {"present": 2, "missing": 1}, 5, {"links": 1, "parents": 0}),
        ("trello-json", 11, {"present": 5, "missing": 2}, 0, {"links": 1, "parents": 0}),
        ("azure-devops-csv", 10, {"present": 0, "missing": 0}, 0, {"links": 0, "parents": 0}),
    ],
)
def test_inspect_recognises_each_sample_and_counts_it(
    sample: str,
    issues: int,
    files: dict[str, int],
    worklogs: int,
    outside: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", *(str(p) for p in sources(sample)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    counts = report["counts"]
    assert (report["preset"]["name"], report["preset"]["how"]) == (sample, "detected")
    assert (counts["issues"], counts["worklogs"]) == (issues, worklogs)
    assert {k: counts["files"][k] for k in files} == files  # files kept per issue folder count too
    assert {"links": counts["links"]["outside"], "parents": counts["parents"]["outside"]} == outside
