"""docs/mapping.md documents every key the mapping loader accepts, each in a YAML example.

The keys come from the loader itself: every module-level ``*_KEYS`` set of the modules that parse
the mapping (so a key added there is caught here without touching this test), the canonical
field names, and the value-map names. A second test makes sure no loader passes ``check_keys`` a
key set that is not such a constant — a key hidden in an inline set would escape the first test.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from migrator.mapping import (
    config,
    config_checks,
    policies,
    preset_section,
    source_fields,
    source_section,
    source_texts,
)
from migrator.sources.spec import CHILD_FIELDS, ISSUE_FIELDS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "mapping.md"
LOADERS: tuple[ModuleType, ...] = (
    config,
    config_checks,
    policies,
    preset_section,
    source_fields,
    source_section,
    source_texts,
)
_YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _key_sets() -> Iterator[tuple[str, str]]:
    for module in LOADERS:
        for name, value in vars(module).items():
            if name.endswith("_KEYS") and isinstance(value, frozenset | set):
                for key in value:
                    yield f"{module.__name__}.{name}", str(key)
    for key in ISSUE_FIELDS:
        yield "ISSUE_FIELDS", key
    for kind, names in CHILD_FIELDS.items():
        for key in names:
            yield f"CHILD_FIELDS[{kind}]", key
    for key in config.VALUE_MAP_NAMES:
        yield "VALUE_MAP_NAMES", key


def _yaml_examples() -> str:
    return "\n".join(_YAML_BLOCK.findall(DOC.read_text(encoding="utf-8")))


def test_every_accepted_key_has_a_yaml_example_in_the_doc() -> None:
    examples = _yaml_examples()
    missing = sorted(
        {
            f"{where}: {key}"
            for where, key in _key_sets()
            if not re.search(rf"(^|[\s{{,\-\"]){re.escape(key)}\"?:", examples, re.M)
        }
    )
    assert not missing, "docs/mapping.md has no YAML example with these keys:\n" + "\n".join(missing)


def test_the_key_sets_are_found() -> None:
    sources = {where.rsplit(".", 1)[-1] for where, _ in _key_sets()}
    assert {"SOURCE_KEYS", "FIELD_SPEC_KEYS", "TARGET_KEYS", "USERS_KEYS", "LOOKUP_KEYS"} <= sources


@pytest.mark.parametrize("module", LOADERS, ids=lambda m: m.__name__)
def test_check_keys_is_only_given_key_constants(module: ModuleType) -> None:
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check_keys":
            allowed = node.args[2]
            names = {n.id for n in ast.walk(allowed) if isinstance(n, ast.Name)}
            sets = [n for n in ast.walk(allowed) if isinstance(n, ast.Set | ast.SetComp)]
            ok = names and all(n.endswith(("_KEYS", "_NAMES")) or n == "allowed" for n in names)
            assert ok and not sets, (
                f"{module.__name__} line {node.lineno}: check_keys must get a *_KEYS constant "
                "(so tests/mapping/test_mapping_docs.py sees the keys)"
            )


def test_the_every_key_example_loads(tmp_path: Path) -> None:
    from migrator.mapping.config import load_mapping

    block = next(
        b for b in _YAML_BLOCK.findall(DOC.read_text(encoding="utf-8")) if "Every key the loader accepts" in b
    )
    path = tmp_path / "every.yaml"
    path.write_text(block, encoding="utf-8")
    config = load_mapping(path)
    assert config.source.issues.where is not None and config.source.date_locale == "en"
