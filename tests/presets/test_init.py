"""``migrator init``: values and people matched against the target with how and how sure, ``"?"``
for what has no plausible match (``validate`` then blocks), the time zone from offsets,
``--timezone`` or left open without a terminal, and the preset's file otherwise kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrator.cli import main
from migrator.mapping import config as config_module
from migrator.mapping.config import load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.presets.matching import LIKELY, REVIEW, SURE, TargetCatalogue, match_person, match_value
from migrator.presets.registry import find_preset
from migrator.presets.survey import Person
from migrator.sandbox.fixture import read_fixture

from .presets_helpers import FIXTURE_PRESETS, ROOT, SPRINT_CSV, json_issues, write

SNAPSHOT = ROOT / "migrator" / "sandbox" / "default_fixture.yaml"
SPECIFIC = FIXTURE_PRESETS / "csv-specific.yaml"


@pytest.fixture
def catalogue() -> TargetCatalogue:
    data, _ = read_fixture(None)
    return TargetCatalogue(data, TargetInfo.from_fixture_dict(data, "DEMO"))


@pytest.mark.parametrize(
    ("field", "value", "target", "level", "how"),
    [
        ("status", "Closed", "closed", SURE, "the preset's map"),
        ("status", "inProgress", "inProgress", SURE, "exact"),
        ("status", "NEED INFO", "needInfo", SURE, "same name, ignoring case"),
        ("status", "In Arbeit", "inProgress", LIKELY, "synonym"),
        ("status", "В работе", "inProgress", LIKELY, "synonym"),
        ("priority", "Highest", "blocker", LIKELY, "synonym"),
        ("resolution", "Won't Do", "wontFix", LIKELY, "synonym"),
        ("link", "is blocked by", "depends on", LIKELY, "synonym"),
        ("status", "Resolvd", "resolved", REVIEW, "fuzzy, similarity 0.93"),
        ("status", "Alt (2024)", "?", "undecided", "no plausible match"),
        ("components", "backend", "Backend", SURE, "same name, ignoring case"),
    ],
)
def test_a_value_gets_the_best_match_and_says_how(
    catalogue: TargetCatalogue, field: str, value: str, target: str, level: str, how: str
) -> None:
    choice = match_value(field, value, find_preset(str(SPECIFIC)).config, catalogue)
    assert (choice.target, choice.level, choice.how) == (target, level, how)


@pytest.mark.parametrize(
    ("field", "value", "target", "how"),
    [
        (
            "components",
            "Time sheets",
            None,
            "no match in the target: left out (the preset's unmapped: ignore)",
        ),
        ("components", "Backend", "Backend", "exact"),  # a match still wins
        ("priority", "Whenever", "normal", "no match in the target: the preset's default"),
        ("status", "Alt (2024)", "?", "no plausible match"),  # unmapped: error is the user's to decide
    ],
)
def test_an_unmatched_value_follows_the_presets_unmapped_policy(
    tmp_path: Path, catalogue: TargetCatalogue, field: str, value: str, target: str | None, how: str
) -> None:
    data = yaml.safe_load(SPECIFIC.read_text(encoding="utf-8"))
    data["values"] |= {
        "components": {"map": {}, "unmapped": "ignore"},
        "priority": {"map": {}, "unmapped": "default", "default": "normal"},
    }
    preset = write(tmp_path, "preset.yaml", yaml.safe_dump(data))
    choice = match_value(field, value, load_mapping(preset), catalogue)
    assert (choice.target, choice.how) == (target, how)


@pytest.mark.parametrize(
    ("person", "login", "how"),
    [
        (Person("bob@example.com", None, None), "bob", "same e-mail"),
        (Person("5b10a2844c", None, "Alice Anderson"), "alice", "same display name"),
        (Person("carol", None, None), "carol", "same login"),
        (Person("c.clarke", None, "Carol Clarke"), "carol", "display name 'Carol Clark', similarity 0.96"),
        (Person("dave@old.example.org", None, None), "dave", "the e-mail's name part is a login"),
        (Person("ghost", None, None), "admin", "no Tracker user matches: the preset's users.fallback"),
    ],
)
def test_a_person_gets_a_login_and_says_how(
    catalogue: TargetCatalogue, person: Person, login: str, how: str
) -> None:
    choice = match_person(person, find_preset(str(SPECIFIC)).config, catalogue.info)
    assert (choice.target, choice.how) == (login, how)


def test_without_a_fallback_an_unknown_person_is_undecided(catalogue: TargetCatalogue) -> None:
    config = find_preset(str(FIXTURE_PRESETS / "csv-generic.yaml")).config
    assert match_person(Person("ghost", None, None), config, catalogue.info).target == "?"


def _init(tmp_path: Path, capsys: pytest.CaptureFixture[str], export: Path, *extra: str) -> tuple[int, str]:
    out = tmp_path / "mapping.yaml"
    code = main(["init", str(export), "-o", str(out), "--target-snapshot", str(SNAPSHOT), *extra])
    return code, capsys.readouterr().out


def test_init_writes_every_value_and_person_and_leaves_the_open_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write(tmp_path, "export.csv", SPRINT_CSV)
    code, out = _init(tmp_path, capsys, export, "--preset", str(SPECIFIC))
    assert code == 0
    text = (tmp_path / "mapping.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["values"]["status"]["map"] == {
        "Open": "open",
        "Closed": "closed",
        "In Arbeit": "inProgress",
        "Alt (2024)": "?",
    }
    assert data["users"]["map"] == {
        "alice": "alice",
        "Jonas Becker": "admin",
        "bob@example.com": "bob",
        "ghost": "admin",
    }
    assert data["source"]["timezone"] == "?"  # no offsets, no --timezone, no terminal
    assert "preset" not in data and data["target"] == {
        "queue": "DEMO",
        "namespace": "sprinty",
        "keep_keys": False,
        "markup_type": "md",
    }
    assert 'Alt (2024): "?"' in text and "# REVIEW ×1 — no plausible match; decide: replace the ?" in text
    assert "In Arbeit: inProgress" in text and "# ×1 — synonym; likely" in text
    assert "2 line(s) to review" in out
    assert "decide  values.status.map 'Alt (2024)': no plausible match" in out
    assert (
        "decide  source.timezone: 4 times carry no offset: not decided (no terminal to ask, no --timezone)"
        in out
    )
    config = load_mapping(tmp_path / "mapping.yaml")
    assert {u.label for u in config.undecided} == {"source.timezone", "values.status.map['Alt (2024)']"}
    assert main(["validate", str(export), "--mapping", str(tmp_path / "mapping.yaml"), "--target-snapshot",
                 str(SNAPSHOT), "--report", str(tmp_path / "report"), "--no-progress"]) == 1  # fmt: skip
    assert "decision.undecided" in capsys.readouterr().out


def test_the_timezone_flag_and_the_queue_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write(tmp_path, "export.csv", SPRINT_CSV)
    code, out = _init(
        tmp_path, capsys, export, "--preset", str(SPECIFIC), "--timezone", "Europe/Berlin", "--queue", "STAGE"
    )
    data = yaml.safe_load((tmp_path / "mapping.yaml").read_text(encoding="utf-8"))
    assert code == 0 and data["source"]["timezone"] == "Europe/Berlin" and data["target"]["queue"] == "STAGE"
    assert "1 line(s) to review" in out


def test_every_key_of_the_presets_target_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a target key such as a dangling-link policy (a list or a mapping) survives init's rewrite
    monkeypatch.setattr("migrator.mapping.config.TARGET_KEYS", config_module.TARGET_KEYS | {"extra_policy"})
    data = yaml.safe_load(SPECIFIC.read_text(encoding="utf-8"))
    data["target"] |= {"keep_keys": True, "extra_policy": {"links": ["existing", "text"], "parent": "drop"}}
    preset = write(tmp_path, "preset.yaml", yaml.safe_dump(data))
    export = write(tmp_path, "export.csv", SPRINT_CSV)
    code, _ = _init(
        tmp_path, capsys, export, "--preset", str(preset), "--timezone", "UTC", "--queue", "STAGE"
    )
    target = yaml.safe_load((tmp_path / "mapping.yaml").read_text(encoding="utf-8"))["target"]
    assert code == 0
    assert target == {
        "queue": "STAGE",
        "namespace": "sprinty",
        "keep_keys": True,
        "markup_type": "md",
        "extra_policy": {"links": ["existing", "text"], "parent": "drop"},
    }


def test_offsets_in_the_export_mean_utc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = write(tmp_path, "dump.json", json_issues(2))
    code, _ = _init(tmp_path, capsys, export, "--preset", str(FIXTURE_PRESETS / "json-issues.yaml"))
    text = (tmp_path / "mapping.yaml").read_text(encoding="utf-8")
    assert code == 0 and yaml.safe_load(text)["source"]["timezone"] == "UTC"
    assert "every time in the export carries its offset or is an epoch (2 seen)" in text


def test_a_prompt_answers_the_zone_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    export = write(tmp_path, "export.csv", SPRINT_CSV)
    answers = iter(["Mars/Olympus", "Asia/Tokyo"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _question: next(answers))
    code, out = _init(tmp_path, capsys, export, "--preset", str(SPECIFIC))
    assert code == 0 and "unknown time zone 'Mars/Olympus'" in out
    assert (
        yaml.safe_load((tmp_path / "mapping.yaml").read_text(encoding="utf-8"))["source"]["timezone"]
        == "Asia/Tokyo"
    )


def test_an_existing_output_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = write(tmp_path, "export.csv", SPRINT_CSV)
    write(tmp_path, "mapping.yaml", "mine\n")
    assert main(["init", str(export), "-o", str(tmp_path / "mapping.yaml"), "--preset", str(SPECIFIC)]) == 2
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "mapping.yaml").read_text(encoding="utf-8") == "mine\n"


def test_the_preset_comments_and_other_sections_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _init(tmp_path, capsys, ROOT / "samples" / "jira" / "issues.csv", "--timezone", "Europe/Moscow")
    text = (tmp_path / "mapping.yaml").read_text(encoding="utf-8")
    assert code == 0
    assert text.startswith("# Written by `migrator init` from the preset jira-csv")
    assert "# Jira Server / Data Center → Yandex Tracker, from Jira's CSV export." in text
    assert '    column: Comment\n    pattern: "{created_at};{author};{text}"' in text
    assert "  - {target: customer, from: custom.customer, type: string, local: true}" in text
    assert "\npreset:" not in text
