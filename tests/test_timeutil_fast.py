"""The fast paths of ``timeutil`` give exactly what ``strptime`` gives (property tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.timeutil import (
    _TRACKER_RE,
    TRACKER_DATETIME_FORMAT,
    SourceTimeParser,
    _fast_format,
    _try_format,
    parse_tracker_datetime,
)

FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%d/%b/%y %I:%M %p",
    "%d/%m/%Y",
    "%m/%d/%Y %I:%M:%S %p",
    "%d %B %Y %H:%M:%S",
    "%Y.%m.%d %I:%M",
    "%d-%b-%Y %H:%M %%",
)
# Characters a mangled value is made of: digits (also non-ASCII ones), separators, letters, spaces.
NOISE = st.text(alphabet="0123456789٣۷ -/:.TtAaPpMmJjNnUuLlEeCcDdbBOoVvrRyYz\t", max_size=30)


def _reference(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def _same(a: datetime | None, b: datetime | None) -> bool:
    """Equal, and equal in every field (== alone ignores the zone object of equal instants)."""
    if a is None or b is None:
        return a is b
    return a == b and a.replace(tzinfo=None) == b.replace(tzinfo=None) and a.utcoffset() == b.utcoffset()


def _mutations(text: str, data: st.DataObject) -> list[str]:
    """The value, and a few near misses: one character replaced or dropped, case and spaces changed."""
    out = [text, text.upper(), text.lower(), text.replace(" ", "  "), " " + text, text + "0"]
    if text:
        i = data.draw(st.integers(0, len(text) - 1))
        ch = data.draw(st.sampled_from("0159 :/-.٣xAPM"))
        out += [text[:i] + ch + text[i + 1 :], text[:i] + text[i + 1 :]]
    return out


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    fmt=st.sampled_from(FORMATS),
    data=st.data(),
)
def test_a_compiled_format_reads_what_strptime_reads(moment: datetime, fmt: str, data: st.DataObject) -> None:
    assert _fast_format(fmt) is not None
    written = moment.strftime(fmt) if moment.year >= 1000 else moment.strftime(fmt.replace("%Y", "0%Y"))
    for text in _mutations(written, data):
        assert _same(_try_format(text, fmt), _reference(text, fmt)), (text, fmt)


@settings(max_examples=300, deadline=None)
@given(text=NOISE, fmt=st.sampled_from(FORMATS))
def test_a_compiled_format_refuses_what_strptime_refuses(text: str, fmt: str) -> None:
    assert _same(_try_format(text, fmt), _reference(text, fmt)), (text, fmt)


@pytest.mark.parametrize(
    "fmt",
    [
        "%d/%m",  # no year: strptime's own defaults (1900, and its 29 February rule)
        "%Y-%m-%d %H:%M %I",  # %H and %I together
        "%Y-%m-%d %a",  # a directive outside the fast set
        "%Y-%m-%d %p",  # %p without %I
        "%Y-%m-%d %",  # a stray %
        "%Y-%m-%d %Y",  # a directive twice
    ],
)
def test_formats_outside_the_fast_path_are_left_to_strptime(fmt: str) -> None:
    assert _fast_format(fmt) is None


@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    minutes=st.integers(-23 * 60 - 59, 23 * 60 + 59),
    data=st.data(),
)
def test_the_wire_format_is_read_as_strptime_reads_it(
    moment: datetime, minutes: int, data: st.DataObject
) -> None:
    aware = moment.replace(
        microsecond=moment.microsecond // 1000 * 1000, tzinfo=timezone(timedelta(minutes=minutes))
    )
    sign = "-" if minutes < 0 else "+"
    text = (
        aware.replace(tzinfo=None).isoformat(timespec="milliseconds")
        + f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    )
    for variant in _mutations(text, data):
        assert _same(_wire_or_none(variant), _reference_wire(variant)), variant


def _reference_wire(text: str) -> datetime | None:
    """The wire parser before its fast path: the strict pattern, then strptime."""
    if not _TRACKER_RE.match(text):
        return None
    return _reference(text, TRACKER_DATETIME_FORMAT)


def _wire_or_none(text: str) -> datetime | None:
    try:
        return parse_tracker_datetime(text)
    except ValueError:
        return None


def test_the_wire_parser_keeps_its_strictness_where_strptime_is_lenient() -> None:
    """strptime alone reads ``2023-1-2T3:04:05.6+0000``; the wire format does not."""
    assert datetime.strptime("2023-1-2T3:04:05.6+0000", TRACKER_DATETIME_FORMAT)
    with pytest.raises(ValueError):
        parse_tracker_datetime("2023-1-2T3:04:05.6+0000")
    with pytest.raises(ValueError):
        parse_tracker_datetime("2023-01-02T03:04:05.600+0060")  # strptime refuses minutes 60 too
    assert parse_tracker_datetime("2023-01-02T03:04:05.600+0000").tzinfo is UTC


def test_the_parser_reports_the_same_outcomes_through_the_fast_path() -> None:
    parser = SourceTimeParser(["%d/%b/%y %I:%M %p", "%Y-%m-%d %H:%M"], "Europe/Berlin")
    assert parser.parse("21/Apr/26 3:15 PM").value == datetime(2026, 4, 21, 13, 15, tzinfo=UTC)
    assert parser.parse("2026-03-29 02:30").problem == "dst_gap"
    assert parser.parse("31/Feb/26 3:15 PM").problem == "unparsable"


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    fmt=st.sampled_from((*FORMATS, "iso")),
    zone=st.sampled_from(("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")),
    data=st.data(),
)
def test_one_format_reads_what_the_general_loop_reads(
    moment: datetime, fmt: str, zone: str, data: st.DataObject
) -> None:
    """A parser of one format skips the comparison of readings; the same format listed twice takes
    the general path (every format tried, readings compared) and must give the same outcome:
    value, problem and its wording (DST gaps and overlaps, out of range, unparsable)."""
    single, general = SourceTimeParser([fmt], zone), SourceTimeParser([fmt, fmt], zone)
    if fmt == "iso":
        written = moment.isoformat() + data.draw(st.sampled_from(("", "Z", "+05:30", "-03:00")))
    else:
        written = moment.strftime(fmt) if moment.year >= 1000 else moment.strftime(fmt.replace("%Y", "0%Y"))
    for text in [*_mutations(written, data), data.draw(NOISE)]:
        one, loop = single.parse(text), general.parse(text)
        # the unparsable message lists the parser's formats: the general one's lists the format twice
        detail = loop.detail and loop.detail.replace(str(general.formats), str(single.formats))
        assert (one.problem, one.detail) == (loop.problem, detail), text
        assert _same(one.value, loop.value), text
