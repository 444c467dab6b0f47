"""Dates with month and weekday names in the export's language (CLDR names through babel)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from migrator.timeutil import SourceTimeParser, check_date_locale, date_format_problem, localized_date_names


@pytest.mark.parametrize(
    ("locale", "fmt", "text", "expected"),
    [
        ("es", "%d/%b/%y %I:%M %p", "21/abr/26 11:37 PM", datetime(2026, 4, 21, 23, 37)),  # Jira, Spanish UI
        ("es", "%d/%b/%y %I:%M %p", "3/sept/25 9:05 a. m.", datetime(2025, 9, 3, 9, 5)),
        ("ru", "%d %B %Y %H:%M", "5 января 2024 10:00", datetime(2024, 1, 5, 10, 0)),  # genitive
        ("ru", "%d %b %Y", "5 янв. 2024", datetime(2024, 1, 5)),
        ("ru", "%d %b %Y", "12 мая 2024", datetime(2024, 5, 12)),
        ("ru", "%a, %d.%m.%Y", "пт, 05.01.2024", datetime(2024, 1, 5)),
        ("de", "%a, %d. %B %Y", "Di., 21. April 2026", datetime(2026, 4, 21)),
        ("de", "%d. %b %Y", "3. März 2026", datetime(2026, 3, 3)),
        ("fr", "%A %d %B %Y", "mardi 21 avril 2026", datetime(2026, 4, 21)),
        ("fr", "%d %b %Y", "1 févr. 2026", datetime(2026, 2, 1)),
        ("pt", "%d de %B de %Y", "21 de abril de 2026", datetime(2026, 4, 21)),
        ("pt", "%d/%b/%y", "10/fev./26", datetime(2026, 2, 10)),
        ("ja", "%Y年%m月%d日(%a) %H:%M", "2026年4月21日(火) 10:00", datetime(2026, 4, 21, 10, 0)),
        ("ja", "%Y/%m/%d %p%I:%M", "2026/04/21 午後3:15", datetime(2026, 4, 21, 15, 15)),
    ],
)
def test_localised_names_are_read_with_the_same_format(
    locale: str, fmt: str, text: str, expected: datetime
) -> None:
    parsed = SourceTimeParser([fmt], "UTC", locale).parse(text)
    assert parsed.problem is None, parsed.detail
    assert parsed.value == expected.replace(tzinfo=UTC)


def test_without_the_locale_a_localised_name_is_unreadable() -> None:
    assert SourceTimeParser(["%d/%b/%y"], "UTC").parse("21/abr/26").problem == "unparsable"


def test_english_values_still_read_with_a_locale_set() -> None:
    parsed = SourceTimeParser(["%d/%b/%y"], "UTC", "es").parse("21/Apr/26")
    assert parsed.value == datetime(2026, 4, 21, tzinfo=UTC)


def test_format_checks() -> None:
    literal = date_format_problem("%d/abr/%y")
    assert literal is not None and "'abr'" in literal[0] and "date_locale: es" in literal[1]
    english = date_format_problem("%d-Jan-%Y")
    assert english is not None and "%b" in english[1]
    assert date_format_problem("%Y") == ("'%Y' has no month (%m, %b, %B) and day (%d) directive",
                                         "a date format must say the day and the month, e.g. %d/%m/%Y")  # fmt: skip
    assert date_format_problem("%m/%Y") is not None
    for fine in (
        "iso",
        "%d/%m/%Y %H:%M",
        "%Y-%j",
        "%Y年%m月%d日",
        "%d de %B de %Y",
        "%a %b %d %Y %H:%M:%S GMT%z",
    ):
        assert date_format_problem(fine) is None, fine


def test_locale_names_found_in_values_and_locale_codes() -> None:
    assert localized_date_names("21/abr/26 11:37 PM") == [("abr", "es")]
    assert localized_date_names("5 января 2024") == [("января", "ru")]
    assert localized_date_names("21/Apr/26") == []
    check_date_locale("pt-BR")
    with pytest.raises(ValueError, match="unknown date locale 'klingon'"):
        check_date_locale("klingon")
