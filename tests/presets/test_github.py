"""GitHub presets land their samples: REST JSON (``github-json``, the new sample and the old one
with comments embedded) and the migration archive (``github-archive``, as .tar.gz and unpacked)."""

from __future__ import annotations

import pytest

from .landing import (
    SAMPLES,
    Decisions,
    Session,
    check_expected,
    decide,
    facts,
    findings_of,
    land,
    land_sample,
)

# Who is who, as a user decides it after `init` (expected.yaml's people with a Tracker login).
REST_USERS: dict[str, str | None] = {"alice-a": "alice", "bobbrown": "bob", "dave-d": "dave"}
OLD_REST_USERS: dict[str, str | None] = {"asmirnova": "alice", "bkovalev": "bob", "dkim-dev": "dave"}
ARCHIVE_USERS: dict[str, str | None] = {"cclark": "carol"}


def test_github_json_lands_the_rest_dump(session: Session) -> None:
    landed = land_sample(session, "github-json", Decisions(REST_USERS), [SAMPLES / "github-json"])
    assert "northwind-labs/objstore#31" in landed.by_key["14"]["description"]  # outside: named, not lost
    assert [f["value"] for f in findings_of(landed, "source.filtered")] == ["3"]  # the three pull requests


def test_github_json_still_reads_the_old_sample_with_comments_embedded(session: Session) -> None:
    mapping = decide("github-json", session.folder, Decisions(OLD_REST_USERS))
    check_expected(land(session, mapping, [SAMPLES / "github" / "issues.json"]), facts("github"))


@pytest.mark.parametrize("export", ["migration_archive.tar.gz", "archive"])
def test_github_archive_lands_the_tarball_and_the_folder(session: Session, export: str) -> None:
    landed = land_sample(
        session, "github-archive", Decisions(ARCHIVE_USERS), [SAMPLES / "github-archive" / export]
    )
    assert (
        landed.by_key["1"]["assignee"]["display"] == "Bob Brown"
    )  # matched by the e-mail users_*.json holds
