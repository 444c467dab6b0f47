from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.timeutil import (
    SourceTimeParser,
    format_date,
    format_iso_duration,
    format_tracker_datetime,
    parse_duration,
    parse_tracker_datetime,
    truncate_to_millis,
)

MOSCOW_FIXED = timezone(timedelta(hours=3))


def test_tracker_format_is_utc_with_millis_and_no_colon_offset() -> None:
    moscow = SourceTimeParser(["%Y-%m-%d %H:%M:%S"], "Europe/Moscow").parse("2017-06-11 08:16:01").value
    assert moscow is not None
    assert format_tracker_datetime(moscow) == "2017-06-11T05:16:01.000+0000"
    assert (
        format_tracker_datetime(datetime(2017, 6, 11, 5, 16, 1, 339999, tzinfo=UTC))
        == "2017-06-11T05:16:01.339+0000"
    )


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_tracker_datetime(datetime(2020, 1, 1))


def test_parse_tracker_datetime_round_trip_and_strictness() -> None:
    value = parse_tracker_datetime("2017-08-29T12:34:41.740+0000")
    assert value == datetime(2017, 8, 29, 12, 34, 41, 740000, tzinfo=UTC)
    for bad in ("2017-08-29T12:34:41+0000", "2017-08-29T12:34:41.740+00:00", "2017-08-29 12:34:41.740+0000"):
        with pytest.raises(ValueError):
            parse_tracker_datetime(bad)


def test_naive_source_time_uses_the_explicit_zone() -> None:
    parsed = SourceTimeParser(["%Y-%m-%d %H:%M"], "Europe/Moscow").parse("2021-06-01 12:00")
    assert parsed.problem is None
    assert parsed.value == datetime(2021, 6, 1, 9, 0, tzinfo=UTC)


def test_value_with_offset_keeps_its_offset() -> None:
    parsed = SourceTimeParser(["iso"], "Europe/Moscow").parse("2021-06-01T12:00:00Z")
    assert parsed.value == datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


def test_jira_style_format() -> None:
    parsed = SourceTimeParser(["%d/%b/%y %I:%M %p"], "UTC").parse("23/Nov/21 10:36 PM")
    assert parsed.value == datetime(2021, 11, 23, 22, 36, tzinfo=UTC)


def test_ambiguous_between_formats_is_reported_not_guessed() -> None:
    parser = SourceTimeParser(["%d/%m/%Y", "%m/%d/%Y"], "UTC")
    parsed = parser.parse("03/04/2021")
    assert parsed.problem == "ambiguous_format" and parsed.value is None
    assert parser.parse("25/04/2021").problem is None  # only one format can read it


def test_dst_gap_and_overlap_are_reported() -> None:
    parser = SourceTimeParser(["%Y-%m-%d %H:%M"], "Europe/Berlin")
    gap = parser.parse("2021-03-28 02:30")
    assert gap.problem == "dst_gap" and gap.value is not None
    overlap = parser.parse("2021-10-31 02:30")
    assert overlap.problem == "dst_overlap"
    # the earlier of the two instants: 02:30 CEST = 00:30 UTC
    assert overlap.value == datetime(2021, 10, 31, 0, 30, tzinfo=UTC)


def test_unparsable() -> None:
    parsed = SourceTimeParser(["%Y-%m-%d"], "UTC").parse("yesterday")
    assert parsed.problem == "unparsable" and parsed.value is None


def test_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        SourceTimeParser(["iso"], "Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5400", timedelta(hours=1, minutes=30)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1D", timedelta(hours=8)),
        ("P1W", timedelta(hours=40)),
        ("1d 2h 30m", timedelta(hours=10, minutes=30)),
        ("2w", timedelta(hours=80)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="cannot read duration"):
        parse_duration("about an hour")


def test_format_iso_duration() -> None:
    assert format_iso_duration(timedelta(hours=1, minutes=30)) == "PT1H30M"
    assert format_iso_duration(timedelta(seconds=45)) == "PT45S"
    assert format_iso_duration(timedelta(0)) == "PT0S"


def test_years_before_1000_are_zero_padded_and_read_back() -> None:
    early = datetime(999, 5, 2, 7, 29, 43, 120000, tzinfo=UTC)
    assert format_tracker_datetime(early) == "0999-05-02T07:29:43.120+0000"
    assert parse_tracker_datetime("0999-05-02T07:29:43.120+0000") == early
    assert format_tracker_datetime(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000+0000"
    assert format_date(date(999, 12, 31)) == "0999-12-31"
    assert format_date(datetime(999, 12, 31, 23, 0, tzinfo=UTC)) == "0999-12-31"


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("0001-01-01 00:00", "Europe/Moscow"),  # UTC would be in year 0
        ("9999-12-31 23:59", "America/New_York"),  # UTC would be in year 10000
        ("0001-01-01T00:00:00+05:00", "UTC"),  # its own offset, same problem
    ],
)
def test_a_time_that_has_no_utc_equivalent_is_unparsable_not_a_crash(text: str, zone: str) -> None:
    parsed = SourceTimeParser(["%Y-%m-%d %H:%M", "iso"], zone).parse(text)
    assert (parsed.value, parsed.problem) == (None, "unparsable")
    assert "outside the years 1–9999 in UTC" in (parsed.detail or "")


@pytest.mark.parametrize("text", ["9" * 400, "99999999999999999999", "P99999999999W", "99999999999999w"])
def test_durations_too_long_for_python_are_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


_AWARE = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from([UTC, MOSCOW_FIXED]),
)


@given(_AWARE)
def test_fast_paths_of_formatting_and_truncating_equal_the_general_ones(value: datetime) -> None:
    """UTC values skip the conversion and whole milliseconds the copy: the results are the same."""
    general = value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "+0000"
    assert format_tracker_datetime(value) == general
    truncated = truncate_to_millis(value)
    assert truncated == value.replace(microsecond=value.microsecond - value.microsecond % 1000)
    assert truncated.tzinfo is value.tzinfo
