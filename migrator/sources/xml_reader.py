"""XML exports (Jira's XML/RSS export, Bugzilla's ``show_bug.cgi?ctype=xml``) → ``Record`` stream.

Streaming: ``iterparse`` keeps one record element in memory; it is converted, handed out and then
removed from the tree. ``records`` is the element path of one record from the root, dots between
tags (``rss.channel.item``, ``bugzilla.bug``); namespaces are dropped from tag and attribute names.

One record element becomes a JSON-like value that the usual record paths read:

* an element with neither attributes nor child elements → its text (``<summary>x</summary>``);
* otherwise an object: ``@name`` for each attribute, ``#text`` for its own text, and each child
  element by tag — a tag that occurs several times is a list (``comments.comment[]`` reads one or
  many alike). An element with attributes but no children still reads as its text
  (``key`` → ``PROJ-9``, ``key.@id`` → ``10008``).

Safety: parsed with ``defusedxml`` — a document that declares entities (billion laughs, external
entities) is refused; nothing is ever fetched (a DOCTYPE's external DTD is not read).

Limits (``migrator/limits.py``, as for JSON and CSV): elements nested deeper than
``limits.json_depth`` or an element text (or attribute value) longer than ``limits.cell_mb`` stop
the read with one error naming the file, the record and the limit to raise — the record's
conversion recurses, and a text that size is no field of a tracker.

Characters XML 1.0 forbids (control characters, raw or as ``&#27;``) occur in real Jira exports and
make every parser stop. They are removed before parsing and each affected field gets an
``xml.invalid_char`` note (warning) naming it. (Inside a CDATA section the marker would stay
literal; exports put text in ordinary elements.) UTF-16 documents are parsed as they are.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits, TooDeep, raise_hint
from migrator.sources.records import TEXT_KEY, Note, Record

MARK = "\ufdd0"  # a noncharacter put where a forbidden character was; removed again with a note
_MARK_REF = b"&#xFDD0;"
_RAW_FORBIDDEN = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_REF_FORBIDDEN = re.compile(
    rb"&#(?:x0*(?:[0-8bcefBCEF]|1[0-9a-fA-F])|0*(?:[0-8]|1[12]|1[4-9]|2[0-9]|3[01]));"
)
_PARTIAL_REF = re.compile(rb"&#?[xX]?[0-9a-fA-F]{0,8}\Z")
_CHUNK = 1 << 16
_PATHS_SHOWN = 20


def read_xml(
    path: Path, *, records: str | None, limits: Limits | None = None
) -> Generator[Record, None, None]:
    limits = limits or Limits()
    if not records:
        raise MigratorError(
            f"{path.name}: an XML export needs source.*.records: the element path of one record",
            hint="e.g. records: rss.channel.item (Jira XML) or records: bugzilla.bug (Bugzilla)",
        )
    wanted = tuple(p for p in records.split(".") if p)
    seen_paths: dict[str, None] = {}
    count = 0
    with _filtered(path) as stream:
        stack: list[ET.Element] = []
        tags: list[str] = []
        try:
            events = SafeET.iterparse(stream, events=("start", "end"))
            for event, elem in events:
                if event == "start":
                    stack.append(elem)
                    tags.append(local_name(elem.tag))
                    if len(tags) <= 3 and len(seen_paths) < _PATHS_SHOWN:
                        seen_paths.setdefault(".".join(tags))
                    if len(tags) > limits.json_depth:
                        raise _too_deep(path, _where(tags, wanted, count), events, len(tags), limits)
                    continue
                if _oversize(elem, limits.cell_chars):
                    raise _too_long(path, elem, _where(tags, wanted, count), limits)
                if tuple(tags) == wanted:
                    count += 1
                    yield _converted(path, count, elem, len(tags))
                    if len(stack) > 1:
                        stack[-2].remove(elem)
                    elem.clear()
                stack.pop()
                tags.pop()
        except DefusedXmlException as exc:
            raise MigratorError(
                f"{path.name}: the XML declares entities ({exc}); it is refused, because entities "
                "can expand without limit or read other files",
                hint="exports do not need entity declarations: re-export, or remove the DOCTYPE's entities",
            ) from None
        except ET.ParseError as exc:
            line, column = exc.position
            raise MigratorError(
                f"{path.name}: not well-formed XML at line {line}, column {column}: {_reason(exc)}",
                hint="the file is truncated or damaged; re-export it",
            ) from None
    if count == 0:
        listed = ", ".join(seen_paths)
        raise MigratorError(
            f"{path.name}: no element at the path {records!r}",
            hint=f"elements found near the top: {listed}" if listed else "the document is empty",
        )


def _converted(path: Path, count: int, elem: ET.Element, depth: int) -> Record:
    try:
        return _record(path.name, count, elem)
    except RecursionError:  # limits.json_depth raised beyond what the interpreter's stack allows
        raise MigratorError(
            f"{path.name} (record {count}): the XML is nested deeper than Python can convert "
            f"(the record starts {depth} levels down)",
            hint="this export cannot be read as it is; lower limits.json_depth to be told where, "
            "and flatten the record",
        ) from None


def _where(tags: list[str], wanted: tuple[str, ...], count: int) -> str:
    return f"record {count + 1}" if tuple(tags[: len(wanted)]) == wanted else "outside the records"


def _too_deep(
    path: Path, where: str, events: Iterator[tuple[str, Any]], depth: int, limits: Limits
) -> MigratorError:
    """The error for elements nested too deep, measured to the end of the offending element."""
    deepest = depth
    for event, _ in events:
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
        if depth <= limits.json_depth:
            break
    exc = TooDeep(deepest, limits.json_depth)
    return MigratorError(f"{path.name} ({where}): the XML is {exc}", hint=exc.hint)


def _oversize(elem: ET.Element, max_chars: int) -> bool:
    return len(elem.text or "") > max_chars or any(len(v) > max_chars for v in elem.attrib.values())


def _too_long(path: Path, elem: ET.Element, where: str, limits: Limits) -> MigratorError:
    """The error for an element text or attribute value over ``limits.cell_mb``."""
    long = "text" if len(elem.text or "") > limits.cell_chars else "attribute value"
    return MigratorError(
        f"{path.name} ({where}): the {long} of <{local_name(elem.tag)}> is over limits.cell_mb "
        f"({limits.cell_mb:g} MB)",
        hint="if the field really is that long, raise the limit: " + raise_hint("cell_mb"),
    )


def local_name(tag: str) -> str:
    """A tag or attribute name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _reason(exc: ET.ParseError) -> str:
    return str(exc).split(":", 1)[0]


def _record(file: str, index: int, elem: ET.Element) -> Record:
    cleaned: list[str] = []
    value = _convert(elem, "", cleaned)
    values = value if isinstance(value, dict) else {TEXT_KEY: value}
    notes = [
        Note(
            "xml.invalid_char",
            "characters that XML does not allow (control characters) were removed from this field",
            field=field,
            hint="the export contains them (Jira writes some); check the text if it matters",
            severity=Severity.WARNING,
        )
        for field in dict.fromkeys(cleaned)
    ]
    return Record(file, index, values, nested=True, notes=notes)


def _convert(elem: ET.Element, where: str, cleaned: list[str]) -> Any:
    children = list(elem)
    attrs = {
        f"@{local_name(k)}": _clean(v, f"{where}@{local_name(k)}", cleaned) for k, v in elem.attrib.items()
    }
    text = elem.text or ""
    if not children and not attrs:
        return _clean(text, where or TEXT_KEY, cleaned)
    out: dict[str, Any] = dict(attrs)
    if not children or text.strip():
        out[TEXT_KEY] = _clean(text, f"{where}{TEXT_KEY}", cleaned)
    for child in children:
        name = local_name(child.tag)
        value = _convert(child, f"{where}{name}.", cleaned)
        if name not in out:
            out[name] = value
        elif isinstance(out[name], list):  # a converted element is never a list itself
            out[name].append(value)
        else:
            out[name] = [out[name], value]
    return out


def _clean(text: str, where: str, cleaned: list[str]) -> str:
    if MARK not in text:
        return text
    cleaned.append(where.rstrip("."))
    return text.replace(MARK, "")


class _Filtered:
    """The file's bytes with characters XML 1.0 forbids replaced by a character reference to
    :data:`MARK` (in UTF-8 and every other ASCII-compatible encoding)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._tail = b""
        self._passthrough = False
        self._started = False

    def read(self, size: int = -1) -> bytes:
        want = _CHUNK if size is None or size < 0 else max(size, 64)
        while True:
            chunk = self._raw.read(want)
            if not self._started:
                self._started = True
                self._passthrough = chunk[:2] in (b"\xff\xfe", b"\xfe\xff")  # UTF-16: bytes aren't chars
            if self._passthrough:
                return chunk
            data, self._tail = self._tail + chunk, b""
            if chunk:  # keep a character reference cut by the chunk boundary for the next read
                partial = _PARTIAL_REF.search(data, max(0, len(data) - 12))
                if partial is not None:
                    data, self._tail = data[: partial.start()], data[partial.start() :]
            if data or not chunk:
                return _RAW_FORBIDDEN.sub(_MARK_REF, _REF_FORBIDDEN.sub(_MARK_REF, data))


@contextmanager
def _filtered(path: Path) -> Iterator[_Filtered]:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise MigratorError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    with raw:
        yield _Filtered(raw)
