"""The shortcuts of ``jira_fast`` and the per-element openings of the scan change nothing: on texts
rich in headings, nested and mixed lists, tables, links, mentions, code and noformat blocks, panels, text effects,
Unicode spaces and CRLF, the fast scan gives what jira2markdown's stock pyparsing scan gives; each
shortcut gives its grammar's match (end and tokens) or hands the text to it; and the simple forms
really are taken by the shortcuts (never reaching the grammar)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jira2markdown.markup.headings import Headings
from markup_helpers import USERS, stock_grammar
from pyparsing import Forward, ParseException, ParserElement
from pyparsing.core import ParseImplReturnType

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.jira import JiraGrammar, Scanner
from migrator.mapping.markup.jira_elements import (
    JiraAttachmentLink,
    JiraCode,
    JiraImage,
    JiraLink,
    JiraMention,
    JiraNoformat,
    JiraOrderedList,
    JiraTable,
    JiraUnorderedList,
    JiraUsernames,
)
from migrator.mapping.markup.jira_fast import (
    AttachmentShortcut,
    CodeShortcut,
    HeadingShortcut,
    ImageShortcut,
    LinkShortcut,
    ListShortcut,
    MentionShortcut,
    TableShortcut,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BLANKS = ["", " ", "  ", "\t", "\u00a0", "\u2003", "\u3000"]
INLINE = [
    "word", "Zeta", "x", "5", "*bold*", "_em_", "-del-", "+ins+", "??cite??", "^sup^", "~sub~", "*a *b*",
    "[link|http://x.y]", "[http://x.y]", "[a|b]", "[~jsmith]", "[Al|~accountid:5b10a2844c20165700ede21g]",
    "[^f.txt]", "[mailto:a@b.c]", "!a.png!", "!http://x.y/i.png|width=10!", "{{mono}}",
    "{color:red}red{color}", "{code}x = 1{code}", "{code:python}\nprint(1)\n{code}", "{quote}q{quote}",
    "{code:java|title=A.java}a {b}{code}", "{code:title=a.c}x{code}", "{code:a.c}x{code}", "{code} {code}", "{code:c++}\n*x*\n{code}", "{codex}y{code}",
    "{code}", "{code:é}z{code}", "{noformat}*raw* [x|y]{noformat}", "{noformat:nopanel=true}\nn{noformat}",
    "{noformat}",
    "[~a.b_c@d+e]", "[~]", "[~jsmith", "[~jsmith]x", "a[~jsmith]", "[~jsmith][~jsmith]", "[~jsmith]é",
    "[~jsmith][x]", "[Al|~jsmith]", "[A]l|~jsmith]", "[Al|b|~jsmith]", "[Al|b ~jsmith]", "[~accountid:]",
    "[~AccountId:jsmith]", "[~accountıd:jsmith]", "[~ jsmith]", "[~js mith]", "[Al\nB|~jsmith]",
    "[~jsmith]\u00a0", "[~jsmith]\u00a0.", "[~é]", "[~jsmith|x]", "é[~jsmith]-", "[[~jsmith]]",
    "!ab!", "!a b.png!", "!é.png!", "!a.pngé!", "!a.png", "x!a.png!", ".!a.png!", "é!a.png!", "!a.png|thumbnail!",
    "!a.png|width=10,height=20!", "!a.png|width=!", "!a.png|=5!", "!a.png|a b=c d ,x!", "!a.png|!", "!a.png|,!",
    "!a.png|width=10|height=5!", "!a.png|x", "!a.png|width=1é!", "!a.png|w=1,,h=2!", "!a\nb.png!", "!!a.png!!",
    "!a.png|width=10,height=20,!", "!http://x.y/i.png|width=10!x", "!a.png|width=10px, height = 5 !",
    "[^]", "[^a b.txt]", "[^a\nb.txt]", "[^unclosed", "[^é.txt]", "[^a[b].txt]", "[^a|b]", "x[^f.txt]y", "[ ^f.txt]",
    "{panel:title=T}p{panel}", "{info}i{info}", "(/)", ":)", "PROJ-7", "http://a.b/c_d", "|", "||", "[",
    "]", "!", "{", "}", "\\\\", "--", "---", "#", "*", "-", "h1. ", "bq. ", "\u00a0", "é",
]  # fmt: skip
LINE_ENDS = ["\n", "\n", "\n\n", "\r\n", "\n \n", "\n\t\n", ""]

inline = st.lists(st.sampled_from(INLINE), max_size=4).map(" ".join)
heading = st.builds(
    lambda blank, level, text: f"{blank}h{level}. {text}",
    st.sampled_from(BLANKS),
    st.integers(0, 7),
    inline,
)
list_item = st.builds(
    lambda blank, nested, bullet, depth, text: f"{blank}{nested}{bullet * depth} {text}",
    st.sampled_from(["", "", " ", "\t", "\u00a0"]),
    st.sampled_from(["", "", "#", "*"]),
    st.sampled_from("**-#"),
    st.integers(1, 4),
    inline,
)
list_block = st.lists(st.one_of(list_item, list_item, inline), min_size=1, max_size=6).map("\n".join)
table_row = st.builds(
    lambda blank, sep, cells, close: blank + sep + sep.join(cells) + (sep if close else ""),
    st.sampled_from(["", "", " ", "\n"]),
    st.sampled_from(["|", "||"]),
    st.lists(st.one_of(inline, inline.map(lambda text: text + "\nmore")), max_size=4),
    st.booleans(),
)
table = st.lists(table_row, min_size=1, max_size=4).map("\n".join)
block = st.one_of(heading, list_block, table, inline, st.sampled_from(["----", " ---- ", "bq. quoted"]))
document = st.lists(st.tuples(block, st.sampled_from(LINE_ENDS)), min_size=1, max_size=5).map(
    lambda parts: "".join(text + end for text, end in parts)
)


@pytest.fixture(scope="module")
def grammars() -> tuple[ConversionContext, JiraGrammar, Forward]:
    ctx = ConversionContext(USERS.get, marking=False)
    return ctx, JiraGrammar(), stock_grammar(ctx)


@SETTINGS
@given(text=document)
def test_the_fast_scan_matches_pyparsings_full_scan_on_block_rich_texts(
    grammars: tuple[ConversionContext, JiraGrammar, Forward], text: str
) -> None:
    ctx, fast, stock = grammars
    assert fast.convert(text, ctx) == stock.transform_string(text)


@pytest.mark.parametrize(
    "text",
    [
        "h2. Steps\n* open page 5\n* click *Save*\n{code}print(5){code}",
        "||a||b||\n|1|2|",
        "text\n||a||b||\n|1|2|\n\nafter",
        "|a|\n \n",
        "|a|\n  ",
        "|multi\nline|b|\n|c|",
        "* a\n** b\n*** c\n* d\n# e\n#* f\n\n- g",
        "* a\ncontinued\n* b\n\n",
        "# one\n# two\n",
        "* a {color:red}b{color}\n* c",
        "text\n* item",
        "\u00a0h1. x\nh2. y\n h3. z",
        "h1. a\r\nh2. b",
        "[~jsmith] and [Al|~accountid:5b10a2844c20165700ede21g], [^f.txt] [mailto:a@b.c] [a|http://x.y]",
        "{quote}q{quote} {{m}} {info}i{info} {toc} {status:colour=Green|title=Done} (/) :) ~x~",
    ],
)
def test_the_fast_scan_matches_pyparsings_full_scan_on_common_forms(
    grammars: tuple[ConversionContext, JiraGrammar, Forward], text: str
) -> None:
    ctx, fast, stock = grammars
    assert fast.convert(text, ctx) == stock.transform_string(text)


# --------------------------------------------------------------- each shortcut against its grammar


class _NotReached(ParserElement):
    """Stands in for a shortcut's grammar where the shortcut must answer on its own."""

    def _generateDefaultName(self) -> str:  # noqa: N802
        return "not reached"

    def parseImpl(self, instring: str, loc: int, do_actions: bool = True) -> ParseImplReturnType:  # noqa: N802
        raise AssertionError(f"the grammar was asked for {instring[loc:]!r}")


def _element(kind: type[Any], ctx: ConversionContext) -> Any:
    scanner = Scanner()  # no elements: nested text is kept as it is
    return kind(inline_markup=scanner, markup=scanner, usernames=JiraUsernames(ctx))


SHORTCUTS = {
    "heading": (Headings, HeadingShortcut),
    "unordered list": (JiraUnorderedList, ListShortcut),
    "ordered list": (JiraOrderedList, ListShortcut),
    "table": (JiraTable, TableShortcut),
    "link": (JiraLink, LinkShortcut),
    "code": (JiraCode, CodeShortcut),
    "noformat": (JiraNoformat, CodeShortcut),
    "mention": (JiraMention, MentionShortcut),
    "image": (JiraImage, ImageShortcut),
    "attachment": (JiraAttachmentLink, AttachmentShortcut),
}
# where the inline elements can start
INLINE_OPENINGS = {"link": "[", "code": "{", "noformat": "{", "mention": "[", "image": "!", "attachment": "["}


def _outcome(expr: ParserElement, text: str, loc: int) -> tuple[int, list[object]] | None:
    try:
        end, tokens = expr._parse(text, loc)
    except ParseException:
        return None
    return end, tokens.as_list()


@pytest.mark.parametrize("kind", list(SHORTCUTS))
@SETTINGS
@given(text=document, cut=st.integers(0, 200))
def test_each_shortcut_gives_its_grammars_match_where_it_can_start(kind: str, text: str, cut: int) -> None:
    element_type, shortcut_type = SHORTCUTS[kind]
    element = _element(element_type, ConversionContext(USERS.get, marking=False))
    shortcut = shortcut_type(element, element.expr)
    if kind in INLINE_OPENINGS:
        starts = [index for index, char in enumerate(text) if char == INLINE_OPENINGS[kind]] or [0]
    else:
        starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    loc = starts[cut % len(starts)]
    assert _outcome(shortcut, text, loc) == _outcome(element.expr, text, loc)


@pytest.mark.parametrize(
    ("kind", "text", "loc"),
    [
        ("heading", "h2. Steps", 0),
        ("heading", "intro\nh6. *bold* [link|http://x.y]\nnext", 6),
        ("unordered list", "* open page 5\n* click *Save*\n{code}print(5){code}", 0),
        ("unordered list", "text\n* a\n** b\n*** c\n** d\n\nafter", 5),
        ("unordered list", "#* nested in a number\n#* again", 0),
        ("ordered list", "# one\n# two\n## two.one\n*# mixed", 0),
        ("table", "||a||b||\n|1|2|", 0),
        ("table", "before\n|a|b|\n|multi\nline|c|\n\nafter", 7),
        ("table", "|a|\n  ", 0),
        ("table", "||Key||Value||\n|a|[link|http://x.y] [b\n|c]|\n|[x|", 0),
        ("link", "see [link|http://x.y] now", 4),
        ("link", "[http://x.y]", 0),
        ("link", "[|http://x.y|smart-link] [a|]", 0),
        ("link", "[not a|link\nacross] lines", 0),
        ("code", "{code}print(5){code}", 0),
        ("code", "see {code:java|title=A.java}\nint a = {1};\n{code} after", 4),
        ("code", "{code:title=a.c}x{code}", 0),
        ("code", "{codex}not a language{code}", 0),
        ("code", "{code}{code}", 0),
        ("code", "{code} {code}", 0),
        ("code", "{code:a.c}a language cut short{code}", 0),
        ("noformat", "{noformat}\n*raw* {code}\n{noformat}", 0),
        ("mention", "[~jsmith]", 0),
        ("mention", "ping [~jsmith], please", 5),
        ("mention", "cc:[~nobody.else@x.y] now", 3),
        ("mention", "[Al|~accountid:5b10a2844c20165700ede21g]x", 0),
        ("mention", "a\t[A l|~ACCOUNTID:jsmith]\nb", 2),
        ("mention", "[~jsmith] [~x]", 0),
        ("mention", "a\r[~jsmith]", 2),
        ("mention", "[~accountıd:jsmith] (read as accountid: by pyparsing's upper())", 0),
        ("image", "!screenshot.png!", 0),
        ("image", "see !a b.png|thumbnail! now", 4),
        ("image", "(!http://x.y/i.png|width=10,height=20!)", 1),
        ("image", "!a.png|width=10px, height = 5 ,align=right!", 0),
        ("image", "!a.png|!", 0),
        ("image", "!a.png|w=1|h=2!", 0),
        ("attachment", "see [^log.txt] attached", 4),
        ("attachment", "[^]", 0),
        ("attachment", "[^a]", 0),
        ("attachment", "[^ spaced name.txt ]", 0),
        ("attachment", "[^a [b|c\nd.txt]", 0),
    ],
)
def test_simple_forms_are_answered_by_the_shortcut_alone(kind: str, text: str, loc: int) -> None:
    element_type, shortcut_type = SHORTCUTS[kind]
    element = _element(element_type, ConversionContext(USERS.get, marking=False))
    alone = shortcut_type(element, _NotReached())
    assert _outcome(alone, text, loc) == _outcome(element.expr, text, loc)


@pytest.mark.parametrize(
    ("kind", "text", "loc"),
    [
        ("mention", "[~ACCOUNTID:jsmith]", 0),
        ("mention", "see [Al B|~accountid:5b10a2844c20165700ede21g]", 4),
        ("mention", "[~nobody]", 0),
        ("image", "!a.png|width=10,height=20!", 0),
        ("image", "!http://x.y/i.png|thumbnail!", 0),
        ("attachment", "[^report 1.pdf]", 0),
        ("attachment", "[^a]", 0),
    ],
)
def test_a_shortcut_records_the_tokens_and_losses_its_grammar_records(kind: str, text: str, loc: int) -> None:
    element_type, shortcut_type = SHORTCUTS[kind]
    recorded = []
    for alone in (True, False):
        ctx = ConversionContext(USERS.get)  # marking: the tokens (as written) are kept
        element = _element(element_type, ctx)
        expr = shortcut_type(element, _NotReached()) if alone else element.expr
        recorded.append((_outcome(expr, text, loc), ctx.tokens, ctx.lossy))
    assert recorded[0] == recorded[1]


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (" heading", " h1. blank before it"),
        ("unordered list", "* a {quote}q{quote}\n* b"),
        ("unordered list", "* a {panel}p{panel}"),
        ("table", "|[a|http://x.y] !a.png!|b|"),
        ("table", "|!a.png!|b|"),
        ("table", " |blank before it|"),
        ("link", "[no end"),
        ("code", "{code}no closing tag"),
        ("code", "{code:java no brace"),
        ("noformat", "{noformat}no closing tag {code}"),
        ("mention", "[~jsmith][~x] a mention right after"),
        ("mention", "[~jsmith]\u00a0a blank White() skips"),
        ("mention", "[~jsmith no end"),
        ("mention", "[Al|b|~jsmith] a second bar"),
        ("mention", "[A]l|~jsmith] a ']' before the bar"),
        ("image", "x!a.png! after a word"),
        ("image", "!a.png no end"),
        ("image", "!a.png|width=1é!"),
        ("attachment", "[^no end"),
    ],
)
def test_other_forms_go_to_the_grammar(kind: str, text: str) -> None:
    element_type, shortcut_type = SHORTCUTS[kind.strip()]
    element = _element(element_type, ConversionContext(USERS.get, marking=False))
    alone = shortcut_type(element, _NotReached())
    with pytest.raises(AssertionError, match="the grammar was asked"):
        alone._parse(text, 0)


def test_a_list_handed_to_the_grammar_starts_from_the_indent_it_had() -> None:
    element = _element(JiraUnorderedList, ConversionContext(USERS.get, marking=False))
    shortcut = ListShortcut(element, element.expr)
    text = "* a\n** b {quote}q{quote}\n* c"  # rows read (indent moved to 2), then handed over
    assert _outcome(shortcut, text, 0) == _outcome(element.expr, text, 0)
    assert element.indent_state.indent == 0
