"""JSON and NDJSON exports → ``Record`` stream.

* JSON (one document): the whole document is loaded into memory — JSON has no record boundaries
  to stream on. ``records`` is the dotted path to the array of records (``data.issues``; empty or
  None = the top level must be an array). Row = 1-based index in that array.
* NDJSON / JSON Lines: one record per line, streamed line by line in constant memory
  (``records`` does not apply). Row = line number (equal to the record index unless the file has
  blank lines). A line that is not a JSON object is reported as ``json.invalid_record`` and skipped.

Hostile input: nesting is measured before parsing (Python's parser recurses) against
``limits.json_depth`` — a document too deep is refused, an NDJSON line too deep or longer than
``limits.cell_mb`` is a ``json.invalid_record``. An integer of more than 4,300 digits (which
``int()`` refuses) is kept as its digits, and ``NaN``/``Infinity`` as their names: text fields keep
them verbatim, number fields report them (``number.not_finite``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any, TextIO

from migrator.errors import MigratorError
from migrator.limits import Limits
from migrator.sources.encoding import REPLACEMENT, detect_encoding, open_text
from migrator.sources.records import Note, Record

_REPLACED_HINT = "the file is damaged or not in the detected encoding; set source.encoding or re-export"
_ESCAPE = re.compile(r"\\.", re.DOTALL)  # an escape pair; only strings hold them
_STRING = re.compile(r'"[^"]*"')  # a string once its escapes are gone
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SKIP_CHUNK = 1 << 20


class _TooDeep(ValueError):
    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nested {depth:,} levels deep, over limits.json_depth ({limit})")


def _depth_hint(limit: int) -> str:
    return (
        f"exports nest about 10 levels; if this one is legitimate, raise the limit (now {limit}): "
        "limits: {json_depth: N} in the mapping or --limit json_depth=N"
    )


def read_json(
    path: Path, *, encoding: str, records: str | None, limits: Limits | None = None
) -> Generator[Record, None, None]:
    limits = limits or Limits()
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        text = fh.read()
    try:
        document = parse_json(text, limits.json_depth)
    except json.JSONDecodeError as exc:
        raise MigratorError(
            f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="if the file has one JSON object per line, set source.format: ndjson",
        ) from None
    except _TooDeep as exc:
        raise MigratorError(f"{path.name}: the JSON is {exc}", hint=_depth_hint(limits.json_depth)) from None
    damaged = REPLACEMENT in text
    del text
    for index, item in enumerate(records_array(path.name, document, records or ""), start=1):
        yield _record(path.name, index, item, damaged)


def read_ndjson(path: Path, *, encoding: str, limits: Limits | None = None) -> Generator[Record, None, None]:
    limits = limits or Limits()
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        for line_no, line in _lines(fh, limits.cell_chars):
            if line is None:
                yield _invalid(
                    path.name,
                    line_no,
                    f"the line is over limits.cell_mb ({limits.cell_mb:g} MB); it is skipped",
                    "",
                    "if the record really is that long, raise the limit: limits: {cell_mb: N} in the "
                    "mapping or --limit cell_mb=N",
                )
                continue
            if not line.strip():
                continue
            try:
                item = parse_json(line, limits.json_depth)
            except json.JSONDecodeError as exc:
                yield _invalid(
                    path.name,
                    line_no,
                    f"the line is not valid JSON: {exc.msg} (column {exc.colno})",
                    line,
                    "fix or remove the line; every line must be one JSON object",
                )
                continue
            except _TooDeep as exc:
                yield _invalid(
                    path.name, line_no, f"the record is {exc}", line, _depth_hint(limits.json_depth)
                )
                continue
            yield _record(path.name, line_no, item, REPLACEMENT in line)


def parse_json(text: str, max_depth: int) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` before parsing (the parser
    recurses) and keeps numbers Python cannot hold as text. Raises ``json.JSONDecodeError`` or a
    ``ValueError`` saying how deep the text is nested."""
    # Cheap bound first: a text with few brackets cannot nest deeper than it has brackets.
    depth = nesting_depth(text) if text.count("[") + text.count("{") > max_depth else 0
    if depth > max_depth:
        raise _TooDeep(depth, max_depth)
    try:
        return json.loads(text, parse_int=_int_or_digits, parse_constant=str)
    except RecursionError:  # a limit raised beyond what the interpreter's stack allows
        raise _TooDeep(depth, max_depth) from None


def nesting_depth(text: str) -> int:
    """How deep arrays/objects nest in a JSON text, brackets inside strings not counted. Linear,
    and iterative: the strings and everything but brackets are dropped by regular expressions."""
    unescaped = _ESCAPE.sub("", text) if "\\" in text else text
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", unescaped))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _int_or_digits(digits: str) -> int | str:
    """An integer; one too long for ``int()`` (over 4,300 digits) stays its digits, so a text
    field keeps it and a number field reports it instead of the whole file failing."""
    try:
        return int(digits)
    except ValueError:
        return digits


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


def _invalid(file: str, line_no: int, message: str, line: str, hint: str) -> Record:
    note = Note("json.invalid_record", message, value=line.strip()[:200] or None, hint=hint)
    return Record(file, line_no, {}, nested=True, notes=[note], usable=False)


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
