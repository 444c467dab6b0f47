"""JSON and NDJSON exports → ``Record`` stream.

* JSON (one document) is streamed with ``ijson``: memory holds one record at a time, however big
  the array. ``records`` says where the records are:

  - ``""`` (or unset): the top level — an array of records, or one object that *is* the record
    (a single-card Trello export, one JSON file per issue);
  - ``data.issues``: the array (or the one object) at that path;
  - ``users.*`` / ``*``: every value of the object at that path is a record — a collection keyed
    by id (``{"123": {...}, "124": {...}}``); the key is the record's ``$key`` field (a value that
    is not an object is ``$value``).

  Row = 1-based index in that array / object. A path that does not exist, or that holds a string
  or number, is fatal, with the keys that do exist where it went wrong.
* NDJSON / JSON Lines: one record per line, streamed line by line in constant memory
  (``records`` does not apply). Row = line number. A line that is not a JSON object is reported as
  ``json.invalid_record`` and skipped.

Encoding: undecodable bytes become U+FFFD and their record gets an ``encoding.replaced`` note; a
U+FFFD that a valid file really contains is text, not damage (the rule of ``encoding.py``).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import ijson

from migrator.errors import MigratorError
from migrator.sources.encoding import REPLACEMENT, damaged, detect_encoding, open_text, repair
from migrator.sources.records import Note, Record

# Stands for an undecodable byte until its record is built, then becomes U+FFFD: a noncharacter, so
# a literal U+FFFD of a valid file stays text and is never reported as damage.
DAMAGE_MARK = "\ufdd1"
KEY_FIELD = "$key"
VALUE_FIELD = "$value"
_REPLACED_HINT = "the file is damaged or not in the detected encoding; set source.encoding or re-export"
_EXACT_ERROR_LIMIT = 64 * 1024 * 1024  # re-read a broken document with ``json`` for line/column
_KEYS_SHOWN = 20


@dataclass(frozen=True)
class RecordsPath:
    """A parsed ``records`` setting: the path's parts and whether it ends in ``*`` (keyed)."""

    parts: tuple[str, ...]
    keyed: bool

    @classmethod
    def parse(cls, text: str | None) -> RecordsPath:
        parts = [p for p in (text or "").split(".") if p]
        keyed = bool(parts) and parts[-1] == "*"
        return cls(tuple(parts[:-1] if keyed else parts), keyed)

    @property
    def prefix(self) -> str:
        """The ``ijson`` prefix of the node the path names."""
        return ".".join(self.parts)

    @property
    def text(self) -> str:
        return ".".join(self.parts + (("*",) if self.keyed else ())) or "(top level)"


def read_json(path: Path, *, encoding: str, records: str | None) -> Generator[Record, None, None]:
    codec = detect_encoding(path, encoding)
    where = RecordsPath.parse(records)
    shape = _probe(path, codec, where)
    with _utf8_stream(path, codec) as stream:
        try:
            for index, (key, item) in enumerate(_items(stream, where, shape), start=1):
                yield _record(path.name, index, item, stream.damaged, key)
        except ijson.JSONError as exc:
            raise _invalid(path, codec, exc, stream.lines) from None


def read_ndjson(path: Path, *, encoding: str) -> Generator[Record, None, None]:
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            broken = damaged(line)
            line = repair(line, DAMAGE_MARK) if broken else line
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
            yield _record(path.name, line_no, item, broken, None)


def _items(stream: _Utf8Stream, where: RecordsPath, shape: str) -> Iterator[tuple[str | None, Any]]:
    if where.keyed:
        yield from ijson.kvitems(stream, where.prefix, use_float=True)
    elif shape == "array":
        item_prefix = f"{where.prefix}.item" if where.prefix else "item"
        for item in ijson.items(stream, item_prefix, use_float=True):
            yield None, item
    else:
        for item in ijson.items(stream, where.prefix, use_float=True):
            yield None, item


def _probe(path: Path, codec: str, where: RecordsPath) -> str:
    """What the records path holds ("array" or "object"), reading only up to it; fatal when it
    does not exist or holds something else (keyed paths need an object)."""
    target = where.prefix
    ancestors = {".".join(where.parts[:i]): i for i in range(len(where.parts))}
    keys: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    with _utf8_stream(path, codec) as stream:
        try:
            for prefix, event, value in ijson.parse(stream, use_float=True):
                if prefix == target and event in ("start_map", "start_array"):
                    return _checked_shape(path, where, "object" if event == "start_map" else "array")
                if prefix == target and event not in ("map_key", "end_map", "end_array"):
                    return _checked_shape(path, where, type(value).__name__ if value is not None else "null")
                if prefix in ancestors:
                    if event in ("start_map", "start_array"):
                        kinds[prefix] = "object" if event == "start_map" else "array"
                    elif event == "map_key" and len(keys.setdefault(prefix, [])) < _KEYS_SHOWN:
                        keys[prefix].append(str(value))
                    elif event not in ("end_map", "end_array"):
                        kinds[prefix] = type(value).__name__
        except ijson.JSONError as exc:
            raise _invalid(path, codec, exc, stream.lines) from None
    raise _missing(path, where, keys, kinds)


def _checked_shape(path: Path, where: RecordsPath, shape: str) -> str:
    if where.keyed and shape != "object":
        raise MigratorError(
            f"{path.name}: the JSON path {where.text!r} needs an object keyed by id, but "
            f"{where.prefix or 'the top level'} is {_a(shape)}",
            hint="drop the '.*' for an array of records",
        )
    if shape not in ("object", "array"):
        raise MigratorError(
            f"{path.name}: the JSON path {where.text!r} is {_a(shape)}, not an array of records or an object",
            hint="point source.*.records at the array of records",
        )
    return shape


def _missing(
    path: Path, where: RecordsPath, keys: dict[str, list[str]], kinds: dict[str, str]
) -> MigratorError:
    depth = max((len(p.split(".")) if p else 0 for p in kinds), default=0)
    level = ".".join(where.parts[:depth])
    kind = kinds.get(level, "object")
    missing = where.parts[depth] if depth < len(where.parts) else where.text
    found = keys.get(level, [])
    hint = (
        f"keys there: {', '.join(repr(k) for k in found)}"
        if found
        else (
            "the object there is empty" if kind == "object" else "set source.*.records to the records' path"
        )
    )
    return MigratorError(
        f"{path.name}: the JSON path {where.text!r} does not exist: {level or 'the top level'} ({kind}) "
        f"has no {missing!r}",
        hint=hint,
    )


def _a(kind: str) -> str:
    names = {"str": "a string", "int": "a number", "float": "a number", "bool": "true/false", "null": "null"}
    return names.get(kind, f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}")


def _invalid(path: Path, codec: str, exc: Exception, lines: int) -> MigratorError:
    hint = "if the file has one JSON object per line, set source.format: ndjson"
    if path.stat().st_size <= _EXACT_ERROR_LIMIT:
        with open_text(path, codec) as fh:
            try:
                json.loads(fh.read())
            except json.JSONDecodeError as decoded:
                return MigratorError(
                    f"{path.name}: not valid JSON at line {decoded.lineno}, column {decoded.colno}: {decoded.msg}",
                    hint=hint,
                )
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return MigratorError(f"{path.name}: not valid JSON near line {lines}: {message}", hint=hint)


def _record(file: str, index: int, item: Any, broken: bool, key: str | None) -> Record:
    if key is not None:
        item = {KEY_FIELD: key, **item} if isinstance(item, Mapping) else {KEY_FIELD: key, VALUE_FIELD: item}
    if not isinstance(item, Mapping):
        note = Note(
            "json.invalid_record",
            f"record {index} is a {type(item).__name__}, not an object",
            value=json.dumps(item, ensure_ascii=False)[:200],
            hint="records must be JSON objects; check source.*.records",
        )
        return Record(file, index, {}, nested=True, notes=[note], usable=False)
    notes: list[Note] = []
    if broken:  # undecodable bytes went by: they are DAMAGE_MARKs (a U+FFFD of the file is text)
        dumped = json.dumps(item, ensure_ascii=False)
        if DAMAGE_MARK in dumped:
            item = _unmark(item)
            notes.append(
                Note(
                    "encoding.replaced",
                    "undecodable bytes were replaced by \ufffd",
                    value=dumped.replace(DAMAGE_MARK, REPLACEMENT)[:200],
                    hint=_REPLACED_HINT,
                )
            )
    return Record(file, index, item, nested=True, notes=notes)


def _unmark(value: Any) -> Any:
    """The value with every DAMAGE_MARK turned into U+FFFD (keys too)."""
    if isinstance(value, str):
        return value.replace(DAMAGE_MARK, REPLACEMENT)
    if isinstance(value, Mapping):
        return {_unmark(k): _unmark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmark(v) for v in value]
    return value


class _Utf8Stream:
    """The decoded text as UTF-8 bytes for ``ijson``, undecodable bytes turned into DAMAGE_MARK
    (so the record they end up in can be told: ``ijson`` reads ahead, past record boundaries);
    remembers whether any went by and how many lines were read."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self.damaged = False
        self.lines = 1

    def read(self, size: int = -1) -> bytes:
        chunk = self._text.read(size)
        if damaged(chunk):
            self.damaged = True
            chunk = repair(chunk, DAMAGE_MARK)
        self.lines += chunk.count("\n")
        return chunk.encode("utf-8")


@contextmanager
def _utf8_stream(path: Path, codec: str) -> Iterator[_Utf8Stream]:
    with open_text(path, codec) as text:
        yield _Utf8Stream(text)


@contextmanager
def json_bytes(path: Path, encoding: str) -> Iterator[_Utf8Stream]:
    """The file, in whatever encoding ``source.encoding`` says (``auto`` detects), as the UTF-8 byte
    stream ``ijson`` reads — for adapters that look into a JSON document themselves."""
    with _utf8_stream(path, detect_encoding(path, encoding)) as stream:
        yield stream
