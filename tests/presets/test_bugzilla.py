"""The Bugzilla presets land the same bugs exported two ways: REST JSON (``bugzilla-json``) and
show_bug XML with inline attachments (``bugzilla-xml``)."""

from __future__ import annotations

import pytest

from .landing import SAMPLES, Decisions, Session, land_sample


@pytest.mark.parametrize(
    ("preset", "source"), [("bugzilla-json", "bugzilla-json"), ("bugzilla-xml", "bugzilla-xml/show_bug.xml")]
)
def test_bugzilla_lands(session: Session, preset: str, source: str) -> None:
    # Everyone is an e-mail that matches, except Pieter (outside: the fallback) and Bugzilla's "nobody".
    landed = land_sample(session, preset, Decisions(), [SAMPLES / source])
    assert "assignee" not in landed.by_key["1802"]  # nobody@kestrel.example is Bugzilla's "unassigned"
    assert "Steps:\n1\\. Open an IMAP account" in landed.by_key["1801"]["description"]  # comment 0
