"""End to end: the Jira CSV mapping from docs/mapping.md on a small real-shaped Jira export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from migrator.findings import Findings
from migrator.mapping.config import load_mapping
from migrator.sources.reading import read_issues

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


def test_jira_csv_export_with_the_documented_mapping() -> None:
    config = load_mapping(FIXTURES / "jira_mapping.yaml")
    findings = Findings()
    one, two, three = read_issues(config.source, [FIXTURES / "jira_export.csv"], findings)

    assert (one.source.system, one.source.id, one.key, one.source.row) == ("jira", "10001", "DEMO-1", 2)
    assert one.summary == "Вход не работает" and one.description and one.description.startswith("Шаги:\n1.")
    assert one.created_at == datetime(2021, 6, 1, 8, 15, tzinfo=UTC)  # 10:15 AM in Berlin (CEST)
    assert one.updated_at == datetime(2021, 6, 2, 13, 40, tzinfo=UTC)
    assert one.tags == ["login", "auth"] and one.fix_versions == ["1.1"] and one.affected_versions == ["1.0"]
    assert [u.name for u in one.followers] == ["jsmith", "bpetrov"]
    assert one.deadline == date(2021, 6, 15) and one.original_estimation == timedelta(hours=8)
    assert one.story_points == 3.0 and one.custom == {"customer": "Acme"}

    assert [(c.author.name, c.text) for c in one.comments] == [
        ("jsmith", "Смотрю; похоже на таймаут"), ("aivanova", "Спасибо!"),
    ]  # fmt: skip
    (attachment,) = one.attachments
    assert attachment.filename == "screen shot.png" and attachment.location.endswith("/10100/screen+shot.png")
    (worklog,) = one.worklogs
    assert worklog.comment == "Investigated; found cause" and worklog.duration == timedelta(minutes=90)
    assert [(lk.relationship, lk.to_key) for lk in one.links] == [
        ("blocks", "DEMO-2"),
        ("relates to", "DEMO-3"),
    ]

    assert two.parent_key == "DEMO-1"  # "Parent id" 10001 → key
    assert [(lk.relationship, lk.to_key) for lk in two.links] == [("is blocked by", "DEMO-1")]
    assert three.resolution == "Duplicate"

    # 28/Mar/21 2:30 AM does not exist in Berlin: a warning, the value is still used.
    assert [(f.kind, f.row, f.key) for f in findings] == [("date.dst_gap", 4, "DEMO-3")]
    assert three.created_at == datetime(2021, 3, 28, 1, 30, tzinfo=UTC)
