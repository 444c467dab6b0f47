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

Hostile input (``migrator/limits.py``; the text is checked before the parser sees it, see
:mod:`migrator.sources.json_text`): a document nested deeper than ``limits.json_depth`` is refused
with one error naming the file and how deep it goes; an NDJSON line too deep or longer than
``limits.cell_mb`` is a ``json.invalid_record`` and the other lines are read. ``NaN``,
``Infinity`` and numbers no parser holds are kept as their text: text fields keep them verbatim,
number fields report them (``number.not_finite``).
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
from migrator.limits import Limits, TooDeep, raise_hint
from migrator.sources.encoding import REPLACEMENT, damaged, detect_encoding, open_text, repair
from migrator.sources.json_text import DAMAGE_MARK, JsonScan, is_overflow, parse_json
from migrator.sources.records import Note, Record

KEY_FIELD = "$key"
VALUE_FIELD = "$value"
_REPLACED_HINT = "the file is damaged or not in the detected encoding; set source.encoding or re-export"
_EXACT_ERROR_LIMIT = 64 * 1024 * 1024  # re-read a broken document with ``json`` for line/column
_KEYS_SHOWN = 20
_SKIP_CHUNK = 1 << 20


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


def read_json(
    path: Path, *, encoding: str, records: str | None, limits: Limits | None = None
) -> Generator[Record, None, None]:
    limits = limits or Limits()
    codec = detect_encoding(path, encoding)
    where = RecordsPath.parse(records)
    try:
        shape = _probe(path, codec, where, limits)
        yield from _stream_records(path, codec, where, shape, limits)
    except TooDeep as exc:
        raise MigratorError(f"{path.name}: the JSON is {exc}", hint=exc.hint) from None


def _stream_records(
    path: Path, codec: str, where: RecordsPath, shape: str, limits: Limits
) -> Iterator[Record]:
    """The records, streamed. When the parser reports a number too large for it, the document is
    read again with such numbers quoted (see json_text), going on after the records already given."""
    given = 0
    for quote_numbers in (False, True):
        with _utf8_stream(path, codec, limits, quote_numbers) as stream:
            try:
                for index, (key, item) in enumerate(_items(stream, where, shape), start=1):
                    if index > given:
                        given = index
                        yield _record(path.name, index, item, stream.damaged, key)
                return
            except ijson.JSONError as exc:
                if quote_numbers or not is_overflow(exc):
                    raise _invalid(path, codec, exc, stream.lines, limits) from None


def read_ndjson(path: Path, *, encoding: str, limits: Limits | None = None) -> Generator[Record, None, None]:
    limits = limits or Limits()
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        for line_no, line in _lines(fh, limits.cell_chars):
            if line is None:
                yield _invalid_line(
                    path.name,
                    line_no,
                    f"the line is over limits.cell_mb ({limits.cell_mb:g} MB); it is skipped",
                    "",
                    "if the record really is that long, raise the limit: " + raise_hint("cell_mb"),
                )
                continue
            if not line.strip():
                continue
            broken = damaged(line)
            line = repair(line, DAMAGE_MARK) if broken else line
            try:
                item = parse_json(line, limits.json_depth)
            except json.JSONDecodeError as exc:
                yield _invalid_line(
                    path.name,
                    line_no,
                    f"the line is not valid JSON: {exc.msg} (column {exc.colno})",
                    line,
                    "fix or remove the line; every line must be one JSON object",
                )
                continue
            except TooDeep as exc:
                yield _invalid_line(path.name, line_no, f"the record is {exc}", line, exc.hint)
                continue
            yield _record(path.name, line_no, item, broken, None)


def _lines(fh: TextIO, max_chars: int) -> Iterator[tuple[int, str | None]]:
    """(line number, line) — None for a line over ``max_chars``, whose rest is skipped unread."""
    line_no = 0
    while line := fh.readline(max_chars + 1):
        line_no += 1
        if len(line) <= max_chars or line.endswith(("\n", "\r")):
            yield line_no, line
            continue
        while (rest := fh.readline(_SKIP_CHUNK)) and not rest.endswith(("\n", "\r")):
            pass
        yield line_no, None


def _invalid_line(file: str, line_no: int, message: str, line: str, hint: str) -> Record:
    shown = line.replace(DAMAGE_MARK, REPLACEMENT).strip()[:200]
    note = Note("json.invalid_record", message, value=shown or None, hint=hint)
    return Record(file, line_no, {}, nested=True, notes=[note], usable=False)


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


def _probe(path: Path, codec: str, where: RecordsPath, limits: Limits) -> str:
    """What the records path holds ("array" or "object"), reading only up to it; fatal when it
    does not exist or holds something else (keyed paths need an object)."""
    for quote_numbers in (False, True):
        with _utf8_stream(path, codec, limits, quote_numbers) as stream:
            try:
                return _probe_events(path, where, ijson.parse(stream, use_float=True))
            except ijson.JSONError as exc:
                if quote_numbers or not is_overflow(exc):
                    raise _invalid(path, codec, exc, stream.lines, limits) from None
    raise AssertionError("unreachable: the second reading returns or raises")


def _probe_events(path: Path, where: RecordsPath, events: Iterator[tuple[str, str, Any]]) -> str:
    target = where.prefix
    ancestors = {".".join(where.parts[:i]): i for i in range(len(where.parts))}
    keys: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for prefix, event, value in events:
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


def _invalid(path: Path, codec: str, exc: Exception, lines: int, limits: Limits) -> MigratorError:
    hint = "if the file has one JSON object per line, set source.format: ndjson"
    exact = _exact_error(path, codec, limits) if path.stat().st_size <= _EXACT_ERROR_LIMIT else None
    if exact is not None:
        return MigratorError(
            f"{path.name}: not valid JSON at line {exact.lineno}, column {exact.colno}: {exact.msg}",
            hint=hint,
        )
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return MigratorError(f"{path.name}: not valid JSON near line {lines}: {message}", hint=hint)


def _exact_error(path: Path, codec: str, limits: Limits) -> json.JSONDecodeError | None:
    """The broken document re-read with ``json``, for the exact line and column of the error."""
    with open_text(path, codec) as fh:
        try:
            parse_json(fh.read(), limits.json_depth)
        except json.JSONDecodeError as decoded:
            return decoded
        except TooDeep:
            return None  # nested too deep past the error: the streaming parser's message stands
    return None


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
    """The document as UTF-8 bytes for ``ijson``, through :class:`JsonScan` (nesting checked,
    unparsable numbers quoted, undecodable bytes marked with DAMAGE_MARK so the record they end
    up in can be told: ``ijson`` reads ahead, past record boundaries)."""

    def __init__(self, text: TextIO, limits: Limits, quote_numbers: bool) -> None:
        self._scan = JsonScan(text, limits.json_depth, quote_numbers=quote_numbers)

    @property
    def damaged(self) -> bool:
        return self._scan.damaged

    @property
    def lines(self) -> int:
        return self._scan.lines

    def read(self, size: int = -1) -> bytes:
        return self._scan.read(size).encode("utf-8")


@contextmanager
def _utf8_stream(path: Path, codec: str, limits: Limits, quote_numbers: bool) -> Iterator[_Utf8Stream]:
    with open_text(path, codec) as text:
        yield _Utf8Stream(text, limits, quote_numbers)


@contextmanager
def json_bytes(path: Path, encoding: str, limits: Limits | None = None) -> Iterator[_Utf8Stream]:
    """The file, in whatever encoding ``source.encoding`` says (``auto`` detects), as the UTF-8 byte
    stream ``ijson`` reads — for adapters that look into a JSON document themselves."""
    with _utf8_stream(path, detect_encoding(path, encoding), limits or Limits(), False) as stream:
        yield stream
