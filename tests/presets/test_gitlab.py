"""The GitLab preset (``gitlab-export``) lands the project export: the .tar.gz as downloaded, the
unpacked folder, and the loose ``tree/project/*.ndjson`` files."""

from __future__ import annotations

import pytest

from .landing import SAMPLES, Decisions, Session, check_expected, decide, expected, land

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
def test_gitlab_export_lands(landing: Session, sources: list[str]) -> None:
    mapping = decide("gitlab-export", landing.folder, Decisions(USERS))
    landed = land(landing, mapping, [EXPORT / s for s in sources])
    check_expected(landed, expected("gitlab-export"), mapping)
    filtered = {f["field"]: f["value"] for f in landed.findings if f["kind"] == "source.filtered"}
    assert filtered == {"source.comments.where": "23"}  # the system notes
    migration = landed.issues["Переход на новый API платёжного шлюза v3"]
    assert migration["priority"]["key"] == "blocker"  # from the scoped label priority::1
