"""The Jira presets land their samples: Server/DC CSV (English Quickstart, Spanish), Cloud CSV (all
fields, current fields), XML and Cloud REST JSON.

Each test fills in the decisions a preset leaves to the user — the time zone the export was
written in (from the sample's ``expected.yaml``), the people whose Jira identity is not their
Tracker login, values the target does not have — and then lands the sample in a fresh sandbox:
``validate`` clean, ``run``, ``verify`` clean, a second ``run`` writing nothing, and every fact of
``expected.yaml`` found in the target.
"""

from __future__ import annotations

from typing import Any

from .jira_landing import assert_lands_as_expected, land
from .landing import SAMPLES, Session, facts


def _decided(sample: str, **decisions: Any) -> dict[str, Any]:
    """The user's decisions: the export's time zone, then whatever the test names (links and
    parents outside the export: the preset's own target.dangling)."""
    out: dict[str, Any] = {"source": {"timezone": facts(sample)["timestamps"]["zone"]}}
    for section, value in decisions.items():
        out.setdefault(section, {}).update(value)
    return out


def test_jira_csv_lands_the_quickstart_sample_as_it_always_did(session: Session) -> None:
    """mappings/jira-csv.yaml carries its sample's decisions: nothing to fill in."""
    landed = land("jira-csv", [SAMPLES / "jira" / "issues.csv"], {}, session)
    assert_lands_as_expected(landed, facts("jira"))
    assert landed.resolved_logins()["o.volkov"] == "admin"  # left before the move: the fallback
    local = {k.split("--")[-1]: v for k, v in landed.issues["PAY-26"].items() if "--" in k}
    assert local == {"customer": "Acme"}  # DEMO's local field, set after the import


def test_jira_server_csv_lands_the_spanish_export(session: Session) -> None:
    decisions = _decided(
        "jira-server-csv",
        users={"map": {"mgarcia": "alice", "jlopez": "bob"}},  # carol and dave match their logins
        values={"components": {"map": {"Web": "Frontend", "Checkout": "Backend"}, "unmapped": "error"}},
    )
    landed = land("jira-server-csv", [SAMPLES / "jira-server-csv" / "TND-export.csv"], decisions, session)
    assert_lands_as_expected(landed, facts("jira-server-csv"))
    resolved = landed.resolved_logins()
    assert resolved["pruiz"] == "admin" and resolved["Anonymous"] == "admin"  # the agency, a deleted user
    assert landed.issues["TND-106"]["environment"] == "Producción, Chrome 121"


def test_jira_cloud_csv_lands_the_all_fields_export(session: Session) -> None:
    decisions = _decided(
        "jira-cloud-csv",
        users={"map": {"557058:9c2d1f0e-7a3b-4b8c-9e6f-1d2c3b4a5f60": "dave"}},  # "Former user"
        values={"versions": {"map": {"2.4.0": "2.0", "2.4.1": "2.0"}, "unmapped": "error"}},
    )
    landed = land("jira-cloud-csv", [SAMPLES / "jira-cloud-csv"], decisions, session)
    assert_lands_as_expected(landed, facts("jira-cloud-csv"))
    methods = {row["display"]: row["method"] for row in landed.report["users"]}
    assert methods["Alice Anderson"] == methods["Carol Clark"] == "name"  # display names match Tracker
    assert landed.issues["MOB-2"]["storyPoints"] == 8.0


def test_jira_cloud_csv_current_lands_the_list_view_export(session: Session) -> None:
    decisions = _decided(
        "jira-cloud-csv-current", users={"map": {"557058:9c2d1f0e-7a3b-4b8c-9e6f-1d2c3b4a5f60": "dave"}}
    )
    sources = [SAMPLES / "jira-cloud-csv-current" / "Jira.csv"]
    landed = land("jira-cloud-csv-current", sources, decisions, session)
    assert_lands_as_expected(landed, facts("jira-cloud-csv-current"))
    assert landed.issues["MOB-5"]["storyPoints"] == 3.0  # the BOM and the user's column order are read
    assert "9712" in landed.issues["MOB-6"]["description"]  # a parent outside the file: only its id is known


def test_jira_xml_lands_the_german_export(session: Session) -> None:
    decisions = _decided("jira-xml", users={"map": {"kmueller": "alice"}})  # bob, carol, dave: logins
    landed = land("jira-xml", [SAMPLES / "jira-xml" / "SearchRequest.xml"], decisions, session)
    assert_lands_as_expected(landed, facts("jira-xml"))
    assert "resolution" not in landed.issues["OPS-12"]  # <resolution id="-1">Nicht erledigt</resolution>
    assert landed.assignees["OPS-7"] is None  # <assignee username="-1">Nicht zugewiesen</assignee>
    assert landed.issues["OPS-2"]["originalEstimation"] == "P2D"  # 57600 s, not the text "2 Tage"
    assert landed.issues["OPS-8"]["deadline"] == "2025-03-14"  # the date as written, not shifted to UTC


def test_jira_cloud_json_lands_the_rest_pages(session: Session) -> None:
    """No users.map: e-mails (where shown) and display names find everyone the target has."""
    decisions = _decided("jira-cloud-json", values={"status": {"map": {"На ревью": "inProgress"}}})
    landed = land("jira-cloud-json", [SAMPLES / "jira-cloud-json"], decisions, session)
    assert_lands_as_expected(landed, facts("jira-cloud-json"))
    methods = {row["display"]: row["method"] for row in landed.report["users"]}
    assert methods["Alice Anderson"] == "email" and methods["Bob Brown"] == "name"
    assert landed.issues["DATA-3"]["storyPoints"] == 8.0  # customfield_10016, named by field.json
    description = landed.issues["DATA-2"]["description"]
    assert "```sql" in description and "{" not in description.split("```")[0]  # ADF → YFM, not JSON
