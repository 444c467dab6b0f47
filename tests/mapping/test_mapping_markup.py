"""Markup → YFM: the acceptance cases of /work/shared/reference/markup.md §7, plus robustness."""

from __future__ import annotations

import pytest

from migrator.mapping.markup import MarkupConverter, convert, escape_plain

USERS = {"jsmith": "ivanov", "5b10a2844c20165700ede21g": "petrov"}


@pytest.fixture(scope="module")
def converters() -> dict[str, MarkupConverter]:
    """One converter per format for the whole module (the Jira grammar takes a moment to build)."""
    return {
        fmt: MarkupConverter(fmt, user_login=USERS.get)
        for fmt in ("plain", "jira", "markdown", "html", "yfm")
    }


# (case, source format, input, expected YFM) — expected outputs verbatim from markup.md §7
ACCEPTANCE = [
    (
        "J1",
        "jira",
        "Before:\r\n * Item 1\r\n * Item 2\r\n\r\nAfter line\r\nAfter line 2",
        "Before:\n\n- Item 1\n- Item 2\n\nAfter line\nAfter line 2",
    ),
    (
        "J2",
        "jira",
        "||aa||bb||\n|row1|row1-3[mylink|https://www.google.com]|",
        "|aa|bb|\n|---|---|\n|row1|row1-3[mylink](https://www.google.com)|",
    ),
    (
        "J3",
        "jira",
        "||Step||Result||\n|Open\npage|*OK*|",
        "#|\n|| **Step** | **Result** ||\n||\nOpen\npage\n|\n**OK**\n||\n|#",
    ),
    (
        "J4",
        "jira",
        "{code}\ndef test_code():\n    assert convert(...)\n{code}",
        "```\ndef test_code():\n    assert convert(...)\n```",
    ),
    (
        "J6",
        "jira",
        "{panel:title=My Title}\nSome text with a title\n{panel}",
        '{% note info "My Title" %}\n\nSome text with a title\n\n{% endnote %}',
    ),
    (
        "J7",
        "jira",
        "{warning}Do *not* deploy{warning}",
        '{% note warning "" %}\n\nDo **not** deploy\n\n{% endnote %}',
    ),
    ("J8", "jira", "{color:red}red text!{color}", "{red}(red text!)"),
    ("J9", "jira", "[Winston Smith|~accountid:5b10a2844c20165700ede21g] woke up", "@petrov woke up"),
    ("J10", "jira", "ping [~ghost].", "ping `@ghost`."),
    ("J18", "jira", "text\n----\nmore", "text\n\n---\n\nmore"),
    (
        "J19",
        "jira",
        "+inserted+ and ??citation?? and H~2~O and x^2^",
        "++inserted++ and _citation_ and H2O and x^2^",
    ),
    ("J20", "jira", "(/) done (x) failed (!) warn", "✅ done ❌ failed ⚠️ warn"),
    ("H2", "html", "<pre>foo\n```\nbar</pre>", "````\nfoo\n```\nbar\n````"),
    (
        "H3",
        "html",
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1|2</td><td>3</td></tr></table>",
        "| A | B |\n| --- | --- |\n| 1\\|2 | 3 |",
    ),
    (
        "H4",
        "html",
        "<details><summary>Logs</summary><pre>trace</pre></details>",
        '{% cut "Logs" %}\n\n```\ntrace\n```\n\n{% endcut %}',
    ),
    (
        "H8",
        "html",
        "<p>1. numbered para</p><p># not heading</p><p>[x](y)</p>",
        "1\\. numbered para\n\n\\# not heading\n\n\\[x\\](y)",
    ),
    ("H9", "html", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  - b"),
    (
        "G2",
        "markdown",
        "<details>\n<summary>More</summary>\n\nbody\n\n</details>",
        '{% cut "More" %}\n\nbody\n\n{% endcut %}',
    ),
    (
        "G6",
        "markdown",
        "@jsmith and @ghost, mail a@b.com, `@jsmith`",
        "@ivanov and `@ghost`, mail a@b.com, `@jsmith`",
    ),
    (
        "G9",
        "markdown",
        "Watch @[youtube](dQw4w9WgXcQ) and x^2^ and ##tag##",
        "Watch @\\[youtube](dQw4w9WgXcQ) and x\\^2\\^ and \\#\\#tag\\#\\#",
    ),
]


@pytest.mark.parametrize(("case", "fmt", "source", "expected"), ACCEPTANCE, ids=[c[0] for c in ACCEPTANCE])
def test_acceptance_cases(
    converters: dict[str, MarkupConverter], case: str, fmt: str, source: str, expected: str
) -> None:
    assert converters[fmt].convert(source).text == expected


def test_the_module_level_convert_gives_the_same_result() -> None:
    assert convert("ping [~jsmith]", "jira", user_login=USERS.get).text == "ping @ivanov"


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
def test_jira_lossy_kinds(converters: dict[str, MarkupConverter], source: str, lossy: list[str]) -> None:
    assert converters["jira"].convert(source).lossy == lossy


def test_jira_mentions_of_user_names_with_dots_and_emails() -> None:
    users = {"o.volkov": "oleg", "pm@corp.example": "pm"}.get
    text = convert("ping [~o.volkov], [~pm@corp.example] and [~j_doe].", "jira", user_login=users).text
    assert text == "ping @oleg, @pm and `@j_doe`."


def test_jira_macros_emoticons_and_literal_yfm_syntax() -> None:
    source = "{info:title=Heads up}body{info} {{mono}} {% raw %} a__b__c <b> ##x## @[v]"
    text = convert(source, "jira", user_login=USERS.get).text
    assert text == (
        '{% note info "Heads up" %}\n\nbody\n\n{% endnote %}\n\n'
        " `mono` &#123;% raw %} a\\_\\_b\\_\\_c \\<b> \\#\\#x\\#\\# @\\[v]"
    )


def test_jira_code_keeps_liquid_and_gets_a_long_enough_fence() -> None:
    text = convert("{noformat}```{% x %}```{noformat}", "jira", user_login=USERS.get).text
    assert text == "````\n```{% x %}```\n````"


def test_jira_external_image_keeps_its_size() -> None:
    text = convert("!https://x.example/a b.png|width=300,height=200!", "jira", user_login=USERS.get).text
    assert text == "![](https://x.example/a%20b.png =300x200)"


def test_markdown_leaves_code_alone() -> None:
    source = "```\n{% x %} @jsmith ^\n```\n\n    {% indented %} @jsmith\n\ntext `{{ v }}` {% y %}"
    assert convert(source, "markdown", user_login=USERS.get).text == (
        "```\n{% x %} @jsmith ^\n```\n\n    {% indented %} @jsmith\n\ntext `{{ v }}` &#123;% y %}"
    )


def test_markdown_keeps_urls_and_link_targets_intact() -> None:
    source = "see https://x.example/a^b and [doc](https://x.example/{%) and <https://x.example/^>"
    assert convert(source, "markdown", user_login=USERS.get).text == source


def test_markdown_br_is_a_newline_except_in_tables() -> None:
    result = convert("a<br>b\n| x<br/>y |", "markdown", user_login=USERS.get)
    assert result.text == "a\nb\n| x y |"
    assert result.lossy == ["table_linebreak"]


def test_markdown_headings_are_not_escaped() -> None:
    assert convert("## Title\n### Sub", "markdown", user_login=USERS.get).text == "## Title\n### Sub"


def test_html_drops_unsafe_links_and_converts_underline_and_sub() -> None:
    result = convert(
        '<p><a href="javascript:alert(1)">click</a> <u>u</u> H<sub>2</sub>O x<sup>2</sup> a<br>b {{v}}</p>',
        "html",
        user_login=USERS.get,
    )
    assert result.text == "click ++u++ H2O x^2^ a\nb &#123;{v}}"
    assert result.lossy == ["unsafe_link", "subscript"]


def test_plain_text_shows_as_written() -> None:
    source = "*not bold* __init__ # 1. [x](y) {% if %} x^2 ##m## https://x.example/a_b\nline two"
    assert convert(source, "plain", user_login=USERS.get).text == (
        "\\*not bold\\* \\_\\_init\\_\\_ \\# 1\\. \\[x\\](y) &#123;% if %} x\\^2 \\#\\#m\\#\\# https://x.example/a_b\nline two"
    )


def test_yfm_passes_through_unchanged() -> None:
    source = '{% note info "x" %}\n\n**b**\n\n{% endnote %}'
    assert convert(source, "yfm", user_login=USERS.get).text == source


def test_crlf_is_normalised_for_every_format() -> None:
    assert convert("a\r\nb\rc", "yfm", user_login=USERS.get).text == "a\nb\nc"


def test_a_converter_that_raises_falls_back_to_escaped_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import migrator.mapping.markup as markup

    def broken(text: str, ctx: object) -> str:
        raise RecursionError("too deep")

    monkeypatch.setitem(markup._CONVERTERS, "html", lambda: broken)
    result = convert("<b>*x*</b>", "html", user_login=USERS.get)
    assert (result.text, result.lossy) == (escape_plain("<b>*x*</b>"), ["converter_failed"])
    assert result.text == "\\<b\\>\\*x\\*\\</b\\>"


def test_unknown_source_markup_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown source markup"):
        convert("x", "textile", user_login=USERS.get)


def test_deeply_nested_jira_is_converted_or_kept_never_lost(converters: dict[str, MarkupConverter]) -> None:
    source = "*" * 2000 + "text" + "*" * 2000
    assert "text" in converters["jira"].convert(source).text


def test_one_converter_keeps_no_state_between_texts(converters: dict[str, MarkupConverter]) -> None:
    jira = converters["jira"]
    assert jira.convert("[~ghost]").lossy == ["mention_unmapped"]
    assert jira.convert("plain").lossy == []


JIRA_TOKENS = [
    "*",
    "_",
    "-",
    "+",
    "^",
    "~",
    "??",
    "{{",
    "}}",
    "[",
    "]",
    "|",
    "||",
    "!",
    "\n",
    "\n\n",
    " ",
    "  ",
    "\t",
    "word",
    "h1. ",
    "bq. ",
    "* ",
    "# ",
    "** ",
    "----",
    "--",
    "---",
    "{code}",
    "{noformat}",
    "{panel:title=T}",
    "{panel}",
    "{info}",
    "{color:red}",
    "{color}",
    "[~jsmith]",
    "[a|http://x.y]",
    "http://a.b/c_d",
    "(/)",
    ":)",
    "{%",
    "@[",
    "##",
    "==",
    "__",
    "<",
    "\\\\",
    "!a.png!",
    "[^f.txt]",
    "H~2~O",
    "x^2^",
    "[mailto:a@b.c]",
    "{quote}",
    "|a|b|\n",
]


def test_the_fast_jira_scan_matches_pyparsings_full_scan() -> None:
    """We try only the elements that can start at a position; pyparsing tries all everywhere.
    Same grammar, same order, so the output must be identical."""
    import random

    from pyparsing import Forward

    import migrator.mapping.markup as markup

    ctx = markup._Context(USERS.get)
    holder = markup._JiraUsernames(ctx)
    elements = markup._jira_elements()
    inline, stock = Forward(), Forward()
    inline <<= elements.expr(inline, stock, holder, [e for e in elements if e.is_inline_element])
    stock <<= elements.expr(inline, stock, holder, elements)
    fast = markup._JiraGrammar()
    rng = random.Random(20240301)
    for _ in range(80):
        text = "".join(rng.choice(JIRA_TOKENS) for _ in range(rng.randint(1, 20)))
        assert fast.convert(text, ctx) == stock.transform_string(text), text
