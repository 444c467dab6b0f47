"""JSON text on its way to a parser: nesting measured first, values no parser takes made strings.

Both JSON parsers migrator uses have limits that hostile or odd exports reach:

* nesting — Python's ``json`` recurses (a deep document is a ``RecursionError``) and ``ijson``
  builds a prefix string per level (100,000 levels exhaust memory). Nesting is therefore measured
  on the *text*, before the parser sees it, against ``limits.json_depth``: :func:`nesting_depth`
  for a text in memory (an NDJSON line), :class:`JsonScan` chunk by chunk for a streamed document.
  Both count the brackets outside strings with regular expressions (linear, no recursion).
* numbers — ``ijson``'s C parser refuses ``NaN``, ``Infinity``, integers beyond 64 bits and floats
  beyond a double, and ``int()`` refuses more than 4,300 digits. Such a value becomes its text
  (``"NaN"``, the digits): a text field keeps it verbatim and a number field reports it
  (``number.not_finite`` in ``values.py``) instead of the whole file failing. ``NaN``/``Infinity``
  are looked for in every chunk (a cheap substring test); looking for long numbers costs more than
  the parse, so a stream does it only with ``quote_numbers`` — the JSON reader reads a document
  again that way when the parser reports an overflow (see :func:`is_overflow`).
* damage — bytes the encoding could not decode (escaped as lone surrogates by ``encoding.py``)
  become :data:`DAMAGE_MARK` in a streamed document, so the record they end up in is known (the
  JSON reader turns the mark into U+FFFD and notes ``encoding.replaced`` on that record only).
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any, TextIO

from migrator.limits import TooDeep
from migrator.sources.encoding import damaged, repair

# Stands for an undecodable byte until its record is built, then becomes U+FFFD: a noncharacter, so
# a literal U+FFFD of a valid file stays text and is never reported as damage.
DAMAGE_MARK = "\ufdd1"

_ESCAPE = re.compile(r"\\.", re.DOTALL)  # an escape pair; only strings hold them
_STRING = re.compile(r'"[^"]*"')  # a string once its escapes are gone
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_TOKEN_CHARS = frozenset("+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
# Where a number the parser refuses may be (the careful scan then tells strings from values):
_MAYBE_BIG_NUMBER = re.compile(r"\d{19}|[eE][-+]?\d{3}")
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)
_OUTSIDE_TOKEN = re.compile(r'"|-?(?:NaN|Infinity)\b|-?\d[\d.eE+-]*')
_INTEGER = re.compile(r"-?\d+")
_INT64 = 1 << 63
_CHUNK = 1 << 20


def nesting_depth(text: str) -> int:
    """How deep arrays/objects nest in a JSON text, brackets inside strings not counted."""
    gauge = _Gauge()
    gauge.measure(text)
    return gauge.deepest


def parse_json(text: str, max_depth: int) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` before parsing (the parser
    recurses) and keeps what Python cannot hold as text: integers of more than 4,300 digits as
    their digits, ``NaN``/``Infinity`` as their names. Raises ``json.JSONDecodeError`` or
    :class:`~migrator.limits.TooDeep`."""
    # Cheap bound first: a text with few brackets cannot nest deeper than it has brackets.
    depth = nesting_depth(text) if text.count("[") + text.count("{") > max_depth else 0
    if depth > max_depth:
        raise TooDeep(depth, max_depth)
    try:
        return json.loads(text, parse_int=_int_or_digits, parse_constant=str)
    except RecursionError:  # a limit raised beyond what the interpreter's stack allows
        raise TooDeep(depth, max_depth) from None


def _int_or_digits(digits: str) -> int | str:
    try:
        return int(digits)
    except ValueError:
        return digits


class JsonScan:
    """A streamed JSON document read from ``source`` as the parser may take it (see the module
    docstring): :meth:`read` hands out text measured and fixed, a number or escape cut by a
    chunk's end held back for the next read. Raises :class:`~migrator.limits.TooDeep` before any
    text nested deeper than ``max_depth`` is handed out, naming how deep the offending value goes."""

    def __init__(self, source: TextIO, max_depth: int, *, quote_numbers: bool = False) -> None:
        self.max_depth = max_depth
        self.quote_numbers = quote_numbers  # also long numbers (NaN/Infinity always)
        self.damaged = False  # undecodable bytes went by (as DAMAGE_MARK)
        self.lines = 1
        self._source = source
        self._gauge = _Gauge()
        self._carry = ""

    def read(self, size: int = -1) -> str:
        while True:
            chunk = self._source.read(size)
            text = self._feed(chunk, final=not chunk)
            if text or not chunk:
                return text

    def _feed(self, chunk: str, *, final: bool) -> str:
        text, self._carry = self._carry + chunk, ""
        if damaged(text):
            self.damaged = True
            text = repair(text, DAMAGE_MARK)
        if not final:
            text, self._carry = _cut_escape(text)
        was_in_string = self._gauge.in_string
        self._gauge.measure(text)
        if self._gauge.deepest > self.max_depth:
            raise self._too_deep()
        if not final and not self._gauge.in_string:
            cut = _token_tail(text)
            text, self._carry = text[:cut], text[cut:] + self._carry
        if self._maybe_unparsable(text):
            text = _quote_unparsable(text, was_in_string)
        self.lines += text.count("\n")
        return text

    def _maybe_unparsable(self, text: str) -> bool:
        if "NaN" in text or "Infinity" in text:
            return True
        return self.quote_numbers and _MAYBE_BIG_NUMBER.search(text) is not None

    def _too_deep(self) -> TooDeep:
        """Measure on to the end of the value that went too deep: the error says how deep it goes."""
        carry = self._carry
        while self._gauge.depth > self.max_depth and (chunk := self._source.read(_CHUNK)):
            text, carry = _cut_escape(carry + chunk)
            self._gauge.measure(text)
        return TooDeep(self._gauge.deepest, self.max_depth)


class _Gauge:
    """Running nesting depth of a JSON text measured in pieces."""

    def __init__(self) -> None:
        self.depth = 0
        self.deepest = 0
        self.in_string = False

    def measure(self, text: str) -> None:
        body = _ESCAPE.sub("", text) if "\\" in text else text
        if self.in_string:
            end = body.find('"')
            if end < 0:
                return
            body, self.in_string = body[end + 1 :], False
        body = _STRING.sub("", body)
        quote = body.find('"')
        if quote >= 0:  # a string that goes on in the next piece
            body, self.in_string = body[:quote], True
        brackets = _NOT_BRACKET.sub("", body)
        if brackets:
            levels = list(accumulate(map(_STEP.__getitem__, brackets), initial=self.depth))
            self.depth = levels[-1]
            self.deepest = max(self.deepest, max(levels))


def is_overflow(error: Exception) -> bool:
    """The parser refused a number too large for it (read again with ``quote_numbers``)."""
    return "overflow" in str(error)


def _token_tail(text: str) -> int:
    """Where a number or word at the end of ``text`` starts (the next chunk may go on with it)."""
    cut = len(text)
    while cut > 0 and text[cut - 1] in _TOKEN_CHARS:
        cut -= 1
    return cut


def _cut_escape(text: str) -> tuple[str, str]:
    """An odd run of backslashes at the end escapes the next chunk's first character: keep the
    last one back."""
    if not text.endswith("\\"):
        return text, ""
    run = len(text) - len(text.rstrip("\\"))
    return (text[:-1], "\\") if run % 2 else (text, "")


def _quote_unparsable(text: str, in_string: bool) -> str:
    """``text`` (starting inside a string or not) with each value outside strings that the parser
    refuses written as a JSON string."""
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        if in_string:
            stop = _STRING_BODY.match(text, pos).end()  # type: ignore[union-attr]  # `*` always matches
            if stop >= end:
                out.append(text[pos:])
                break
            out.append(text[pos : stop + 1])
            pos, in_string = stop + 1, False
            continue
        found = _OUTSIDE_TOKEN.search(text, pos)
        if found is None:
            out.append(text[pos:])
            break
        token = found.group()
        out.append(text[pos : found.start()])
        if token == '"':
            in_string = True
            out.append(token)
        else:
            out.append(f'"{token}"' if _unparsable(token) else token)
        pos = found.end()
    return "".join(out)


def _unparsable(token: str) -> bool:
    """A number token (or NaN/Infinity) that ``ijson``'s parser or ``int()`` refuses."""
    if token.lstrip("-") in ("NaN", "Infinity"):
        return True
    if _INTEGER.fullmatch(token):
        digits = len(token.lstrip("-"))
        return digits >= 19 and (digits > 4300 or not -_INT64 <= int(token) < _INT64)
    try:
        return math.isinf(float(token))
    except ValueError:
        return False
