"""The Trac presets land the same tickets exported two ways: the query CSV (``trac-csv``: no
comments or files, the time zone decided by the user) and a JSON-RPC dump (``trac-json``)."""

from __future__ import annotations

from .landing import SAMPLES, Decisions, Session, check_expected, decide, expected, land

USERS: dict[str, str | None] = {}  # alice, bob, carol, dave match by login; mei and anonymous fall back


def test_trac_csv_lands_with_the_users_time_zone(landing: Session) -> None:
    facts = expected("trac-csv")
    mapping = decide("trac-csv", landing.folder, Decisions(USERS, timezone=facts["timestamps"]["zone"]))
    landed = land(landing, mapping, [SAMPLES / "trac-csv" / "query.csv"])
    check_expected(landed, facts, mapping)
    port = landed.issues["Port the geodesic solver to C11"]
    assert port["createdAt"] == "2025-01-19T22:00:00.000+0000"  # Jan 20, 9:00 AM in Sydney (AEDT)


def test_trac_json_lands_the_rpc_dump(landing: Session) -> None:
    mapping = decide("trac-json", landing.folder, Decisions(USERS))
    landed = land(landing, mapping, [SAMPLES / "trac-json"])
    check_expected(landed, expected("trac-json"), mapping)
    filtered = {f["field"]: f["value"] for f in landed.findings if f["kind"] == "source.filtered"}
    assert filtered == {"source.comments.where": "3"}  # changes without a comment: history
