"""Jira wiki → YFM: pitfalls, tokens, and the fast scan against pyparsing's full scan."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markup_helpers import JIRA_TOKENS, USERS, stock_grammar
from pyparsing import Forward

from migrator.mapping.markup import MarkupConverter, ReferenceConfig, convert, render_text
from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.jira import JiraGrammar
from migrator.mapping.markup.tokens import LINK_TARGET, LINK_TEXT, FileRef, IssueRef, Mention

JIRA_REFS = ReferenceConfig.for_system(
    "jira", base_url="https://jira.example.com/", project_keys=["PROJ", "OPS"]
)


@pytest.fixture(scope="module")
def jira() -> MarkupConverter:
    return MarkupConverter("jira", user_login=USERS.get)


@pytest.fixture(scope="module")
def jira_refs() -> MarkupConverter:
    return MarkupConverter("jira", user_login=USERS.get, references=JIRA_REFS)


@pytest.mark.parametrize(
    ("source", "lossy"),
    [
        ("ping [~ghost]", ["mention_unmapped"]),
        ("H~2~O", ["subscript"]),
        ("{color:#ff0000}hex{color}", ["color"]),
        ("!screenshot.png|thumbnail!", ["attachment_embed"]),
        ("see [^log.txt]", ["attachment_embed"]),
    ],
)
def test_lossy_kinds(jira: MarkupConverter, source: str, lossy: list[str]) -> None:
    assert jira.convert(source).lossy == lossy


def test_mentions_of_user_names_with_dots_and_emails() -> None:
    users = {"o.volkov": "oleg", "pm@corp.example": "pm"}.get
    text = convert("ping [~o.volkov], [~pm@corp.example] and [~j_doe].", "jira", user_login=users).text
    assert text == "ping @oleg, @pm and `@j_doe`."


def test_mentions_are_spans_that_a_later_user_map_can_resolve(jira: MarkupConverter) -> None:
    converted = jira.convert("ask [~ghost] or [Ann|~accountid:5b10a2844c20165700ede21g]")
    assert converted.text == "ask `@ghost` or @petrov"
    mentions = [span.token for span in converted.spans]
    assert mentions == [
        Mention(name="ghost", label="ghost", login=None, written="[~ghost]"),
        Mention(
            name="5b10a2844c20165700ede21g",
            label="Ann",
            login="petrov",
            written="[Ann|~accountid:5b10a2844c20165700ede21g]",
        ),
    ]
    assert render_text(converted, users={"ghost": "casper"}).text == "ask @casper or @petrov"


def test_macros_emoticons_and_literal_yfm_syntax(jira: MarkupConverter) -> None:
    source = "{info:title=Heads up}body{info} {{mono}} {% raw %} a__b__c <b> ##x## @[v]"
    assert jira.convert(source).text == (
        '{% note info "Heads up" %}\n\nbody\n\n{% endnote %}\n\n'
        " `mono` &#123;% raw %} a\\_\\_b\\_\\_c \\<b> \\#\\#x\\#\\# @\\[v]"
    )


def test_code_keeps_liquid_and_gets_a_long_enough_fence(jira: MarkupConverter) -> None:
    assert jira.convert("{noformat}```{% x %}```{noformat}").text == "````\n```{% x %}```\n````"


def test_code_language_is_kept_and_no_default_language_is_invented(jira: MarkupConverter) -> None:
    assert jira.convert("{code:xml}\n<a/>\n{code}").text == "```xml\n<a/>\n```"
    assert jira.convert("{code}\nx\n{code}").text == "```\nx\n```"


def test_external_image_keeps_its_size_and_is_no_token(jira: MarkupConverter) -> None:
    converted = jira.convert("!https://x.example/a b.png|width=300,height=200!")
    assert converted.text == "![](https://x.example/a%20b.png =300x200)"
    assert converted.spans == ()


def test_attached_image_is_a_file_token_with_its_size(jira: MarkupConverter) -> None:
    converted = jira.convert("before !shot.png|width=300px! after")
    assert converted.text == "before `shot.png` after"
    (span,) = converted.spans
    assert span.token == FileRef(("shot.png",), "shot.png", True, "`shot.png`", False, "300", "")
    assert converted.text[span.start : span.end] == "`shot.png`"
    assert render_text(converted, files={"shot.png": "42"}).text == (
        "before ![shot.png](/ajax/v2/attachments/42?inline=true =300x) after"
    )


def test_an_unresolved_file_keeps_its_fallback_and_stays_lossy(jira: MarkupConverter) -> None:
    rendered = render_text(jira.convert("see [^a.log] and [^b.log]"), files={"a.log": 1})
    assert rendered.text == "see [a.log](/ajax/v2/attachments/1) and `b.log`"
    assert rendered.lossy == ["attachment_embed"]


@pytest.mark.parametrize("kind", ["smart-link", "smart-card", "smart-embed"])
def test_smart_links_become_plain_links(jira: MarkupConverter, kind: str) -> None:
    url = "https://acme.atlassian.net/wiki/spaces/ENG/pages/1"
    assert jira.convert(f"see [{url}|{url}|{kind}] now").text == f"see <{url}> now"
    assert jira.convert(f"[Design|{url}|{kind}]").text == f"[Design]({url})"


def test_an_ordinary_link_whose_text_is_its_url_is_kept_as_a_link(jira: MarkupConverter) -> None:
    assert jira.convert("[http://x.y|http://x.y]").text == "[http://x.y](http://x.y)"


def test_keys_of_the_projects_become_references(jira_refs: MarkupConverter) -> None:
    converted = jira_refs.convert("PROJ-12 blocks OPS-3; OTHER-4 and PROJ-12x and xPROJ-1 are not ours")
    refs = [(span.token.key, span.context) for span in converted.spans if isinstance(span.token, IssueRef)]
    assert refs == [("PROJ-12", "text"), ("OPS-3", "text")]
    rendered = render_text(converted, issues={"PROJ-12": "NEWQ-12"})
    assert rendered.text == (
        "NEWQ-12 blocks [OPS-3](https://jira.example.com/browse/OPS-3); OTHER-4 and PROJ-12x and xPROJ-1 are not ours"
    )


def test_references_in_code_urls_files_and_mentions_are_never_rewritten(jira_refs: MarkupConverter) -> None:
    source = (
        "{code}PROJ-1{code} {{PROJ-2}} {noformat}PROJ-3{noformat} http://other.example/PROJ-4 "
        "[^PROJ-5.log] !PROJ-6.png! [~PROJ-7]"
    )
    converted = jira_refs.convert(source)
    issue_spans = [span for span in converted.spans if isinstance(span.token, IssueRef)]
    assert issue_spans == []
    everything = {f"PROJ-{n}": f"NEW-{n}" for n in range(1, 8)}
    rendered = render_text(converted, issues=everything).text
    assert "NEW-" not in rendered


def test_old_issue_urls_in_links_and_bare(jira_refs: MarkupConverter) -> None:
    source = (
        "bare https://jira.example.com/browse/PROJ-1, "
        "link [the bug|https://jira.example.com/browse/PROJ-2], "
        "smart [https://jira.example.com/browse/PROJ-3|https://jira.example.com/browse/PROJ-3|smart-link], "
        "alias [PROJ-4|https://jira.example.com/browse/PROJ-4]"
    )
    converted = jira_refs.convert(source)
    contexts = [
        (span.token.key, span.context) for span in converted.spans if isinstance(span.token, IssueRef)
    ]
    assert contexts == [
        ("PROJ-1", "text"),
        ("PROJ-2", LINK_TARGET),
        ("PROJ-3", "autolink"),
        ("PROJ-4", LINK_TEXT),
        ("PROJ-4", LINK_TARGET),
    ]
    mapped = {f"PROJ-{n}": f"NEW-{n}" for n in range(1, 5)}
    assert render_text(converted, issues=mapped).text == (
        "bare NEW-1, link [the bug](/NEW-2), smart NEW-3, alias [NEW-4](/NEW-4)"
    )
    assert render_text(converted).text == converted.text  # not migrated: every pointer stays as written


def test_without_a_base_url_unmigrated_keys_stay_as_written() -> None:
    refs = ReferenceConfig.for_system("jira", project_keys=["PROJ"])
    converted = convert("see PROJ-9", "jira", user_login=USERS.get, references=refs)
    assert render_text(converted).text == "see PROJ-9"


def test_deeply_nested_text_is_converted_or_kept_never_lost(jira: MarkupConverter) -> None:
    source = "*" * 2000 + "text" + "*" * 2000
    assert "text" in jira.convert(source).text


@pytest.fixture(scope="module")
def grammars() -> tuple[ConversionContext, JiraGrammar, Forward]:
    ctx = ConversionContext(USERS.get, marking=False)
    return ctx, JiraGrammar(), stock_grammar(ctx)


def test_the_fast_scan_matches_pyparsings_full_scan_on_seeded_texts(
    grammars: tuple[ConversionContext, JiraGrammar, Forward],
) -> None:
    """Same elements, same order: the scan that tries only possible starts, with its guarded SkipTo
    loops and text-effect shortcuts, must give what pyparsing's full scan gives."""
    ctx, fast, stock = grammars
    rng = random.Random(20240301)
    for _ in range(100):
        text = "".join(rng.choice(JIRA_TOKENS) for _ in range(rng.randint(1, 24)))
        assert fast.convert(text, ctx) == stock.transform_string(text), text


@settings(max_examples=100, deadline=None)
@given(tokens=st.lists(st.sampled_from(JIRA_TOKENS), min_size=1, max_size=20))
def test_the_fast_scan_matches_pyparsings_full_scan(
    grammars: tuple[ConversionContext, JiraGrammar, Forward], tokens: list[str]
) -> None:
    ctx, fast, stock = grammars
    text = "".join(tokens)
    assert fast.convert(text, ctx) == stock.transform_string(text)


def test_macros_without_equivalent(jira_refs: MarkupConverter) -> None:
    converted = jira_refs.convert(
        "{toc}\nh1. Intro {anchor:top}\nstate {status:colour=Green|title=Done}, see {jira:PROJ-5}\n{code}{toc}{code}"
    )
    assert converted.text == "# Intro\nstate {green}(DONE), see PROJ-5\n\n```\n{toc}\n```"
    assert converted.lossy == ["macro", "macro", "macro", "macro"]
    assert render_text(converted, issues={"PROJ-5": "NEW-5"}).text.endswith("see NEW-5\n\n```\n{toc}\n```")


@pytest.mark.parametrize(
    "text",
    [
        "\xa0h1. ",
        "\u2003h2. y",
        "\xa0bq. x",
        "\u3000h1. x",
        "a\n\xa0h1. b",
        "\x0ch3. x",
        "\u200bh1. x",
        "\xa0* a",
    ],
)
def test_unicode_blank_before_a_heading_or_quote_is_read_as_the_full_scan_reads_it(
    grammars: tuple[ConversionContext, JiraGrammar, Forward], text: str
) -> None:
    """pyparsing's ``White()`` before ``h1.``/``bq.`` includes NBSP and other Unicode spaces (found by
    hypothesis); lists and tables take only ASCII blanks. The fast scan must agree on both."""
    ctx, fast, stock = grammars
    assert fast.convert(text, ctx) == stock.transform_string(text)
