"""Small exports written into ``tmp_path`` for the preset tests, and the fixture presets' folder."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE_PRESETS = Path(__file__).resolve().parents[1] / "fixtures" / "presets"
ROOT = Path(__file__).resolve().parents[2]

SPRINT_CSV = (
    "Key,Summary,Created,Author,Status,Sprint\r\n"
    "S-1,Login page,2024-03-01 10:00,alice,Open,Sprint 1\r\n"
    "S-2,Logout,2024-03-02 11:30,Jonas Becker,Closed,\r\n"
    "S-3,Signup,2024-03-03 09:15,bob@example.com,In Arbeit,Sprint 2\r\n"
    "S-4,Audit,2024-03-04 16:45,ghost,Alt (2024),\r\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def json_issues(count: int, *, pad: int = 0) -> str:
    """An ``{"issues": [...]}`` dump with offsets on every time; ``pad`` characters of description each."""
    issues = [
        {
            "key": f"J-{n}",
            "fields": {
                "summary": f"Issue {n}",
                "created": f"2024-05-0{1 + n % 9}T10:00:00.000+0300",
                "reporter": {"name": "alice", "emailAddress": "alice@example.com"},
                "labels": [{"name": "backend"}],
                "description": "x" * pad,
            },
        }
        for n in range(1, count + 1)
    ]
    return json.dumps({"total": count, "issues": issues})
