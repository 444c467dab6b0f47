"""The ``preset:`` block: parsed into ``PresetInfo`` (detect conditions, carries, cannot), and every
mistake in it reported with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrator.errors import ConfigError
from migrator.mapping.config import load_mapping

BASE = {
    "version": 1,
    "source": {
        "system": "demo",
        "timezone": "UTC",
        "issues": {"fields": {"id": "Key", "summary": "S", "created_at": "C", "created_by": "A"}},
    },
    "target": {"queue": "DEMO", "namespace": "p"},
}


def _load(tmp_path: Path, preset: object) -> object:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({**BASE, "preset": preset}, allow_unicode=True), encoding="utf-8")
    return load_mapping(path)


def test_a_full_preset_block_is_parsed(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        {
            "title": "Jira Cloud CSV",
            "tracker": "jira",
            "sample": "samples/jira-cloud-csv",
            "detect": {
                "format": "csv",
                "columns_all": ["Issue key", ["Due date", "Due Date"]],
                "columns_any": ["Sprint"],
                "not": {"columns_any": ["Parent id"]},
            },
            "carries": {"issues": True, "comments": "partial", "history": False},
            "cannot": ["history: the CSV has none"],
        },
    )
    preset = config.preset  # type: ignore[attr-defined]
    assert (preset.title, preset.tracker, preset.sample) == (
        "Jira Cloud CSV",
        "jira",
        "samples/jira-cloud-csv",
    )
    assert preset.detect.when.format == "csv"
    assert preset.detect.when.columns_all == (("Issue key",), ("Due date", "Due Date"))
    assert preset.detect.unless.columns_any == (("Parent id",),)
    assert preset.carries == {"issues": "yes", "comments": "partial", "history": "no"}
    assert preset.cannot == ("history: the CSV has none",)


def test_a_mapping_without_the_block_has_no_preset(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    assert load_mapping(path).preset is None


def test_every_mistake_in_the_block_is_reported_with_its_key_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(
            tmp_path,
            {
                "title": "",
                "detect": {"format": "docx", "columns_al": ["x"], "not": {"records": "x"}},
                "carries": {"issues": "maybe", "wormholes": True},
                "cannot": "everything",
            },
        )
    text = str(caught.value)
    for expected in (
        "preset.title: must be a non-empty string",
        "preset.tracker: is required",
        "preset.detect.format: unknown format 'docx'",
        "preset.detect.columns_al: unknown key",
        "preset.detect.not.records: unknown key",
        "preset.carries.issues: must be one of yes, partial, no",
        "preset.carries.wormholes: unknown key",
        "preset.cannot: must be a list",
    ):
        assert expected in text, expected
