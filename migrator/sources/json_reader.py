"""JSON and NDJSON exports → ``Record`` stream.

* JSON (one document): the whole document is loaded into memory — JSON has no record boundaries
  to stream on. ``records`` is the dotted path to the array of records (``data.issues``; empty or
  None = the top level must be an array). Row = 1-based index in that array.
* NDJSON / JSON Lines: one record per line, streamed line by line in constant memory
  (``records`` does not apply). Row = line number (equal to the record index unless the file has
  blank lines). A line that is not a JSON object is reported as ``json.invalid_record`` and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError
from migrator.sources.encoding import REPLACEMENT, damaged, detect_encoding, open_text, repair
from migrator.sources.records import Note, Record

_REPLACED_HINT = "the file is damaged or not in the detected encoding; set source.encoding or re-export"


def read_json(path: Path, *, encoding: str, records: str | None) -> Generator[Record, None, None]:
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        text = fh.read()
    # Undecodable bytes → U+FFFD; only then are U+FFFD in records damage (a valid file's are text).
    damaged_file = damaged(text)
    text = repair(text) if damaged_file else text
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigratorError(
            f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="if the file has one JSON object per line, set source.format: ndjson",
        ) from None
    del text
    for index, item in enumerate(records_array(path.name, document, records or ""), start=1):
        yield _record(path.name, index, item, damaged_file)


def read_ndjson(path: Path, *, encoding: str) -> Generator[Record, None, None]:
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            broken = damaged(line)
            line = repair(line) if broken else line
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                note = Note(
                    "json.invalid_record",
                    f"the line is not valid JSON: {exc.msg} (column {exc.colno})",
                    value=line.strip()[:200],
                    hint="fix or remove the line; every line must be one JSON object",
                )
                yield Record(path.name, line_no, {}, nested=True, notes=[note], usable=False)
                continue
            yield _record(path.name, line_no, item, broken)


def records_array(file: str, document: Any, path: str) -> list[Any]:
    """The array at dotted ``path`` in ``document``; a missing or non-array path is fatal, with the
    keys that do exist at the level where it went wrong."""
    node = document
    walked: list[str] = []
    for part in [p for p in path.split(".") if p]:
        if not isinstance(node, Mapping) or part not in node:
            raise MigratorError(
                f"{file}: the JSON path {path!r} does not exist: {_describe(node, walked)} has no {part!r}",
                hint=_keys_hint(node),
            )
        node = node[part]
        walked.append(part)
    if not isinstance(node, list):
        raise MigratorError(
            f"{file}: the JSON path {path or '(top level)'!r} is {type(node).__name__}, not an array of records",
            hint=_keys_hint(node) if isinstance(node, Mapping) else "point source.*.records at the array",
        )
    return node


def _record(file: str, index: int, item: Any, damaged: bool) -> Record:
    if not isinstance(item, Mapping):
        note = Note(
            "json.invalid_record",
            f"record {index} is a {type(item).__name__}, not an object",
            value=json.dumps(item, ensure_ascii=False)[:200],
            hint="records must be JSON objects; check source.*.records",
        )
        return Record(file, index, {}, nested=True, notes=[note], usable=False)
    notes: list[Note] = []
    if damaged:
        dumped = json.dumps(item, ensure_ascii=False)
        if REPLACEMENT in dumped:
            notes.append(
                Note(
                    "encoding.replaced",
                    "undecodable bytes were replaced by \ufffd",
                    value=dumped[:200],
                    hint=_REPLACED_HINT,
                )
            )
    return Record(file, index, item, nested=True, notes=notes)


def _describe(node: Any, walked: list[str]) -> str:
    where = ".".join(walked) or "the top level"
    return f"{where} ({type(node).__name__})"


def _keys_hint(node: Any) -> str:
    if isinstance(node, Mapping):
        keys = ", ".join(repr(k) for k in list(node)[:20])
        return f"keys there: {keys}" if keys else "the object there is empty"
    return "set source.*.records to the dotted path of the records array"
