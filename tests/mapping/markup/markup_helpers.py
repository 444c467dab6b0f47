"""Shared data of the markup tests: the user map, Jira markup fragments for random texts, and
jira2markdown's own driver to compare the fast scan with."""

from __future__ import annotations

from pyparsing import Forward

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.jira import jira_elements
from migrator.mapping.markup.jira_elements import JiraUsernames

USERS = {"jsmith": "ivanov", "5b10a2844c20165700ede21g": "petrov"}

# Jira fragments random texts are built from: every construct, its broken halves, plain words.
JIRA_TOKENS = [
    "*", "_", "-", "+", "^", "~", "??", "{{", "}}", "[", "]", "|", "||", "!", "\n", "\n\n", " ", "  ",
    "\t", "word", "h1. ", "bq. ", "* ", "# ", "** ", "----", "--", "---", "{code}", "{noformat}",
    "{panel:title=T}", "{panel}", "{info}", "{color:red}", "{color}", "[~jsmith]", "[a|http://x.y]",
    "http://a.b/c_d", "(/)", ":)", "{%", "@[", "##", "==", "__", "<", "\\\\", "!a.png!", "[^f.txt]",
    "H~2~O", "x^2^", "[mailto:a@b.c]", "{quote}", "|a|b|\n", "*bold*", "-del-", "+ins+", "??q??",
    " *a* ", "*a *b*", "*x*y", "a*b*", "{color:blue}c{color}", "PROJ-7", "é", "\u00a0",
]  # fmt: skip


def stock_grammar(ctx: ConversionContext) -> Forward:
    """jira2markdown's own driver: every element tried at every position (pyparsing's transform_string)."""
    holder = JiraUsernames(ctx)
    elements = jira_elements()
    inline, stock = Forward(), Forward()
    inline <<= elements.expr(inline, stock, holder, [e for e in elements if e.is_inline_element])
    stock <<= elements.expr(inline, stock, holder, elements)
    return stock
