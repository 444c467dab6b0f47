"""A streamed JSON document on its way to ``ijson``: nesting measured chunk by chunk (strings and
escapes cut at any chunk boundary), values the parser refuses quoted, undecodable bytes marked."""

from __future__ import annotations

import io
import json
from pathlib import Path

import ijson
import pytest

from migrator.limits import TooDeep
from migrator.sources.json_reader import read_json
from migrator.sources.json_text import DAMAGE_MARK, JsonScan

DOCUMENT = (
    '[{"id": 12345678901234567890123, "text": "say \\"NaN\\" [[ {{ \\\\", "n": NaN,'
    ' "inf": -Infinity, "big": 1e999, "ok": 1.5e3, "small": 42, "word": "Infinity"}]'
)


def scanned(
    text: str, size: int, max_depth: int = 100, *, quote_numbers: bool = True
) -> tuple[str, JsonScan]:
    scan = JsonScan(io.StringIO(text), max_depth, quote_numbers=quote_numbers)
    out = []
    while chunk := scan.read(size):
        out.append(chunk)
    return "".join(out), scan


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 65536])
def test_values_the_parser_refuses_become_text_at_any_chunk_size(size: int) -> None:
    text, scan = scanned(DOCUMENT, size)
    (record,) = ijson.items(io.BytesIO(text.encode()), "item", use_float=True)
    assert record == {
        "id": "12345678901234567890123",
        "text": 'say "NaN" [[ {{ \\',
        "n": "NaN",
        "inf": "-Infinity",
        "big": "1e999",
        "ok": 1500.0,
        "small": 42,
        "word": "Infinity",
    }
    assert scan.lines == 1 and not scan.damaged


def test_without_quote_numbers_only_nan_and_infinity_are_quoted() -> None:
    text, _ = scanned('[{"n": NaN, "big": 12345678901234567890123, "e": 1e999}]', 5, quote_numbers=False)
    assert text == '[{"n": "NaN", "big": 12345678901234567890123, "e": 1e999}]'


def test_an_overflow_is_read_again_with_numbers_quoted_after_the_records_given(tmp_path: Path) -> None:
    records = [{"id": n, "points": n} for n in range(1, 2001)] + [{"id": 2001, "points": 10**30}]
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    got = list(read_json(path, encoding="utf-8", records=""))
    assert [r.row for r in got] == list(range(1, 2002))  # nothing given twice, nothing skipped
    assert got[-1].values == {"id": 2001, "points": str(10**30)} and got[0].values == {"id": 1, "points": 1}


@pytest.mark.parametrize("size", [1, 4, 64])
def test_nesting_is_measured_across_chunks_and_strings_do_not_count(size: int) -> None:
    fine = json.dumps([{"a": "[[[[[[[[" * 20, "b": [[[[1]]]]}])
    assert scanned(fine, size, max_depth=6)[0] == fine
    with pytest.raises(TooDeep, match="nested 7 levels deep, over limits.json_depth \\(6\\)"):
        scanned(json.dumps([{"a": "]]]]", "b": [[[[[1]]]]]}]), size, max_depth=6)


def test_undecodable_bytes_are_marked_for_their_record() -> None:
    text, scan = scanned('[{"a": "x\udcff"}, {"b": "\ufffd"}]', 3)
    assert scan.damaged and text == f'[{{"a": "x{DAMAGE_MARK}"}}, {{"b": "\ufffd"}}]'
