"""Time handling: Tracker's wire format, and source timestamps in an explicit time zone.

Tracker speaks UTC ``YYYY-MM-DDThh:mm:ss.sss+0000``. Exports carry *local* wall-clock times in
many formats; we never guess their zone: the mapping names it, and every parse reports values that
are unparsable, ambiguous between the listed formats (03/04/2021), or fall into a DST gap/overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "+0000"


def parse_tracker_datetime(text: str) -> datetime:
    """Parse the strict wire format; raises ValueError for anything else."""
    if not isinstance(text, str) or not _TRACKER_RE.match(text):
        raise ValueError(f"expected YYYY-MM-DDThh:mm:ss.sss±hhmm, got {text!r}")
    return datetime.strptime(text, TRACKER_DATETIME_FORMAT)


def truncate_to_millis(value: datetime) -> datetime:
    """Tracker keeps milliseconds; compare source and target times at that precision."""
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


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

    def __init__(self, formats: list[str], zone: str) -> None:
        if not formats:
            raise ValueError("at least one date format is needed")
        self.formats = list(formats)
        self.zone_name = zone
        self.zone = load_zone(zone)

    def parse(self, text: str) -> ParsedTime:
        raw = text.strip()
        if not raw:
            return ParsedTime(None, "unparsable", "empty value")
        candidates: dict[datetime, str] = {}
        for fmt in self.formats:
            parsed = _try_format(raw, fmt)
            if parsed is not None:
                candidates.setdefault(parsed, fmt)
        if not candidates:
            return ParsedTime(None, "unparsable", f"matches none of the formats {self.formats}")
        if len(candidates) > 1:
            readings = ", ".join(f"{fmt} → {dt.isoformat()}" for dt, fmt in candidates.items())
            return ParsedTime(None, "ambiguous_format", f"reads differently by format: {readings}")
        (value,) = candidates
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
    try:
        return datetime.strptime(raw, fmt)
    except ValueError:
        return None


_ISO_DURATION_RE = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_HUMAN_DURATION_RE = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>w|d|h|m|s)\b", re.IGNORECASE)


def parse_duration(text: str, hours_per_day: float = 8, days_per_week: float = 5) -> timedelta:
    """Durations as exports write them: seconds (``5400``), ISO 8601 (``PT1H30M``) or ``1d 2h 30m``.

    Days and weeks are *working* days/weeks (Tracker and Jira both count 8-hour days, 5-day weeks).
    Raises ValueError for anything else, and for a duration too long to represent.
    """
    raw = str(text).strip()
    try:
        return _parse_duration(raw, hours_per_day, days_per_week)
    except OverflowError:
        raise ValueError(f"duration {raw[:40]!r} is too long (more than 2.7 million years)") from None


def _parse_duration(raw: str, hours_per_day: float, days_per_week: float) -> timedelta:
    if not raw:
        raise ValueError("empty duration")
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return timedelta(seconds=float(raw))
    day = timedelta(hours=hours_per_day)
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
