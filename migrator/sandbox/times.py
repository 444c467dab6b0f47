"""Milliseconds since the epoch <-> Tracker's wire format (via migrator.timeutil)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from migrator.timeutil import format_tracker_datetime, parse_tracker_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def to_ms(value: datetime) -> int:
    return (value - EPOCH) // MS


def now_ms() -> int:
    return to_ms(datetime.now(UTC))


def format_ms(ms: int) -> str:
    return format_tracker_datetime(EPOCH + ms * MS)


def parse_ms(text: str) -> int:
    """Strict ``YYYY-MM-DDThh:mm:ss.sss±hhmm``; raises ValueError."""
    return to_ms(parse_tracker_datetime(text))


def format_duration_ms(ms: int) -> str:
    """ISO 8601 duration in Tracker's business units (1W = 5D, 1D = 8H): ``P1W``, ``P1DT2H``, ``PT30M``."""
    seconds = max(0, int(ms) // 1000)
    weeks, seconds = divmod(seconds, 5 * 8 * 3600)
    days, seconds = divmod(seconds, 8 * 3600)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    date_part = (f"{weeks}W" if weeks else "") + (f"{days}D" if days else "")
    time_part = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + (f"T{time_part}" if time_part else "")
