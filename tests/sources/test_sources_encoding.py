"""Encodings: BOMs, strict UTF-8, cp1251 via charset-normalizer, damaged and undecodable files."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.sources.encoding import detect_encoding

from .sources_helpers import BASE_HEADER, csv_text, issue_row, make_config, of_kind, read_all

ROWS = [
    BASE_HEADER,
    issue_row("10001", "DEMO-1", "Ошибка при входе в систему", reporter="иванов"),
    issue_row("10002", "DEMO-2", "Медленно работает поиск; ёжик", reporter="petrov"),
]


def _encoded(kind: str) -> bytes:
    text = csv_text(ROWS)
    if kind == "utf-8":
        return text.encode("utf-8")
    if kind == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if kind == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if kind == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    assert kind == "cp1251"
    return text.encode("cp1251")


@pytest.mark.parametrize("kind", ["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1251"])
def test_auto_detection_reads_cyrillic(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(_encoded(kind))
    issues, findings = read_all(make_config(tmp_path, {"encoding": "auto"}), path)
    assert [i.summary for i in issues] == ["Ошибка при входе в систему", "Медленно работает поиск; ёжик"]
    assert issues[0].created_by.name == "иванов"
    assert issues[0].source.id == "10001"  # the BOM is not part of the first header
    assert list(findings) == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("utf-8", "utf-8"), ("utf-8-bom", "utf-8-sig"), ("utf-16-le-bom", "utf-16"), ("cp1251", "cp1251")],
)
def test_detect_encoding_names(tmp_path: Path, kind: str, expected: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(_encoded(kind))
    assert detect_encoding(path, "auto") == expected


def test_short_cp1251_sample_is_still_cp1251(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("key,summary\nA-1,Привет\n".encode("cp1251"))
    assert detect_encoding(path, "auto") == "cp1251"


def test_named_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(_encoded("cp1251"))
    issues, _ = read_all(make_config(tmp_path, {"encoding": "windows-1251"}), path)
    assert issues[1].summary.endswith("ёжик")


def test_damaged_utf8_bytes_are_replaced_and_reported_with_row(tmp_path: Path) -> None:
    good = csv_text(ROWS).encode("utf-8")
    bad = good.replace("ёжик".encode(), b"\xff\xfe\xd0")  # row 3 gets invalid UTF-8
    path = tmp_path / "issues.csv"
    path.write_bytes(bad)
    issues, findings = read_all(make_config(tmp_path, {"encoding": "auto"}), path)
    assert len(issues) == 2 and "\ufffd" in issues[1].summary
    (finding,) = of_kind(findings, "encoding.replaced")
    assert (finding.severity.value, finding.file, finding.row, finding.key, finding.field) == (
        "error",
        "issues.csv",
        3,
        "DEMO-2",
        "Summary",
    )


def test_damaged_bytes_with_named_encoding(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(
        csv_text([BASE_HEADER, issue_row("1", "A-1", "plain")]).encode().replace(b"plain", b"pl\x80in")
    )
    _, findings = read_all(make_config(tmp_path, {"encoding": "utf-8"}), path)
    assert [f.row for f in of_kind(findings, "encoding.replaced")] == [2]


def test_file_mostly_not_in_the_named_encoding_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(_encoded("cp1251"))
    with pytest.raises(MigratorError) as err:
        read_all(make_config(tmp_path, {"encoding": "utf-8"}), path)
    assert "issues.csv" in str(err.value) and "cannot be decoded as utf-8" in str(err.value)
    assert "source.encoding" in str(err.value)


def test_unknown_encoding_name_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(_encoded("utf-8"))
    with pytest.raises(MigratorError, match="unknown encoding 'klingon'"):
        read_all(make_config(tmp_path, {"encoding": "klingon"}), path)


def test_binary_file_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(MigratorError, match="issues.csv"):
        read_all(make_config(tmp_path, {}), path)


FRENCH = "id,summary,created,reporter\n1,Réunion à Paris : français,2021-06-01,amélie\n2,Où est la crème brûlée,2021-06-02,zoé\n"


def _french_config(tmp_path: Path, encoding: str = "auto") -> Any:
    fields = {
        "id": "id",
        "key": "id",
        "summary": "summary",
        "created_at": "created",
        "created_by": "reporter",
    }
    return make_config(tmp_path, {"encoding": encoding, "date_formats": ["%Y-%m-%d"]}, fields=fields)


def test_latin1_is_not_read_as_cp1251_and_the_doubt_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(FRENCH.encode("latin-1"))
    issues, findings = read_all(_french_config(tmp_path), path)
    assert issues[0].summary == "Réunion à Paris : français"  # not "franзais"
    (doubt,) = [f for f in findings if f.kind == "encoding.uncertain"]
    assert doubt.severity.value == "warning" and doubt.file == "issues.csv" and doubt.value == "cp1252"
    assert "cp1252: '1,Réunion à Paris : français,2021-06-01,amélie'" in doubt.message
    assert "cp1250: '1,Réunion ŕ Paris" in doubt.message  # the other candidate's reading of the same line
    assert "source.encoding" in (doubt.hint or "")


def test_a_named_encoding_settles_the_doubt(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(FRENCH.encode("latin-1"))
    issues, findings = read_all(_french_config(tmp_path, "latin-1"), path)
    assert issues[1].summary == "Où est la crème brûlée" and list(findings) == []


def test_a_russian_cp1251_file_raises_no_doubt(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes(_encoded("cp1251"))
    _, findings = read_all(make_config(tmp_path, {}), path)
    assert not [f for f in findings if f.kind == "encoding.uncertain"]


def test_a_literal_replacement_character_in_valid_utf8_is_text(tmp_path: Path) -> None:
    rows = [BASE_HEADER, issue_row("1", "A-1", "emoji lost upstream: \ufffd\ufffd end", reporter="al")]
    path = tmp_path / "issues.csv"
    path.write_bytes(csv_text(rows).encode("utf-8"))
    (issue,), findings = read_all(make_config(tmp_path, {}), path)
    assert issue.summary == "emoji lost upstream: \ufffd\ufffd end"
    assert list(findings) == []  # not encoding.replaced: the file decoded without a single error


def test_a_literal_replacement_character_in_json_is_text(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    record = {"id": 1, "title": "x \ufffd", "at": "2021-06-01T10:00:00", "by": "al"}
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    fields = {"id": "id", "key": "id", "summary": "title", "created_at": "at", "created_by": "by"}
    (issue,), findings = read_all(make_config(tmp_path, {"format": "json"}, fields=fields), path)
    assert issue.summary == "x \ufffd" and list(findings) == []
