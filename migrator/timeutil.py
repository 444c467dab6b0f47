"""Time handling: Tracker's wire format, and source timestamps in an explicit time zone.

Tracker speaks UTC ``YYYY-MM-DDThh:mm:ss.sss+0000``. Exports carry *local* wall-clock times in
many formats; we never guess their zone: the mapping names it, and every parse reports values that
are unparsable, ambiguous between the listed formats (03/04/2021), or fall into a DST gap/overlap.

Month and weekday names in the export's language (``21/abr/26``, ``5 января 2024``) are read with
the same ``strptime`` format: the value's localised names are first replaced by the English ones
the format's ``%b``/``%B``/``%a``/``%A`` expect. The names come from CLDR through ``babel`` (every
locale, with the genitive and stand-alone forms Russian or Polish dates use), never from our own
tables; see :class:`DateNames`. This module is over 500 lines because the wire format, source
timestamps, their localised names, the ``strptime`` fast path and durations are one subject: how
a time is read and written.
"""

from __future__ import annotations

import locale
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

TRACKER_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"
_TRACKER_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")


def now_utc() -> datetime:
    return datetime.now(UTC)


def format_tracker_datetime(value: datetime) -> str:
    """``2017-06-11T05:16:01.339+0000`` — always UTC, milliseconds, no colon in the offset.

    The year always has four digits (``0999-…``): ``strftime("%Y")`` writes ``999`` on Linux, which
    Tracker's ``YYYY-MM-DD…`` format refuses, and nothing in the API bounds years from below."""
    if value.tzinfo is None:
        raise ValueError(
            f"naive datetime {value!r} cannot be sent to Tracker; attach the source time zone first"
        )
    if value.tzinfo is UTC:  # most values: already normalised by the readers (the same text, faster)
        return value.isoformat(timespec="milliseconds")[:-6] + "+0000"
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "+0000"


def parse_tracker_datetime(text: str) -> datetime:
    """Parse the strict wire format; raises ValueError for anything else.

    A value the strict pattern accepted is, when ASCII, what ``datetime.fromisoformat`` reads too,
    in C and with the same result as ``strptime`` with :data:`TRACKER_DATETIME_FORMAT` (a property
    test compares them); anything else still goes to ``strptime``."""
    if not isinstance(text, str) or not _TRACKER_RE.match(text):
        raise ValueError(f"expected YYYY-MM-DDThh:mm:ss.sss±hhmm, got {text!r}")
    if text.isascii() and text[26] <= "5":  # strptime's %z takes offset minutes 00-59 only
        return datetime.fromisoformat(text)
    return datetime.strptime(text, TRACKER_DATETIME_FORMAT)


def truncate_to_millis(value: datetime) -> datetime:
    """Tracker keeps milliseconds; compare source and target times at that precision."""
    extra = value.microsecond % 1000
    return value.replace(microsecond=value.microsecond - extra) if extra else value


def format_date(value: date) -> str:
    """``YYYY-MM-DD`` with a four-digit year (see :func:`format_tracker_datetime`)."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def load_zone(name: str) -> tzinfo:
    """A named IANA zone (``Europe/Moscow``) or ``UTC``; raises ValueError with a clear message."""
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Moscow' or 'UTC'"
        ) from exc


@dataclass(frozen=True)
class ParsedTime:
    """Outcome of parsing one source timestamp.

    ``problem`` is None for a clean parse; otherwise one of ``unparsable``, ``ambiguous_format``,
    ``dst_gap`` (the wall time does not exist in the zone), ``dst_overlap`` (it exists twice).
    ``value`` is set whenever a usable value could still be derived (for DST cases: the earlier
    instant / the shifted instant), so a warning can be reported while the run goes on.
    """

    value: datetime | None
    problem: str | None = None
    detail: str | None = None


ISO_FORMAT = "iso"  # the keyword for ISO 8601 (with or without offset) in ``date_formats``


class SourceTimeParser:
    """Parses source timestamps with the mapping's formats and explicit zone.

    A value carrying its own offset (ISO with ``+03:00``/``Z``) keeps it; a naive value is read
    as wall-clock time in ``zone``.
    """

    def __init__(self, formats: list[str], zone: str, locale: str | None = None) -> None:
        if not formats:
            raise ValueError("at least one date format is needed")
        self.formats = list(formats)
        self.zone_name = zone
        self.zone = load_zone(zone)
        self.names = DateNames.of(locale) if locale else None

    def parse(self, text: str) -> ParsedTime:
        raw = text.strip()
        if not raw:
            return ParsedTime(None, "unparsable", "empty value")
        # One format and no localised names (the usual mapping): no readings to compare.
        if len(self.formats) == 1 and self.names is None:
            single = _try_format(raw, self.formats[0])
            if single is None:
                return ParsedTime(None, "unparsable", f"matches none of the formats {self.formats}")
            return self._settled(single)
        candidates: dict[datetime, str] = {}
        for fmt in self.formats:
            text = self.names.to_english(raw, fmt) if self.names and fmt != ISO_FORMAT else raw
            parsed = _try_format(text, fmt)
            if parsed is not None:
                candidates.setdefault(parsed, fmt)
        if not candidates:
            return ParsedTime(None, "unparsable", f"matches none of the formats {self.formats}")
        if len(candidates) > 1:
            readings = ", ".join(f"{fmt} → {dt.isoformat()}" for dt, fmt in candidates.items())
            return ParsedTime(None, "ambiguous_format", f"reads differently by format: {readings}")
        (value,) = candidates
        return self._settled(value)

    def _settled(self, value: datetime) -> ParsedTime:
        """The one reading of a value, in UTC: a naive one localized, an aware one converted."""
        if value.tzinfo is None:
            return self.localize(value)
        try:
            return ParsedTime(value.astimezone(UTC))
        except OverflowError:  # 0001-01-01T00:00+05:00 is in year 0 in UTC
            return _out_of_range(value)

    def localize(self, naive: datetime) -> ParsedTime:
        """Attach the zone to a wall-clock time, reporting DST gaps and overlaps.

        The result is converted to UTC: an aware datetime with ``fold=1`` in a zone compares
        unequal to every datetime in another zone (PEP 495), so zone-local values must not leak.
        """
        try:
            return self._localize(naive)
        except OverflowError:  # 0001-01-01 00:00 east of Greenwich is in year 0 in UTC
            return _out_of_range(naive)

    def _localize(self, naive: datetime) -> ParsedTime:
        if self.zone is UTC:
            return ParsedTime(naive.replace(tzinfo=UTC))
        first = naive.replace(tzinfo=self.zone, fold=0)
        second = naive.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            round_trip = first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None)
            if round_trip != naive:
                # A wall time skipped by a DST jump: keep the pre-transition offset (what a clock
                # that was not yet moved forward meant) and say so.
                return ParsedTime(
                    first.astimezone(UTC),
                    "dst_gap",
                    f"{naive.isoformat()} does not exist in {self.zone_name}",
                )
            return ParsedTime(
                first.astimezone(UTC),
                "dst_overlap",
                f"{naive.isoformat()} occurs twice in {self.zone_name}; the earlier was used",
            )
        return ParsedTime(first.astimezone(UTC))


def _out_of_range(value: datetime) -> ParsedTime:
    return ParsedTime(None, "unparsable", f"{value.isoformat()} is outside the years 1–9999 in UTC")


def _try_format(raw: str, fmt: str) -> datetime | None:
    if fmt == ISO_FORMAT:
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        except ValueError:
            return None
    fast = _fast_format(fmt)
    if fast is not None:
        return fast.parse(raw)
    try:
        return datetime.strptime(raw, fmt)
    except ValueError:
        return None


# -- localised month and weekday names ------------------------------------------------------------

_EN_MONTHS = (
    ("Jan", "January"), ("Feb", "February"), ("Mar", "March"), ("Apr", "April"), ("May", "May"),
    ("Jun", "June"), ("Jul", "July"), ("Aug", "August"), ("Sep", "September"), ("Oct", "October"),
    ("Nov", "November"), ("Dec", "December"),
)  # fmt: skip
_EN_DAYS = (
    ("Mon", "Monday"), ("Tue", "Tuesday"), ("Wed", "Wednesday"), ("Thu", "Thursday"), ("Fri", "Friday"),
    ("Sat", "Saturday"), ("Sun", "Sunday"),
)  # fmt: skip
# Languages whose names are recognised in a date *value* or a *format string* to suggest date_locale.
HINT_LOCALES = ("es", "ru", "de", "fr", "pt", "it", "ja", "pl", "uk", "nl", "tr", "cs", "sv", "fi")
_DIRECTIVE = re.compile(r"%[-#]?(.)")
_WORD = re.compile(r"[^\W\d_]{2,}\.?")
_SPACES = re.compile(r"[\s\u202f\u00a0]+")


def check_date_locale(code: str) -> None:
    """Raise ValueError unless ``code`` names a locale CLDR knows (``es``, ``ru``, ``pt_BR``…)."""
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown date locale {code!r}") from exc


@dataclass(frozen=True)
class DateNames:
    """A locale's month, weekday and AM/PM names (every CLDR form), each with its English twin.

    ``months``/``days`` map a casefolded local name to its 0-based index; ``to_english`` rewrites a
    value so that ``strptime`` reads it with the C locale's names — abbreviated or full, whichever
    the format asks for.
    """

    code: str
    months: dict[str, int]
    days: dict[str, int]
    periods: dict[str, str]  # casefolded local AM/PM marker → "AM"/"PM"
    pattern: re.Pattern[str]

    @staticmethod
    def of(code: str) -> DateNames:
        return _date_names(code.replace("-", "_"))

    def to_english(self, text: str, fmt: str) -> str:
        wide_month, wide_day = "%B" in fmt, "%A" in fmt

        def english(match: re.Match[str]) -> str:
            token = _fold(match.group(0))
            if token in self.months:
                return _EN_MONTHS[self.months[token]][1 if wide_month else 0]
            if token in self.days:
                return _EN_DAYS[self.days[token]][1 if wide_day else 0]
            return self.periods.get(token, match.group(0))

        return self.pattern.sub(english, text)

    def names_in(self, text: str) -> list[str]:
        """Month or weekday names of this locale that occur in ``text`` as words."""
        return [m.group(0) for m in self.pattern.finditer(text) if _fold(m.group(0)) not in self.periods]


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text).casefold()


@lru_cache(maxsize=64)
def _date_names(code: str) -> DateNames:
    check_date_locale(code)
    locale = Locale.parse(code)
    months: dict[str, int] = {}
    days: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("abbreviated", "wide"):
            for number, name in locale.months[context][width].items():
                _add_name(months, name, number - 1)
            for number, name in locale.days[context][width].items():
                _add_name(days, name, number)
    periods: dict[str, str] = {}
    for width in ("abbreviated", "wide", "narrow"):
        for key, name in locale.day_periods["format"][width].items():
            if key in ("am", "pm"):
                for variant in {_fold(name), _fold(name).replace(" ", "")}:
                    periods.setdefault(variant, key.upper())
    tokens = sorted(set(months) | set(days) | set(periods), key=len, reverse=True)
    pattern = re.compile("|".join(_token_pattern(t) for t in tokens), re.IGNORECASE)
    return DateNames(code, months, days, periods, pattern)


def _token_pattern(token: str) -> str:
    """A name as a word: not inside other letters (``午後3:15`` has a digit next to it, fine); a
    one-letter name (Japanese ``月`` = Monday) not next to a digit either — ``4月`` is April."""
    body = re.escape(token).replace("\\ ", r"[\s\u202f\u00a0]*")
    edge = r"\w" if len(token) == 1 else r"[^\W\d_]"
    return rf"(?<!{edge}){body}(?!{edge})"


def _add_name(names: dict[str, int], name: str, index: int) -> None:
    """A name and, for an abbreviation with a dot (``янв.``, ``Jan.``), the same without it.
    Numeric names (Japanese ``1月``) are left to ``%m``: they need no translation."""
    folded = _fold(name)
    if any(ch.isdigit() for ch in folded):
        return
    names.setdefault(folded, index)
    if folded.endswith(".") and len(folded) > 2:
        names.setdefault(folded[:-1], index)


def localized_date_names(text: str) -> list[tuple[str, str]]:
    """(name, locale) for each non-English month or weekday name of 3+ letters in ``text`` — for
    hints ("set date_locale: es") when a date cannot be read or a format has a literal name."""
    english = _date_names("en")
    found: list[tuple[str, str]] = []
    for word in _WORD.findall(text):
        if _fold(word) in english.months or _fold(word) in english.days or len(word.rstrip(".")) < 3:
            continue
        for code in HINT_LOCALES:
            names = _date_names(code)
            if _fold(word) in names.months or _fold(word) in names.days:
                found.append((word, code))
                break
    return found


def date_format_problem(fmt: str) -> tuple[str, str] | None:
    """Why a ``strptime`` format cannot read a whole date — (message, hint) — or None.

    A literal month or weekday name where a directive should be (``%d/abr/%y``) parses every
    value as January; a format with no month or no day directive silently fills in the 1st.
    """
    if fmt == ISO_FORMAT:
        return None
    literal = _DIRECTIVE.sub(" ", fmt.replace("%%", " "))
    english = _date_names("en")
    for word in _WORD.findall(literal):
        if _fold(word) in english.months or _fold(word) in english.days:
            return (
                f"{fmt!r} has the literal name {word!r} where a directive should be",
                "write %b (or %B) for a month name, %a (or %A) for a weekday name",
            )
    for word, code in localized_date_names(literal):
        return (
            f"{fmt!r} has the literal month or weekday name {word!r} where a directive should be",
            f"write %b (or %B) in its place and set date_locale: {code} — the name is then read in that language",
        )
    directives = set(_DIRECTIVE.findall(fmt.replace("%%", "")))
    has_month = bool(directives & set("mbBj"))
    has_day = bool(directives & set("dj")) or bool(directives & set("UWV") and directives & set("aAwu"))
    if not has_month or not has_day:
        missing = " and ".join(
            n for n, ok in (("month (%m, %b, %B)", has_month), ("day (%d)", has_day)) if not ok
        )
        return (
            f"{fmt!r} has no {missing} directive",
            "a date format must say the day and the month, e.g. %d/%m/%Y",
        )
    return None


_ISO_DURATION_RE = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_HUMAN_DURATION_RE = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>w|d|h|m|s)\b", re.IGNORECASE)


def parse_duration(
    text: str, hours_per_day: float = 8, days_per_week: float = 5, unit_seconds: float | None = 1.0
) -> timedelta:
    """Durations as exports write them: a bare number (``5400``: seconds unless ``unit_seconds``
    says how many seconds one unit is; ``None`` = a working day), ISO 8601 (``PT1H30M``) or
    ``1d 2h 30m``.

    Days and weeks are *working* days/weeks (Tracker and Jira both count 8-hour days, 5-day weeks).
    Raises ValueError for anything else, and for a duration too long to represent.
    """
    raw = str(text).strip()
    try:
        return _parse_duration(raw, hours_per_day, days_per_week, unit_seconds)
    except OverflowError:
        raise ValueError(f"duration {raw[:40]!r} is too long (more than 2.7 million years)") from None


def _parse_duration(
    raw: str, hours_per_day: float, days_per_week: float, unit_seconds: float | None
) -> timedelta:
    if not raw:
        raise ValueError("empty duration")
    day = timedelta(hours=hours_per_day)
    number = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw
    if re.fullmatch(r"-?\d+(?:\.\d+)?", number):
        if float(number) < 0:
            raise ValueError(f"negative duration {raw!r}")
        return (
            day * float(number) if unit_seconds is None else timedelta(seconds=float(number) * unit_seconds)
        )
    match = _ISO_DURATION_RE.match(raw.upper())
    if match and raw.upper() != "P":
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        return (
            parts.get("w", 0) * days_per_week * day
            + parts.get("d", 0) * day
            + timedelta(hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0))
        )
    units = _HUMAN_DURATION_RE.findall(raw)
    if units and _HUMAN_DURATION_RE.sub("", raw).strip() == "":
        total = timedelta()
        for number, unit in units:
            n = float(number)
            unit = unit.lower()
            total += {
                "w": n * days_per_week * day,
                "d": n * day,
                "h": timedelta(hours=n),
                "m": timedelta(minutes=n),
                "s": timedelta(seconds=n),
            }[unit]
        return total
    raise ValueError(f"cannot read duration {raw!r}: use seconds, ISO 8601 (PT1H30M) or '1d 2h 30m'")


def format_iso_duration(value: timedelta) -> str:
    """``PT1H30M`` style (hours, minutes, seconds only — no calendar ambiguity)."""
    seconds = int(round(value.total_seconds()))
    if seconds <= 0:
        return "PT0S"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs:
        out += f"{secs}S"
    return out


# -- a format-specific fast path for strptime ------------------------------------------------------

# ``strptime``'s own patterns for the directives exports use (CPython's ``_strptime.TimeRE``, C
# locale). As in ``strptime`` the whole format is matched ignoring case, whitespace in it matches any
# run of whitespace, and the value must be consumed to its end.
_FAST_DIRECTIVES = {
    "Y": r"(?P<Y>\d\d\d\d)",
    "y": r"(?P<y>\d\d)",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "b": "(?P<b>" + "|".join(sorted((short.lower() for short, _ in _EN_MONTHS), key=len, reverse=True)) + ")",
    "B": "(?P<B>" + "|".join(sorted((full.lower() for _, full in _EN_MONTHS), key=len, reverse=True)) + ")",
    "d": r"(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(?P<H>2[0-3]|[0-1]\d|\d)",
    "I": r"(?P<I>1[0-2]|0[1-9]|[1-9])",
    "p": r"(?P<p>am|pm)",
    "M": r"(?P<M>[0-5]\d|\d)",
    "S": r"(?P<S>6[0-1]|[0-5]\d|\d)",
    "f": r"(?P<f>[0-9]{1,6})",
}
_MONTH_NUMBERS = {name.lower(): number for number, names in enumerate(_EN_MONTHS, start=1) for name in names}
_FORMAT_TOKEN = re.compile(r"%(.)|(\s+)|(.)", re.DOTALL)


@dataclass(frozen=True)
class _FastFormat:
    """One ``strptime`` format compiled once: a match and a few ``int()`` calls instead of
    ``strptime``'s general machinery, with the same results (``tests/test_timeutil.py`` compares the
    two on generated values). Only formats with a year, a month and a day, each directive once, from
    :data:`_FAST_DIRECTIVES` (no ``%H`` beside ``%I``), get one; any other goes to ``strptime``."""

    pattern: re.Pattern[str]

    def parse(self, text: str) -> datetime | None:
        found = self.pattern.match(text)
        if found is None or found.end() != len(text):
            return None
        fields = found.groupdict()
        year = int(fields["Y"]) if fields.get("Y") is not None else _two_digit_year(fields["y"])
        month = (
            int(fields["m"])
            if fields.get("m") is not None
            else _MONTH_NUMBERS[(fields.get("b") or fields["B"]).lower()]
        )
        hour = (
            int(fields["H"])
            if fields.get("H") is not None
            else _twelve_hour(fields.get("I"), fields.get("p"))
        )
        fraction = fields.get("f")
        try:
            return datetime(
                year,
                month,
                int(fields["d"]),
                hour,
                int(fields.get("M") or 0),
                int(fields.get("S") or 0),
                int(fraction.ljust(6, "0")) if fraction else 0,
            )
        except ValueError:  # 31/02, second 60: strptime refuses them too
            return None


def _two_digit_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year <= 68 else year + 1900  # POSIX, as strptime


def _twelve_hour(hour: str | None, period: str | None) -> int:
    if hour is None:
        return 0
    value = int(hour)
    if period is not None and period.lower() == "pm":
        return value if value == 12 else value + 12
    return 0 if value == 12 else value  # AM, or no AM/PM at all: strptime reads it as AM


@lru_cache(maxsize=64)
def _fast_format(fmt: str) -> _FastFormat | None:
    """The compiled fast path for ``fmt``, or None when ``strptime`` must read it."""
    if locale.getlocale(locale.LC_TIME) != (None, None):
        return None  # another locale's month names and AM/PM: strptime knows them
    parts: list[str] = []
    seen: set[str] = set()
    for directive, space, literal in _FORMAT_TOKEN.findall(fmt):
        if space:
            parts.append(r"\s+")
        elif literal == "%":
            return None  # a stray % at the end: strptime's own error
        elif literal or directive == "%":
            parts.append(re.escape(literal or "%"))
        elif directive in _FAST_DIRECTIVES and directive not in seen:
            seen.add(directive)
            parts.append(_FAST_DIRECTIVES[directive])
        else:
            return None
    has_year, has_month = bool(seen & {"Y", "y"}), bool(seen & {"m", "b", "B"})
    if not (has_year and has_month and "d" in seen) or len(seen & {"Y", "y"}) > 1:
        return None
    if len(seen & {"m", "b", "B"}) > 1 or {"H", "I"} <= seen or ("p" in seen and "I" not in seen):
        return None
    return _FastFormat(re.compile("".join(parts), re.IGNORECASE))
