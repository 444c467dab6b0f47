"""MarkupConverter: choosing the converter, normalising, the crash fallback, per-text state."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from markup_helpers import USERS

from migrator.mapping.markup import MARKUPS, MarkupConverter, convert, converter, escape_plain


def test_every_source_markup_has_a_converter() -> None:
    assert set(MARKUPS) == {"plain", "jira", "adf", "html", "textile", "markdown", "yfm"}
    for markup in MARKUPS:
        assert MarkupConverter(markup, user_login=USERS.get).source_markup == markup


def test_the_module_level_convert_gives_the_same_result() -> None:
    assert convert("ping [~jsmith]", "jira", user_login=USERS.get).text == "ping @ivanov"


def test_yfm_passes_through_unchanged() -> None:
    source = '{% note info "x" %}\n\n**b**\n\n{% endnote %}'
    assert convert(source, "yfm", user_login=USERS.get).text == source


TEXT_MARKUPS = [markup for markup in MARKUPS if markup != "adf"]  # ADF is JSON, not lines of text


@pytest.mark.parametrize("markup", TEXT_MARKUPS)
def test_crlf_and_nul_are_normalised_for_every_text_markup(markup: str) -> None:
    assert convert("a\r\nb\rc\x00", markup, user_login=USERS.get).text.split("\n")[-1].endswith("c")
    assert "\r" not in convert("a\r\nb", markup, user_login=USERS.get).text


def test_a_converter_that_raises_falls_back_to_escaped_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, ctx: object) -> str:
        raise RecursionError("too deep")

    _, nothing_to_convert = converter._CONVERTERS["html"]()
    monkeypatch.setitem(converter._CONVERTERS, "html", lambda: (broken, nothing_to_convert))
    result = convert("<b>*x*</b>", "html", user_login=USERS.get)
    assert (result.text, result.lossy) == (escape_plain("<b>*x*</b>"), ["converter_failed"])
    assert result.text == "\\<b\\>\\*x\\*\\</b\\>"


def test_adf_that_is_not_json_is_kept_as_plain_text() -> None:
    result = convert("h1. wiki text, not ADF", "adf", user_login=USERS.get)
    assert result.lossy == ["converter_failed"]
    assert "wiki text, not ADF" in result.text


def test_unknown_source_markup_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown source markup 'wom'"):
        convert("x", "wom", user_login=USERS.get)


def test_one_converter_keeps_no_state_between_texts() -> None:
    jira = MarkupConverter("jira", user_login=USERS.get)
    assert jira.convert("[~ghost]").lossy == ["mention_unmapped"]
    assert jira.convert("plain").lossy == []
    assert jira.convert("plain").spans == ()


def test_a_text_holding_the_marker_characters_is_converted_without_spans() -> None:
    result = convert("\ue0000\ue001 ping [~jsmith]", "jira", user_login=USERS.get)
    assert result.text == "\ue0000\ue001 ping @ivanov"
    assert result.spans == ()


MARKUP_LIBRARIES = ("pyparsing", "jira2markdown", "bs4", "markdownify", "nh3", "textile")
_IMPORTED_AFTER = """
import json, sys
loaded = lambda: sorted(m for m in {libraries} if m in sys.modules)
import migrator.commands
seen = {{"commands": loaded()}}
from migrator.mapping.markup import MarkupConverter, escape_plain
seen["package"] = loaded()
MarkupConverter("jira", user_login=lambda name: None)
seen["jira"] = loaded()
escape_plain("*bold*")
seen["escape"] = loaded()
print(json.dumps(seen))
"""


def test_the_markup_libraries_are_imported_when_a_text_is_converted_not_at_start_up() -> None:
    # ~0.2 s of imports that `run` paid before its first request and `validate --help` for nothing.
    code = _IMPORTED_AFTER.format(libraries=repr(MARKUP_LIBRARIES))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["commands"] == [] and seen["package"] == []
    assert seen["jira"] == ["jira2markdown", "pyparsing"]  # a Jira converter: its grammar, nothing else
    assert seen["escape"] == ["bs4", "jira2markdown", "markdownify", "pyparsing"]  # plain escaping
