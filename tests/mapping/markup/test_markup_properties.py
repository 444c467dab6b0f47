"""Property tests (hypothesis): the fast paths change nothing, Markdown keeps its structure through
the writer, no word of a text is lost, and code is never rewritten."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markup_helpers import JIRA_TOKENS, USERS

from migrator.mapping.markup import MarkupConverter, ReferenceConfig, escape_plain, render_text
from migrator.mapping.markup.plain import PLAIN_URL_RE, PlainEscaper
from migrator.mapping.markup.yfm import code_ranges, outside

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = ["lorem", "Ipsum", "dolor7", "sit", "amet", "Zeta", "quux"]
PLAIN_CHARS = "abcxyz XYZ019\n,;'\"é"
PUNCTUATION = list("*_-+^~[]|!{}()#@<>&`\\:;.=") + ["{%", "{{", "@[", "##", "PROJ-7", "#12", "x^2^"]

REFS = {
    "jira": ReferenceConfig.for_system("jira", base_url="https://jira.example.com", project_keys=["PROJ"]),
    "markdown": ReferenceConfig.for_system("github", base_url="https://github.com/acme/app"),
    "html": ReferenceConfig.for_system("jira", base_url="https://jira.example.com", project_keys=["PROJ"]),
    "plain": ReferenceConfig.for_system("redmine", base_url="https://redmine.example.com"),
    "textile": ReferenceConfig.for_system("redmine", base_url="https://redmine.example.com"),
}
EVERY_ISSUE = {**{f"PROJ-{n}": f"NEW-{n}" for n in range(100)}, **{str(n): f"NEW-{n}" for n in range(100)}}


def _converters(markup: str) -> tuple[MarkupConverter, MarkupConverter]:
    refs = REFS.get(markup)
    fast = MarkupConverter(markup, user_login=USERS.get, references=refs)
    full = MarkupConverter(markup, user_login=USERS.get, references=refs, fast_path=False)
    return fast, full


CONVERTERS = {markup: _converters(markup) for markup in ("jira", "plain", "markdown", "html", "yfm")}


def mixed_text(extra: list[str]) -> st.SearchStrategy[str]:
    """Texts that often have nothing to convert (so the fast path is taken) and sometimes do."""
    plain = st.text(alphabet=PLAIN_CHARS, max_size=40)
    pieces = st.lists(st.one_of(plain, st.sampled_from(extra)), max_size=8)
    return st.one_of(plain, pieces.map("".join))


@pytest.mark.parametrize("markup", ["jira", "plain", "markdown", "html", "yfm"])
@SETTINGS
@given(data=st.data())
def test_the_fast_path_gives_exactly_the_full_conversion(markup: str, data: st.DataObject) -> None:
    text = data.draw(mixed_text(JIRA_TOKENS + PUNCTUATION))
    fast, full = CONVERTERS[markup]
    assert fast.convert(text) == full.convert(text)


@SETTINGS
@given(st.text())
def test_escape_plain_shortcut_equals_escaping(text: str) -> None:
    escaper = PlainEscaper()
    assert escape_plain(text) == outside(text, PLAIN_URL_RE, escaper.escape)


# --------------------------------------------------------------- Markdown structure

inline_piece = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(["*em*", "**strong**", "`code`", "[link](https://x.example/a_b)", "@jsmith", "@ghost"]),
    st.sampled_from(["x^2", "{% if %}", "{{ v }}", "@[v](id)", "##m##", "#12", "acme/app#3", "a_b"]),
)
inline = st.lists(inline_piece, min_size=1, max_size=6).map(" ".join)
fence_body = st.lists(
    st.sampled_from(["#12 @jsmith", "{% raw %}", "x^2 ##y##", "PROJ-1", "  indented", ""]), max_size=4
)
block = st.one_of(
    inline,
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 6), inline),
    st.lists(inline, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(inline, min_size=1, max_size=4).map(
        lambda items: "\n".join(f"{n + 1}. {i}" for n, i in enumerate(items))
    ),
    inline.map(lambda text: f"> {text}"),
    fence_body.map(lambda lines: "```python\n" + "\n".join(lines) + "\n```"),
    st.tuples(inline, inline).map(lambda row: f"| a | b |\n| --- | --- |\n| {row[0]} | {row[1]} |"),
    st.just("---"),
)
markdown_document = st.lists(block, min_size=1, max_size=6).map("\n\n".join)
PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _structure(text: str) -> list[tuple[str, str, int, str]]:
    """Block structure: every block token with its nesting, plus the content of code blocks."""
    return [
        (token.type, token.tag, token.level, token.content if token.type in ("fence", "code_block") else "")
        for token in PARSER.parse(text)
        if token.type != "inline"
    ]


@SETTINGS
@given(markdown_document)
def test_random_markdown_through_the_writer_reparses_to_the_same_structure(document: str) -> None:
    fast, _ = CONVERTERS["markdown"]
    converted = fast.convert(document)
    rendered = render_text(converted, issues=EVERY_ISSUE).text
    assert _structure(converted.text) == _structure(document)
    assert _structure(rendered) == _structure(document)


# --------------------------------------------------------------- no word lost

word_text = {
    "jira": st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(JIRA_TOKENS)), max_size=16).map(
        "".join
    ),
    "markdown": markdown_document,
    "plain": st.lists(
        st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCTUATION), st.just(" ")), max_size=16
    ).map("".join),
    "html": st.lists(
        st.one_of(
            st.sampled_from(WORDS).map(lambda w: f" {w} "),
            st.sampled_from(WORDS).map(lambda w: f"<b>{w}</b>"),
            st.sampled_from(WORDS).map(lambda w: f"<p>{w}</p>"),
            st.sampled_from(WORDS).map(lambda w: f"<ul><li>{w}</li></ul>"),
            st.sampled_from(WORDS).map(lambda w: f"<pre>{w} #12</pre>"),
            st.sampled_from(WORDS).map(lambda w: f'<a href="https://x.example/">{w}</a>'),
            st.sampled_from(
                ["<br>", "&amp;", "&lt;", "<u>", "</u>", "<table><tr><td>lorem</td></tr></table>"]
            ),
        ),
        max_size=10,
    ).map("".join),
}


def _words(text: str) -> list[str]:
    """Every occurrence of a test word (as a substring: ``H~2~O`` rightly becomes ``H2O``)."""
    return [word for word in WORDS for _ in range(text.count(word))]


@pytest.mark.parametrize("markup", ["jira", "markdown", "plain", "html"])
@SETTINGS
@given(data=st.data())
def test_no_word_of_a_text_is_lost(markup: str, data: st.DataObject) -> None:
    text = data.draw(word_text[markup])
    fast, _ = CONVERTERS[markup]
    output = render_text(fast.convert(text)).text
    for word in set(_words(text)):
        assert _words(output).count(word) >= _words(text).count(word), (word, output)


adf_text = st.builds(
    lambda word, marks: {"type": "text", "text": f"{word} ", "marks": [{"type": m} for m in marks]},
    st.sampled_from(WORDS),
    st.lists(st.sampled_from(["strong", "em", "code", "strike", "underline"]), unique=True, max_size=2),
)
adf_block = st.one_of(
    st.lists(adf_text, min_size=1, max_size=4).map(lambda c: {"type": "paragraph", "content": c}),
    st.lists(adf_text, min_size=1, max_size=2).map(
        lambda c: {
            "type": "bulletList",
            "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": c}]}],
        }
    ),
    st.lists(adf_text, min_size=1, max_size=2).map(
        lambda c: {
            "type": "panel",
            "attrs": {"panelType": "warning"},
            "content": [{"type": "paragraph", "content": c}],
        }
    ),
    st.sampled_from(WORDS).map(
        lambda w: {"type": "codeBlock", "content": [{"type": "text", "text": f"{w} PROJ-1"}]}
    ),
)


@SETTINGS
@given(st.lists(adf_block, min_size=1, max_size=5))
def test_no_word_of_an_adf_document_is_lost(blocks: list[dict[str, Any]]) -> None:
    document = {"type": "doc", "version": 1, "content": blocks}
    source_words = _words(json.dumps([_texts(b) for b in blocks]))
    output = MarkupConverter("adf", user_login=USERS.get).convert(document).text
    for word in set(source_words):
        assert _words(output).count(word) >= source_words.count(word)


def _texts(node: dict[str, Any]) -> str:
    return " ".join([str(node.get("text", ""))] + [_texts(child) for child in node.get("content", [])])


# --------------------------------------------------------------- code never rewritten


@pytest.mark.parametrize("markup", ["jira", "markdown", "plain", "html"])
@SETTINGS
@given(data=st.data())
def test_no_span_lies_in_code(markup: str, data: st.DataObject) -> None:
    text = data.draw(word_text[markup] if markup != "jira" else mixed_text(JIRA_TOKENS + PUNCTUATION))
    converted = CONVERTERS[markup][0].convert(text)
    blanked = (
        converted.text
    )  # each span's own text (e.g. an unmapped mention in backticks) is not the source's code
    for span in converted.spans:
        blanked = blanked[: span.start] + "x" * (span.end - span.start) + blanked[span.end :]
    code = code_ranges(blanked)
    for span in converted.spans:
        assert not any(start < span.end and span.start < end for start, end in code), (span, converted.text)


@SETTINGS
@given(fence_body, st.sampled_from(["markdown", "jira"]))
def test_code_blocks_come_out_verbatim_whatever_the_maps(lines: list[str], markup: str) -> None:
    body = "\n".join(lines).strip("\n") or "PROJ-1 #12"  # Jira trims blank lines around code
    source = (
        f"PROJ-1 #12 @jsmith\n```\n{body}\n```"
        if markup == "markdown"
        else f"PROJ-1 {{code}}\n{body}\n{{code}}"
    )
    converted = CONVERTERS[markup][0].convert(source)
    rendered = render_text(converted, issues=EVERY_ISSUE, users={"jsmith": "other"}).text
    assert f"\n{body}\n" in rendered
