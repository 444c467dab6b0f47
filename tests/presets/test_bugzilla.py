"""The Bugzilla presets land the same bugs exported two ways: REST JSON (``bugzilla-json``) and
show_bug XML with inline attachments (``bugzilla-xml``)."""

from __future__ import annotations

import pytest

from .landing import SAMPLES, Decisions, Session, check_expected, decide, expected, land

# Everyone is an e-mail that matches, except Pieter (outside, fallback) and Bugzilla's "nobody".
USERS: dict[str, str | None] = {}


@pytest.mark.parametrize(
    ("preset", "source"), [("bugzilla-json", "bugzilla-json"), ("bugzilla-xml", "bugzilla-xml/show_bug.xml")]
)
def test_bugzilla_lands(landing: Session, preset: str, source: str) -> None:
    mapping = decide(preset, landing.folder, Decisions(USERS))
    landed = land(landing, mapping, [SAMPLES / source])
    check_expected(landed, expected(preset), mapping)
    unassigned = landed.issues["No new mail notifications"]
    assert "assignee" not in unassigned  # nobody@kestrel.example is Bugzilla's "unassigned"
    crash = landed.issues["IMAP IDLE connection silently dropped after 29 minutes"]
    assert "Steps:\n1\\. Open an IMAP account" in crash["description"]  # comment 0, as plain text
