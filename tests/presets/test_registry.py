"""The preset registry: which mapping files are presets, ``--preset NAME``, and that an installed
``migrator`` carries the same files (the wheel is built and looked into)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.presets.registry import find_preset, list_presets, presets_dir

from .presets_helpers import FIXTURE_PRESETS, ROOT


def test_only_files_with_a_preset_block_are_presets() -> None:
    names = [p.name for p in list_presets(FIXTURE_PRESETS)]
    assert names == ["archive-members", "csv-generic", "csv-specific", "json-issues", "no-signature"]


def test_a_checkout_reads_the_repository_mappings() -> None:
    assert presets_dir() == ROOT / "mappings"
    assert "jira-csv" in [p.name for p in list_presets()]


def test_an_unknown_name_lists_the_close_ones() -> None:
    with pytest.raises(MigratorError) as caught:
        find_preset("csv-specfic", FIXTURE_PRESETS)
    assert "did you mean csv-specific" in str(caught.value)


def test_a_mapping_path_is_a_preset_too() -> None:
    assert find_preset(str(FIXTURE_PRESETS / "csv-generic.yaml")).info.tracker == "generic"


def test_a_broken_preset_is_an_error_naming_it(tmp_path: Path) -> None:
    shutil.copy(FIXTURE_PRESETS / "csv-generic.yaml", tmp_path / "good.yaml")
    (tmp_path / "bad.yaml").write_text("preset: {title: Bad}\nversion: 1\n", encoding="utf-8")
    with pytest.raises(MigratorError) as caught:
        list_presets(tmp_path)
    assert "the preset 'bad' does not load" in str(caught.value)
    assert "preset.tracker: is required" in str(caught.value)


def test_pyproject_lists_every_package_and_ships_mappings() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "migrator").rglob("__init__.py")}
    assert set(config["packages"]) == on_disk | {"migrator.presets.mappings"}
    assert config["package-dir"] == {"migrator.presets.mappings": "mappings"}
    assert config["package-data"]["migrator.presets.mappings"] == ["*.yaml"]


def test_the_wheel_carries_the_presets(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "samples", "tests", "*.egg-info", ".migrator", "build"
        ),
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source), "-w", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("migrator-*.whl"))
    inside = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("migrator/presets/mappings/")}
    assert inside == {f"migrator/presets/mappings/{p.name}" for p in (ROOT / "mappings").glob("*.yaml")}
