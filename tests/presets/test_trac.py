"""The Trac presets land the same tickets exported two ways: the query CSV (``trac-csv``: no
comments or files, the time zone decided by the user) and a JSON-RPC dump (``trac-json``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.sandbox import SandboxServer

from .landing import SAMPLES, Decisions, Session, check_expected, decide, expected, land

USERS: dict[str, str | None] = {}  # alice, bob, carol, dave match by login; mei and anonymous fall back


@pytest.fixture
def session(
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Session:
    return Session(sandbox, monkeypatch, capsys, tmp_path)


def test_trac_csv_lands_with_the_users_time_zone(session: Session) -> None:
    facts = expected("trac-csv")
    mapping = decide("trac-csv", session.folder, Decisions(USERS, timezone=facts["timestamps"]["zone"]))
    landed = land(session, mapping, [SAMPLES / "trac-csv" / "query.csv"])
    check_expected(landed, facts, mapping)
    port = landed.issues["Port the geodesic solver to C11"]
    assert port["createdAt"] == "2025-01-19T22:00:00.000+0000"  # Jan 20, 9:00 AM in Sydney (AEDT)


def test_trac_json_lands_the_rpc_dump(session: Session) -> None:
    mapping = decide("trac-json", session.folder, Decisions(USERS))
    landed = land(session, mapping, [SAMPLES / "trac-json"])
    check_expected(landed, expected("trac-json"), mapping)
    filtered = {f["field"]: f["value"] for f in landed.findings if f["kind"] == "source.filtered"}
    assert filtered == {"source.comments.where": "3"}  # changes without a comment: history
