"""The GitLab preset (``gitlab-export``) lands the project export: the .tar.gz as downloaded, the
unpacked folder, and the loose ``tree/project/*.ndjson`` files."""

from __future__ import annotations

import pytest

from .landing import SAMPLES, Decisions, Session, findings_of, land_sample

EXPORT = SAMPLES / "gitlab-export"
# b.brown has no public e-mail and another login in Tracker; Дмитрий Орлов (77) and Олег Смирнов
# left: the fallback takes them.
USERS: dict[str, str | None] = {"b.brown": "bob"}


@pytest.mark.parametrize(
    "sources",
    [
        ["2025-05-12_10-41-203_platform_billing_export.tar.gz"],
        ["export"],
        ["export/tree/project/issues.ndjson", "export/tree/project/project_members.ndjson"],
    ],
    ids=["tar.gz", "folder", "ndjson"],
)
def test_gitlab_export_lands(session: Session, sources: list[str]) -> None:
    # Loose ndjson files: the uploads are beside tree/, outside what was given — the user says
    # they trust the export's paths (else each file is an attachment.outside_directory error).
    trusted = {"allow_absolute_paths": True} if sources[0].startswith("export/tree/") else {}
    decisions = Decisions(USERS, files=trusted)
    landed = land_sample(session, "gitlab-export", decisions, [EXPORT / s for s in sources])
    filtered = {f["field"]: f["value"] for f in findings_of(landed, "source.filtered")}
    assert filtered == {"source.comments.where": "23"}  # the system notes
    assert landed.by_key["1"]["priority"]["key"] == "blocker"  # from the scoped label priority::1
    assert not any(other == "9" for _, _, other in landed.by_key["1"]["links"])  # related, then removed
