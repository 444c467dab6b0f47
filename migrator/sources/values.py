"""Typed reading of one raw value (a cell, a JSON value) into its canonical Python type.

Every problem becomes a finding (never an exception): ``date.*``, ``number.unparsable``,
``number.not_finite``, ``duration.unparsable``, ``value.unparsable``; the value is then None (DST
warnings keep the value).

Before typing, a value equal to one of the field's ``placeholders`` (or ``source.placeholders``;
``*`` and ``?`` are wildcards, case is ignored) is empty — YouTrack's ``Unassigned``, ClickUp's
``[]`` or ``NaN`` — and then the field's ``default`` (or ``const``) applies. Durations given as bare
numbers are read in the field's ``unit``; dates given as numbers are epoch times in its ``epoch``
(``s``/``ms``; without it only JSON numbers are epochs, milliseconds when above 1e11), and Mongo's
``{"$date": …}`` is always understood. Month and weekday names follow ``date_locale``.

Two rules keep what ``validate`` passes writable:

* a number field holding NaN, ±Infinity or a number too large for a double (``1e999``, 5,000
  digits) is an error (``number.not_finite``) — JSON cannot carry it, so the write would fail;
* control characters that JSON/XML text cannot hold (C0 controls except tab, line feed and
  carriage return; lone surrogates; U+FFFE/U+FFFF) are removed from texts, lists and identifiers,
  with a warning (``text.control_characters``) showing what is kept.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from migrator.findings import Findings
from migrator.model import UserRef
from migrator.sources.observe import ReadObserver
from migrator.sources.records import is_empty
from migrator.sources.spec import UNITS, FieldSpec, SourceSpec
from migrator.timeutil import ParsedTime, SourceTimeParser, localized_date_names, parse_duration

_NAME_KEYS = ("login", "name", "username", "key", "accountId")
_EMAIL_KEYS = ("email", "emailAddress")
_DISPLAY_KEYS = ("displayName", "display", "name")
_TEXT_KEYS = ("name", "value", "key", "displayName", "title", "id")
_TRUE = {"true", "yes", "y", "1", "on", "да"}
_FALSE = {"false", "no", "n", "0", "off", "нет"}
_EPOCH_MS_THRESHOLD = 1e11  # larger JSON numbers are epoch milliseconds, smaller ones seconds
_PREVIEW = 200
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_KINDS = ("text", "string")
_COLLECTION_KINDS = ("list", "users", "raw")  # kinds whose value is not one scalar

_DATE_HINT = "add its format to source.date_formats (or the field's date_formats)"
_DST = {
    "dst_gap": ("date.dst_gap", "the pre-transition offset was used; check source.timezone"),
    "dst_overlap": ("date.dst_overlap", "the earlier of the two instants was used; check source.timezone"),
}


@dataclass(frozen=True)
class Where:
    """Where a value came from, for findings."""

    file: str
    row: int
    key: str | None
    nested: bool = False  # JSON record: numbers in date fields are epoch times


class ValueReader:
    """Converts raw values by canonical type. Kinds: ``text`` (kept verbatim), ``string``
    (stripped), ``datetime``, ``date``, ``duration``, ``float``, ``int``, ``bool``, ``user``,
    ``users``, ``list``, ``raw``."""

    def __init__(self, source: SourceSpec, findings: Findings, observer: ReadObserver | None = None) -> None:
        self._source = source
        self._findings = findings
        self._observer = observer
        self._parsers: dict[tuple[tuple[str, ...], str, str | None], SourceTimeParser] = {}
        self._spec_parsers: dict[int, tuple[FieldSpec | None, SourceTimeParser]] = {}
        self._users = SharedUsers()

    def read(self, kind: str, raw: Any, spec: FieldSpec | None, where: Where, field: str) -> Any:
        if self._observer is not None:
            self._observer.value(field, kind, raw)
        if type(raw) is str and kind not in _COLLECTION_KINDS and raw.strip() and not self._marks(spec):
            # a filled cell and no placeholders (most values): no default, no list, the cell itself
            return self._scalar(kind, raw, spec, where, field)
        raw = self._without_placeholders(raw, spec)
        if spec is not None and is_empty(raw):
            raw = spec.default if spec.default is not None else spec.const if spec.const is not None else raw
        if kind in ("list", "users"):
            items = self._items(raw, spec)
            if kind == "list":
                texts = (self._clean(as_text(i, strip=True), where, field) for i in items)
                return [t for t in texts if t]
            return [u for u in (as_user(i, self._users) for i in items) if u is not None]
        if kind == "raw":
            return None if is_empty(raw) else raw
        value = first(raw)
        if is_empty(value):
            return None
        return self._scalar(kind, value, spec, where, field)

    def _scalar(self, kind: str, value: Any, spec: FieldSpec | None, where: Where, field: str) -> Any:
        """A non-empty single value (placeholders and defaults already applied) of a scalar kind."""
        if kind in _TEXT_KINDS:
            return self._clean(as_text(value, strip=kind == "string"), where, field)
        if kind == "user":
            return as_user(value, self._users)
        if kind == "datetime":
            return self._datetime(value, spec, where, field)
        if kind == "date":
            return self._date(value, spec, where, field)
        if kind == "duration":
            return self._duration(value, spec, where, field)
        if kind in ("float", "int"):
            return self._number(value, kind, where, field)
        if kind == "bool":
            return self._bool(value, where, field)
        raise ValueError(f"unknown value kind {kind!r}")

    # -- pieces ---------------------------------------------------------------------------------

    def _marks(self, spec: FieldSpec | None) -> tuple[str, ...]:
        """The values meaning "empty" for this field: its own ``placeholders``, else the source's."""
        if spec is not None and spec.placeholders is not None:
            return spec.placeholders
        return self._source.placeholders

    def _without_placeholders(self, raw: Any, spec: FieldSpec | None) -> Any:
        marks = self._marks(spec)
        if not marks or raw is None:
            return raw
        if isinstance(raw, list | tuple):
            return [item for item in raw if not is_placeholder(item, marks)]
        return None if is_placeholder(raw, marks) else raw

    def _clean(self, text: str, where: Where, field: str) -> str:
        """``text`` without the control characters Tracker's texts cannot hold (a warning if any)."""
        if not _CONTROL.search(text):
            return text
        codes = sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(text)})
        cleaned = _CONTROL.sub("", text)
        shown = ", ".join(codes[:8]) + (", …" if len(codes) > 8 else "")
        self._findings.warning(
            "text.control_characters",
            f"removed control characters Tracker's text cannot hold ({shown})",
            **_at(
                where,
                field,
                cleaned[:_PREVIEW],
                "the value shown is what is imported; fix the export to keep it",
            ),
        )
        return cleaned

    def _items(self, raw: Any, spec: FieldSpec | None) -> list[Any]:
        items = raw if isinstance(raw, list | tuple) else ([] if is_empty(raw) else [raw])
        sep = spec.split if spec is not None else None
        if not sep:
            return [i for i in items if not is_empty(i)]
        out: list[Any] = []
        for item in items:
            if isinstance(item, str):
                out.extend(part for part in item.split(sep) if part.strip())
            elif not is_empty(item):
                out.append(item)
        return out

    def parser(self, spec: FieldSpec | None) -> SourceTimeParser:
        """The parser of the field's formats, zone and locale (the source's where it sets none)."""
        known = self._spec_parsers.get(id(spec))
        if known is not None and known[0] is spec:
            return known[1]
        parser = self._parser(spec)
        self._spec_parsers[id(spec)] = (spec, parser)  # the spec is kept: its id is not reused
        return parser

    def _parser(self, spec: FieldSpec | None) -> SourceTimeParser:
        formats = tuple(
            (spec.date_formats if spec and spec.date_formats else None) or self._source.date_formats
        )
        zone = (spec.timezone if spec and spec.timezone else None) or self._source.timezone
        locale = (spec.date_locale if spec and spec.date_locale else None) or self._source.date_locale
        cache_key = (formats, zone, locale)
        if cache_key not in self._parsers:
            self._parsers[cache_key] = SourceTimeParser(list(formats), zone, locale)
        return self._parsers[cache_key]

    def _datetime(self, value: Any, spec: FieldSpec | None, where: Where, field: str) -> datetime | None:
        """An aware datetime, normalised to UTC: a zone-local value in a DST gap/fold would compare
        unequal to every other instant (PEP 495), which would confuse every later comparison."""
        moment = self._local_datetime(value, spec, where, field)
        return moment.astimezone(UTC) if moment is not None else None

    def _local_datetime(
        self, value: Any, spec: FieldSpec | None, where: Where, field: str
    ) -> datetime | None:
        parser = self.parser(spec)
        if type(value) is str and (spec is None or spec.epoch is None):  # a cell's text (most dates)
            return self._outcome(parser.parse(value.strip()), value, where, field)
        if isinstance(value, Mapping) and "$date" in value:
            return self._mongo_date(value["$date"], spec, where, field)
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return value
            return self._outcome(parser.localize(value), value, where, field)
        if isinstance(value, date):
            return self._outcome(parser.localize(datetime.combine(value, time())), value, where, field)
        if spec is not None and spec.epoch is not None:
            return self._epoch(value, spec.epoch, where, field)
        if where.nested and isinstance(value, int | float) and not isinstance(value, bool):
            return self._epoch(value, None, where, field)
        return self._outcome(parser.parse(as_text(value, strip=True)), value, where, field)

    def _mongo_date(self, inner: Any, spec: FieldSpec | None, where: Where, field: str) -> datetime | None:
        """MongoDB extended JSON: ``{"$date": <ms>}``, ``{"$date": {"$numberLong": "<ms>"}}`` or
        ``{"$date": "<ISO 8601>"}``."""
        if isinstance(inner, Mapping) and "$numberLong" in inner:
            inner = inner["$numberLong"]
        if isinstance(inner, str) and not _is_number(inner):
            return self._local_datetime(inner, spec, where, field)
        return self._epoch(inner, "ms", where, field)

    def _epoch(self, value: Any, unit: str | None, where: Where, field: str) -> datetime | None:
        """An epoch time in ``unit`` (``s`` / ``ms``); None: a JSON number, milliseconds when above
        1e11. Out of the datetime range (``1e20``, NaN) is a finding, like any unreadable date."""
        number = to_number(value)
        if number is None:
            hint = f"the field says epoch: {unit}; fix the value or remove 'epoch'"
            self._findings.error(
                "date.unparsable",
                f"not an epoch time in {'milliseconds' if unit == 'ms' else 'seconds'}",
                **_at(where, field, str(value)[:_PREVIEW], hint),
            )
            return None
        if unit is None:
            unit = "ms" if abs(number) > _EPOCH_MS_THRESHOLD else "s"
        try:
            return datetime.fromtimestamp(number / 1000 if unit == "ms" else number, UTC)
        except (OverflowError, OSError, ValueError):
            hint = "an epoch time in seconds or milliseconds after 1970-01-01 UTC"
            self._findings.error(
                "date.unparsable",
                "cannot read the date: the epoch time is out of range",
                **_at(where, field, str(value)[:_PREVIEW], hint),
            )
            return None

    def _date(self, value: Any, spec: FieldSpec | None, where: Where, field: str) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if (spec is not None and spec.epoch is not None) or (
            where.nested and isinstance(value, int | float) and not isinstance(value, bool)
        ):
            moment = self._local_datetime(value, spec, where, field)
            # an epoch is an instant: its date is the one on the calendar of the source zone
            return moment.astimezone(self.parser(spec).zone).date() if moment else None
        parser = self.parser(spec)
        parsed = parser.parse(as_text(value, strip=True))
        if parsed.problem in _DST:  # a wall-clock time that is odd in the zone: the date is still right
            parsed = ParsedTime(parsed.value)
        moment = self._outcome(parsed, value, where, field)
        # the parser answers in UTC; a plain date is the wall-clock date in the source zone
        return moment.astimezone(parser.zone).date() if moment else None

    def _outcome(self, parsed: ParsedTime, value: Any, where: Where, field: str) -> datetime | None:
        if parsed.problem is None:
            return parsed.value
        shown = str(value)[:_PREVIEW]
        if parsed.problem in _DST:
            kind, hint = _DST[parsed.problem]
            self._findings.warning(kind, f"{parsed.detail}", **_at(where, field, shown, hint))
            return parsed.value
        if parsed.problem == "ambiguous_format":
            hint = "keep only the date format that is right for this export in source.date_formats"
            self._findings.error(
                "date.ambiguous", f"ambiguous date: {parsed.detail}", **_at(where, field, shown, hint)
            )
            return None
        self._findings.error(
            "date.unparsable",
            f"cannot read the date: {parsed.detail}",
            **_at(where, field, shown, self._date_hint(str(value))),
        )
        return None

    def _date_hint(self, value: str) -> str:
        """Month or weekday names of another language call for ``date_locale``, not for a format
        with the name written in (which would read every month as January)."""
        if self._source.date_locale:
            return _DATE_HINT
        for name, code in localized_date_names(value):
            return (
                f"{name!r} is a month or weekday name in {code!r}: set source.date_locale: {code} (or the "
                "field's date_locale) and keep %b/%B/%a/%A in the format"
            )
        return _DATE_HINT

    def _duration(self, value: Any, spec: FieldSpec | None, where: Where, field: str) -> timedelta | None:
        if isinstance(value, timedelta):
            return value
        if isinstance(value, time):
            return timedelta(hours=value.hour, minutes=value.minute, seconds=value.second)
        unit = spec.unit if spec is not None and spec.unit else "seconds"
        try:
            return parse_duration(
                as_text(value, strip=True), self._source.hours_per_day, unit_seconds=UNITS[unit]
            )
        except ValueError as exc:
            hint = (
                f"bare numbers are {unit} (the field's unit); otherwise use ISO 8601 (PT1H30M) or '1d 2h 30m'"
            )
            self._findings.error(
                "duration.unparsable", str(exc), **_at(where, field, str(value)[:_PREVIEW], hint)
            )
            return None

    def _number(self, value: Any, kind: str, where: Where, field: str) -> float | int | None:
        number = to_number(value)
        if number is not None and not math.isfinite(number):
            self._findings.error(
                "number.not_finite",
                "NaN, Infinity or a number too large for Tracker's number fields",
                **_at(
                    where, field, str(value)[:_PREVIEW], "fix the value in the export, or map another column"
                ),
            )
            return None
        if number is not None and kind == "int":
            if number == int(number):
                return int(number)
            number = None
        if number is None:
            self._findings.error(
                "number.unparsable",
                f"not a{'n integer' if kind == 'int' else ' number'}",
                **_at(where, field, str(value)[:_PREVIEW], "fix the value, or map another column"),
            )
        return number

    def _bool(self, value: Any, where: Where, field: str) -> bool | None:
        if isinstance(value, bool):
            return value
        text = as_text(value, strip=True).casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        hint = "use true/false, yes/no or 1/0"
        self._findings.error(
            "value.unparsable", "not a yes/no value", **_at(where, field, str(value)[:_PREVIEW], hint)
        )
        return None


def _at(where: Where, field: str, value: str, hint: str) -> dict[str, Any]:
    return {
        "file": where.file,
        "row": where.row,
        "key": where.key,
        "field": field,
        "value": value,
        "hint": hint,
    }


def first(raw: Any) -> Any:
    """A scalar field bound to a repeated header or an array takes its first non-empty item."""
    if isinstance(raw, list | tuple):
        return next((i for i in raw if not is_empty(i)), None)
    return raw


def as_text(value: Any, *, strip: bool) -> str:
    if isinstance(value, str):
        return value.strip() if strip else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        for key in _TEXT_KEYS:
            if not is_empty(value.get(key)):
                return as_text(value[key], strip=strip)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def is_placeholder(value: Any, marks: tuple[str, ...]) -> bool:
    """True when the value's text is one of ``marks`` (case-insensitive; ``*``/``?`` wildcards)."""
    if value is None or isinstance(value, Mapping | list):
        return False
    text = as_text(value, strip=True).casefold()
    for mark in marks:
        folded = mark.casefold()
        if text == folded or (("*" in folded or "?" in folded) and fnmatch.fnmatchcase(text, folded)):
            return True
    return False


def _is_number(text: str) -> bool:
    return to_number(text) is not None


def to_number(value: Any) -> float | None:
    """The value as a float; ±inf for an integer too large for one; None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    if isinstance(value, float):
        return value
    text = as_text(value, strip=True).replace("\u00a0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


class SharedUsers:
    """One ``UserRef`` per user while it is remembered: an export names the same few users on every
    issue and comment, and a shared (frozen) ``UserRef`` is sent once per batch of issues by pickle
    (``pipeline/read_ahead.py``: a third of the issues' unpickling time in the process that
    transforms them). Bounded: emptied when full, so an export with many users costs no more memory
    than ``limit`` of them. Each ``ValueReader`` holds its own."""

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._users: dict[tuple[str, str | None, str | None], UserRef] = {}

    def __len__(self) -> int:
        return len(self._users)

    def user(self, name: str, email: str | None = None, display: str | None = None) -> UserRef:
        """``UserRef(name, email, display)``, the same object each time while it is remembered."""
        made = (name, email, display)
        user = self._users.get(made)
        if user is None:
            if len(self._users) >= self._limit:
                self._users.clear()
            user = self._users[made] = UserRef(name=name, email=email, display=display)
        return user


def as_user(value: Any, shared: SharedUsers | None = None) -> UserRef | None:
    """A user from a plain name/login/e-mail, or from a JSON object (login/name/… , email, display);
    from ``shared`` when given (one object per user)."""
    if is_empty(value):
        return None
    make = shared.user if shared is not None else _new_user
    if not isinstance(value, Mapping):
        return make(as_text(value, strip=True), None, None)
    email = _pick(value, _EMAIL_KEYS)
    display = _pick(value, _DISPLAY_KEYS)
    name = _pick(value, _NAME_KEYS) or email or display
    if name is None:
        return None
    return make(name, email, display)


def _new_user(name: str, email: str | None, display: str | None) -> UserRef:
    return UserRef(name=name, email=email, display=display)


def _pick(data: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if not is_empty(data.get(key)):
            return as_text(data[key], strip=True)
    return None
