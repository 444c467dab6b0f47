"""The per-cell fast paths of the readers give exactly what their general paths give.

A filled text cell skips placeholders, defaults and lists (``ValueReader.read``), a date cell goes
straight to the parser, a plain column is one look-up in a table record (``Extractor.raw``), and a
CSV row without undecodable bytes is searched once (``csv_reader._row_notes``). Each is compared
with the general path on generated values: a ``str`` subclass and a ``RecordView`` subclass are
not taken by the fast paths (they test the exact type), so they read the same values the general way.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.findings import Findings
from migrator.sources.csv_reader import _row_notes
from migrator.sources.encoding import damaged
from migrator.sources.extract import Extractor, RecordView
from migrator.sources.records import Record
from migrator.sources.spec import FieldSpec, SourceSpec
from migrator.sources.values import ValueReader, Where

_KINDS = ("string", "text", "datetime", "date", "duration", "float", "int", "bool", "user", "list", "raw")
# Cells: dates in the formats below and not quite, numbers, durations, yes/no, spaces, control characters.
_CELL = st.one_of(
    st.text(alphabet="0123456789-: /.TZ+,dhmPyesnoabc\t\x01 ", max_size=24),
    st.sampled_from(
        ["2021-03-28 02:30", "2021-10-31 02:30", "2019-01-09 16:49", "31/12/2020", "  7 ", "1e999", "NaN",
         "yes", "PT1H30M", "1d 2h", "nobody", "Unassigned", "x\x00y", "", "   "]
    ),
)  # fmt: skip


class _Text(str):
    """A cell the fast paths do not take (``type(raw) is str`` is False): read the general way."""


class _GeneralView(RecordView):
    """A record view the column fast path does not take (``type(view) is RecordView`` is False)."""


def _spec(data: st.DataObject) -> FieldSpec:
    return FieldSpec(
        column="C",
        date_formats=data.draw(st.sampled_from([None, ["%Y-%m-%d %H:%M"], ["%d/%m/%Y", "iso"]])),
        timezone=data.draw(st.sampled_from([None, "Europe/Berlin"])),
        default=data.draw(st.sampled_from([None, "7", "2020-01-01 00:00"])),
        placeholders=data.draw(st.sampled_from([None, (), ("nobody", "unass*")])),
        unit=data.draw(st.sampled_from([None, "hours"])),
        split=data.draw(st.sampled_from([None, ","])),
    )


def _outcome(
    reader: ValueReader, findings: Findings, kind: str, raw: Any, spec: FieldSpec
) -> tuple[Any, ...]:
    value = reader.read(kind, raw, spec, Where("f.csv", 2, "K-1"), "field")
    return value, [f.to_dict() for f in findings]


@settings(max_examples=400, deadline=None)
@given(cell=_CELL, kind=st.sampled_from(_KINDS), placeholders=st.booleans(), data=st.data())
def test_a_filled_cell_reads_as_the_general_path_reads_it(
    cell: str, kind: str, placeholders: bool, data: st.DataObject
) -> None:
    source = SourceSpec(
        system="jira",
        timezone="UTC",
        date_formats=["%Y-%m-%d %H:%M"],
        placeholders=("nobody",) if placeholders else (),
    )
    spec = _spec(data)
    fast, general = Findings(), Findings()
    got = _outcome(ValueReader(source, fast), fast, kind, cell, spec)
    expected = _outcome(ValueReader(source, general), general, kind, _Text(cell), spec)
    assert got == expected, (cell, kind, spec)


_HEADER = st.lists(
    st.sampled_from(["A", "B", "C", "J", "J.x", "Due Date"]), min_size=1, max_size=5, unique=True
)


@settings(max_examples=300, deadline=None)
@given(
    header=_HEADER,
    cells=st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "v", '{"x": [1]}', "[]"])), max_size=5),
    candidates=st.lists(st.sampled_from(["A", "B", "J.x", "J[].x", "Z", "Due Date"]), min_size=1, max_size=3),
    first_of=st.booleans(),
)
def test_a_column_is_located_as_the_general_path_locates_it(
    header: list[str], cells: list[str | None], candidates: list[str], first_of: bool
) -> None:
    values = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header)}
    spec = FieldSpec(column=candidates[0], columns=tuple(candidates), first_non_empty=first_of)
    where = Where("f.csv", 2, None)
    fast, general = Extractor(Findings()), Extractor(Findings())
    got = fast.raw(RecordView(Record("f.csv", 2, dict(values))), spec, where, "label")
    expected = general.raw(_GeneralView(Record("f.csv", 2, dict(values))), spec, where, "label")
    assert got == expected
    assert (fast.usage.used, fast.usage.mapped) == (general.usage.used, general.usage.mapped)


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=5),
    cells=st.lists(st.text(alphabet="ab \ufffd\udc80\udcff", max_size=4), max_size=6),
)
def test_a_row_has_notes_exactly_when_a_cell_is_damaged_or_the_row_is_ragged(
    header: list[str], cells: list[str]
) -> None:
    notes = _row_notes(header, cells)
    ragged = len(cells) != len(header)
    damaged_cells = [c for _, c in zip(header, cells, strict=False) if damaged(c)]
    assert [n.kind for n in notes] == ["csv.ragged_row"] * ragged + ["encoding.replaced"] * len(damaged_cells)
