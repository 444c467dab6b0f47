"""GitHub presets land their samples: REST JSON (``github-json``, the new sample and the old one
with comments embedded) and the migration archive (``github-archive``, as .tar.gz and unpacked)."""

from __future__ import annotations

import pytest

from .landing import SAMPLES, Decisions, Session, check_expected, decide, expected, land

# Who is who, as a user decides it after `init` (expected.yaml's people with a Tracker login).
REST_USERS: dict[str, str | None] = {"alice-a": "alice", "bobbrown": "bob", "dave-d": "dave"}
OLD_REST_USERS: dict[str, str | None] = {"asmirnova": "alice", "bkovalev": "bob", "dkim-dev": "dave"}
ARCHIVE_USERS: dict[str, str | None] = {"cclark": "carol"}


def test_github_json_lands_the_rest_dump(landing: Session) -> None:
    mapping = decide("github-json", landing.folder, Decisions(REST_USERS))
    landed = land(landing, mapping, [SAMPLES / "github-json"])
    check_expected(landed, expected("github-json"), mapping)
    kinds = {f["kind"] for f in landed.findings}
    assert "link.dangling_text" in kinds  # northwind-labs/objstore#31: named in #14's description
    filtered = [f for f in landed.findings if f["kind"] == "source.filtered"]
    assert [f["value"] for f in filtered] == ["3"]  # the three pull requests


def test_github_json_still_reads_the_old_sample_with_comments_embedded(landing: Session) -> None:
    mapping = decide("github-json", landing.folder, Decisions(OLD_REST_USERS))
    landed = land(landing, mapping, [SAMPLES / "github" / "issues.json"])
    check_expected(landed, expected("github"), mapping)


@pytest.mark.parametrize("export", ["migration_archive.tar.gz", "archive"])
def test_github_archive_lands_the_tarball_and_the_folder(landing: Session, export: str) -> None:
    mapping = decide("github-archive", landing.folder, Decisions(ARCHIVE_USERS))
    landed = land(landing, mapping, [SAMPLES / "github-archive" / export])
    check_expected(landed, expected("github-archive"), mapping)
