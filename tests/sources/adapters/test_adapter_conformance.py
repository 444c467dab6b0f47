"""What every registered adapter must do, checked on its fixture (``tests/fixtures/adapters/<name>/``):
a new adapter gets these tests for free — and fails them until it ships a fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.sources.adapters import ADAPTERS, AdapterInput, adapter_class
from migrator.sources.inputs import resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, SourceSpec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "adapters"


def _records(name: str, tmp_path: Path) -> list[Record]:
    folder = FIXTURES / name
    export = resolve_sources(sorted(folder.iterdir()), ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(system=name, timezone="UTC", date_formats=["iso"], adapter=name)
    adapter = adapter_class(name)(source)
    return list(adapter.records(AdapterInput(export.files, export, "auto")))


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_has_a_fixture(name: str) -> None:
    assert (FIXTURES / name).is_dir() and any((FIXTURES / name).iterdir()), (
        f"add tests/fixtures/adapters/{name}/"
    )


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_records_are_nested_located_and_json_like(name: str, tmp_path: Path) -> None:
    records = _records(name, tmp_path)
    assert records
    for record in records:
        assert record.nested and record.usable
        assert record.file and record.row >= 1
        json.dumps(record.values)  # plain data only: the mapping reads it with paths
    assert len({(r.file, r.row) for r in records}) == len(records)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_ids_are_present_unique_and_stable(name: str, tmp_path: Path) -> None:
    first = _records(name, tmp_path)
    again = _records(name, tmp_path)
    ids = [r.get("id") for r in first]
    assert all(isinstance(i, str) and i for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == [r.get("id") for r in again]  # deterministic order
    assert [r.values for r in first] == [r.values for r in again]


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_adapter_names_match_the_registry(name: str) -> None:
    assert ADAPTERS[name].name == name
