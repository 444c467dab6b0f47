"""The Trac presets land the same tickets exported two ways: the query CSV (``trac-csv``: no
comments or files, the time zone decided by the user) and a JSON-RPC dump (``trac-json``)."""

from __future__ import annotations

from .landing import SAMPLES, Decisions, Session, facts, findings_of, land_sample

# alice, bob, carol, dave match by login; mei and the anonymous reporter go to the fallback.


def test_trac_csv_lands_with_the_users_time_zone(session: Session) -> None:
    decisions = Decisions(timezone=facts("trac-csv")["timestamps"]["zone"])
    landed = land_sample(session, "trac-csv", decisions, [SAMPLES / "trac-csv" / "query.csv"])
    assert landed.by_key["411"]["createdAt"] == "2025-01-19T22:00:00.000+0000"  # Jan 20, 9:00 AM in Sydney
    assert "400" in landed.by_key["417"]["description"]  # the parent outside the query is named


def test_trac_json_lands_the_rpc_dump(session: Session) -> None:
    landed = land_sample(session, "trac-json", Decisions(), [SAMPLES / "trac-json"])
    filtered = {f["field"]: f["value"] for f in findings_of(landed, "source.filtered")}
    assert filtered == {"source.comments.where": "3"}  # changes without a comment: history
