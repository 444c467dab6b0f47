"""Plain text → YFM: shows exactly as written; references become tokens when configured."""

from __future__ import annotations

from markup_helpers import USERS

from migrator.mapping.markup import ReferenceConfig, convert, escape_plain, render_text


def test_plain_text_shows_as_written() -> None:
    source = "*not bold* __init__ # 1. [x](y) {% if %} x^2 ##m## https://x.example/a_b\nline two"
    assert convert(source, "plain", user_login=USERS.get).text == (
        "\\*not bold\\* \\_\\_init\\_\\_ \\# 1\\. \\[x\\](y) &#123;% if %} x\\^2 \\#\\#m\\#\\# https://x.example/a_b\nline two"
    )


def test_text_with_nothing_to_escape_is_returned_as_is() -> None:
    assert escape_plain("just words, 42 of them") == "just words, 42 of them"


def test_references_and_old_urls_in_plain_text() -> None:
    refs = ReferenceConfig.for_system("redmine", base_url="https://rm.example")
    converted = convert(
        "dup of #3, see https://rm.example/issues/4. *x*", "plain", user_login=USERS.get, references=refs
    )
    assert converted.text == "dup of #3, see https://rm.example/issues/4. \\*x\\*"
    assert render_text(converted, issues={"3": "Q-3", "4": "Q-4"}).text == "dup of Q-3, see Q-4. \\*x\\*"
