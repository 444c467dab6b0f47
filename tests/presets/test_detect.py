"""Signature detection: the most specific matching preset wins and says why; ``not:`` excludes;
JSON paths are probed on the first records only; folders/archives by their members; no match
lists the closest presets with what they did not find."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.presets.detect import PROBE_BYTES, ExportView, detect, normal_path, record_paths
from migrator.presets.inspection import choose_preset
from migrator.presets.registry import list_presets

from .presets_helpers import FIXTURE_PRESETS, SPRINT_CSV, json_issues, write


def _detect(paths: list[Path]):  # noqa: ANN202
    return detect(ExportView(paths), list_presets(FIXTURE_PRESETS))


def test_the_most_specific_match_wins_and_the_less_specific_is_named(tmp_path: Path) -> None:
    found = _detect([write(tmp_path, "export.csv", SPRINT_CSV)])
    assert [v.preset.name for v in found.matched] == ["csv-specific", "csv-generic"]
    best = found.best
    assert best is not None and best.score > found.matched[1].score
    assert "column 'Key / Issue key'" in best.evidence
    assert "one of the columns 'Sprint', 'Iteration' ('Sprint')" in best.evidence
    assert "none of its exclusions (not:) holds" in best.evidence


def test_a_not_condition_rules_a_preset_out(tmp_path: Path) -> None:
    text = SPRINT_CSV.replace("Sprint\r\n", "Sprint,Parent id\r\n", 1)
    found = _detect([write(tmp_path, "export.csv", text)])
    assert [v.preset.name for v in found.matched] == ["csv-generic"]


def test_json_paths_are_read_from_the_first_records_of_a_big_file(tmp_path: Path) -> None:
    path = write(tmp_path, "dump.json", json_issues(300, pad=20_000))
    assert path.stat().st_size > PROBE_BYTES
    found = _detect([path])
    best = found.best
    assert best is not None and best.preset.name == "json-issues"
    assert best.probe is not None and best.probe.records == 50
    assert "one of the paths 'fields.labels[].name' ('fields.labels[].name')" in best.evidence


def test_an_archive_is_recognised_by_its_members(tmp_path: Path) -> None:
    tree = write(tmp_path, "src/tree/issues.ndjson", '{"iid": 1, "title": "x", "author": "a"}\n')
    archive = tmp_path / "export.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname="tree/issues.ndjson")
    found = detect(ExportView([archive], None), list_presets(FIXTURE_PRESETS))
    best = found.best
    assert best is not None and best.preset.name == "archive-members"
    assert {"the SOURCE is a archive", "path 'title'"} <= set(best.evidence)


def test_no_match_names_the_closest_presets_and_what_they_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "other.csv", "Title,Opened\r\nx,2024-01-01\r\n")
    with pytest.raises(MigratorError) as caught:
        choose_preset([path], None, FIXTURE_PRESETS)
    text = str(caught.value)
    assert "no preset recognises this export (tried 5)" in text
    assert "closest: csv-generic" in text and "column 'Summary'" in text
    assert "--preset" in text


def test_a_preset_without_a_signature_is_only_chosen_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", SPRINT_CSV)
    assert "no-signature" not in [v.preset.name for v in _detect([path]).matched]
    assert choose_preset([path], "no-signature", FIXTURE_PRESETS).preset.name == "no-signature"


def test_paths_ignore_array_steps_and_filters() -> None:
    assert (
        normal_path("fields.labels[].name")
        == normal_path("fields.labels[type=x].name")
        == "fields.labels.name"
    )
    assert set(record_paths({"a": [{"b": 1}, {"c": {"d": 2}}]})) == {"a", "a.b", "a.c", "a.c.d"}


def test_a_jira_rest_folder_is_recognised_by_its_pages_not_its_field_list() -> None:
    """field.json sorts first, but it is the adapter's companion: the pages are what is probed."""
    folder = Path(__file__).resolve().parents[2] / "samples" / "jira-cloud-json"
    best = detect(ExportView([folder]), list_presets()).best
    assert best is not None and best.preset.name == "jira-cloud-json"
    assert best.probe is not None and best.probe.label.endswith("search-page-1.json")


def test_json_nested_deeper_than_the_limit_ends_the_probe(tmp_path: Path) -> None:
    # 200 KB of brackets: each ijson event carries a prefix as long as the nesting, so the probe
    # stops at limits.json_depth (the reader refuses the file there too) instead of reading on
    deep = "[" * 100_000 + "]" * 100_000
    path = write(tmp_path, "dump.json", '{"issues": [{"key": "J-1", "fields": ' + deep + "}]}")
    found = _detect([path])
    verdicts = {v.preset.name: v for v in found.closest}
    assert not found.matched
    assert "dump.json read as json: nested more than 100 levels deep (limits.json_depth)" in (
        verdicts["json-issues"].missing
    )
