"""The Azure DevOps adapter: a tree query's "Title N" columns become depths and parents; flat
queries, localised title headers, rows without a title and cut-off trees."""

from __future__ import annotations

from pathlib import Path

import yaml

from migrator.findings import Severity
from migrator.mapping.config import load_mapping
from migrator.sources.adapters import AdapterInput, adapter_class
from migrator.sources.inputs import resolve_sources
from migrator.sources.records import Record
from migrator.sources.spec import ArchiveSpec, SourceSpec

from ..sources_helpers import of_kind, read_all

ROOT = Path(__file__).resolve().parents[3]
TREE = ROOT / "tests" / "fixtures" / "adapters" / "azure_devops" / "tree.csv"


def _records(path: Path, tmp_path: Path) -> list[Record]:
    export = resolve_sources([path], ArchiveSpec(cache=str(tmp_path / "cache")))
    source = SourceSpec(system="azure-devops", timezone="UTC", date_formats=["iso"], adapter="azure_devops")
    return list(adapter_class("azure_devops")(source).records(AdapterInput(export.files, export, "auto")))


def _shape(records: list[Record]) -> list[tuple[str, int | None, str | None]]:
    return [(r.get("id"), r.get("depth"), r.get("parent")) for r in records]


def test_the_parent_is_the_nearest_row_above_at_a_smaller_depth(tmp_path: Path) -> None:
    records = _records(TREE, tmp_path)
    assert _shape(records) == [
        ("11", 2, None),  # the tree starts below the top: no parent to give
        ("7", 1, None),
        ("8", 2, "7"),
        ("9", 3, "8"),
        ("10", 4, "9"),
        ("13", 3, "8"),  # back up one level: a sibling of 9
        ("12", 1, None),
    ]
    by_id = {r.get("id"): r for r in records}
    assert by_id["8"].get("hierarchy") == [{"to": "7", "relationship": "Child of Epic"}]
    assert by_id["10"].get("hierarchy") == [{"to": "9", "relationship": "Child of User Story"}]
    assert by_id["9"].get("title") == "Pay with a saved card"
    assert by_id["7"].get("Assigned To") == "Ana Lima <ana@example.org>"  # other columns by header


def test_a_tree_cut_above_its_first_row_is_a_warning_not_a_guess(tmp_path: Path) -> None:
    first = _records(TREE, tmp_path)[0]
    (note,) = first.notes
    assert (note.kind, note.severity, note.field) == ("azure.parent_unknown", Severity.WARNING, "Title 2")


def test_a_flat_query_and_localised_title_columns(tmp_path: Path) -> None:
    flat = tmp_path / "flat.csv"
    flat.write_text(
        'ID,Work Item Type,Title,State\n"1","Bug","A",New\n"2","Task","B",New\n', encoding="utf-8"
    )
    assert _shape(_records(flat, tmp_path)) == [("1", 1, None), ("2", 1, None)]
    pt = tmp_path / "arvore.csv"
    pt.write_text(
        'ID,Tipo de Item de Trabalho,Título 1,Título 2\n"5","Épico","Pagamentos",\n"6","Recurso",,"Pix"\n',
        encoding="utf-8",
    )
    records = _records(pt, tmp_path)
    assert _shape(records) == [("5", 1, None), ("6", 2, "5")]
    assert records[1].get("hierarchy") == [{"to": "5", "relationship": "Child of Épico"}]


def test_a_parent_column_names_the_parent_even_in_a_flat_query(tmp_path: Path) -> None:
    flat = tmp_path / "flat.csv"
    flat.write_text(
        "ID,Work Item Type,Title,Parent\n"
        '"3","Task","Wire the API","2"\n'  # the parent comes later in the file
        '"2","User Story","Checkout","1"\n'
        '"1","Epic","Payments",\n'
        '"4","Bug","Crash","77"\n',  # a parent outside the query: its type is unknown
        encoding="utf-8",
    )
    records = _records(flat, tmp_path)
    assert _shape(records) == [("3", 1, "2"), ("2", 1, "1"), ("1", 1, None), ("4", 1, "77")]
    assert [r.get("hierarchy") for r in records] == [
        [{"to": "2", "relationship": "Child of User Story"}],
        [{"to": "1", "relationship": "Child of Epic"}],
        None,
        [{"to": "77", "relationship": "Child of"}],
    ]


def test_a_row_without_a_title_is_an_error_note(tmp_path: Path) -> None:
    path = tmp_path / "tree.csv"
    path.write_text('ID,Work Item Type,Title 1,Title 2,State\n"1","Epic",,,"New"\n', encoding="utf-8")
    (record,) = _records(path, tmp_path)
    (note,) = record.notes
    assert (note.kind, note.severity) == ("azure.no_title", Severity.ERROR)


def test_the_preset_reads_the_fixture_into_parents_and_epics(tmp_path: Path) -> None:
    preset = yaml.safe_load((ROOT / "mappings" / "azure-devops-csv.yaml").read_text(encoding="utf-8"))
    preset["source"]["timezone"] = "America/Sao_Paulo"
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(preset, allow_unicode=True), encoding="utf-8")
    issues, findings = read_all(load_mapping(mapping), TREE)
    links = {i.key: [(link.to_key, link.relationship) for link in i.links] for i in issues}
    assert links == {
        "11": [],
        "7": [],
        "8": [("7", "Child of Epic")],
        "9": [("8", "Child of Feature")],
        "10": [("9", "Child of User Story")],
        "13": [("8", "Child of Feature")],
        "12": [],
    }
    epic = next(i for i in issues if i.key == "7")
    assert (epic.assignee and epic.assignee.email, epic.tags) == ("ana@example.org", ["pay", "2025"])
    assert epic.created_at.isoformat() == "2025-01-06T12:00:00+00:00"  # 9:00 AM in São Paulo
    assert [f.value for f in of_kind(findings, "azure.parent_unknown")] == [
        "Orphan feature (its epic was filtered out)"
    ]
