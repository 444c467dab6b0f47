"""The presets: the mapping files in ``mappings/`` that carry a ``preset:`` block.

Where they are. In the repository the presets live in ``mappings/`` (one place, edited there). An
installed ``migrator`` has them too: ``pyproject.toml`` maps the package ``migrator.presets.mappings``
onto that folder, so a wheel carries them as ``migrator/presets/mappings/*.yaml``. A source checkout
or an editable install has no such folder inside the package (setuptools' editable finder does not
map data-only sub-packages), and reads ``mappings/`` beside the package instead. Either way it is the
same files — nothing is copied, so nothing can drift
(``tests/presets/test_registry.py`` builds a wheel and looks inside).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from migrator.errors import ConfigError, MigratorError
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.preset_section import PresetInfo

_PACKAGED = Path(__file__).resolve().parent / "mappings"
_CHECKOUT = Path(__file__).resolve().parents[2] / "mappings"


def presets_dir() -> Path:
    """The folder holding the presets: inside the installed package, else the checkout's ``mappings/``."""
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


@dataclass(frozen=True)
class Preset:
    """One preset: its name (the file name without ``.yaml``), file and parsed mapping."""

    name: str
    path: Path

    @cached_property
    def config(self) -> MappingConfig:
        return load_mapping(self.path)

    @property
    def info(self) -> PresetInfo:
        info = self.config.preset
        if info is None:  # list_presets only lists files with the block
            raise MigratorError(f"{self.path} has no preset: block")
        return info


def list_presets(folder: Path | None = None) -> list[Preset]:
    """Every mapping with a ``preset:`` block, by name. A preset file that does not load is an error
    naming it (a broken preset must not silently drop out of detection)."""
    root = folder or presets_dir()
    if not root.is_dir():
        raise MigratorError(
            f"no presets folder at {root}",
            hint="reinstall migrator, or run it from a checkout that has mappings/",
        )
    found: list[Preset] = []
    for path in sorted(root.glob("*.yaml")):
        if not _has_preset_block(path):
            continue
        preset = Preset(path.stem, path)
        try:
            preset.config  # noqa: B018  (load now: every problem of every preset surfaces here)
        except ConfigError as exc:
            raise MigratorError(f"the preset {path.stem!r} does not load: {exc}") from None
        found.append(preset)
    return found


def find_preset(name: str, folder: Path | None = None) -> Preset:
    """``--preset NAME``: a preset by name (``jira-cloud-csv``), or a mapping file given by path."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
        return Preset(as_path.stem, as_path)
    presets = list_presets(folder)
    for preset in presets:
        if preset.name == name:
            return preset
    names = [p.name for p in presets]
    close = difflib.get_close_matches(name, names, n=3)
    raise MigratorError(
        f"--preset {name}: no such preset",
        hint=(f"did you mean {', '.join(close)}? " if close else "")
        + f"presets: {', '.join(names) or '(none)'}; or give a mapping file's path",
    )


def _has_preset_block(path: Path) -> bool:
    """A cheap look for a top-level ``preset:`` key (the file is loaded properly afterwards)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.startswith("preset:") for line in text.splitlines())
